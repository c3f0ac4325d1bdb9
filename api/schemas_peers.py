"""Bodies of reuse between vaults: the federation wire (vault to vault) and what officers see
of other provinces' candidates."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas import AttachmentOut, DocumentOut
from vault.domain import PeerCopy
from vault.integrations.peer import PeerReason, RefusedType
from vault.services.peer_answers import OfferedPaper, PeerLookup
from vault.services.remote_reuse import PeerOutcome, RemoteCandidate, TakenPaper

# -- the federation wire (see vault/integrations/peer.py) ---------------------------------


class OfficerIn(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)


class PeerLookupIn(BaseModel):
    owner_identifier: str = Field(min_length=1, max_length=32)
    paper_types: list[str] = Field(min_length=1, max_length=50)
    dossier_code: str = Field(max_length=40)
    procedure_code: str = Field(max_length=16)
    requesting_agency: str = Field(max_length=16)
    officer: OfficerIn
    purpose: str = Field(default="", max_length=500)


class WireReason(BaseModel):
    code: str
    text: str


class WireCandidate(BaseModel):
    document_id: str
    paper_type: str
    title: str
    sha256: str
    size: int
    media_type: str
    issued_on: date | None
    valid_until: date | None
    usable: bool
    reasons: list[WireReason]
    has_signature: bool
    origin: str
    issuer_agency_code: str | None
    reference_number: str | None

    @classmethod
    def of(cls, o: OfferedPaper) -> WireCandidate:
        d = o.document
        return cls(
            document_id=str(d.id),
            paper_type=d.paper_type,
            title=d.title,
            sha256=d.blob.sha256,
            size=d.blob.size,
            media_type=d.blob.media_type.value,
            issued_on=d.issue_date,
            valid_until=d.valid_until,
            usable=o.usable,
            reasons=[WireReason(code=r.code, text=r.text) for r in o.reasons],
            has_signature=d.has_signature,
            origin=d.origin.value,
            issuer_agency_code=d.verified_issuer,
            reference_number=d.reference_number,
        )


class WireRefused(BaseModel):
    paper_type: str
    code: str
    text: str


class PeerLookupOut(BaseModel):
    candidates: list[WireCandidate]
    refused: list[WireRefused]

    @classmethod
    def of(cls, lookup: PeerLookup) -> PeerLookupOut:
        return cls(
            candidates=[WireCandidate.of(o) for o in lookup.offered],
            refused=[
                WireRefused(paper_type=t, code=r.code, text=r.text) for t, r in lookup.refused
            ],
        )


class PeerTokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


# -- what officers see --------------------------------------------------------------------


class PeerReasonOut(BaseModel):
    code: str
    text: str

    @classmethod
    def of(cls, r: PeerReason) -> PeerReasonOut:
        return cls(code=r.code, text=r.text)


class RemoteCandidateOut(BaseModel):
    peer: str = Field(description="The peer vault's name (attach with it)")
    source: str = Field(description='Where it is: "tỉnh Đồng Nai" (the peer\'s label)')
    document_id: str = Field(description="The paper's id in the peer vault")
    paper_type: str
    title: str
    issued_on: date | None
    valid_until: date | None
    size: int
    media_type: str
    has_signature: bool
    usable: bool
    reasons: list[PeerReasonOut] = Field(
        description="The peer's refusals, or its notes on a usable paper"
    )
    attached: bool = Field(description="Already taken and attached to this dossier")

    @classmethod
    def of(cls, c: RemoteCandidate) -> RemoteCandidateOut:
        k = c.candidate
        return cls(
            peer=c.peer,
            source=c.peer_label,
            document_id=k.ref.document_id,
            paper_type=k.paper_type,
            title=k.title,
            issued_on=k.issued_on,
            valid_until=k.valid_until,
            size=k.ref.size,
            media_type=k.ref.media_type,
            has_signature=k.has_signature,
            usable=k.usable,
            reasons=[PeerReasonOut.of(r) for r in k.reasons],
            attached=c.attached,
        )


class RefusedTypeOut(BaseModel):
    paper_type: str
    reason: PeerReasonOut

    @classmethod
    def of(cls, r: RefusedType) -> RefusedTypeOut:
        return cls(paper_type=r.paper_type, reason=PeerReasonOut.of(r.reason))


class PeerOutcomeOut(BaseModel):
    peer: str
    source: str
    status: str = Field(description="answered, no_answer (down or too slow), refused, failed")
    message: str = Field(examples=["tỉnh Đồng Nai did not answer"])
    seconds: float
    candidates: list[RemoteCandidateOut]
    refused_types: list[RefusedTypeOut]

    @classmethod
    def of(cls, o: PeerOutcome) -> PeerOutcomeOut:
        return cls(
            peer=o.peer,
            source=o.label,
            status=o.status,
            message=o.message,
            seconds=round(o.seconds, 3),
            candidates=[RemoteCandidateOut.of(c) for c in o.candidates],
            refused_types=[RefusedTypeOut.of(r) for r in o.refused],
        )


class TakeFromPeerRequest(BaseModel):
    peer: str = Field(max_length=64, examples=["dong-nai"])
    document_id: str = Field(
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]{1,128}$",
        examples=["01940b7c-6a3e-7c1a-9d2e-3f4a5b6c7d8e"],
        description="The paper's id in the peer vault (a remote candidate's `document_id`)",
    )


class ProvenanceOut(BaseModel):
    peer: str
    source: str = Field(description="Taken from this province's vault")
    remote_document_id: str
    sha256: str
    taken_at: datetime
    dossier_id: uuid.UUID

    @classmethod
    def of(cls, p: PeerCopy) -> ProvenanceOut:
        return cls(
            peer=p.peer,
            source=p.peer_label,
            remote_document_id=p.remote_document_id,
            sha256=p.sha256,
            taken_at=p.taken_at,
            dossier_id=p.dossier_id,
        )


class TakenPaperOut(BaseModel):
    attachment: AttachmentOut
    document: DocumentOut
    taken_from: ProvenanceOut

    @classmethod
    def of(cls, t: TakenPaper) -> TakenPaperOut:
        return cls(
            attachment=AttachmentOut.of(t.attachment),
            document=DocumentOut.of(t.document),
            taken_from=ProvenanceOut.of(t.provenance),
        )
