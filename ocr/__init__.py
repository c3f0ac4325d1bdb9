"""Nhận dạng ký tự: OCR of Vietnamese scans and diacritics-aware search indexing.

Built in its own issue; it uses the vault only through `vault`'s public services.
"""
