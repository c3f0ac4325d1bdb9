"""Building an export package: what an owner's warehouse holds, as one signed zip.

    manifest.json          the package's table of contents: each paper's metadata, size and
                           SHA-256, and the size and SHA-256 of every other file
    manifest.json.p7s      a detached CMS (CAdES) signature over manifest.json by the vault's seal
    documents/…            every current version (superseded ones on request), as stored
    dossiers.json          the owner's dossiers, their papers and the reuse flags
    consents.json          the owner's consents, each with its receipt
    access_log.json        every audit entry about the owner (who, when, why), with its hash

The papers are streamed from the store one at a time (each checked against its recorded
SHA-256 while it passes), into a zip whose size is known in advance, encrypted in chunks
under a fresh data key, and stored as one object: nothing the size of a paper is held in
memory, let alone the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vault import crypto
from vault.db.export_repository import ExportRepository
from vault.domain import Document, ExportStatus, MediaType
from vault.errors import NotFound
from vault.services.consents import receipt
from vault.services.content_reader import ContentReader
from vault.services.zipstream import Entry, IterableReader, stream_zip, zip_size

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from vault.db import UnitOfWork
    from vault.storage import BlobStore

PACKAGE_FORMAT = "vault-export/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
SIDE_FILES = ("dossiers.json", "consents.json", "access_log.json")
# Larger than a paper's: fewer tags and calls on a multi-gigabyte stream, still bounded.
PACKAGE_CHUNK_SIZE = 1024 * 1024
_PAGE = 500
_EXTENSIONS = {
    MediaType.PDF: "pdf",
    MediaType.JPEG: "jpg",
    MediaType.PNG: "png",
    MediaType.TIFF: "tif",
}

Sealer = Callable[[bytes], bytes]  # manifest bytes -> detached CMS (DER)
Progress = Callable[[int, int], None]  # papers written, papers in all; raises to stop


def object_key(export_id: uuid.UUID) -> str:
    return f"exports/{export_id}"


def document_path(document: Document) -> str:
    ext = _EXTENSIONS.get(document.blob.media_type, "bin")
    return f"documents/{document.lineage_id}/v{document.version}-{document.id}.{ext}"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


@dataclass(frozen=True)
class BuiltPackage:
    object_key: str
    key_id: str
    wrapped_key: bytes
    size: int
    sha256: str
    documents: int
    # Where the time went, in seconds: gathering the records, sealing, streaming the zip.
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Contents:
    owner_id: uuid.UUID
    documents: list[Document]
    side_files: dict[str, bytes]


def _gather(uow: UnitOfWork, owner_id: uuid.UUID, include_superseded: bool) -> _Contents:
    documents: list[Document] = []
    before: uuid.UUID | None = None
    while True:
        page = uow.documents.list_for_owner(
            owner_id,
            paper_type=None,
            origin=None,
            valid_on=None,
            include_superseded=include_superseded,
            before_id=before,
            limit=_PAGE,
        )
        documents.extend(page)
        if len(page) < _PAGE:
            break
        before = page[-1].id
    dossiers: list[dict[str, Any]] = []
    before = None
    while True:
        rows = uow.dossiers.list_for_owner(owner_id, before_id=before, limit=_PAGE, agency=None)
        for d in rows:
            dossiers.append(
                {
                    "id": str(d.id),
                    "code": d.code,
                    "procedure_code": d.procedure_code,
                    "receiving_agency_code": d.receiving_agency_code,
                    "status": d.status.value,
                    "received_at": _when(d.received_at),
                    "papers": [
                        {
                            "document_id": str(a.document_id),
                            "role": a.role.value,
                            "attached_at": _when(a.attached_at),
                            "digitised": a.digitised,
                            "reused": int(a.reused),
                            "from_warehouse": a.from_warehouse,
                            "result_code": a.result_code,
                            "replacing_result_code": a.replacing_result_code,
                        }
                        for a in uow.dossiers.attachments(d.id)
                    ],
                }
            )
        if len(rows) < _PAGE:
            break
        before = rows[-1].id
    names: dict[str, str | None] = {}
    consents = []
    for c in uow.consents.for_owner(owner_id):
        if c.agency_code not in names:
            names[c.agency_code] = uow.accounts.agency_name(c.agency_code)
        consents.append(
            {
                "id": str(c.id),
                "agency_code": c.agency_code,
                "paper_types": list(c.paper_types),
                "purpose": c.purpose,
                "created_at": _when(c.created_at),
                "expires_at": _when(c.expires_at),
                "revoked_at": _when(c.revoked_at),
                "receipt": receipt(c, names[c.agency_code]),
            }
        )
    log: list[dict[str, Any]] = []
    before_seq: int | None = None
    while True:
        entries = uow.audit.for_owner(owner_id, before_seq=before_seq, limit=_PAGE)
        log.extend(
            {
                "seq": e.seq,
                "at": _when(e.at),
                "who": e.actor_name,
                "agency_code": e.agency_code,
                "role": e.role,
                "action": e.action,
                "outcome": e.outcome,
                "document_id": str(e.document_id) if e.document_id else None,
                "dossier_id": str(e.dossier_id) if e.dossier_id else None,
                "purpose": e.purpose,
                "hash": e.hash,
            }
            for e in entries
        )
        if len(entries) < _PAGE:
            break
        before_seq = entries[-1].seq
    log.reverse()  # oldest first, as a log reads
    return _Contents(
        owner_id,
        documents,
        {
            "dossiers.json": _json(dossiers),
            "consents.json": _json(consents),
            "access_log.json": _json(log),
        },
    )


def manifest(
    export_id: uuid.UUID, contents: _Contents, include_superseded: bool, now: datetime
) -> bytes:
    papers = [
        {
            "path": document_path(d),
            "document_id": str(d.id),
            "lineage_id": str(d.lineage_id),
            "version": d.version,
            "status": d.status.value,
            "paper_type": d.paper_type,
            "title": d.title,
            "reference_number": d.reference_number,
            "issuer_agency_code": d.issuer_agency_code,
            "issue_date": d.issue_date.isoformat() if d.issue_date else None,
            "valid_until": d.valid_until.isoformat() if d.valid_until else None,
            "origin": d.origin.value,
            "media_type": d.blob.media_type.value,
            "signed": d.has_signature,
            "stored_at": _when(d.created_at),
            "size": d.blob.size,
            "sha256": d.blob.sha256,
        }
        for d in contents.documents
    ]
    files = [
        {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in contents.side_files.items()
    ]
    return _json(
        {
            "format": PACKAGE_FORMAT,
            "export_id": str(export_id),
            "owner_id": str(contents.owner_id),  # the opaque id, never the ID number
            "created_at": _when(now),
            "include_superseded": include_superseded,
            "documents": papers,
            "files": files,
        }
    )


def _constant(data: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: [data]


class PackageBuilder:
    """Builds the package of one pending export into the blob store (the export job's work)."""

    def __init__(self, keyring: crypto.Keyring, content: ContentReader) -> None:
        self._keyring = keyring
        self._content = content

    def build(
        self,
        uows: Callable[[], AbstractContextManager[UnitOfWork]],
        store: BlobStore,
        export_id: uuid.UUID,
        sealer: Sealer,
        progress: Progress,
    ) -> BuiltPackage:
        started = time.monotonic()
        with uows() as uow:
            export = uow.repository(ExportRepository).get(export_id)
            if export is None or export.status is not ExportStatus.PENDING:
                raise NotFound("no pending export with this id")
            contents = _gather(uow, export.owner_id, export.include_superseded)
        now = datetime.now(UTC)
        manifest_bytes = manifest(export_id, contents, export.include_superseded, now)
        gathered = time.monotonic()
        signature = sealer(manifest_bytes)  # the network call, outside any transaction
        sealed = time.monotonic()
        small = {MANIFEST: manifest_bytes, SIGNATURE: signature, **contents.side_files}
        entries = [Entry(name, len(data), _constant(data)) for name, data in small.items()]
        total = len(contents.documents)
        reported = [0.0]

        def paper(index: int, document: Document) -> Callable[[], Iterator[bytes]]:
            def read() -> Iterator[bytes]:
                # Each report is a database write: at most one a second (it also keeps the
                # job's lease and hears a cancel request).
                if time.monotonic() - reported[0] >= 1.0:
                    progress(index, total)
                    reported[0] = time.monotonic()
                # A unit of work per paper: no transaction stays open for the whole package.
                with uows() as uow:
                    yield from self._content.read(uow, document).chunks

            return read

        entries += [
            Entry(document_path(d), d.blob.size, paper(i, d))
            for i, d in enumerate(contents.documents)
        ]
        size = zip_size((e.name, e.size) for e in entries)
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(export_id, data_key)
        reader = crypto.EncryptingReader(
            IterableReader(stream_zip(entries)),  # type: ignore[arg-type]  # only read() is called
            data_key,
            max_size=size,
            chunk_size=PACKAGE_CHUNK_SIZE,
        )
        key = object_key(export_id)
        store.put(key, reader, crypto.ciphertext_size(size, PACKAGE_CHUNK_SIZE))
        if reader.result.size != size:  # the store took fewer bytes than the zip has
            store.delete(key)
            raise ValueError(f"the package came out {reader.result.size} bytes, not {size}")
        progress(total, total)
        timings = {
            "gather": gathered - started,
            "seal": sealed - gathered,
            "stream": time.monotonic() - sealed,
        }
        return BuiltPackage(key, key_id, wrapped, size, reader.result.sha256, total, timings)
