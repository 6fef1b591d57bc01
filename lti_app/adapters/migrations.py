"""Alembic, driven from the app: `flask --app lti_app db upgrade` brings any database to the schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from courseware.packaged import resource_dir

MIGRATIONS_DIR = resource_dir("lti_app.migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def autogenerate(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
