"""The vault's signature verification: of a PDF you hold (no sign-in needed), or of a
document stored in the vault (under the same access rules as downloading it). The answer is
a report, also when signatures fail: JSON as typed models, or the ETSI TS 119 102-2 XML."""

from __future__ import annotations

import uuid

from vault_client._request import Call, IdLike, api, id_of, parse_as, parse_bytes
from vault_client._uploads import FileSource, Multipart, ProgressCallback, UploadSource
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.verification import VerificationReport

_XML = {"Accept": "application/xml"}


def _language(language: str | None) -> dict[str, str]:
    """Accept-Language for the report's plain words ("vi", "en", or a header's list)."""
    if language is None:
        return {}
    if not language.strip() or any(c in language for c in "\r\n"):
        raise ValueError(f"language must be a language tag such as 'vi' or 'en', not {language!r}")
    return {"Accept-Language": language}


def _upload(
    pdf: FileSource,
    filename: str | None,
    on_progress: ProgressCallback | None,
) -> Multipart:
    source = UploadSource(pdf, filename=filename, content_type=None)
    return Multipart([], [("file", source)], on_progress)


def _verify_file(
    pdf: FileSource,
    filename: str | None,
    on_progress: ProgressCallback | None,
    language: str | None,
) -> Call[VerificationReport]:
    headers = _language(language)  # checked before a byte of the file is read
    # Verifying changes nothing: safe to send again (a busy verifier answers 503).
    return Call(
        "POST",
        api("/verifications"),
        parse_as(VerificationReport),
        upload=_upload(pdf, filename, on_progress),
        headers=headers,
        idempotent=True,
        authenticated=False,
    )


def _verify_file_xml(
    pdf: FileSource, filename: str | None, on_progress: ProgressCallback | None
) -> Call[bytes]:
    return Call(
        "POST",
        api("/verifications"),
        parse_bytes,
        params={"format": "etsi-xml"},
        upload=_upload(pdf, filename, on_progress),
        headers=_XML,
        idempotent=True,
        authenticated=False,
    )


def _stored_path(document: IdLike) -> str:
    ident: uuid.UUID = id_of(document, "document")
    return api(f"/documents/{ident}/verification")


def _verify_stored(document: IdLike, language: str | None) -> Call[VerificationReport]:
    return Call(
        "GET",
        _stored_path(document),
        parse_as(VerificationReport),
        headers=_language(language),
        idempotent=True,
    )


def _verify_stored_xml(document: IdLike) -> Call[bytes]:
    return Call(
        "GET",
        _stored_path(document),
        parse_bytes,
        params={"format": "etsi-xml"},
        headers=_XML,
        idempotent=True,
    )


class Verifications(SyncResource):
    def verify(
        self,
        pdf: FileSource,
        *,
        filename: str | None = None,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
    ) -> VerificationReport:
        """Has the vault verify the signatures of a PDF you hold: `pdf` is a path, a binary
        file object or bytes, streamed. No sign-in needed (rate-limited per address).

        The report is the answer whatever the verdict: `report.passed` (bottom line
        TOTAL_PASSED), each signature's indication, signer, times, chain, revocation and
        what changed after it; `report.summaries`, all that in plain words, Vietnamese or
        English as `language=` asks ("vi", "en", or an Accept-Language list; English when
        not given, and then `report.summary` stays the verifier's own sentence); and
        `report.on_record`, the vault's certified copy or signed result the file is
        (number, office, date, and whether it is byte for byte the file on record), or
        None. The vault trusts only its configured roots (the national
        root CA); to check against roots of your own, without calling the vault, use
        `vault_client.verification.verify_pdf`. BadRequestError for a file that is not a
        PDF (415) or is too large (413); ServiceUnavailableError when every verification
        worker stays busy (retried first)."""
        return self._client.execute(_verify_file(pdf, filename, on_progress, language))

    def verify_etsi_xml(
        self,
        pdf: FileSource,
        *,
        filename: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> bytes:
        """As `verify()`, the report as an ETSI TS 119 102-2 validation report: the XML
        document's bytes (UTF-8), to archive or hand to another system as is."""
        return self._client.execute(_verify_file_xml(pdf, filename, on_progress))

    def verify_document(
        self, document: IdLike, *, language: str | None = None
    ) -> VerificationReport:
        """Has the vault verify the signatures of a document stored in it, without
        downloading it: the same report as `verify()` of its file. Allowed to whoever may
        download the document, and audited like a download; `language=` words its
        `summaries` as for `verify()` (it has no `on_record`). BadRequestError (415) for a
        scan (an image carries no PAdES signature); an unsigned PDF is a report with no
        signature, not an error."""
        return self._client.execute(_verify_stored(document, language))

    def verify_document_etsi_xml(self, document: IdLike) -> bytes:
        """As `verify_document()`, the report as ETSI TS 119 102-2 XML (its bytes)."""
        return self._client.execute(_verify_stored_xml(document))


class AsyncVerifications(AsyncResource):
    async def verify(
        self,
        pdf: FileSource,
        *,
        filename: str | None = None,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
    ) -> VerificationReport:
        """Has the vault verify the signatures of a PDF you hold: `pdf` is a path, a binary
        file object or bytes, streamed. No sign-in needed (rate-limited per address).

        The report is the answer whatever the verdict: `report.passed` (bottom line
        TOTAL_PASSED), each signature's indication, signer, times, chain, revocation and
        what changed after it; `report.summaries`, all that in plain words, Vietnamese or
        English as `language=` asks ("vi", "en", or an Accept-Language list; English when
        not given, and then `report.summary` stays the verifier's own sentence); and
        `report.on_record`, the vault's certified copy or signed result the file is
        (number, office, date, and whether it is byte for byte the file on record), or
        None. The vault trusts only its configured roots (the national
        root CA); to check against roots of your own, without calling the vault, use
        `vault_client.verification.verify_pdf`. BadRequestError for a file that is not a
        PDF (415) or is too large (413); ServiceUnavailableError when every verification
        worker stays busy (retried first)."""
        return await self._client.execute(_verify_file(pdf, filename, on_progress, language))

    async def verify_etsi_xml(
        self,
        pdf: FileSource,
        *,
        filename: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> bytes:
        """As `verify()`, the report as an ETSI TS 119 102-2 validation report: the XML
        document's bytes (UTF-8), to archive or hand to another system as is."""
        return await self._client.execute(_verify_file_xml(pdf, filename, on_progress))

    async def verify_document(
        self, document: IdLike, *, language: str | None = None
    ) -> VerificationReport:
        """Has the vault verify the signatures of a document stored in it, without
        downloading it: the same report as `verify()` of its file. Allowed to whoever may
        download the document, and audited like a download; `language=` words its
        `summaries` as for `verify()` (it has no `on_record`). BadRequestError (415) for a
        scan (an image carries no PAdES signature); an unsigned PDF is a report with no
        signature, not an error."""
        return await self._client.execute(_verify_stored(document, language))

    async def verify_document_etsi_xml(self, document: IdLike) -> bytes:
        """As `verify_document()`, the report as ETSI TS 119 102-2 XML (its bytes)."""
        return await self._client.execute(_verify_stored_xml(document))
