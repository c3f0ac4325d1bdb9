"""Batch import of scanned paper (nhập lô số hóa): separator sheets, splitting, the import
job, and the review queue. See `ocr.batches.service` for the use cases."""
