"""HTTP API of the vault: translates HTTP to calls into the domain packages, nothing more."""

from api.app import create_app

__all__ = ["create_app"]
