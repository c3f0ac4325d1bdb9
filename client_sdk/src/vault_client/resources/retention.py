"""Retention: periods, legal holds, disposal lists and their signed record.

client.retention.rules()
hold = client.retention.place_hold(document=doc, reason="Vụ án số 12/2026")
batch = client.retention.request_disposal()            # a background job lists
client.retention.decide(batch, approve=True, note="…") # another records officer
pdf = client.retention.record(batch)                   # the sealed biên bản
"""

from __future__ import annotations

import builtins
from datetime import date

from vault_client._request import (
    Call,
    IdLike,
    api,
    id_of,
    parse_as,
    parse_bytes,
    parse_none,
    segment,
)
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.documents import Document
from vault_client.types.retention import (
    DisposalBatch,
    DisposalDetail,
    DocumentRetention,
    LegalHold,
    RetentionRule,
)


def _rules() -> Call[list[RetentionRule]]:
    return Call("GET", api("/retention/rules"), parse_as(list[RetentionRule]), idempotent=True)


def _set_rule(paper_type: str, years: int | None, basis: str) -> Call[RetentionRule]:
    path = api(f"/retention/rules/{segment(paper_type)}")
    body = {"years": years, "basis": basis}
    return Call("PUT", path, parse_as(RetentionRule), json=body, idempotent=True)


def _of_document(document: IdLike) -> Call[DocumentRetention]:
    path = api(f"/documents/{id_of(document, 'document')}/retention")
    return Call("GET", path, parse_as(DocumentRetention), idempotent=True)


def _delete(document: IdLike) -> Call[None]:
    return Call("DELETE", api(f"/documents/{id_of(document, 'document')}"), parse_none)


def _holds(active: bool) -> Call[list[LegalHold]]:
    params = {"active": "true"} if active else None
    return Call(
        "GET", api("/retention/holds"), parse_as(list[LegalHold]), params=params, idempotent=True
    )


def _place_hold(document: IdLike | None, owner: IdLike | None, reason: str) -> Call[LegalHold]:
    if (document is None) == (owner is None):
        raise ValueError("a hold is on one document or on one owner")
    if document is not None:
        body = {"on": "document", "target_id": str(id_of(document, "document")), "reason": reason}
    else:
        assert owner is not None
        body = {"on": "owner", "target_id": str(id_of(owner, "owner")), "reason": reason}
    # Not idempotent: each call places a hold, so a lost response is not retried.
    return Call("POST", api("/retention/holds"), parse_as(LegalHold), json=body)


def _lift_hold(hold: IdLike, reason: str) -> Call[LegalHold]:
    path = api(f"/retention/holds/{id_of(hold, 'hold')}/lift")
    return Call("POST", path, parse_as(LegalHold), json={"reason": reason})


def _request_disposal(as_of: date | None) -> Call[DisposalBatch]:
    body = {"as_of": as_of.isoformat() if as_of else None}
    return Call("POST", api("/retention/disposals"), parse_as(DisposalBatch), json=body)


def _disposals() -> Call[list[DisposalBatch]]:
    return Call("GET", api("/retention/disposals"), parse_as(list[DisposalBatch]), idempotent=True)


def _disposal(batch: IdLike, limit: int) -> Call[DisposalDetail]:
    path = api(f"/retention/disposals/{id_of(batch, 'batch')}")
    return Call(
        "GET", path, parse_as(DisposalDetail), params={"limit": str(limit)}, idempotent=True
    )


def _decide(batch: IdLike, approve: bool, note: str) -> Call[DisposalBatch]:
    path = api(f"/retention/disposals/{id_of(batch, 'batch')}/decision")
    body = {"approve": approve, "note": note}
    return Call("POST", path, parse_as(DisposalBatch), json=body)


def _correct(
    document: IdLike, reason: str, requested_by: str, fields: dict[str, object]
) -> Call[Document]:
    path = api(f"/documents/{id_of(document, 'document')}/corrections")
    body: dict[str, object] = {"reason": reason, "requested_by": requested_by}
    for name, value in fields.items():
        body[name] = value.isoformat() if isinstance(value, date) else value
    # Not idempotent: each call makes a version, so a lost response is not retried.
    return Call("POST", path, parse_as(Document), json=body)


def _record(batch: IdLike) -> Call[bytes]:
    path = api(f"/retention/disposals/{id_of(batch, 'batch')}/record")
    return Call("GET", path, parse_bytes, idempotent=True)


class Retention(SyncResource):
    """Records officers and administrators; auditors read. Owners and other officers: 403."""

    def rules(self) -> builtins.list[RetentionRule]:
        """Each paper type's retention period and the rule it comes from."""
        return self._client.execute(_rules())

    def set_rule(self, paper_type: str, *, years: int | None, basis: str) -> RetentionRule:
        """Changes a period (administrators; audited). `years` None: permanent."""
        return self._client.execute(_set_rule(paper_type, years, basis))

    def of_document(self, document: IdLike) -> DocumentRetention:
        """Until when a document version is kept, what holds it, its tombstone if disposed."""
        return self._client.execute(_of_document(document))

    def delete_document(self, document: IdLike) -> None:
        """Always refused (ConflictError, audited): only an approved disposal removes one."""
        self._client.execute(_delete(document))

    def holds(self, *, active: bool = False) -> builtins.list[LegalHold]:
        """Legal holds, newest first (`active=True`: only those not lifted)."""
        return self._client.execute(_holds(active))

    def place_hold(
        self, *, reason: str, document: IdLike | None = None, owner: IdLike | None = None
    ) -> LegalHold:
        """Places a legal hold on one document (all its versions) or one owner, with the reason."""
        return self._client.execute(_place_hold(document, owner, reason))

    def lift_hold(self, hold: IdLike, *, reason: str) -> LegalHold:
        """Lifts a legal hold, with the reason (audited)."""
        return self._client.execute(_lift_hold(hold, reason))

    def request_disposal(self, as_of: date | None = None) -> DisposalBatch:
        """Queues the pass that lists what is due (poll `disposal(batch)`)."""
        return self._client.execute(_request_disposal(as_of))

    def disposals(self) -> builtins.list[DisposalBatch]:
        """Disposal lists, newest first."""
        return self._client.execute(_disposals())

    def disposal(self, batch: IdLike, *, limit: int = 1000) -> DisposalDetail:
        """One disposal list: its records and, once carried out, their tombstones."""
        return self._client.execute(_disposal(batch, limit))

    def decide(self, batch: IdLike, *, approve: bool, note: str) -> DisposalBatch:
        """A records officer other than who asked for the list approves or rejects it."""
        return self._client.execute(_decide(batch, approve, note))

    def record(self, batch: IdLike) -> bytes:
        """The disposal record (biên bản), a PDF sealed by the approving office."""
        return self._client.execute(_record(batch))

    def correct(
        self, document: IdLike, *, reason: str, requested_by: str, **fields: str | date | None
    ) -> Document:
        """Corrects a paper's metadata (title, reference_number, issue_date, valid_until) at
        its owner's request: a new version with the reason; the original stays on record."""
        return self._client.execute(_correct(document, reason, requested_by, dict(fields)))


class AsyncRetention(AsyncResource):
    """Records officers and administrators; auditors read. Owners and other officers: 403."""

    async def rules(self) -> builtins.list[RetentionRule]:
        """Each paper type's retention period and the rule it comes from."""
        return await self._client.execute(_rules())

    async def set_rule(self, paper_type: str, *, years: int | None, basis: str) -> RetentionRule:
        """Changes a period (administrators; audited). `years` None: permanent."""
        return await self._client.execute(_set_rule(paper_type, years, basis))

    async def of_document(self, document: IdLike) -> DocumentRetention:
        """Until when a document version is kept, what holds it, its tombstone if disposed."""
        return await self._client.execute(_of_document(document))

    async def delete_document(self, document: IdLike) -> None:
        """Always refused (ConflictError, audited): only an approved disposal removes one."""
        await self._client.execute(_delete(document))

    async def holds(self, *, active: bool = False) -> builtins.list[LegalHold]:
        """Legal holds, newest first (`active=True`: only those not lifted)."""
        return await self._client.execute(_holds(active))

    async def place_hold(
        self, *, reason: str, document: IdLike | None = None, owner: IdLike | None = None
    ) -> LegalHold:
        """Places a legal hold on one document (all its versions) or one owner, with the reason."""
        return await self._client.execute(_place_hold(document, owner, reason))

    async def lift_hold(self, hold: IdLike, *, reason: str) -> LegalHold:
        """Lifts a legal hold, with the reason (audited)."""
        return await self._client.execute(_lift_hold(hold, reason))

    async def request_disposal(self, as_of: date | None = None) -> DisposalBatch:
        """Queues the pass that lists what is due (poll `disposal(batch)`)."""
        return await self._client.execute(_request_disposal(as_of))

    async def disposals(self) -> builtins.list[DisposalBatch]:
        """Disposal lists, newest first."""
        return await self._client.execute(_disposals())

    async def disposal(self, batch: IdLike, *, limit: int = 1000) -> DisposalDetail:
        """One disposal list: its records and, once carried out, their tombstones."""
        return await self._client.execute(_disposal(batch, limit))

    async def decide(self, batch: IdLike, *, approve: bool, note: str) -> DisposalBatch:
        """A records officer other than who asked for the list approves or rejects it."""
        return await self._client.execute(_decide(batch, approve, note))

    async def record(self, batch: IdLike) -> bytes:
        """The disposal record (biên bản), a PDF sealed by the approving office."""
        return await self._client.execute(_record(batch))

    async def correct(
        self, document: IdLike, *, reason: str, requested_by: str, **fields: str | date | None
    ) -> Document:
        """Corrects a paper's metadata (title, reference_number, issue_date, valid_until) at
        its owner's request: a new version with the reason; the original stays on record."""
        return await self._client.execute(_correct(document, reason, requested_by, dict(fields)))
