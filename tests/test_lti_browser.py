"""The LTI tool in headless Chromium, launched by the sandbox LMS as a learner and an instructor would.

The platform runs on http://127.0.0.1 and the tool on http://localhost: two sites, so in the platform's
iframe the tool is a third-party document, and its cookies (`SameSite=None; Secure`, which Chromium keeps
from http://localhost, a secure context) are third-party cookies.

Chromium (Debian's 156) blocks unpartitioned third-party cookies by default: DevTools reports the tool's
login cookies in the frame as refused for "UserPreferences" (the browser's cookie controls), not for their
attributes, while a `Partitioned` (CHIPS) cookie would be kept. So a launch in the frame goes through LTI
Platform Storage (the platform's page keeps the OIDC state and nonce: no cookie at all); an LMS without
it gets pylti1p3's cookie check page, whose link opens the tool in a new window, where its cookies are
first-party. Each path is tested; the learner's, with the keyboard only.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from courseware.model import ObjectiveKind
from lti_app.adapters.orm import Attempt

from .conftest import CHROMIUM, CHROMIUM_ARGS, ROOT
from .lti_harness import start_lms

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = ROOT / "node_modules/axe-core/axe.min.js"
ADA, INES = "Ada Learner", "Ines Instructor"
QUESTIONS = 18  # the diagnostic: two items on each of nine objectives
TOOL_PAGE = re.compile(r"/[ai]/lti1p3-launch-[^/]+/")  # a learner's (a) or an instructor's (i) first page

# What has the keyboard focus in a document, as a sighted keyboard user sees it (None: not this document),
# and the colour of the focus ring around it (an option's ring is drawn around its whole row).
FOCUSED = """() => {
  if (!document.hasFocus()) return null;
  const el = document.activeElement;
  const ringed = el.type === "radio" ? el.closest(".option") || el : el;
  const style = getComputedStyle(ringed);
  return {tag: el.tagName.toLowerCase(), type: el.type || "", value: el.value || "",
          checked: !!el.checked, text: (el.innerText || el.textContent || "").trim(),
          ring: style.outlineStyle === "none" ? null : style.outlineColor};
}"""
FOCUS_RING = "rgb(27, 31, 36)"  # --ink: the tool's focus ring

# --- the platform, the tool and the browser -----------------------------------------------------------


@pytest.fixture
def lms(tmp_path):
    with start_lms(tmp_path) as running:
        running.add_link("diagnostic")
        yield running


@pytest.fixture
def third_party_cookies_page(browser, tmp_path):
    """A page of a Chromium profile whose cookie controls allow third-party cookies (cookie_controls_mode 0,
    "Allow third-party cookies"); the rest is as the `page` fixture."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps({"profile": {"cookie_controls_mode": 0}}))
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport={"width": 1200, "height": 900}
    )
    page = context.pages[0] if context.pages else context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def launch_from_home(page, lms, user: str, link: str = "diagnostic", *, presentation: str = "window"):
    """The sandbox home page: pick how to open the activity, then launch it as `user` (by mouse)."""
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name=link, exact=True)
    label = "in this window" if presentation == "window" else "in a frame on this site"
    activity.get_by_role("radio", name=label).check()
    activity.get_by_role("button", name=f"Launch as {user}").click()
    if presentation == "window":
        page.wait_for_url(TOOL_PAGE)


def axe_violations(target) -> list[dict]:
    """axe-core run in `target` (a page or frame). The tool's CSP allows no inline script, so axe is not
    added as a script tag: its source is evaluated through DevTools, which the CSP does not govern."""
    target.evaluate(AXE.read_text() + "\n;true")
    result = target.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    assert result["passes"], "axe-core did not run its checks"
    return result["violations"]


def answer_key(lms, content) -> list[int]:
    """The display position of the correct option of each question of the latest attempt, from the DB."""
    items = {item.id: item for item in content.all_items()}
    attempt = lms.attempts()[-1]
    return [d["option_order"].index(items[d["item_id"]].answer_index) for d in attempt.delivered]


def launch_cookies(context, lms) -> set[tuple]:
    """The tool's login cookies in the browser (name, SameSite, Secure, partition), state cookies aside."""
    return {
        (c["name"], c["sameSite"], c["secure"], c.get("partitionKey"))
        for c in context.cookies(lms.tool_url)
        if c["name"].startswith("lti1p3-") and not c["name"].startswith("lti1p3-state-")
    }


# --- the keyboard ----------------------------------------------------------------------------------------


def focused(frame) -> dict | None:
    return frame.evaluate(FOCUSED)


def tab_to(
    keyboard, frame, wanted, *, key: str = "Tab", limit: int = 40, ring: str | None = FOCUS_RING
) -> dict:
    """Press Tab (or Shift+Tab) until the focus, watched as a sighted keyboard user would, is on `wanted`.
    Every stop in `frame` on the way must show the focus ring `ring` (None: not checked)."""
    seen = []
    for _ in range(limit):
        keyboard.press(key)
        now = focused(frame)
        seen.append(now and (now["tag"], now["type"], now["text"][:30]))
        if now and ring:
            assert now["ring"] == ring, f"the focus on {seen[-1]} has no visible ring: {now['ring']}"
        if now and wanted(now):
            return now
    raise AssertionError(f"{key} never reached the control; the focus went through {seen}")


def button(name: str):
    return lambda el: el["tag"] == "button" and el["text"] == name


def link(name: str):
    return lambda el: el["tag"] == "a" and el["text"].startswith(name)


def radio(el) -> bool:
    return el["tag"] == "input" and el["type"] == "radio"


def choose(keyboard, frame, position: int) -> None:
    """Tab into the options, then pick the one at `position`: Space on the first, the arrow keys to move."""
    now = tab_to(keyboard, frame, radio)
    if not now["checked"]:  # nothing chosen yet: the focus is on the first option, A
        keyboard.press("Space" if position == 0 else "ArrowDown")
        current = min(position, 1)
    else:  # the focus is on the chosen option
        current = int(now["value"])
    while current != position:
        keyboard.press("ArrowDown" if position > current else "ArrowUp")
        current += 1 if position > current else -1
    now = focused(frame)
    assert (now["value"], now["checked"]) == (str(position), True)
    # tool.js saves each choice as the arrows pass over it; the status tells when the last one is stored
    frame.locator("[data-role=save-status]").filter(has_text="Answer saved.").wait_for()


def checked_position(frame) -> str | None:
    return frame.evaluate("() => document.querySelector('input[name=choice]:checked')?.value ?? null")


def wait_for_question(frame, number: int) -> None:
    frame.wait_for_url(re.compile(rf"/q/{number}$"))
    frame.get_by_text(re.compile(rf"^Question {number} of {QUESTIONS}")).wait_for()
    frame.wait_for_load_state("load")  # tool.js (deferred) is running


def take_diagnostic_by_keyboard(keyboard, frame, lms, content) -> int:
    """From the intro page to the result, with the keyboard only; returns how many answers were right."""
    tab_to(keyboard, frame, button("Start"))
    keyboard.press("Enter")
    wait_for_question(frame, 1)
    key = answer_key(lms, content)
    plan = [n % 3 != 0 for n in range(1, QUESTIONS + 1)]  # every third question wrong, on purpose
    picks = [key[n] if right else int(key[n] == 0) for n, right in enumerate(plan)]  # wrong: A, or B

    for number in range(1, QUESTIONS + 1):
        pick = picks[number - 1]
        if number == 3:  # back to question 2 and on again: its answer is still chosen
            tab_to(keyboard, frame, button("Previous"))
            keyboard.press("Enter")
            wait_for_question(frame, 2)
            assert checked_position(frame) == str(picks[1])
            tab_to(keyboard, frame, button("Save and next"))
            keyboard.press("Enter")
            wait_for_question(frame, 3)
        if number == 5:  # a change of mind: first another option, then the planned one
            choose(keyboard, frame, (pick + 2) % 4)
            keyboard.press("Shift+Tab")  # out of the group, and back in to the chosen option
            choose(keyboard, frame, pick)
        else:
            choose(keyboard, frame, pick)
        assert checked_position(frame) == str(pick)
        if number == QUESTIONS:  # on to the current question's link in the question list, and back
            tab_to(keyboard, frame, link(str(QUESTIONS)))
            tab_to(keyboard, frame, button("Save and review"), key="Shift+Tab")
        elif number == 4:  # Enter on the option itself submits the form with its default button
            pass
        elif number == 6:  # past the default button and back with Shift+Tab
            tab_to(keyboard, frame, button("Review answers"))
            tab_to(keyboard, frame, button("Save and next"), key="Shift+Tab")
        else:
            tab_to(keyboard, frame, button("Save and next"))
        keyboard.press("Enter")
        if number < QUESTIONS:
            wait_for_question(frame, number + 1)

    frame.wait_for_url(re.compile(r"/review$"))
    assert frame.get_by_text(f"You answered {QUESTIONS} of {QUESTIONS} questions.").is_visible()
    tab_to(keyboard, frame, button("Submit for grading"))
    keyboard.press("Enter")
    frame.wait_for_url(re.compile(r"/result$"))
    return sum(plan)


def assert_result_page(frame, right: int, content) -> None:
    score = frame.get_by_role("heading", level=2, name=re.compile("^Your score"))
    assert score.is_visible()
    assert f"({right} of {QUESTIONS})" in score.inner_text()
    bars = frame.get_by_role("list", name="Score per objective, weakest first").get_by_role("listitem")
    assert bars.count() == 9  # one per objective, weakest first
    scores = [int(re.search(r"\((\d+)%\)", text)[1]) for text in bars.all_inner_texts()]
    assert scores == sorted(scores)
    assert frame.get_by_role("heading", level=2, name="Your gap guide").is_visible()
    guide = frame.locator("ol.gap-guide > li").get_by_role("heading", level=3).all_inner_texts()
    activities = [o.title for o in content.objectives if o.kind is ObjectiveKind.activity]
    assert sorted(entry.split(":")[0] for entry in guide) == sorted(activities)  # every activity, once
    mastery = [int(re.search(r"(\d+)% mastery", entry)[1]) for entry in guide]
    assert mastery == sorted(mastery)  # weakest first
    assert frame.get_by_role("heading", level=2, name="Review each question").is_visible()


def assert_graded_on_server(lms, right: int) -> None:
    attempts = lms.attempts()
    assert len(attempts) == 1
    attempt = attempts[0]
    assert (attempt.status, attempt.submitted_by, attempt.user_name) == ("submitted", "learner", ADA)
    assert (attempt.correct, attempt.total, len(attempt.answers)) == (right, QUESTIONS, QUESTIONS)


# --- 1. a learner with the keyboard only, in the LMS's cross-site iframe ---------------------------------


def launch_in_frame_by_keyboard(page, lms):
    """The sandbox home page: the launch button focused, Enter; returns the tool's frame."""
    page.goto(f"{lms.sandbox_url}/")
    activity = page.get_by_role("group", name="diagnostic", exact=True)
    assert activity.get_by_role("radio", name="in a frame on this site").is_checked()
    activity.get_by_role("button", name=f"Launch as {ADA}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/launch/start$"))
    return page.frame(name="tool-frame")


def without_platform_storage(page, lms) -> None:
    """Play an LMS without LTI Platform Storage: its login initiation offers no lti_storage_target, so the
    tool keeps the OIDC state in cookies (pylti1p3's cookie check first). The platform's page is patched
    in the browser, not fulfilled by a route: a fulfilled document counts as public for Chromium's Local
    Network Access checks, which then block its frame's request to http://localhost."""
    page.add_init_script(
        """if (location.origin === ORIGIN) {
          const submit = HTMLFormElement.prototype.submit;
          HTMLFormElement.prototype.submit = function () {
            this.querySelector("input[name=lti_storage_target]")?.remove();
            return submit.call(this);
          };
        }""".replace("ORIGIN", json.dumps(lms.sandbox_url))
    )


def test_keyboard_only_diagnostic_in_cross_site_iframe(page, lms, content):
    """Chromium as it comes (third-party cookies blocked): the launch goes through in the frame without any
    cookie (the state and nonce kept by the platform, LTI Platform Storage), and the learner takes the
    whole diagnostic there with the keyboard only."""
    frame = launch_in_frame_by_keyboard(page, lms)
    frame.wait_for_url(TOOL_PAGE)
    assert frame.url.startswith(f"{lms.tool_url}/")  # the tool, on another site than the platform page
    assert page.url.startswith(f"{lms.sandbox_url}/")
    assert frame.get_by_role("heading", level=1, name="Diagnostic").is_visible()
    assert page.context.cookies(lms.tool_url) == []  # nothing in the frame needs a third-party cookie

    # from the platform page into the frame, with Tab only
    tab_to(page.keyboard, frame, button("Start"))
    assert page.evaluate("() => document.activeElement.name") == "tool-frame"
    right = take_diagnostic_by_keyboard(page.keyboard, frame, lms, content)

    assert_result_page(frame, right, content)
    assert_graded_on_server(lms, right)
    assert page.errors == []


def test_cookie_launch_in_frame_where_third_party_cookies_are_allowed(third_party_cookies_page, lms):
    """The cookie flow itself works in the cross-site frame when the browser keeps third-party cookies:
    the tool's cookies have the attributes a cross-site frame needs (SameSite=None; Secure)."""
    page = third_party_cookies_page
    without_platform_storage(page, lms)
    frame = launch_in_frame_by_keyboard(page, lms)
    frame.wait_for_url(TOOL_PAGE)
    assert frame.get_by_role("heading", level=1, name="Diagnostic").is_visible()
    assert launch_cookies(page.context, lms) == {("lti1p3-session-id", "None", True, None)}
    assert page.errors == []


def test_blocked_third_party_cookies_fall_back_to_a_new_window(page, lms, content):
    """Without Platform Storage, in Chromium as it comes, the frame cannot keep the tool's cookies, so the
    cookie check page offers a new window; the learner opens it from the keyboard and takes the whole
    diagnostic there."""
    without_platform_storage(page, lms)
    frame = launch_in_frame_by_keyboard(page, lms)
    fallback = page.frame_locator("iframe[name=tool-frame]").get_by_role(
        "link", name="Click here to open content in the new tab."
    )
    fallback.wait_for()
    frame = page.frame(name="tool-frame")
    assert frame.url.startswith(f"{lms.tool_url}/lti/login")

    # Exactly why. DevTools, on the frame (a cross-site frame has its own process and target), reports the
    # Set-Cookie headers of the login that the fallback link opens as refused for "UserPreferences": the
    # browser's cookie controls block third-party cookies. Not their attributes: SameSite=None; Secure.
    devtools = page.context.new_cdp_session(frame)
    refused: list[tuple[str, list[str]]] = []
    devtools.on(
        "Network.responseReceivedExtraInfo",
        lambda event: refused.extend((c["cookieLine"], c["blockedReasons"]) for c in event["blockedCookies"]),
    )
    devtools.send("Network.enable")
    new_window_url = frame.evaluate("getUpdatedUrl()")  # pylti1p3's page script: what its link opens
    assert frame.evaluate("url => fetch(url, {redirect: 'manual'}).then(r => r.type)", new_window_url) == (
        "opaqueredirect"  # to the platform's authorization endpoint, not followed
    )
    for _ in range(50):
        if refused:
            break
        page.wait_for_timeout(20)
    assert refused and {tuple(reasons) for _line, reasons in refused} == {("UserPreferences",)}, refused
    session_line = next(line for line, _reasons in refused if line.startswith("lti1p3-session-id="))
    assert {"Secure", "SameSite=None"} <= {part.strip() for part in session_line.split(";")}
    devtools.detach()
    # The same in the page: an unpartitioned cookie is refused in the frame; a partitioned one (CHIPS,
    # keyed to the platform's site) is kept.
    keeps = """([name, attributes]) => {
      document.cookie = `${name}=1; ${attributes}`;
      return document.cookie.includes(name);
    }"""
    assert frame.evaluate(keeps, ["probe-a", "Path=/; SameSite=None; Secure"]) is False
    assert frame.evaluate(keeps, ["probe-b", "Path=/; SameSite=None; Secure; Partitioned"]) is True
    frame.evaluate(
        "() => { document.cookie = 'probe-b=; Max-Age=0; Path=/; SameSite=None; Secure; Partitioned'; }"
    )
    assert [c["name"] for c in page.context.cookies(lms.tool_url) if "partitionKey" not in c] == []

    with page.context.expect_page() as opened:
        tab_to(page.keyboard, frame, link("Click here to open content in the new tab."), ring=None)
        page.keyboard.press("Enter")
    window = opened.value
    window.wait_for_url(TOOL_PAGE)
    assert window.url.startswith(f"{lms.tool_url}/a/")
    assert window.get_by_role("heading", level=1, name="Diagnostic").is_visible()
    assert launch_cookies(window.context, lms) == {("lti1p3-session-id", "None", True, None)}

    window.bring_to_front()
    right = take_diagnostic_by_keyboard(window.keyboard, window.main_frame, lms, content)
    assert_result_page(window.main_frame, right, content)
    assert_graded_on_server(lms, right)
    assert page.errors == []


# --- 2. accessibility: axe-core on every kind of tool page ----------------------------------------------


def test_tool_pages_pass_axe(page, lms):
    reports: dict[str, list[dict]] = {}
    launch_from_home(page, lms, ADA)
    reports["intro"] = axe_violations(page)

    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))
    page.locator("input[name=choice]").nth(1).check()
    page.get_by_text("Answer saved.").wait_for()
    reports["question"] = axe_violations(page)

    page.get_by_role("button", name="Review answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    reports["review"] = axe_violations(page)

    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submit$"))  # questions unanswered: the tool asks first
    assert page.get_by_text("unanswered questions will count as wrong. Submit anyway?").is_visible()
    reports["confirm submit"] = axe_violations(page)
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))
    assert page.get_by_role("heading", name="Your gap guide").is_visible()
    reports["result"] = axe_violations(page)

    launch_from_home(page, lms, INES)
    assert re.search(r"/i/[^/]+/$", page.url)  # the instructor's view, listing Ada's attempt
    assert page.get_by_role("rowheader", name=ADA).first.is_visible()
    reports["instructor"] = axe_violations(page)

    page.goto(f"{lms.tool_url}/lti/config")
    reports["config"] = axe_violations(page)

    def found(impacts: set[str]) -> dict[str, list]:
        return {
            name: [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations]
            for name, violations in reports.items()
            if any(v["impact"] in impacts for v in violations)
        }

    assert found({"serious", "critical"}) == {}, "axe-core: serious or critical WCAG 2.1 AA violations"
    assert found({"minor", "moderate"}) == {}, "axe-core: minor or moderate WCAG 2.1 AA violations"
    assert page.errors == []


# --- 3. a phone ------------------------------------------------------------------------------------------


def test_question_page_fits_a_phone(browser, lms):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    launch_from_home(page, lms, ADA)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))

    width = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width[0] <= width[1] == 360, f"horizontal scroll: {width}"
    controls = page.locator("main button, main a, .option")
    # options, Save and next, Review answers, Mark for review, question links
    assert controls.count() == 4 + 3 + QUESTIONS
    small = [
        (control.inner_text().strip()[:30], box["height"])
        for control in controls.all()
        if (box := control.bounding_box())["height"] < 44
    ]
    assert small == [], f"controls shorter than 44px: {small}"

    # every option's whole row is its target: a tap on the row's edge chooses it
    for n in range(4):
        # position is taken at click time (after any layout shift from the save status line)
        page.locator(".option").nth(n).click(position={"x": 3, "y": 3})
        assert page.locator("input[name=choice]").nth(n).is_checked()
    page.get_by_text("Answer saved.").wait_for()
    assert errors == []
    context.close()


# --- 4. the mock exam's timer ----------------------------------------------------------------------------


def test_timer_counts_down_and_submits_at_the_deadline(page, lms):
    lms.add_link("mock-exam")
    launch_from_home(page, lms, ADA, "mock-exam")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/1$"))

    timer = page.locator("[data-role=timer]")
    shown = timer.locator("[data-role=timer-text]")
    live = timer.locator("[data-role=timer-announce]")
    assert live.get_attribute("role") == "status" and live.get_attribute("aria-live") == "polite"
    assert re.fullmatch(r"(29:5\d|30:00)", shown.inner_text()), shown.inner_text()
    first = shown.inner_text()
    page.wait_for_function(
        "first => document.querySelector('[data-role=timer-text]').textContent !== first", arg=first
    )
    assert shown.inner_text() < first  # e.g. 29:58 after 29:59: it counts down
    assert "Time left" in timer.inner_text()

    page.locator("input[name=choice]").first.check()
    page.get_by_text("Answer saved.").wait_for()

    def set_deadline(seconds: float) -> None:
        session = lms.db()
        attempt = session.get(Attempt, lms.attempts()[-1].id)
        attempt.deadline_at = datetime.now(UTC) + timedelta(seconds=seconds)
        session.commit()

    set_deadline(61)
    page.reload()
    assert re.fullmatch(r"1:0[01]", shown.inner_text()), shown.inner_text()
    live.filter(has_text="1 minute left.").wait_for(timeout=5000)  # announced once under a minute

    set_deadline(1.5)
    page.reload()
    live.filter(has_text="Time is up").wait_for(timeout=6000)
    page.wait_for_url(re.compile(r"/result$"), timeout=6000)
    assert page.get_by_text("Time ran out, so the attempt was submitted as it stood.").is_visible()
    attempt = lms.attempts()[-1]
    assert (attempt.status, attempt.submitted_by, attempt.correct is not None) == ("submitted", "timer", True)
    assert len(attempt.answers) == 1
    assert page.errors == []


def test_answer_review_and_submit_confirmation_fit_a_phone_and_pass_axe(browser, lms):
    """The review lists each chosen option or "Not answered"; with questions unanswered, "Submit for
    grading" asks first; both pages fit 360 px and have no axe violations."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    launch_from_home(page, lms, ADA)
    if "/q/" not in page.url:  # no attempt open yet
        page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/q/\d+$"))
    page.locator(".option").first.click()
    page.get_by_text("Answer saved.").wait_for()
    page.get_by_role("button", name="Review answers").click()
    page.wait_for_url(re.compile(r"/review$"))
    reports = {"review": axe_violations(page)}
    entries = page.locator("ol.answer-review > li")
    assert entries.count() == QUESTIONS
    assert page.get_by_text("Not answered", exact=True).count() == QUESTIONS - 1  # question 1 answered
    widths = {"review": page.evaluate("() => document.documentElement.scrollWidth")}

    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submit$"))
    assert page.get_by_text(
        re.compile(r"\d+ unanswered questions? will count as wrong\. Submit anyway\?")
    ).is_visible()
    reports["confirm"] = axe_violations(page)
    widths["confirm"] = page.evaluate("() => document.documentElement.scrollWidth")
    page.get_by_role("button", name="Submit anyway").click()
    page.wait_for_url(re.compile(r"/result$"))

    assert widths == {"review": 360, "confirm": 360}, f"horizontal scroll: {widths}"
    assert {name: [v["id"] for v in found] for name, found in reports.items() if found} == {}
    assert errors == []
    context.close()
