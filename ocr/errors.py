"""Errors the OCR package raises on purpose.

Each input error is also the matching `vault.errors` class, so a caller that already maps the
vault's errors (the HTTP layer's one table) maps these without knowing about OCR.
"""

from __future__ import annotations

from typing import Any

from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType, VaultError


class OcrError(VaultError):
    """Base of every error raised by `ocr`."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its attributes, not from `args` (which hold the detail only): pickling
        # must work, because errors raised in a worker process travel back to the caller.
        return (_rebuild, (type(self), self.detail, dict(self.__dict__)))


def _rebuild(cls: type[OcrError], detail: str, state: dict[str, Any]) -> OcrError:
    error = cls.__new__(cls)
    Exception.__init__(error, detail)
    error.__dict__.update(state)
    return error


class UnsupportedInput(OcrError, UnsupportedMediaType):
    """Not a PDF, JPEG, PNG or TIFF (decided from the bytes), or not the declared type."""


class UnreadableInput(OcrError, UnreadableContent):
    """Empty, truncated or corrupt: the file claims a kind it cannot be read as."""


class InputTooLarge(OcrError, ContentTooLarge):
    """Over a limit (pixels per page, pages per file, bytes): refused before decoding."""


class OcrTimeout(OcrError):
    """The engine took longer than the per-page time bound; its process was killed."""

    def __init__(self, detail: str, seconds: float) -> None:
        super().__init__(detail)
        self.seconds = seconds


class EngineFailure(OcrError):
    """The OCR engine is missing, misconfigured or crashed (not the input's fault)."""
