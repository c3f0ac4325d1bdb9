"""Errors the OCR package raises on purpose.

Each input error is also the matching `vault.errors` class, so a caller that already maps the
vault's errors (the HTTP layer's one table) maps these without knowing about OCR.
"""

from __future__ import annotations

from vault.errors import ContentTooLarge, UnreadableContent, UnsupportedMediaType, VaultError


class OcrError(VaultError):
    """Base of every error raised by `ocr`."""


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
