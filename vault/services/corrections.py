"""Đính chính: a citizen's request to correct a paper's metadata (a misspelt title, a wrong
reference number or date), recorded as a new version with the reason. The original version
stays on record, superseded, unchanged; the content is the same bytes, stored again under a
fresh data key (a new version is a new blob)."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import replace
from datetime import date
from typing import BinaryIO, cast

from vault.access import audit_draft
from vault.auth import Actor
from vault.db import UnitOfWork
from vault.domain import Document, new_id
from vault.errors import InvalidInput, NotFound
from vault.services.document_inputs import NewDocument
from vault.services.documents import DocumentService

_UNSET = object()


def _reason(text: str) -> str:
    clean = " ".join(text.split())
    if not 3 <= len(clean) <= 500:
        raise InvalidInput("reason", "give a reason of 3 to 500 characters")
    return clean


class CorrectionService:
    def __init__(self, documents: DocumentService) -> None:
        self._documents = documents

    def correct(
        self,
        uow: UnitOfWork,
        actor: Actor,
        document_id: uuid.UUID,
        *,
        reason: str,
        requested_by: str,
        title: str | None = None,
        reference_number: str | object | None = _UNSET,
        issue_date: date | object | None = _UNSET,
        valid_until: date | object | None = _UNSET,
    ) -> Document:
        """The corrected version. Whoever may reissue the paper applies it (the issuing
        agency, or the owner for a paper they uploaded), naming who asked."""
        why = _reason(reason)
        asked_by = " ".join(requested_by.split())[:255]
        if not asked_by:
            raise InvalidInput("requested_by", "name who asked for the correction")
        self._documents.check_may_reissue(uow, actor, document_id)
        previous = uow.documents.get(document_id)
        if previous is None:
            raise NotFound("no such document")
        meta = NewDocument.same_as(previous)
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        for name, value in (
            ("reference_number", reference_number),
            ("issue_date", issue_date),
            ("valid_until", valid_until),
        ):
            if value is not _UNSET:
                changes[name] = value
        corrected = replace(meta, **changes)  # type: ignore[arg-type]
        if corrected == meta:
            raise InvalidInput("title", "the correction changes nothing")
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as copy:
            for chunk in self._documents.read_content(uow, previous).chunks:
                copy.write(chunk)
            copy.seek(0)
            source = cast(BinaryIO, copy)
            document = self._documents.new_version(uow, actor, document_id, corrected, source)
        uow.retention.add_correction(new_id(), previous.id, document.id, why, asked_by)
        uow.flush()
        uow.record(
            audit_draft(
                actor,
                "document.corrected",
                owner_id=document.owner_id,
                document_id=document.id,
                detail=f"corrects {previous.id} at the request of {asked_by}: {why}"[:1000],
            )
        )
        return document
