"""Cursor pagination. Iterating a page walks every item from it to the last page, fetching
pages as it goes; `next_page()` and `iter_pages()` are the explicit page API, and a page's
`next_cursor` can be stored and passed back as `cursor=` later.

    for doc in client.documents.list(owner=owner):          # every document
        ...
    page = client.documents.list(owner=owner, limit=20)     # one page
    page.items, page.next_cursor, page.next_page()

    async for doc in client.documents.list(owner=owner):    # AsyncVaultClient
        ...
    page = await client.documents.list(owner=owner)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

from vault_client.types._base import VaultModel
from vault_client.types.auth import SignInEvent, Throttle

T = TypeVar("T")

__all__ = [
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncSignInsPage",
    "CursorPage",
    "SignInsPage",
]


class WirePage(VaultModel, Generic[T]):
    """The page as the vault sends it."""

    items: list[T]
    next_cursor: str | None


class CursorPage(Generic[T]):
    """One page of results, and the way to the next."""

    def __init__(self, wire: WirePage[T], fetch: Callable[[str], CursorPage[T]]) -> None:
        self.items: list[T] = wire.items
        self.next_cursor: str | None = wire.next_cursor
        self._fetch = fetch

    def has_next_page(self) -> bool:
        return self.next_cursor is not None

    def next_page(self) -> CursorPage[T] | None:
        """Fetches the next page; None after the last."""
        if self.next_cursor is None:
            return None
        return self._fetch(self.next_cursor)

    def iter_pages(self) -> Iterator[CursorPage[T]]:
        """This page, then each following page, fetched as the iteration reaches it."""
        page: CursorPage[T] | None = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items

    def __repr__(self) -> str:
        return f"CursorPage(items={len(self.items)}, next_cursor={self.next_cursor!r})"


class AsyncCursorPage(Generic[T]):
    """One page of results, and the way to the next (asyncio)."""

    def __init__(
        self, wire: WirePage[T], fetch: Callable[[str], Awaitable[AsyncCursorPage[T]]]
    ) -> None:
        self.items: list[T] = wire.items
        self.next_cursor: str | None = wire.next_cursor
        self._fetch = fetch

    def has_next_page(self) -> bool:
        return self.next_cursor is not None

    async def next_page(self) -> AsyncCursorPage[T] | None:
        """Fetches the next page; None after the last."""
        if self.next_cursor is None:
            return None
        return await self._fetch(self.next_cursor)

    async def iter_pages(self) -> AsyncIterator[AsyncCursorPage[T]]:
        page: AsyncCursorPage[T] | None = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    def __repr__(self) -> str:
        return f"AsyncCursorPage(items={len(self.items)}, next_cursor={self.next_cursor!r})"


class AsyncPaginator(Generic[T]):
    """What an async `list()` returns: await it for the first page, or `async for` over it
    for every item."""

    def __init__(self, first: Callable[[], Awaitable[AsyncCursorPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncCursorPage[T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._first()
        async for item in page:
            yield item


class SignInsWire(WirePage[SignInEvent]):
    """A page of the account's sign-in events as the vault sends it, with its throttle."""

    throttle: Throttle | None


class SignInsPage(CursorPage[SignInEvent]):
    """A page of the account's own sign-in events, newest first; `throttle` is where the
    throttle on its password sign-in stands now (None: no failures)."""

    def __init__(self, wire: SignInsWire, fetch: Callable[[str], SignInsPage]) -> None:
        super().__init__(wire, fetch)
        self.throttle: Throttle | None = wire.throttle


class AsyncSignInsPage(AsyncCursorPage[SignInEvent]):
    """As SignInsPage, for asyncio."""

    def __init__(
        self, wire: SignInsWire, fetch: Callable[[str], Awaitable[AsyncSignInsPage]]
    ) -> None:
        super().__init__(wire, fetch)
        self.throttle: Throttle | None = wire.throttle
