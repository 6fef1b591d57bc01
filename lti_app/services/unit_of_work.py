"""The transaction boundary of a use case (cosmicpython's unit of work).

A service function that writes takes a UnitOfWork, does its work inside `with uow:` and calls
`uow.commit()` once, at the end, when everything it had to do succeeded. Leaving the block without
that commit (a refusal, a failed LMS call, a bug) rolls back whatever was flushed: nothing
half-written. The entrypoint makes the unit of work from its request's session and Redis client and
never commits itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType

import redis
from sqlalchemy.orm import Session


@dataclass
class UnitOfWork:
    session: Session  # the source of truth
    cache: redis.Redis  # what can be rebuilt: launch caches, pylti1p3 state and nonces, key sets

    committed: bool = False

    def __enter__(self) -> UnitOfWork:
        self.committed = False
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.rollback()

    def commit(self) -> None:
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()
