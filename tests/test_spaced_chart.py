"""The mastery-over-time chart's x axis: when each snapshot was taken, never 1, 2, 3 (lti_app.web.charts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from courseware import load_content
from lti_app.web.charts import MAX_X_LABELS, mastery_chart

from .conftest import CONTENT_DIR

ACTIVITIES = [o for o in load_content(CONTENT_DIR).objectives if o.kind == "activity"]
T0 = datetime(2026, 12, 2, 9, 5, tzinfo=UTC)


def labels(times: list[datetime]) -> list[str]:
    chart = mastery_chart([(at, {"plan": 0.5}) for at in times], ACTIVITIES)
    return [label for _, label in chart.x_ticks]


def test_one_day_shows_times_and_names_the_day():
    chart = mastery_chart([(T0, {}), (T0 + timedelta(hours=2), {})], ACTIVITIES)
    assert [label for _, label in chart.x_ticks] == ["09:05", "11:05"]
    assert chart.x_title == "Time on 2 Dec 2026 (UTC)"


def test_several_days_show_each_date_once():
    times = [T0, T0 + timedelta(hours=1), T0 + timedelta(days=1), T0 + timedelta(days=40)]
    assert labels(times) == ["2 Dec", "", "3 Dec", "11 Jan"]
    assert mastery_chart([(at, {}) for at in times], ACTIVITIES).x_title == "Date (UTC)"


def test_many_snapshots_keep_labels_apart():
    times = [T0 + timedelta(days=day) for day in range(12)]
    shown = [label for label in labels(times) if label]
    assert 1 < len(shown) <= MAX_X_LABELS and shown[0] == "2 Dec"
