"""Signing a stored result (kết quả giải quyết TTHC) through the remote signing service.

The issuing officer's credential signs the stored PDF (PAdES B-T by default, B-LT on
request) with a visible stamp; the signed file becomes a new version of the document with
origin "issued result", and the unsigned draft stays on record as the superseded version.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from signing.issuing.pades import (
    NoSigningCredential,
    PadesLevel,
    SignatureSpec,
    SigningNotConfigured,
    VisibleStamp,
)
from signing.issuing.signer_settings import SignerSettings
from vault.access import AccessPolicy, audit_draft
from vault.auth import Actor, Role
from vault.domain import Document, DocumentOrigin, DocumentStatus, MediaType, new_id
from vault.errors import Conflict, InvalidInput
from vault.services import DocumentService, NewDocument, lookups
from vault.services.dossiers import carry_result_to_signed_version

if TYPE_CHECKING:
    from vault.services import UnitOfWork


class PdfSigner(Protocol):
    """What the use cases need of `RemotePdfSigner` (a test may hand in another)."""

    def sign(self, pdf: bytes, specs: Sequence[SignatureSpec]) -> bytes: ...


def officer_credential(uow: UnitOfWork, actor: Actor, settings: SignerSettings) -> str:
    """The signing credential configured for the officer's account (by username)."""
    account = lookups.account(uow, actor.account_id) if actor.is_officer else None
    credential = settings.officers.get(account.username) if account is not None else None
    if credential is None:
        raise NoSigningCredential("no signing credential is configured for your account")
    return credential


def agency_label(uow: UnitOfWork, agency_code: str) -> str:
    name = lookups.agency_name(uow, agency_code)
    return f"{name} ({agency_code})" if name else agency_code


def read_all(documents: DocumentService, uow: UnitOfWork, document: Document) -> bytes:
    return b"".join(documents.read_content(uow, document).chunks)


class ResultSigningService:
    def __init__(
        self,
        documents: DocumentService,
        access: AccessPolicy,
        settings: SignerSettings,
        signer: PdfSigner | None,
    ) -> None:
        self._documents = documents
        self._access = access
        self._settings = settings
        self._signer = signer

    def sign(
        self,
        uow: UnitOfWork,
        actor: Actor,
        document_id: uuid.UUID,
        *,
        pin: str,
        otp: str | None = None,
        level: PadesLevel = PadesLevel.B_T,
    ) -> Document:
        """Signs the current version of a stored result; returns the signed new version."""
        actor.require(Role.ISSUING_OFFICER)
        agency = actor.require_agency()
        draft = self._documents.get(uow, actor, document_id)  # an audited, authorised read
        if draft.issuer_agency_code != agency:
            raise self._access.deny(
                uow,
                actor,
                "document.sign",
                "an agency signs only the results it issued",
                owner_id=draft.owner_id,
                document_id=draft.id,
            )
        if draft.origin is not DocumentOrigin.ISSUED_RESULT:
            raise InvalidInput("document_id", "only a stored result (issued_result) is signed")
        if draft.status is not DocumentStatus.CURRENT:
            raise Conflict("this version is superseded: sign the current version")
        if draft.blob.media_type is not MediaType.PDF:
            raise InvalidInput("document_id", "only a PDF result can be signed")
        if draft.has_signature:
            raise Conflict("this result is already signed")
        if self._signer is None:
            raise SigningNotConfigured("no signing service is configured")
        credential = officer_credential(uow, actor, self._settings)

        # No write happens before the signature: no lock is held during the network calls.
        signed = self._signer.sign(
            read_all(self._documents, uow, draft),
            [
                SignatureSpec(
                    credential_id=credential,
                    pin=pin,
                    otp=(lambda: otp) if otp else None,
                    field_name=f"KySo-{new_id().hex[-12:]}",
                    level=level,
                    stamp=VisibleStamp(agency=agency_label(uow, agency)),
                    reason="Ký số kết quả giải quyết thủ tục hành chính",
                )
            ],
        )
        meta = NewDocument.same_as(draft, origin=DocumentOrigin.ISSUED_RESULT)
        signed_version = self._documents.new_version(uow, actor, draft.id, meta, io.BytesIO(signed))
        # The dossiers it was recorded for now have a signed result (766 indicator 4.1).
        carry_result_to_signed_version(uow, actor, draft.id, signed_version.id)
        uow.record(
            audit_draft(
                actor,
                "document.sign",
                owner_id=draft.owner_id,
                document_id=signed_version.id,
                detail=f"PAdES {level.value} of version {draft.id}, credential {credential}",
            )
        )
        return signed_version
