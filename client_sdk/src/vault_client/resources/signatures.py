"""Signing a stored result (PAdES) with the officer's own credential in the signing
service; the signed file is stored as a new version of the result."""

from __future__ import annotations

from vault_client._request import Call, IdLike, api, id_of, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.documents import Document
from vault_client.types.signing import PadesLevel, PadesLevelLike


def _sign(document: IdLike, pin: str, otp: str | None, level: PadesLevelLike) -> Call[Document]:
    if not pin:
        raise ValueError("the PIN of the officer's signing credential is required")
    body = {"pin": pin, "level": PadesLevel(level).value}
    if otp is not None:
        body["otp"] = otp
    path = api(f"/documents/{id_of(document, 'document')}/sign")
    # Not idempotent: a second attempt after a lost response would answer 409 (the draft is
    # superseded by then), and a wrong PIN must never be sent twice by a retry.
    return Call("POST", path, parse_as(Document), json=body)


class Signatures(SyncResource):
    def sign(
        self,
        document: IdLike,
        *,
        pin: str,
        otp: str | None = None,
        level: PadesLevelLike = PadesLevel.B_T,
    ) -> Document:
        """Signs a stored result (PAdES) with the signed-in officer's credential,
        unlocked by `pin` (and `otp` when the credential asks for one-time passwords).

        For an issuing officer of the agency that issued the result, a PDF stored with
        origin `issued_result`. The signed file is stored as a new version (returned, with
        `has_signature` true); the unsigned draft stays on record, superseded.
        `level="B-T"` (the default) adds a trusted timestamp; `"B-LT"` also embeds the
        revocation data, so that the result can be verified offline years later.

        Errors: BadRequestError with a field error on `pin` (or `otp`) when the signing
        service refuses it, and on `document_id` for a paper that is not a PDF result;
        PermissionDeniedError when the officer may not sign it or their credential is
        locked after wrong PINs; ConflictError when it is already signed, superseded, or
        the officer's certificate is revoked or expired; RateLimitError too soon after a
        wrong PIN; ServiceUnavailableError when the signing service or the timestamp
        authority cannot be reached. Never retried after it may have reached the vault."""
        return self._client.execute(_sign(document, pin, otp, level))


class AsyncSignatures(AsyncResource):
    async def sign(
        self,
        document: IdLike,
        *,
        pin: str,
        otp: str | None = None,
        level: PadesLevelLike = PadesLevel.B_T,
    ) -> Document:
        """Signs a stored result (PAdES) with the signed-in officer's credential,
        unlocked by `pin` (and `otp` when the credential asks for one-time passwords).

        For an issuing officer of the agency that issued the result, a PDF stored with
        origin `issued_result`. The signed file is stored as a new version (returned, with
        `has_signature` true); the unsigned draft stays on record, superseded.
        `level="B-T"` (the default) adds a trusted timestamp; `"B-LT"` also embeds the
        revocation data, so that the result can be verified offline years later.

        Errors: BadRequestError with a field error on `pin` (or `otp`) when the signing
        service refuses it, and on `document_id` for a paper that is not a PDF result;
        PermissionDeniedError when the officer may not sign it or their credential is
        locked after wrong PINs; ConflictError when it is already signed, superseded, or
        the officer's certificate is revoked or expired; RateLimitError too soon after a
        wrong PIN; ServiceUnavailableError when the signing service or the timestamp
        authority cannot be reached. Never retried after it may have reached the vault."""
        return await self._client.execute(_sign(document, pin, otp, level))
