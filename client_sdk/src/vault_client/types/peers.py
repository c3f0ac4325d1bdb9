"""Reuse between provinces: what another province's vault (a peer) offers for a dossier,
and where a paper taken from it came from."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from vault_client.types._base import VaultModel


class PeerReason(VaultModel):
    """The peer's words for a refusal or a note: `code` stable, `text` in English."""

    code: str
    text: str


class RemoteCandidate(VaultModel):
    """A paper the peer vault offers for the dossier; attach it with `reuse.take_from_peer`
    (with `peer` and `document_id`)."""

    peer: str
    source: str = Field(description='The peer\'s label, e.g. "tỉnh Đồng Nai"')
    document_id: str = Field(description="The paper's id in the peer vault")
    paper_type: str
    title: str
    issued_on: date | None
    valid_until: date | None
    size: int
    media_type: str
    has_signature: bool
    usable: bool
    reasons: list[PeerReason] = Field(default_factory=list)
    attached: bool = False


class RefusedType(VaultModel):
    paper_type: str
    reason: PeerReason


class PeerOutcome(VaultModel):
    """One peer's answer to the reuse plan: `status` is "answered", "no_answer" (down or
    slower than the plan's time budget), "refused" or "failed"; `message` says it."""

    peer: str
    source: str
    status: str
    message: str
    seconds: float
    candidates: list[RemoteCandidate] = Field(default_factory=list)
    refused_types: list[RefusedType] = Field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.status == "answered"


class Provenance(VaultModel):
    """Where a copy taken from a peer vault came from."""

    peer: str
    source: str
    remote_document_id: str
    sha256: str
    taken_at: datetime
    dossier_id: uuid.UUID
