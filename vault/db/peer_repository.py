"""Reading and recording the provenance of papers taken from peer vaults."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.db.peer_models import PeerCopyRow
from vault.domain import PeerCopy


def _copy(row: PeerCopyRow) -> PeerCopy:
    return PeerCopy(
        row.document_id,
        row.peer,
        row.peer_label,
        row.remote_document_id,
        row.sha256,
        row.taken_at,
        row.taken_by,
        row.dossier_id,
    )


class PeerCopyRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, copy: PeerCopy) -> None:
        self._session.add(
            PeerCopyRow(
                document_id=copy.document_id,
                peer=copy.peer,
                peer_label=copy.peer_label,
                remote_document_id=copy.remote_document_id,
                sha256=copy.sha256,
                taken_at=copy.taken_at,
                taken_by=copy.taken_by,
                dossier_id=copy.dossier_id,
            )
        )

    def taken(self, peer: str, remote_document_id: str, sha256: str) -> PeerCopy | None:
        row = self._session.scalar(
            select(PeerCopyRow).where(
                PeerCopyRow.peer == peer,
                PeerCopyRow.remote_document_id == remote_document_id,
                PeerCopyRow.sha256 == sha256,
            )
        )
        return _copy(row) if row else None

    def of_documents(self, document_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, PeerCopy]:
        if not document_ids:
            return {}
        rows = self._session.scalars(
            select(PeerCopyRow).where(PeerCopyRow.document_id.in_(document_ids))
        )
        return {row.document_id: _copy(row) for row in rows}

    def from_peer(self, peer: str, remote_ids: Sequence[str]) -> list[PeerCopy]:
        if not remote_ids:
            return []
        rows = self._session.scalars(
            select(PeerCopyRow).where(
                PeerCopyRow.peer == peer, PeerCopyRow.remote_document_id.in_(remote_ids)
            )
        )
        return [_copy(row) for row in rows]
