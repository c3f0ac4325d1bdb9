"""Object storage behind one small interface: a local folder (embedded default) or S3 (MinIO)."""

from vault.storage.base import BlobStore, StoredObject

__all__ = ["BlobStore", "StoredObject"]
