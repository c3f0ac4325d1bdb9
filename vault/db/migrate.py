"""Schema migrations through Alembic, callable from code (CLI, tests, benchmarks)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from vault.personal_data import IdentifierCipher

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str, identifiers: IdentifierCipher | None = None) -> Config:
    """`identifiers` seals owners' identification numbers that a migration finds in clear
    (and opens them going down); without it, the configuration's master keys do."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    if identifiers is not None:
        config.attributes["identifier_cipher"] = identifiers
    return config


def upgrade(
    database_url: str, revision: str = "head", *, identifiers: IdentifierCipher | None = None
) -> None:
    command.upgrade(alembic_config(database_url, identifiers), revision)


def downgrade(
    database_url: str, revision: str, *, identifiers: IdentifierCipher | None = None
) -> None:
    command.downgrade(alembic_config(database_url, identifiers), revision)
