"""The transaction boundary of a use case (cosmicpython's unit of work).

A service function that writes takes a UnitOfWork, does its work inside `with uow:` and calls
`uow.commit()` once, at the end, when everything it had to do succeeded. Leaving the block without
that commit (a refusal, a failed LMS call, a bug) rolls back whatever the block wrote: nothing
half-written. A block that wrote nothing is not rolled back, which would only expire every object the
request has loaded. The entrypoint makes the unit of work from its request's session and Redis client
and never commits itself (a request's session is also closed at teardown, discarding anything left).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import redis
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from lti_app.adapters.registry import Registry


@dataclass
class UnitOfWork:
    session: Session  # the source of truth
    cache: redis.Redis  # what can be rebuilt: launch caches, pylti1p3 state and nonces, key sets
    registry: Registry  # this process's copy of the platforms, deployments and tool keys
    committed: bool = False
    _wrote: bool = field(default=False, repr=False)

    def _flushed(self, _session: Session, _context: Any) -> None:
        self._wrote = True

    def _executed(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:  # a statement written past the ORM
            self._wrote = True

    def __enter__(self) -> UnitOfWork:
        self.committed = self._wrote = False
        # One bound method each, so that they can be removed again.
        self._listeners = (("after_flush", self._flushed), ("do_orm_execute", self._executed))
        for name, listener in self._listeners:
            event.listen(self.session, name, listener)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for name, listener in self._listeners:
            event.remove(self.session, name, listener)
        session = self.session
        if not self.committed and (self._wrote or session.new or session.dirty or session.deleted):
            self.rollback()

    def commit(self) -> None:
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()
