"""S3 object store through the `minio` SDK (MinIO in production; any S3 server in tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.credentials.credentials import Credentials
from minio.error import MinioException, S3Error
from minio.helpers import DictType
from minio.retention import Retention

from vault.errors import StorageUnavailable
from vault.storage.base import READ_SIZE, ObjectMissing, Readable, StoredObject

_MISSING = {"NoSuchKey", "NoSuchObject"}
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


class _UnsignedPayloadMinio(Minio):
    """`Minio` that signs request bodies as UNSIGNED-PAYLOAD over plain HTTP too.

    Over HTTP minio hashes every body with SHA-256 for its signature (over HTTPS it already
    sends UNSIGNED-PAYLOAD): a second pass over every uploaded byte, after the one that
    hashed the plaintext while encrypting it. The vault's objects need no such check: each
    64 KiB chunk carries an AES-GCM tag bound to its position, so a byte changed on the way
    fails authentication on every read, as a byte changed at rest does. The rest of the
    request (method, key, headers, date) is still signed.
    """

    def _build_headers(
        self,
        host: str,
        headers: DictType | None = None,
        body: bytes | None = None,
        creds: Credentials | None = None,
    ) -> tuple[DictType, datetime]:
        if not body or creds is None:
            return super()._build_headers(host, headers, body, creds)
        # Built as for an empty body (nothing hashed), then told the real length.
        built, date = super()._build_headers(host, headers, None, creds)
        built["Content-Length"] = str(len(body))
        built["x-amz-content-sha256"] = UNSIGNED_PAYLOAD
        return built, date


class S3BlobStore:
    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        part_size: int = 8 * 1024 * 1024,
        create_bucket: bool = False,
        object_lock: bool = False,
    ) -> None:
        # Short connect timeout and bounded retries: a dead S3 server must fail the request,
        # not hang it.
        http = urllib3.PoolManager(
            maxsize=16,
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        )
        self._client = _UnsignedPayloadMinio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )
        self.bucket = bucket
        self._part_size = part_size
        # S3 Object Lock as a second line behind the vault's own retention rule (MinIO
        # enforces it; SeaweedFS accepts the calls and does not).
        self.object_lock = object_lock
        if create_bucket:
            self.ensure_bucket()

    def ensure_bucket(self) -> None:
        try:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket, object_lock=self.object_lock)
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"cannot create bucket {self.bucket}: {exc}") from exc

    def put(self, key: str, data: Readable, length: int) -> None:
        try:
            # Above part_size minio uploads in parts and completes the upload only at the
            # end: an interrupted upload never becomes a visible object.
            self._client.put_object(
                self.bucket,
                key,
                data,  # type: ignore[arg-type]  # minio only calls read()
                length,
                part_size=self._part_size,
                # One part in flight: parallel parts multiply the memory an upload holds.
                num_parallel_uploads=1,
                content_type="application/octet-stream",
            )
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"could not store object: {exc}") from exc

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        try:
            response = self._client.get_object(self.bucket, key, offset=offset, length=length or 0)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise ObjectMissing(f"object {key} is missing from the store") from exc
            raise StorageUnavailable(f"could not read object: {exc.code}") from exc
        # ServerError (a 5xx without an S3 error body) and friends: the store is in trouble.
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not read object: {exc}") from exc
        return self._stream(response)

    @staticmethod
    def _stream(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        try:
            yield from response.stream(READ_SIZE)
        except urllib3.exceptions.HTTPError as exc:
            raise StorageUnavailable(f"object read was interrupted: {exc}") from exc
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        try:
            if self.object_lock:
                # A locked bucket is versioned: deleting by key only adds a delete marker.
                # Every version goes, each refused by the server while its lock holds.
                for version in self._client.list_objects(
                    self.bucket, prefix=key, include_version=True
                ):
                    if version.object_name == key:
                        self._client.remove_object(self.bucket, key, version.version_id)
            else:
                self._client.remove_object(self.bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not delete object: {exc}") from exc

    def lock(self, key: str, until: datetime) -> None:
        """S3 Object Lock retention in COMPLIANCE mode until `until` (never shortened:
        the server refuses that in compliance mode)."""
        try:
            self._client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, until))
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not lock object: {exc}") from exc

    def legal_hold(self, key: str, on: bool) -> None:
        try:
            if on:
                self._client.enable_object_legal_hold(self.bucket, key)
            else:
                self._client.disable_object_legal_hold(self.bucket, key)
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not set the object's legal hold: {exc}") from exc

    def lock_state(self, key: str) -> tuple[datetime | None, bool]:
        """The object's retain-until date and legal hold, as the server reports them."""
        until: datetime | None = None
        held = False
        try:
            try:
                retention = self._client.get_object_retention(self.bucket, key)
                until = retention.retain_until_date if retention is not None else None
            except S3Error as exc:
                if exc.code != "NoSuchObjectLockConfiguration":
                    raise
            try:
                held = self._client.is_object_legal_hold_enabled(self.bucket, key)
            except S3Error as exc:
                if exc.code != "NoSuchObjectLegalHold":  # never set: not held
                    raise
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not read the object's lock: {exc}") from exc
        return until, held

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        try:
            for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                if obj.object_name is None or obj.is_dir:
                    continue
                yield StoredObject(
                    obj.object_name,
                    obj.size or 0,
                    obj.last_modified or datetime.now(UTC),
                )
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"could not list objects: {exc}") from exc

    def check(self) -> None:
        try:
            if not self._client.bucket_exists(self.bucket):
                raise StorageUnavailable(f"bucket {self.bucket} does not exist")
        except (MinioException, urllib3.exceptions.HTTPError) as exc:
            raise StorageUnavailable(f"object store is not reachable: {exc}") from exc
