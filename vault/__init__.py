"""Kho dữ liệu điện tử: the citizen and organisation document vault (domain, metadata, storage)."""
