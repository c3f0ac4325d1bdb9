"""Documents: upload (streamed, with an idempotency key), metadata, listing, versions, and
streamed download."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date

from vault_client._downloads import DownloadTarget
from vault_client._request import Call, IdLike, Params, api, id_of, parse_as, parse_none
from vault_client._streams import AsyncContentStream, ContentStream
from vault_client._uploads import FileSource, ProgressCallback, RawUpload, UploadSource
from vault_client.pagination import AsyncCursorPage, AsyncPaginator, CursorPage, WirePage
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.documents import Document, Download
from vault_client.types.enums import DocumentOrigin, DocumentOriginLike


def _fields(
    *,
    paper_type: str,
    title: str,
    origin: DocumentOriginLike,
    reference_number: str | None,
    issuer_agency_code: str | None,
    issue_date: date | None,
    valid_until: date | None,
    dossier: IdLike | None,
) -> list[tuple[str, str]]:
    fields = [
        ("paper_type", paper_type),
        ("title", title),
        ("origin", DocumentOrigin(origin).value),
    ]
    optional = {
        "reference_number": reference_number,
        "issuer_agency_code": issuer_agency_code,
        "issue_date": issue_date.isoformat() if issue_date else None,
        "valid_until": valid_until.isoformat() if valid_until else None,
        "dossier_id": str(id_of(dossier, "dossier")) if dossier is not None else None,
    }
    fields.extend((name, value) for name, value in optional.items() if value is not None)
    return fields


def _store(
    path: str,
    file: FileSource,
    fields: list[tuple[str, str]],
    *,
    filename: str | None,
    content_type: str | None,
    idempotency_key: str | None,
    on_progress: ProgressCallback | None,
) -> Call[Document]:
    source = UploadSource(file, filename=filename, content_type=content_type)
    return Call(
        "POST",
        path,
        parse_as(Document),
        # The file as the body, the metadata in a header: the vault's fastest way in.
        upload=RawUpload(dict(fields), source, on_progress),
        # One key per logical upload, the same on every retry: the vault stores it once.
        headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
        idempotent=True,
    )


def _list_params(
    paper_type: str | None,
    origin: DocumentOriginLike | None,
    valid_on: date | None,
    include_superseded: bool,
    limit: int | None,
) -> dict[str, str | int | bool]:
    params: dict[str, str | int | bool] = {}
    if paper_type is not None:
        params["paper_type"] = paper_type
    if origin is not None:
        params["origin"] = DocumentOrigin(origin).value
    if valid_on is not None:
        params["valid_on"] = valid_on.isoformat()
    if include_superseded:
        params["include_superseded"] = "true"
    if limit is not None:
        params["limit"] = limit
    return params


def _page(owner: IdLike, params: Params, cursor: str | None) -> Call[WirePage[Document]]:
    query = dict(params)
    if cursor is not None:
        query["cursor"] = cursor
    path = api(f"/owners/{id_of(owner, 'owner')}/documents")
    return Call("GET", path, parse_as(WirePage[Document]), params=query, idempotent=True)


def _get(document: IdLike) -> Call[Document]:
    path = api(f"/documents/{id_of(document, 'document')}")
    return Call("GET", path, parse_as(Document), idempotent=True)


def _versions(document: IdLike) -> Call[list[Document]]:
    path = api(f"/documents/{id_of(document, 'document')}/versions")
    return Call("GET", path, parse_as(list[Document]), idempotent=True)


def _content(document: IdLike, offset: int = 0, length: int | None = None) -> Call[None]:
    headers: dict[str, str] = {"Accept": "*/*"}
    if offset < 0 or (length is not None and length < 1):
        raise ValueError("offset must be 0 or more and length 1 or more")
    if offset or length is not None:
        end = "" if length is None else str(offset + length - 1)
        headers["Range"] = f"bytes={offset}-{end}"
    path = api(f"/documents/{id_of(document, 'document')}/content")
    return Call("GET", path, parse_none, headers=headers, idempotent=True)


class Documents(SyncResource):
    def upload(
        self,
        owner: IdLike,
        file: FileSource,
        *,
        paper_type: str,
        title: str,
        origin: DocumentOriginLike = DocumentOrigin.DIGITISED,
        reference_number: str | None = None,
        issuer_agency_code: str | None = None,
        issue_date: date | None = None,
        valid_until: date | None = None,
        dossier: IdLike | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Document:
        """Stores a paper in the owner's warehouse.

        Who may store what: a receiving officer stores a scan digitised for an open dossier
        of their agency (`origin="digitised"`, `dossier=`; it is attached to the dossier);
        an issuing officer stores a result (`"issued_result"`) and a certifying officer a
        certified copy (`"certified_copy"`) their agency issued; an owner stores their own
        papers. The vault sniffs the content (PDF, JPEG, PNG, TIFF); `content_type` is only
        a hint.

        `file` is a path, a binary file object (read from its current position) or bytes;
        it is streamed, never read whole. `on_progress(sent, total)` is called as it goes
        (`total` is None for a stream of unknown length; a retry starts again from 0).

        Every upload carries an `Idempotency-Key` (a fresh UUID unless you pass one), sent
        again on each retry, so a retried upload is stored once. A file object that cannot
        be rewound is sent once, without retries.
        """
        fields = _fields(
            paper_type=paper_type,
            title=title,
            origin=origin,
            reference_number=reference_number,
            issuer_agency_code=issuer_agency_code,
            issue_date=issue_date,
            valid_until=valid_until,
            dossier=dossier,
        )
        call = _store(
            api(f"/owners/{id_of(owner, 'owner')}/documents"),
            file,
            fields,
            filename=filename,
            content_type=content_type,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return self._client.execute(call)

    def new_version(
        self,
        document: IdLike,
        file: FileSource,
        *,
        paper_type: str,
        title: str,
        origin: DocumentOriginLike = DocumentOrigin.DIGITISED,
        reference_number: str | None = None,
        issuer_agency_code: str | None = None,
        issue_date: date | None = None,
        valid_until: date | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Document:
        """Stores a reissue (cấp lại) of `document`: the new version supersedes it, and it
        stays on record with status `superseded`. Only whoever may store the new paper
        may reissue it. `file`, progress and idempotency work as for `upload()`."""
        fields = _fields(
            paper_type=paper_type,
            title=title,
            origin=origin,
            reference_number=reference_number,
            issuer_agency_code=issuer_agency_code,
            issue_date=issue_date,
            valid_until=valid_until,
            dossier=None,
        )
        call = _store(
            api(f"/documents/{id_of(document, 'document')}/versions"),
            file,
            fields,
            filename=filename,
            content_type=content_type,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return self._client.execute(call)

    def list(
        self,
        *,
        owner: IdLike,
        paper_type: str | None = None,
        origin: DocumentOriginLike | None = None,
        valid_on: date | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> CursorPage[Document]:
        """The owner's papers this caller may see, newest first: the first page (of
        `limit`, default 50, at most 200). Iterate the page for every document across
        pages, or use `next_page()` / `next_cursor` to page by hand.

        Filters: `paper_type`, `origin`, `valid_on` (only papers valid on that day) and
        `include_superseded` (older versions too)."""
        params = _list_params(paper_type, origin, valid_on, include_superseded, limit)

        def fetch(at: str | None) -> CursorPage[Document]:
            return CursorPage(self._client.execute(_page(owner, params, at)), fetch)

        return fetch(cursor)

    def get(self, document: IdLike) -> Document:
        """A document's metadata (reading it is recorded in the owner's access log)."""
        return self._client.execute(_get(document))

    def versions(self, document: IdLike) -> builtins.list[Document]:
        """Every version of the document's lineage this caller may see, oldest first."""
        return self._client.execute(_versions(document))

    def download(
        self,
        document: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> Download:
        """Downloads the content to `to`: a path, or a writable binary stream.

        Streamed: never held in memory whole. A path is written to a temporary file beside
        it (mode 0600: papers are personal data) and moved into place only once complete
        and checked, so a failed download never leaves a partial file there. The SHA-256
        of what arrived is compared with the vault's (ContentIntegrityError on mismatch)
        unless `verify_checksum=False`. A connection lost mid-way is resumed from the last
        byte received. `on_progress(received, total)` is called as it goes."""
        ident = id_of(document, "document")
        done = self._client.download(
            _content(ident), to, on_progress=on_progress, verify=verify_checksum
        )
        return Download(
            document_id=ident,
            path=done.path,
            size=done.size,
            media_type=done.media_type,
            sha256=done.sha256,
            verified=done.verified,
        )

    @contextmanager
    def stream(
        self, document: IdLike, *, offset: int = 0, length: int | None = None
    ) -> Iterator[ContentStream]:
        """The content as an open stream, for piping it somewhere yourself:

            with client.documents.stream(doc) as content:
                for chunk in content.iter_bytes():
                    ...

        `offset` and `length` ask for a byte range (answered with status 206). No checksum
        is checked and nothing is resumed: use `download()` for that."""
        with self._client.stream(_content(document, offset, length)) as response:
            yield ContentStream(response)


class AsyncDocuments(AsyncResource):
    async def upload(
        self,
        owner: IdLike,
        file: FileSource,
        *,
        paper_type: str,
        title: str,
        origin: DocumentOriginLike = DocumentOrigin.DIGITISED,
        reference_number: str | None = None,
        issuer_agency_code: str | None = None,
        issue_date: date | None = None,
        valid_until: date | None = None,
        dossier: IdLike | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Document:
        """Stores a paper in the owner's warehouse.

        Who may store what: a receiving officer stores a scan digitised for an open dossier
        of their agency (`origin="digitised"`, `dossier=`; it is attached to the dossier);
        an issuing officer stores a result (`"issued_result"`) and a certifying officer a
        certified copy (`"certified_copy"`) their agency issued; an owner stores their own
        papers. The vault sniffs the content (PDF, JPEG, PNG, TIFF); `content_type` is only
        a hint.

        `file` is a path, a binary file object (read from its current position) or bytes;
        it is streamed, never read whole. `on_progress(sent, total)` is called as it goes
        (`total` is None for a stream of unknown length; a retry starts again from 0).

        Every upload carries an `Idempotency-Key` (a fresh UUID unless you pass one), sent
        again on each retry, so a retried upload is stored once. A file object that cannot
        be rewound is sent once, without retries.
        """
        fields = _fields(
            paper_type=paper_type,
            title=title,
            origin=origin,
            reference_number=reference_number,
            issuer_agency_code=issuer_agency_code,
            issue_date=issue_date,
            valid_until=valid_until,
            dossier=dossier,
        )
        call = _store(
            api(f"/owners/{id_of(owner, 'owner')}/documents"),
            file,
            fields,
            filename=filename,
            content_type=content_type,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return await self._client.execute(call)

    async def new_version(
        self,
        document: IdLike,
        file: FileSource,
        *,
        paper_type: str,
        title: str,
        origin: DocumentOriginLike = DocumentOrigin.DIGITISED,
        reference_number: str | None = None,
        issuer_agency_code: str | None = None,
        issue_date: date | None = None,
        valid_until: date | None = None,
        filename: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Document:
        """Stores a reissue (cấp lại) of `document`: the new version supersedes it, and it
        stays on record with status `superseded`. Only whoever may store the new paper
        may reissue it. `file`, progress and idempotency work as for `upload()`."""
        fields = _fields(
            paper_type=paper_type,
            title=title,
            origin=origin,
            reference_number=reference_number,
            issuer_agency_code=issuer_agency_code,
            issue_date=issue_date,
            valid_until=valid_until,
            dossier=None,
        )
        call = _store(
            api(f"/documents/{id_of(document, 'document')}/versions"),
            file,
            fields,
            filename=filename,
            content_type=content_type,
            idempotency_key=idempotency_key,
            on_progress=on_progress,
        )
        return await self._client.execute(call)

    def list(
        self,
        *,
        owner: IdLike,
        paper_type: str | None = None,
        origin: DocumentOriginLike | None = None,
        valid_on: date | None = None,
        include_superseded: bool = False,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AsyncPaginator[Document]:
        """The owner's papers this caller may see, newest first. `await` it for the first
        page (of `limit`, default 50, at most 200), or `async for` over it for every
        document across pages.

        Filters: `paper_type`, `origin`, `valid_on` (only papers valid on that day) and
        `include_superseded` (older versions too)."""
        params = _list_params(paper_type, origin, valid_on, include_superseded, limit)

        async def fetch(at: str | None) -> AsyncCursorPage[Document]:
            return AsyncCursorPage(await self._client.execute(_page(owner, params, at)), fetch)

        return AsyncPaginator(lambda: fetch(cursor))

    async def get(self, document: IdLike) -> Document:
        """A document's metadata (reading it is recorded in the owner's access log)."""
        return await self._client.execute(_get(document))

    async def versions(self, document: IdLike) -> builtins.list[Document]:
        """Every version of the document's lineage this caller may see, oldest first."""
        return await self._client.execute(_versions(document))

    async def download(
        self,
        document: IdLike,
        to: DownloadTarget,
        *,
        on_progress: ProgressCallback | None = None,
        verify_checksum: bool = True,
    ) -> Download:
        """Downloads the content to `to`: a path, or a writable binary stream.

        Streamed: never held in memory whole. A path is written to a temporary file beside
        it (mode 0600: papers are personal data) and moved into place only once complete
        and checked, so a failed download never leaves a partial file there. The SHA-256
        of what arrived is compared with the vault's (ContentIntegrityError on mismatch)
        unless `verify_checksum=False`. A connection lost mid-way is resumed from the last
        byte received. `on_progress(received, total)` is called as it goes."""
        ident = id_of(document, "document")
        done = await self._client.download(
            _content(ident), to, on_progress=on_progress, verify=verify_checksum
        )
        return Download(
            document_id=ident,
            path=done.path,
            size=done.size,
            media_type=done.media_type,
            sha256=done.sha256,
            verified=done.verified,
        )

    @asynccontextmanager
    async def stream(
        self, document: IdLike, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[AsyncContentStream]:
        """The content as an open stream, for piping it somewhere yourself:

            async with client.documents.stream(doc) as content:
                async for chunk in content.aiter_bytes():
                    ...

        `offset` and `length` ask for a byte range (answered with status 206). No checksum
        is checked and nothing is resumed: use `download()` for that."""
        async with self._client.stream(_content(document, offset, length)) as response:
            yield AsyncContentStream(response)
