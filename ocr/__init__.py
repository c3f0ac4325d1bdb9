"""Nhận dạng ký tự: OCR of Vietnamese scans and diacritics-aware search indexing.

A library; it uses the vault only through `vault`'s public types and errors.

- `ocr.pipeline`: `recognise(bytes)`, `recognise_file(path)` -> `OcrResult` (text, per-page
  confidence, a searchable PDF). The original is never modified.
- `ocr.engine`: the `OcrEngine` Protocol and its `TesseractEngine` adapter.
- `ocr.preprocess`: Pillow preprocessing of scans (colour ink, light, resolution, skew).
- `ocr.classify`: paper type, certified-copy marker and key fields, as suggestions.
- `ocr.folding`: `fold` and `tokenize` for Vietnamese search.
- `ocr.errors`: the error tree (each input error is also the matching `vault.errors` class).
- `ocr.search`: indexing, queries, snippets and the search use case (under `vault.access`).
- `ocr.recognised`: what OCR recognised in a document, recorded and read under the access
  rules.
- `ocr.db`: OCR's tables (extracted text, suggestions, the search index) and their
  repositories; the only part of `ocr` that imports SQLAlchemy or `vault.db`.
"""
