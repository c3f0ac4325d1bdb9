"""HTTP API of the vault: translates HTTP to calls into the domain packages, nothing more."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `api.cli` (the `vault` command) lives in this package, and
    # importing the app (FastAPI, SQLAlchemy, pyHanko...) would cost every command seconds.
    if name == "create_app":
        from api.app import create_app

        return create_app
    raise AttributeError(f"module 'api' has no attribute {name!r}")
