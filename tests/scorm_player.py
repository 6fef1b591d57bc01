"""Driving the SCORM player (scorm_builder/player/player.html) from the browser tests, 1.2 and 2004 alike.

The player is the LMS: scorm-again's API object, journaling every call in `window.lmsLog` as
`[call, element, value]` with the version's own call names. `Lms` reads that journal for one
version, so the 1.2 and 2004 tests ask the same questions (what was set, in which order, was the
session ended) without each spelling the journal out again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote


def launch(page, server, package, sco="index.html", mode="iframe", start=None, lacks=None, scorm=None):
    """Open the LMS player on a SCO; return the SCO's frame (or popup page) once the SCO is ready.

    scorm="2004" makes the player offer API_1484_11 instead of API; `start` is the CMI data the LMS
    holds at launch, `lacks` the elements it does not support.
    """
    version = f"scorm={scorm}&" if scorm else ""
    url = f"{server}/player/player.html?{version}sco={quote(f'/packages/{package}/{sco}')}&mode={mode}"
    if start:
        url += "&start=" + quote(json.dumps(start))
    if lacks:
        url += "&lacks=" + quote(lacks)
    if mode == "popup":
        with page.expect_popup() as popup_info:
            page.goto(url)
        sco_frame = popup_info.value
    else:
        page.goto(url)
        sco_frame = page.frame_locator("#sco-frame")
        if mode == "nested":
            sco_frame = sco_frame.frame_locator("#inner-frame")
    sco_frame.locator("html[data-sco-ready=true]").wait_for(state="attached")
    return sco_frame


def second_learner_page(browser):
    """A page in a fresh browser context (nothing shared with the first session), collecting its errors."""
    page = browser.new_context().new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@dataclass(frozen=True)
class Lms:
    """The player's journal, read with one SCORM version's call names."""

    set_call: str  # "LMSSetValue" (1.2) or "SetValue" (2004)
    finish_call: str  # "LMSFinish" or "Terminate"

    def log(self, page) -> list[list[str]]:
        return page.evaluate("window.lmsLog")

    def values(self, page) -> dict[str, str]:
        """The last value the SCO set for each CMI element."""
        return {entry[1]: entry[2] for entry in self.log(page) if entry[0] == self.set_call}

    def writes(self, page, element: str) -> list[str]:
        """Every value the SCO set for one element, in order."""
        return [entry[2] for entry in self.log(page) if entry[:2] == [self.set_call, element]]

    def numbered(self, page, group: str) -> list[dict[str, str]]:
        """cmi.<group>.n.* (interactions, objectives) as the LMS journaled them, by n."""
        journal: dict[int, dict[str, str]] = {}
        for entry in self.log(page):
            match = re.match(rf"cmi\.{group}\.(\d+)\.(.+)$", entry[1]) if entry[0] == self.set_call else None
            if match:
                journal.setdefault(int(match[1]), {})[match[2]] = entry[2]
        return [journal[n] for n in sorted(journal)]

    def wait_for_value(self, page, element: str, value: str) -> None:
        """Wait until the last value the SCO set for `element` is `value`."""
        page.wait_for_function(
            "([call, element, value]) => window.lmsLog.filter(e => e[0] === call && e[1] === element)"
            ".map(e => e[2]).pop() === value",
            arg=[self.set_call, element, value],
        )

    def end_session(self, page) -> None:
        """Unload the SCO as the LMS does when the learner leaves, and wait for the session to end."""
        page.evaluate("window.unloadSco()")
        self.wait_for_finish(page)

    def wait_for_finish(self, page) -> None:
        page.wait_for_function(f"window.lmsLog.some(e => e[0] === '{self.finish_call}')")


SCORM12 = Lms("LMSSetValue", "LMSFinish")
SCORM2004 = Lms("SetValue", "Terminate")
