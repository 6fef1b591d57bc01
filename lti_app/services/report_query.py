"""What an instructor asks the report to show (sort, filters, page), read from the query string and
validated: an unknown sort key, filter value or page number is refused with a message naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

PAGE_SIZE = 25
SORTS = {"name": "Learner", "score": "Latest score", "attempts": "Attempts", "submitted": "Last submitted",
         "sync": "Gradebook"}  # fmt: skip
RESULTS = {"passed": "Passed", "failed": "Not passed"}
SYNC_STATES = ("synced", "pending", "retrying", "failed", "superseded", "not sent", "not submitted",
               "not started")  # fmt: skip
SEARCH_MAX = 100


class ReportQueryError(ValueError):
    """A sort key, filter or page the report does not know: the message names it and what is allowed."""


@dataclass(frozen=True)
class ReportQuery:
    """What the instructor asked to see, from the query string; `args` writes it back for links."""

    sort: str = "name"
    descending: bool = False
    search: str = ""
    result: str = ""
    sync: str = ""
    page: int = 1
    all_attempts: bool = False  # item statistics over every attempt, not first ones

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ReportQuery:
        sort = args.get("sort", "name") or "name"
        if sort not in SORTS:
            raise ReportQueryError(f"sort: unknown column {sort!r}; use one of {', '.join(SORTS)}.")
        order = args.get("order", "asc") or "asc"
        if order not in ("asc", "desc"):
            raise ReportQueryError(f"order: {order!r} is neither 'asc' nor 'desc'.")
        result = args.get("result", "") or ""
        if result and result not in RESULTS:
            raise ReportQueryError(f"result: {result!r} is not one of {', '.join(RESULTS)}.")
        sync = args.get("sync", "") or ""
        if sync and sync not in SYNC_STATES:
            raise ReportQueryError(f"sync: {sync!r} is not one of {', '.join(SYNC_STATES)}.")
        search = (args.get("q", "") or "").strip()
        if len(search) > SEARCH_MAX:
            raise ReportQueryError(f"q: a name search is at most {SEARCH_MAX} characters.")
        raw_page = args.get("page", "1") or "1"
        if not raw_page.isdigit() or int(raw_page) < 1 or len(raw_page) > 9:
            raise ReportQueryError(f"page: {raw_page!r} is not a page number (1, 2, 3...).")
        attempts = args.get("attempts", "") or ""
        if attempts not in ("", "first", "all"):
            raise ReportQueryError(f"attempts: {attempts!r} is neither 'first' nor 'all'.")
        return cls(sort, order == "desc", search, result, sync, int(raw_page), attempts == "all")

    def args(self, **changes: object) -> dict[str, object]:
        """The query string of this view with `changes`, only what differs from the defaults."""
        query = replace(self, **changes)
        out: dict[str, object] = {}
        if query.sort != "name":
            out["sort"] = query.sort
        if query.descending:
            out["order"] = "desc"
        for key, value in (("q", query.search), ("result", query.result), ("sync", query.sync)):
            if value:
                out[key] = value
        if query.page != 1:
            out["page"] = query.page
        if query.all_attempts:
            out["attempts"] = "all"
        return out

    def sorted_by(self, key: str) -> dict[str, object]:
        """Links of a column header: ascending first, the other way round if already sorted by it."""
        return self.args(sort=key, descending=key == self.sort and not self.descending, page=1)

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.result or self.sync)
