"""Another province's vault (kho dữ liệu của tỉnh khác): papers an owner already has there,
reused for a dossier here instead of asking the citizen to bring them again.

The wire shape (issue 17). The request names the purpose, so the peer can apply its own
access rule as if the officer were one of its own with that open dossier:

    POST {base}/federation/reuse-candidates     Idempotency-Key: <one per logical call>
    {"owner_identifier", "paper_types": [...], "dossier_code", "procedure_code",
     "requesting_agency", "officer": {"id", "name"}, "purpose"}
    200 {"candidates": [{"document_id", "paper_type", "title", "sha256", "size",
                         "media_type", "issued_on": "YYYY-MM-DD" | null,
                         "valid_until": ... | null, "usable": bool,
                         "reasons": [{"code", "text"}], "has_signature": bool,
                         "origin", "issuer_agency_code", "reference_number"}],
         "refused": [{"paper_type", "code", "text"}]}

    POST {base}/federation/documents/{document_id}   (the same request body)
    -> the bytes, streamed (a signed PDF carries its signatures inside)

The owner's identifier travels in the POST body only, never in a URL (URLs end up in
access logs and proxies). Both calls change nothing on the peer but its audit log, so they
carry an idempotency key and are retried like a GET.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import httpx

from vault.integrations.base import IntegrationProtocolError
from vault.integrations.http import HttpCaller

SYSTEM = "peer_vault"
CANDIDATES_PATH = "/federation/reuse-candidates"
DOCUMENTS_PATH = "/federation/documents/"
CHUNK = 256 * 1024
_DOCUMENT_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class ReuseRequest:
    owner_identifier: str  # the citizen's identification number (số định danh cá nhân)
    paper_types: tuple[str, ...]
    dossier_code: str
    purpose: str
    procedure_code: str = ""
    requesting_agency: str = ""
    officer_id: str = ""
    officer_name: str = ""

    def __repr__(self) -> str:  # the identifier stays out of tracebacks and logs
        return f"ReuseRequest(***, {self.paper_types!r}, {self.dossier_code!r})"

    def wire(self) -> dict[str, Any]:
        return {
            "owner_identifier": self.owner_identifier,
            "paper_types": list(self.paper_types),
            "dossier_code": self.dossier_code,
            "procedure_code": self.procedure_code,
            "requesting_agency": self.requesting_agency,
            "officer": {"id": self.officer_id, "name": self.officer_name},
            "purpose": self.purpose,
        }


@dataclass(frozen=True, slots=True)
class PeerReason:
    """Why the peer refuses a paper (or a note on one it offers): `code` stable, `text` in
    English, as the peer's reuse plan words them."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A paper at the peer: its opaque id there, and what its bytes must be."""

    document_id: str
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True, slots=True)
class ReuseCandidate:
    ref: DocumentRef
    paper_type: str
    title: str
    issued_on: date | None = None
    valid_until: date | None = None
    usable: bool = True
    reasons: tuple[PeerReason, ...] = ()
    has_signature: bool = False
    origin: str | None = None
    issuer_agency_code: str | None = None
    reference_number: str | None = None


@dataclass(frozen=True, slots=True)
class RefusedType:
    """A paper type the peer will not look at for this purpose, and why."""

    paper_type: str
    reason: PeerReason


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    candidates: tuple[ReuseCandidate, ...] = ()
    refused: tuple[RefusedType, ...] = ()


class DocumentStream:
    """A peer's document, read as it arrives: iterate it once (or `close()` it). At the
    end its size and SHA-256 are checked against the reference: a mismatch raises
    IntegrationProtocolError, so a caller storing the chunks must discard them then."""

    def __init__(
        self, chunks: Iterator[bytes], ref: DocumentRef, close: Callable[[], None]
    ) -> None:
        self.ref = ref
        self._chunks = chunks
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        size = 0
        for chunk in self._chunks:
            size += len(chunk)
            if size > self.ref.size:
                self.close()
                raise IntegrationProtocolError(SYSTEM, "the document is longer than announced")
            digest.update(chunk)
            yield chunk
        if size != self.ref.size or digest.hexdigest() != self.ref.sha256:
            raise IntegrationProtocolError(SYSTEM, "the document does not match its digest")

    def close(self) -> None:
        self._close()

    def __enter__(self) -> DocumentStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PeerVault(Protocol):
    def reuse_candidates(self, request: ReuseRequest) -> PeerAnswer:
        """The owner's papers of the asked types that the peer may share for this dossier,
        and the asked types it refuses to look at."""
        ...

    def fetch_document(self, ref: DocumentRef, request: ReuseRequest) -> DocumentStream:
        """The paper's bytes for the purpose `request` names, streamed and checked against
        `ref`."""
        ...

    def close(self) -> None: ...


class HttpPeerVault:
    """A peer vault over HTTPS (see the module docstring for the wire shape)."""

    def __init__(self, caller: HttpCaller, *, lookup_caller: HttpCaller | None = None) -> None:
        self._caller = caller
        # Look-ups may have tighter timeouts than downloads (a reuse plan's time budget).
        self._lookups = lookup_caller or caller

    def close(self) -> None:
        self._caller.close()
        if self._lookups is not self._caller:
            self._lookups.close()

    def reuse_candidates(self, request: ReuseRequest) -> PeerAnswer:
        answer = self._lookups.post_json(
            CANDIDATES_PATH,
            request.wire(),
            operation="reuse_candidates",
            # A look-up: safe to repeat, and the key lets the peer audit it once.
            idempotency_key=f"reuse-candidates-{uuid.uuid4()}",
        )
        items = answer.get("candidates") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise IntegrationProtocolError(SYSTEM, "the answer has no candidates list")
        refused = answer.get("refused", [])
        if not isinstance(refused, list):
            raise IntegrationProtocolError(SYSTEM, "the answer's refusals are no list")
        return PeerAnswer(
            tuple(_parse_candidate(item) for item in items),
            tuple(_parse_refused(item) for item in refused),
        )

    def fetch_document(self, ref: DocumentRef, request: ReuseRequest) -> DocumentStream:
        if not _DOCUMENT_ID.fullmatch(ref.document_id):
            raise ValueError("a peer document id is 1 to 128 URL-safe characters")
        response: httpx.Response = self._caller.open_stream(
            DOCUMENTS_PATH + ref.document_id,
            operation="fetch_document",
            body=request.wire(),
            idempotency_key=f"fetch-document-{uuid.uuid4()}",
        )
        return DocumentStream(self._caller.read_stream(response, CHUNK), ref, response.close)


def _parse_candidate(item: Any) -> ReuseCandidate:
    if not isinstance(item, dict):
        raise IntegrationProtocolError(SYSTEM, "a candidate is no object")
    try:
        ref = DocumentRef(
            document_id=_text(item, "document_id"),
            sha256=_text(item, "sha256").lower(),
            size=int(item["size"]),
            media_type=_text(item, "media_type"),
        )
        issued = item.get("issued_on")
        until = item.get("valid_until")
        reasons = item.get("reasons", [])
        if not isinstance(reasons, list):
            raise TypeError("reasons")
        candidate = ReuseCandidate(
            ref=ref,
            paper_type=_text(item, "paper_type"),
            title=_text(item, "title"),
            issued_on=date.fromisoformat(issued) if issued is not None else None,
            valid_until=date.fromisoformat(until) if until is not None else None,
            usable=bool(item.get("usable", True)),
            reasons=tuple(_reason(r) for r in reasons),
            has_signature=bool(item.get("has_signature", False)),
            origin=_optional(item, "origin"),
            issuer_agency_code=_optional(item, "issuer_agency_code"),
            reference_number=_optional(item, "reference_number"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrationProtocolError(SYSTEM, "a candidate misses or garbles a field") from exc
    if not _DOCUMENT_ID.fullmatch(ref.document_id) or not _SHA256.fullmatch(ref.sha256):
        raise IntegrationProtocolError(SYSTEM, "a candidate has a malformed id or digest")
    if ref.size < 0:
        raise IntegrationProtocolError(SYSTEM, "a candidate has a negative size")
    return candidate


def _text(item: dict[str, Any], name: str) -> str:
    value = item[name]
    if not isinstance(value, str) or not value:
        raise TypeError(name)
    return value


def _optional(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(name)
    return value[:500]


def _reason(item: Any) -> PeerReason:
    if not isinstance(item, dict):
        raise TypeError("reason")
    return PeerReason(_text(item, "code")[:64], _text(item, "text")[:500])


def _parse_refused(item: Any) -> RefusedType:
    try:
        if not isinstance(item, dict):
            raise TypeError("refused")
        return RefusedType(_text(item, "paper_type")[:64], _reason(item))
    except (KeyError, TypeError) as exc:
        raise IntegrationProtocolError(SYSTEM, "a refusal misses or garbles a field") from exc
