"""Electronic certified copies (chứng thực bản sao điện tử từ bản chính): made from scans of
the original, signed by the certifying officer and the office's seal, numbered in the
office's book; refusals with their legal reason; and the public record of a copy, by the
code in its QR code."""

from __future__ import annotations

import builtins
import io
import os
import uuid
from collections.abc import Sequence
from datetime import date
from typing import cast

from vault_client._request import Call, IdLike, api, id_of, parse_as, segment
from vault_client._uploads import FileSource, Multipart, ProgressCallback, UploadSource
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.signing import (
    CertifiedCopy,
    PublicCertifiedCopy,
    Refusal,
    RefusalReason,
    RefusalReasonInfo,
    RefusalReasonLike,
)

Pages = FileSource | Sequence[FileSource]


def _pages(pages: Pages) -> list[FileSource]:
    """One page (a path, bytes, a file object) or a sequence of them, as a list."""
    single = isinstance(pages, str | bytes | bytearray | memoryview | os.PathLike | io.IOBase)
    if single or hasattr(pages, "read"):
        return [cast(FileSource, pages)]
    many = list(cast(Sequence[FileSource], pages))
    if not many:
        raise ValueError("give at least one scanned page")
    return many


def _issue(
    owner: IdLike,
    pages: Pages,
    *,
    paper_type: str,
    title: str,
    book: str,
    pin: str,
    otp: str | None,
    reference_number: str | None,
    original_issue_date: date | None,
    valid_until: date | None,
    idempotency_key: str | None,
    on_progress: ProgressCallback | None,
) -> Call[CertifiedCopy]:
    fields = [("paper_type", paper_type), ("title", title), ("book", book), ("pin", pin)]
    optional = {
        "otp": otp,
        "reference_number": reference_number,
        "original_issue_date": original_issue_date.isoformat() if original_issue_date else None,
        "valid_until": valid_until.isoformat() if valid_until else None,
    }
    fields.extend((name, value) for name, value in optional.items() if value is not None)
    files = [
        ("pages", UploadSource(page, filename=None, content_type=None)) for page in _pages(pages)
    ]
    path = api(f"/owners/{id_of(owner, 'owner')}/certified-copies")
    return Call(
        "POST",
        path,
        parse_as(CertifiedCopy),
        upload=Multipart(fields, files, on_progress),
        # One key per copy, the same on every retry: the vault numbers and signs it once and
        # answers a repeat with the first copy.
        headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
        idempotent=True,
    )


def _refuse(
    owner: IdLike, paper_type: str, reason: RefusalReasonLike, note: str | None
) -> Call[Refusal]:
    body = {"paper_type": paper_type, "reason": RefusalReason(reason).value}
    if note is not None:
        body["note"] = note
    path = api(f"/owners/{id_of(owner, 'owner')}/certified-copies/refusals")
    return Call("POST", path, parse_as(Refusal), json=body)


def _reasons() -> Call[list[RefusalReasonInfo]]:
    path = api("/certified-copies/refusal-reasons")
    return Call("GET", path, parse_as(list[RefusalReasonInfo]), idempotent=True)


def _lookup(code: str, sha256: str | None) -> Call[PublicCertifiedCopy]:
    if not code:
        raise ValueError("give the copy's verification code")
    params = {"sha256": sha256} if sha256 is not None else None
    path = api(f"/public/certified-copies/{segment(code)}")
    return Call(
        "GET",
        path,
        parse_as(PublicCertifiedCopy),
        params=params,
        idempotent=True,
        authenticated=False,
    )


class CertifiedCopies(SyncResource):
    def issue(
        self,
        owner: IdLike,
        pages: Pages,
        *,
        paper_type: str,
        title: str,
        book: str,
        pin: str,
        otp: str | None = None,
        reference_number: str | None = None,
        original_issue_date: date | None = None,
        valid_until: date | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CertifiedCopy:
        """Makes an electronic certified copy of an original from its scans, and stores it
        in the owner's warehouse (origin `certified_copy`).

        `pages` are the scans in order (JPEG, PNG, TIFF or PDF): one, or a list, each a
        path, a binary file object or bytes, streamed, never read whole.
        `on_progress(sent, total)` counts all the pages' bytes together. The copy is
        signed with the certifying officer's credential (`pin`, and `otp` when it asks
        for one), then with the office's seal (PAdES B-LT), and numbered in `book` (e.g.
        "01/2025-SCT/BS-ĐT"); `certification` has its number and the verification code
        its QR code carries. `original_issue_date` and `valid_until` describe the original.

        For a certifying officer. Errors: BadRequestError with the field (a wrong `pin`,
        an unknown `paper_type`, a malformed `book`, no page; 415 for a page that is not a
        scan, 413 over the size or page limits); PermissionDeniedError; NotFoundError for
        an unknown owner; ServiceUnavailableError when signing is unavailable.

        Every request carries an `Idempotency-Key` (a fresh UUID unless you pass one), the
        same on each retry, so a retried request never takes a second number: the vault
        answers it with the first copy."""
        call = _issue(
            owner,
            pages,
            paper_type=paper_type,
            title=title,
            book=book,
            pin=pin,
            otp=otp,
            reference_number=reference_number,
            original_issue_date=original_issue_date,
            valid_until=valid_until,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return self._client.execute(call)

    def refuse(
        self,
        owner: IdLike,
        *,
        paper_type: str,
        reason: RefusalReasonLike,
        note: str | None = None,
    ) -> Refusal:
        """Records a refusal to certify the owner's original of `paper_type`, with its
        legal `reason` (RefusalReason, see `refusal_reasons()`) and an optional `note` (at
        most 500 characters). The answer carries the reason's wording and legal basis, as
        they are told to the citizen. For a certifying officer."""
        return self._client.execute(_refuse(owner, paper_type, reason, note))

    def refusal_reasons(self) -> builtins.list[RefusalReasonInfo]:
        """Every reason an original may not be certified, with its wording and legal
        basis (Decree 23/2015/NĐ-CP, art. 22)."""
        return self._client.execute(_reasons())

    def lookup(self, code: str, *, sha256: str | None = None) -> PublicCertifiedCopy:
        """The public record of a certified copy by its verification code (in its QR code
        and under `certification.verification_code`): what was certified, by whom, when,
        until when, and whether its signatures check; never whose paper it is. No sign-in
        needed (rate-limited per address). Give the `sha256` printed in the QR code to
        have it compared with the record (`qr_hash_matches`). NotFoundError for an unknown
        code.

        The same record is served as a web page at `certification.verification_url`, for
        people who scan the QR code; programs use this method."""
        return self._client.execute(_lookup(code, sha256))


class AsyncCertifiedCopies(AsyncResource):
    async def issue(
        self,
        owner: IdLike,
        pages: Pages,
        *,
        paper_type: str,
        title: str,
        book: str,
        pin: str,
        otp: str | None = None,
        reference_number: str | None = None,
        original_issue_date: date | None = None,
        valid_until: date | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CertifiedCopy:
        """Makes an electronic certified copy of an original from its scans, and stores it
        in the owner's warehouse (origin `certified_copy`).

        `pages` are the scans in order (JPEG, PNG, TIFF or PDF): one, or a list, each a
        path, a binary file object or bytes, streamed, never read whole.
        `on_progress(sent, total)` counts all the pages' bytes together. The copy is
        signed with the certifying officer's credential (`pin`, and `otp` when it asks
        for one), then with the office's seal (PAdES B-LT), and numbered in `book` (e.g.
        "01/2025-SCT/BS-ĐT"); `certification` has its number and the verification code
        its QR code carries. `original_issue_date` and `valid_until` describe the original.

        For a certifying officer. Errors: BadRequestError with the field (a wrong `pin`,
        an unknown `paper_type`, a malformed `book`, no page; 415 for a page that is not a
        scan, 413 over the size or page limits); PermissionDeniedError; NotFoundError for
        an unknown owner; ServiceUnavailableError when signing is unavailable.

        Every request carries an `Idempotency-Key` (a fresh UUID unless you pass one), the
        same on each retry, so a retried request never takes a second number: the vault
        answers it with the first copy."""
        call = _issue(
            owner,
            pages,
            paper_type=paper_type,
            title=title,
            book=book,
            pin=pin,
            otp=otp,
            reference_number=reference_number,
            original_issue_date=original_issue_date,
            valid_until=valid_until,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return await self._client.execute(call)

    async def refuse(
        self,
        owner: IdLike,
        *,
        paper_type: str,
        reason: RefusalReasonLike,
        note: str | None = None,
    ) -> Refusal:
        """Records a refusal to certify the owner's original of `paper_type`, with its
        legal `reason` (RefusalReason, see `refusal_reasons()`) and an optional `note` (at
        most 500 characters). The answer carries the reason's wording and legal basis, as
        they are told to the citizen. For a certifying officer."""
        return await self._client.execute(_refuse(owner, paper_type, reason, note))

    async def refusal_reasons(self) -> builtins.list[RefusalReasonInfo]:
        """Every reason an original may not be certified, with its wording and legal
        basis (Decree 23/2015/NĐ-CP, art. 22)."""
        return await self._client.execute(_reasons())

    async def lookup(self, code: str, *, sha256: str | None = None) -> PublicCertifiedCopy:
        """The public record of a certified copy by its verification code (in its QR code
        and under `certification.verification_code`): what was certified, by whom, when,
        until when, and whether its signatures check; never whose paper it is. No sign-in
        needed (rate-limited per address). Give the `sha256` printed in the QR code to
        have it compared with the record (`qr_hash_matches`). NotFoundError for an unknown
        code.

        The same record is served as a web page at `certification.verification_url`, for
        people who scan the QR code; programs use this method."""
        return await self._client.execute(_lookup(code, sha256))
