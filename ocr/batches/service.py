"""Batch import's use cases (nhập lô số hóa): print separator sheets, submit a batch, follow
its progress, and review its parts (accept, correct, split, merge, rotate, reject).

Who: receiving officers (cán bộ tiếp nhận), of the agency that scanned the batch; another
agency's batch is answered as a missing one. A batch's file is kept encrypted in the object
store under a random key; nothing is published until an officer approves a part, which then
goes to the owner's warehouse as a digitised paper (`DocumentService.upload`), recorded with
who approved it.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from ocr.batches.model import (
    IMPORT_KIND,
    Batch,
    BatchStatus,
    FieldValue,
    PageKind,
    PageReading,
    Part,
    PartStatus,
    SheetFields,
)
from ocr.batches.pages import MAX_BATCH_PAGES, BatchSource, PageDamaged, page_count
from ocr.batches.sheets import new_ref, separator_pdf
from ocr.batches.splitting import DraftPart, cut
from ocr.classify import classify
from ocr.db.batch_models import ImportBatchRow
from ocr.db.batches import BatchRepository
from vault import content, crypto
from vault.access import audit_draft
from vault.auth import Actor, Role
from vault.domain import DocumentOrigin, MediaType, new_id
from vault.errors import Conflict, InvalidInput, NotFound, UnreadableContent, UnsupportedMediaType
from vault.jobs import JobSubject
from vault.jobs.model import SubjectType
from vault.services import UnitOfWork, lookups
from vault.services.document_inputs import NewDocument
from vault.services.documents import DocumentService

# Field names the review form shows and the published paper takes its metadata from.
REVIEW_FIELDS = ("full_name", "date_of_birth", "id_number", "reference_number", "issue_date")
_ACCEPTED = (MediaType.PDF, MediaType.TIFF)


@dataclass(frozen=True, slots=True)
class SheetRequest:
    owner_id: uuid.UUID
    paper_type: str | None = None
    dossier_id: uuid.UUID | None = None
    result_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """What the officer decided in the review form; None leaves a value as it is."""

    owner_id: uuid.UUID | None = None
    paper_type: str | None = None
    fields: Mapping[str, str] | None = None


class BatchService:
    def __init__(self, keyring: crypto.Keyring, documents: DocumentService) -> None:
        self._keyring = keyring
        self._documents = documents

    # -- separator sheets ----------------------------------------------------------------

    def print_sheets(
        self, uow: UnitOfWork, actor: Actor, requests: Sequence[SheetRequest]
    ) -> bytes:
        """A PDF of separator sheets, one per request, each recorded under a fresh ref."""
        actor.require(Role.RECEIVING_OFFICER)
        if not 1 <= len(requests) <= 500:
            raise InvalidInput("sheets", "between 1 and 500 sheets at a time")
        sheets, labels = [], []
        for request in requests:
            owner = lookups.owner(uow, request.owner_id)
            if owner is None:
                raise NotFound("no such owner")
            type_name = ""
            if request.paper_type is not None:
                paper_type = lookups.paper_type(uow, request.paper_type)
                if paper_type is None:
                    raise InvalidInput("paper_type", f"unknown paper type {request.paper_type!r}")
                type_name = paper_type.name_vi
            if request.dossier_id is not None:
                dossier = uow.dossiers.get(request.dossier_id)
                if dossier is None or dossier.owner_id != owner.id:
                    raise InvalidInput("dossier_id", "no such dossier for this owner")
            sheet = SheetFields(
                new_ref(),
                owner.id,
                request.paper_type,
                request.dossier_id,
                (request.result_reference or "").strip()[:200] or None,
            )
            uow.repository(BatchRepository).add_sheet(sheet, actor.account_id)
            sheets.append(sheet)
            # The name a person checks at the scanner; never the personal number.
            labels.append(" — ".join(x for x in (owner.display_name, type_name) if x))
            uow.record(audit_draft(actor, "import.sheet_printed", owner_id=owner.id))
        uow.flush()
        return separator_pdf(sheets, labels)

    # -- batches -------------------------------------------------------------------------

    def submit(
        self, uow: UnitOfWork, actor: Actor, file_name: str, data: bytes
    ) -> tuple[Batch, bool]:
        """Stores a scanned batch and queues its import. The same file again finds the batch
        it made the first time (by its SHA-256): returns (batch, created)."""
        actor.require(Role.RECEIVING_OFFICER)
        agency = actor.require_agency()
        if not data:
            raise UnreadableContent("the file is empty")
        digest = hashlib.sha256(data).hexdigest()
        repo = uow.repository(BatchRepository)
        seen = repo.batch_by_hash(digest)
        if seen is not None:
            if seen.agency_code != agency:
                raise Conflict("this file was already imported by another agency")
            return seen, False
        media_type = content.sniff(data[: content.SNIFF_BYTES])
        if media_type not in _ACCEPTED:
            raise UnsupportedMediaType("a batch is a PDF or a TIFF file")
        try:
            pages = page_count(data, media_type)
        except PageDamaged as exc:
            raise UnreadableContent(str(exc)) from exc
        if not 1 <= pages <= MAX_BATCH_PAGES:
            raise InvalidInput("file", f"a batch has 1 to {MAX_BATCH_PAGES} pages, not {pages}")
        batch_id = new_id()
        key = f"imports/{uuid.uuid4().hex}"  # random: names no one
        data_key = os.urandom(32)
        key_id, wrapped = self._keyring.wrap(batch_id, data_key)
        reader = crypto.EncryptingReader(io.BytesIO(data), data_key, max_size=len(data))
        uow.wrote_object(key)
        uow.blobs.put(key, reader, crypto.ciphertext_size(len(data)))
        name = " ".join(os.path.basename(file_name or "batch").split())[:200] or "batch"
        repo.add_batch(
            ImportBatchRow(
                id=batch_id,
                sha256=reader.result.sha256,
                file_name=name,
                media_type=media_type.value,
                object_key=key,
                size=len(data),
                key_id=key_id,
                wrapped_key=wrapped,
                agency_code=agency,
                created_by=actor.account_id,
                status=BatchStatus.QUEUED.value,
                page_count=pages,
                pages_done=0,
                part_count=0,
                error_count=0,
                created_at=datetime.now(UTC),
            )
        )
        uow.flush()
        uow.jobs.enqueue(
            IMPORT_KIND,
            {"batch_id": str(batch_id)},
            subject=JobSubject(SubjectType.BATCH, batch_id),
            requested_by=actor.account_id,
        )
        uow.record(audit_draft(actor, "import.batch_submitted", detail=f"{pages} pages"))
        batch = repo.batch(batch_id)
        assert batch is not None
        return batch, True

    def _own_batch(self, uow: UnitOfWork, actor: Actor, batch_id: uuid.UUID) -> Batch:
        actor.require(Role.RECEIVING_OFFICER)
        batch = uow.repository(BatchRepository).batch(batch_id)
        if batch is None or batch.agency_code != actor.require_agency():
            raise NotFound("no such batch")
        return batch

    def batch(self, uow: UnitOfWork, actor: Actor, batch_id: uuid.UUID) -> Batch:
        return self._own_batch(uow, actor, batch_id)

    def batches(self, uow: UnitOfWork, actor: Actor) -> list[Batch]:
        actor.require(Role.RECEIVING_OFFICER)
        return uow.repository(BatchRepository).batches(actor.require_agency())

    def read_file(self, uow: UnitOfWork, batch_id: uuid.UUID) -> tuple[bytes, MediaType]:
        """The batch's file, decrypted and checked against its hash (the import job and the
        review's page images; callers have checked who asks)."""
        repo = uow.repository(BatchRepository)
        stored = repo.stored_file(batch_id)
        batch = repo.batch(batch_id)
        if stored is None or batch is None:
            raise NotFound("no such batch")
        key, size, sha256, key_id, wrapped = stored
        data_key = self._keyring.unwrap(batch_id, key_id, wrapped)
        header = b"".join(uow.blobs.get(key, 0, crypto.HEADER_SIZE))
        body = uow.blobs.get(key, crypto.HEADER_SIZE)
        data = b"".join(
            crypto.decrypt_chunks(
                header, body, data_key, plaintext_size=size, expected_sha256=sha256
            )
        )
        return data, MediaType(batch.media_type)

    # -- the import job's steps ----------------------------------------------------------

    def record_pages(
        self, uow: UnitOfWork, batch_id: uuid.UUID, readings: Sequence[PageReading]
    ) -> None:
        repo = uow.repository(BatchRepository)
        repo.add_pages(batch_id, readings)
        batch = repo.batch(batch_id)
        assert batch is not None
        values: dict[str, object] = {
            "pages_done": batch.pages_done + len(readings),
            "error_count": batch.error_count
            + sum(1 for r in readings if r.kind is PageKind.DAMAGED),
            "status": BatchStatus.RUNNING.value,
        }
        if batch.started_at is None:
            values["started_at"] = datetime.now(UTC)
        repo.set_batch(batch_id, **values)
        uow.flush()

    def fail_batch(self, uow: UnitOfWork, batch_id: uuid.UUID, error: str) -> None:
        uow.repository(BatchRepository).set_batch(
            batch_id,
            status=BatchStatus.FAILED.value,
            error=error[:500],
            finished_at=datetime.now(UTC),
        )

    def finish_batch(self, uow: UnitOfWork, batch_id: uuid.UUID) -> list[Part]:
        """Cuts the read pages into parts and queues them for review (once: a batch that is
        already done keeps its parts)."""
        repo = uow.repository(BatchRepository)
        batch = repo.batch(batch_id)
        if batch is None:
            raise NotFound("no such batch")
        if batch.status is BatchStatus.DONE:
            return repo.parts(batch_id=batch_id)
        readings = repo.pages(batch_id)
        texts = {r.number: r for r in readings}
        parts = []
        for seq, draft in enumerate(cut(readings), 1):
            part = self._new_part(uow, batch_id, seq, draft, texts)
            repo.add_part(part)
            parts.append(part)
        repo.set_batch(
            batch_id,
            status=BatchStatus.DONE.value,
            part_count=len(parts),
            finished_at=datetime.now(UTC),
        )
        uow.flush()
        return parts

    def _new_part(
        self,
        uow: UnitOfWork,
        batch_id: uuid.UUID,
        seq: int,
        draft: DraftPart,
        pages: Mapping[int, PageReading],
    ) -> Part:
        problems = list(draft.problems)
        sheet = self._checked_sheet(uow, draft.sheet, problems)
        read = [pages[n] for n in draft.pages if pages[n].kind is PageKind.CONTENT]
        text = "\n\n".join(r.text for r in read)
        confidence = sum(r.confidence for r in read) / len(read) if read else 0.0
        part = Part(
            id=new_id(),
            batch_id=batch_id,
            seq=seq,
            pages=tuple(draft.pages),
            rotation=0,
            sheet_ref=sheet.ref if sheet else None,
            owner_id=sheet.owner_id if sheet else None,
            paper_type=sheet.paper_type if sheet else None,
            suggested_type=None,
            dossier_id=sheet.dossier_id if sheet else None,
            result_reference=sheet.result_reference if sheet else None,
            fields=(),
            problems=(),
            status=PartStatus.PENDING,
        )
        return self._with_reading(uow, part, text, confidence, problems)

    def _with_reading(
        self, uow: UnitOfWork, part: Part, text: str, confidence: float, problems: list[str]
    ) -> Part:
        """The part with its suggested type and key fields read from `text`, and every
        problem the officer must look at."""
        found = classify(text, confidence)
        suggested = found.paper_type.paper_type if found.paper_type else None
        fields = tuple(_field_value(f) for f in found.fields)
        if part.paper_type is None and suggested is None:
            problems.append("no paper type: the sheet gave none and none was recognised")
        if not text.strip():
            problems.append("no text could be read from this part")
        if part.owner_id is not None:
            owner = lookups.owner(uow, part.owner_id)
            read_id = next((f.value for f in fields if f.name == "id_number"), None)
            # Never the number itself in the reason: it is shown and kept.
            if owner is not None and read_id and read_id != owner.identifier:
                problems.append("the personal number on the paper is not the owner's")
        flagged = [f.name for f in fields if f.flagged]
        if flagged:
            problems.append("fields to check: " + ", ".join(flagged))
        return replace(
            part,
            suggested_type=suggested,
            fields=fields,
            problems=tuple(dict.fromkeys(problems)),
            text=text,
        )

    @staticmethod
    def _checked_sheet(
        uow: UnitOfWork, sheet: SheetFields | None, problems: list[str]
    ) -> SheetFields | None:
        """The sheet's fields the vault can stand behind; each one it cannot is dropped with a
        reason, so a part is never filed under an owner a sheet merely claims."""
        if sheet is None:
            return None
        printed = uow.repository(BatchRepository).sheet(sheet.ref)
        if printed is None:
            problems.append("the separator sheet was not printed by this vault")
        elif printed != sheet:
            problems.append("the separator sheet does not match the one printed under its ref")
            return replace(sheet, owner_id=None, dossier_id=None)
        if sheet.owner_id is None or not lookups.owner_exists(uow, sheet.owner_id):
            problems.append("the separator sheet names an owner the vault does not know")
            return replace(sheet, owner_id=None, dossier_id=None)
        if sheet.paper_type is not None and lookups.paper_type(uow, sheet.paper_type) is None:
            problems.append("the separator sheet names an unknown paper type")
            sheet = replace(sheet, paper_type=None)
        if sheet.dossier_id is not None:
            dossier = uow.dossiers.get(sheet.dossier_id)
            if dossier is None or dossier.owner_id != sheet.owner_id:
                problems.append("the separator sheet names a dossier not of this owner")
                sheet = replace(sheet, dossier_id=None)
        return sheet

    # -- the review queue ----------------------------------------------------------------

    def parts(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        batch_id: uuid.UUID | None = None,
        status: PartStatus | None = PartStatus.PENDING,
    ) -> list[Part]:
        actor.require(Role.RECEIVING_OFFICER)
        if batch_id is not None:
            self._own_batch(uow, actor, batch_id)
        return uow.repository(BatchRepository).parts(
            batch_id=batch_id, agency_code=actor.require_agency(), status=status
        )

    def part(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, lock: bool = False) -> Part:
        actor.require(Role.RECEIVING_OFFICER)
        part = uow.repository(BatchRepository).part(part_id, lock=lock)
        if part is None:
            raise NotFound("no such part")
        self._own_batch(uow, actor, part.batch_id)
        return part

    def _pending(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID) -> Part:
        part = self.part(uow, actor, part_id, lock=True)
        if part.status is not PartStatus.PENDING:
            raise Conflict(f"this part is already {part.status.value}")
        return part

    def page_image(
        self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, index: int, dpi: int = 100
    ) -> bytes:
        """Page `index` (from 1, within the part) as a PNG, turned as the officer turned it."""
        part = self.part(uow, actor, part_id)
        if not 1 <= index <= len(part.pages):
            raise NotFound("no such page")
        data, media_type = self.read_file(uow, part.batch_id)
        source = BatchSource(data, media_type)
        try:
            image, _ = source.image(part.pages[index - 1], dpi=dpi)
        except PageDamaged:
            from PIL import Image, ImageDraw

            image = Image.new("L", (827, 1169), 200)
            ImageDraw.Draw(image).line((0, 0, 827, 1169), fill=0, width=6)
        finally:
            source.close()
        if part.rotation:
            image = image.rotate(-part.rotation, expand=True)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=False)
        uow.record(audit_draft(actor, "import.page_viewed", owner_id=part.owner_id))
        return out.getvalue()

    def correct(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, review: Review) -> Part:
        """Keeps the officer's corrections on the part (and as training data)."""
        part = self._pending(uow, actor, part_id)
        updated = self._corrected(uow, actor, part, review)
        uow.record(audit_draft(actor, "import.part_corrected", owner_id=updated.owner_id))
        return updated

    def _corrected(self, uow: UnitOfWork, actor: Actor, part: Part, review: Review) -> Part:
        repo = uow.repository(BatchRepository)
        values: dict[str, object] = {}
        if review.owner_id is not None and review.owner_id != part.owner_id:
            if not lookups.owner_exists(uow, review.owner_id):
                raise InvalidInput("owner_id", "no such owner")
            values["owner_id"] = review.owner_id
            if part.dossier_id is not None:
                values["dossier_id"] = None  # the sheet's dossier was another owner's
        if review.paper_type is not None and review.paper_type != part.paper_type:
            if lookups.paper_type(uow, review.paper_type) is None:
                raise InvalidInput("paper_type", f"unknown paper type {review.paper_type!r}")
            values["paper_type"] = review.paper_type
        if review.fields is not None:
            fields = {f.name: f for f in part.fields}
            for name, raw in review.fields.items():
                value = " ".join(raw.split())[:500]
                if name not in REVIEW_FIELDS:
                    raise InvalidInput("fields", f"unknown field {name!r}")
                before = fields.get(name)
                if value == (before.value if before else ""):
                    continue
                repo.add_correction(
                    part.id,
                    name,
                    before.value if before else None,
                    value,
                    before.evidence if before else "",
                    actor.account_id,
                )
                if value:
                    fields[name] = FieldValue(name, value, 1.0, "corrected by the officer")
                else:
                    fields.pop(name, None)
            values["fields"] = tuple(fields.values())
        if values:
            repo.update_part(part.id, **values)
            uow.flush()
        return self.part(uow, actor, part.id)

    def approve(
        self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, review: Review | None = None
    ) -> Part:
        """Publishes the part to its owner's warehouse (origin `digitised`), after the
        officer's corrections; the part keeps who approved it and the document it became."""
        part = self._pending(uow, actor, part_id)
        if review is not None:
            part = self._corrected(uow, actor, part, review)
        if part.owner_id is None:
            raise InvalidInput("owner_id", "name the owner before approving")
        paper_type_code = part.paper_type or part.suggested_type
        paper_type = lookups.paper_type(uow, paper_type_code) if paper_type_code else None
        if paper_type is None:
            raise InvalidInput("paper_type", "choose the paper type before approving")
        reference = part.field_named("reference_number")
        issued = part.field_named("issue_date")
        title = paper_type.name_vi + (f" {part.result_reference}" if part.result_reference else "")
        meta = NewDocument(
            paper_type=paper_type.code,
            title=title,
            origin=DocumentOrigin.DIGITISED,
            reference_number=(reference.value if reference else part.result_reference),
            issue_date=_iso_date(issued.value) if issued else None,
        )
        data, media_type = self.read_file(uow, part.batch_id)
        pdf = part_pdf(data, media_type, part.pages, part.rotation)
        document = self._documents.upload(
            uow,
            actor,
            part.owner_id,
            meta,
            io.BytesIO(pdf),
            dossier_id=part.dossier_id,
            reviewed_batch=True,
        )
        uow.repository(BatchRepository).update_part(
            part.id,
            status=PartStatus.APPROVED,
            paper_type=paper_type.code,
            document_id=document.id,
            reviewed_by=actor.account_id,
            reviewed_at=datetime.now(UTC),
        )
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "import.part_approved",
                owner_id=part.owner_id,
                document_id=document.id,
                detail=f"batch {part.batch_id} part {part.seq}",
            )
        )
        return self.part(uow, actor, part.id)

    def reject(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, reason: str) -> Part:
        part = self._pending(uow, actor, part_id)
        why = " ".join(reason.split())[:300]
        if not why:
            raise InvalidInput("reason", "say why the part is rejected")
        uow.repository(BatchRepository).update_part(
            part.id,
            status=PartStatus.REJECTED,
            problems=(*part.problems, f"rejected: {why}"),
            reviewed_by=actor.account_id,
            reviewed_at=datetime.now(UTC),
        )
        uow.flush()
        uow.record(audit_draft(actor, "import.part_rejected", owner_id=part.owner_id, detail=why))
        return self.part(uow, actor, part.id)

    def rotate(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, degrees: int) -> Part:
        if degrees not in (90, 180, 270):
            raise InvalidInput("degrees", "90, 180 or 270")
        part = self._pending(uow, actor, part_id)
        uow.repository(BatchRepository).update_part(
            part.id, rotation=(part.rotation + degrees) % 360
        )
        uow.flush()
        return self.part(uow, actor, part.id)

    def split(
        self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID, at: int
    ) -> tuple[Part, Part]:
        """Cuts a part before its page `at` (from 2): two parts, each read again."""
        part = self._pending(uow, actor, part_id)
        if not 2 <= at <= len(part.pages):
            raise InvalidInput("at", f"a page from 2 to {len(part.pages)}")
        repo = uow.repository(BatchRepository)
        repo.shift_parts(part.batch_id, part.seq)
        second = replace(part, id=new_id(), seq=part.seq + 1, pages=part.pages[at - 1 :])
        first = replace(part, pages=part.pages[: at - 1])
        first = self._reread(uow, first)
        second = self._reread(uow, second)
        repo.update_part(
            first.id,
            pages=first.pages,
            fields=first.fields,
            problems=first.problems,
            suggested_type=first.suggested_type,
        )
        repo.add_part(second)
        repo.set_batch(part.batch_id, part_count=sum(repo.count_parts(part.batch_id).values()))
        uow.flush()
        uow.record(audit_draft(actor, "import.part_split", owner_id=part.owner_id))
        return self.part(uow, actor, first.id), self.part(uow, actor, second.id)

    def merge(self, uow: UnitOfWork, actor: Actor, part_id: uuid.UUID) -> Part:
        """Joins the next pending part of the batch onto this one (a sheet was missing)."""
        part = self._pending(uow, actor, part_id)
        repo = uow.repository(BatchRepository)
        following = repo.next_part(part)
        if following is None or following.status is not PartStatus.PENDING:
            raise Conflict("there is no pending part after this one to merge")
        merged = self._reread(uow, replace(part, pages=part.pages + following.pages))
        repo.remove_part(following.id)
        repo.update_part(
            part.id,
            pages=merged.pages,
            fields=merged.fields,
            problems=merged.problems,
            suggested_type=merged.suggested_type,
        )
        repo.set_batch(part.batch_id, part_count=sum(repo.count_parts(part.batch_id).values()))
        uow.flush()
        uow.record(audit_draft(actor, "import.part_merged", owner_id=part.owner_id))
        return self.part(uow, actor, part.id)

    def _reread(self, uow: UnitOfWork, part: Part) -> Part:
        repo = uow.repository(BatchRepository)
        readings = {r.number: r for r in repo.pages(part.batch_id) if r.number in part.pages}
        read = [readings[n] for n in part.pages if readings[n].kind is PageKind.CONTENT]
        problems = [
            readings[n].problem or f"page {n} is damaged"
            for n in part.pages
            if readings[n].kind is PageKind.DAMAGED
        ]
        text = "\n\n".join(r.text for r in read)
        confidence = sum(r.confidence for r in read) / len(read) if read else 0.0
        return self._with_reading(uow, part, text, confidence, problems)

    def corrections(self, uow: UnitOfWork, actor: Actor) -> list[dict[str, object]]:
        """The training data: every field an officer corrected, with what was read."""
        actor.require(Role.RECEIVING_OFFICER, Role.ADMINISTRATOR)
        return list(uow.repository(BatchRepository).corrections())


def _field_value(suggestion: object) -> FieldValue:
    """A classifier suggestion as the review form keeps it. A field the classifier says
    needs review (failed validation, low confidence) is flagged; classifiers without that
    verdict flag anything under 0.8."""
    name = str(getattr(suggestion, "name", ""))
    confidence = float(getattr(suggestion, "confidence", 0.0))
    problems = tuple(str(p) for p in getattr(suggestion, "problems", ()))
    needs_review = getattr(suggestion, "needs_review", None)
    flagged = bool(needs_review) if needs_review is not None else confidence < 0.8
    return FieldValue(
        name=name,
        value=str(getattr(suggestion, "value", "")),
        confidence=confidence,
        evidence=str(getattr(suggestion, "evidence", ""))[:300],
        flagged=flagged or bool(problems),
        problems=problems,
    )


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("issue_date", "a date as YYYY-MM-DD") from exc


def part_pdf(data: bytes, media_type: MediaType, pages: Sequence[int], rotation: int) -> bytes:
    """The part as a PDF of its own: the batch's original pages (PDF pages as they are,
    TIFF frames as images at their resolution), turned as the officer turned them."""
    import pypdfium2

    from vault.content import PDFIUM_LOCK

    if media_type is MediaType.PDF:
        with PDFIUM_LOCK:
            source = pypdfium2.PdfDocument(data)
            target = pypdfium2.PdfDocument.new()
            try:
                target.import_pages(source, [n - 1 for n in pages])
                if rotation:
                    for i in range(len(target)):
                        page = target[i]
                        page.set_rotation((page.get_rotation() + rotation) % 360)
                        page.close()
                out = io.BytesIO()
                target.save(out)
                return out.getvalue()
            finally:
                target.close()
                source.close()
    batch = BatchSource(data, media_type)
    images = []
    try:
        for number in pages:
            try:
                image, dpi = batch.image(number)
            except PageDamaged:
                from PIL import Image

                image, dpi = Image.new("L", (1240, 1754), 255), 150
            images.append(image.rotate(-rotation, expand=True) if rotation else image)
    finally:
        batch.close()
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()
