"""What one learner's launch costs the tool's Redis (issue 13, point 5: <= 2 KB per active learner).

A cohort of 1,000 learners launching at once must not need a large Redis: per learner the tool keeps
its session, the compact launch context and pylti1p3's state check, nothing else. The first launch of
a platform also fills shared caches (the platform's keys, CSP origins); those are paid once, so the
test measures the second learner's launch.
"""

from __future__ import annotations

import pytest

from .lti_harness import LEARNER, LEARNER_2, start_lms

BUDGET_BYTES = 2048


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("mock-exam", "Mock exam")
        yield running


def sizes(cache) -> dict[bytes, int]:
    return {key: cache.memory_usage(key) or 0 for key in cache.scan_iter()}


def test_a_learners_launch_costs_at_most_2_kb_of_redis(lms):
    cache = lms.tool_app.extensions["redis"]
    link = lms.links["mock-exam"]
    assert lms.launch(lms.browser(), LEARNER, link).status_code == 200  # shared caches filled
    before = sizes(cache)
    browser = lms.browser()
    page = lms.launch(browser, LEARNER_2, link)
    assert page.status_code == 200 and "Mock exam" in page.text
    after = sizes(cache)
    grown = {key: size - before.get(key, 0) for key, size in after.items() if size > before.get(key, 0)}
    assert sum(grown.values()) <= BUDGET_BYTES, grown
    again = browser.get(page.url, timeout=10)  # the next request reads the compact launch context back
    assert again.status_code == 200 and "Mock exam" in again.text
