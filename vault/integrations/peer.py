"""Another province's vault (kho dữ liệu của tỉnh khác): papers an owner already has there,
reused for a dossier here instead of asking the citizen to bring them again.

The wire shape is deliberately minimal; issue 17 fills in the fields:

    POST {base}/federation/reuse-candidates     Idempotency-Key: <one per logical call>
    {"owner_identifier", "paper_types": [...], "dossier_code", "purpose"}
    200 {"candidates": [{"document_id", "paper_type", "title", "sha256", "size",
                         "media_type", "issued_on": "YYYY-MM-DD" | null}]}

    GET {base}/federation/documents/{document_id}      -> the bytes, streamed

The owner's identifier travels in the POST body only, never in a URL (URLs end up in
access logs and proxies). The look-up changes nothing on the peer, so its POST carries an
idempotency key and is retried like a GET.
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

    def __repr__(self) -> str:  # the identifier stays out of tracebacks and logs
        return f"ReuseRequest(***, {self.paper_types!r}, {self.dossier_code!r})"


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
    def reuse_candidates(self, request: ReuseRequest) -> list[ReuseCandidate]:
        """The owner's papers of the asked types that the peer may share for this dossier."""
        ...

    def fetch_document(self, ref: DocumentRef) -> DocumentStream:
        """The paper's bytes, streamed and checked against `ref`."""
        ...


class HttpPeerVault:
    """A peer vault over HTTPS (see the module docstring for the wire shape)."""

    def __init__(self, caller: HttpCaller) -> None:
        self._caller = caller

    def close(self) -> None:
        self._caller.close()

    def reuse_candidates(self, request: ReuseRequest) -> list[ReuseCandidate]:
        answer = self._caller.post_json(
            CANDIDATES_PATH,
            {
                "owner_identifier": request.owner_identifier,
                "paper_types": list(request.paper_types),
                "dossier_code": request.dossier_code,
                "purpose": request.purpose,
            },
            operation="reuse_candidates",
            # A look-up: safe to repeat, and the key lets the peer audit it once.
            idempotency_key=f"reuse-candidates-{uuid.uuid4()}",
        )
        items = answer.get("candidates") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise IntegrationProtocolError(SYSTEM, "the answer has no candidates list")
        return [_parse_candidate(item) for item in items]

    def fetch_document(self, ref: DocumentRef) -> DocumentStream:
        if not _DOCUMENT_ID.fullmatch(ref.document_id):
            raise ValueError("a peer document id is 1 to 128 URL-safe characters")
        response: httpx.Response = self._caller.open_stream(
            DOCUMENTS_PATH + ref.document_id, operation="fetch_document"
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
        candidate = ReuseCandidate(
            ref=ref,
            paper_type=_text(item, "paper_type"),
            title=_text(item, "title"),
            issued_on=date.fromisoformat(issued) if issued is not None else None,
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
