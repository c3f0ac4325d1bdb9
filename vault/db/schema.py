"""Every table of the vault, in one place: importing this module puts each model module's
tables on `Base.metadata` (the Alembic environment and the schema test compare against it).

No model module imports another to be complete; a new vault model module is listed here.
The packages built on the vault declare their own tables on the same `Base` in their own
`db` subpackages (ocr.db, signing.issuing.db); the vault imports nothing of theirs, so whoever
needs the whole schema (tests/test_migrations.py) imports those too.
"""

from vault.db import (
    anchor_models,
    auth_models,
    derived_models,
    export_models,
    job_models,
    models,
    peer_models,
    retention_models,
    signature_models,
    sync_models,
)
from vault.db.base import Base

MODEL_MODULES = (
    models,
    anchor_models,
    auth_models,
    derived_models,
    export_models,
    job_models,
    peer_models,
    retention_models,
    signature_models,
    sync_models,
)

__all__ = ["MODEL_MODULES", "Base"]
