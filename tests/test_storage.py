"""The two blob store adapters, against a real folder and a real S3 server."""

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from tests.conftest import new_bucket, s3_store
from tests.support.s3server import S3Server
from vault.errors import StorageUnavailable
from vault.storage import BlobStore
from vault.storage.base import ObjectMissing
from vault.storage.filesystem import FilesystemBlobStore


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "folder":
        yield FilesystemBlobStore(tmp_path / "objects")
        return
    server: S3Server = request.getfixturevalue("s3_server")
    # Small parts so the multipart path is exercised with a few MiB.
    yield s3_store(server, new_bucket(server), part_size=5 * 1024 * 1024)


class Exploding(io.RawIOBase):
    """A source that fails after `after` bytes: an upload cut off half-way."""

    def __init__(self, after: int) -> None:
        self.left = after

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError("client went away")
        n = min(size if size >= 0 else self.left, self.left)
        self.left -= n
        return b"\x01" * n


def test_put_get_ranges_list_delete(store: BlobStore) -> None:
    data = os.urandom(6 * 1024 * 1024 + 123)  # over one S3 part
    store.put("blobs/aa/one", io.BytesIO(data), len(data))
    store.put("blobs/bb/two", io.BytesIO(b"x"), 1)
    assert b"".join(store.get("blobs/aa/one")) == data
    assert b"".join(store.get("blobs/aa/one", 10, 100)) == data[10:110]
    assert b"".join(store.get("blobs/aa/one", len(data) - 5)) == data[-5:]
    listed = {o.key: o.size for o in store.list("blobs/")}
    assert listed == {"blobs/aa/one": len(data), "blobs/bb/two": 1}
    store.delete("blobs/aa/one")
    store.delete("blobs/aa/one")  # deleting twice is fine
    with pytest.raises(ObjectMissing):
        store.get("blobs/aa/one")
    store.check()


def test_interrupted_put_leaves_no_object(store: BlobStore) -> None:
    size = 12 * 1024 * 1024
    with pytest.raises((StorageUnavailable, OSError)):
        store.put("blobs/cc/cut", Exploding(7 * 1024 * 1024), size)
    assert [o.key for o in store.list()] == []
    with pytest.raises(ObjectMissing):
        store.get("blobs/cc/cut")


def test_folder_store_refuses_keys_that_escape(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "objects")
    for key in ["../outside", "/etc/passwd", ".incoming/x"]:
        with pytest.raises(ValueError, match="escapes"):
            store.put(key, io.BytesIO(b"x"), 1)


def test_s3_refuses_a_wrong_secret_and_anonymous_access(s3_server: S3Server) -> None:
    bucket = new_bucket(s3_server)
    wrong = Minio(s3_server.endpoint, s3_server.access_key, "not-the-secret", secure=False)
    with pytest.raises(S3Error) as err:
        wrong.put_object(bucket, "x", io.BytesIO(b"x"), 1)
    assert err.value.code == "SignatureDoesNotMatch"
    anonymous = Minio(s3_server.endpoint, secure=False)
    with pytest.raises(S3Error) as err:
        anonymous.list_objects(bucket).__next__()
    assert err.value.code == "AccessDenied"
    store = s3_store(s3_server, bucket)
    store.check()
    bad_store = s3_store(s3_server, bucket).__class__(
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key="wrong",
        bucket=bucket,
    )
    with pytest.raises(StorageUnavailable):
        bad_store.put("blobs/dd/x", io.BytesIO(b"x"), 1)


def test_unreachable_s3_is_storage_unavailable() -> None:
    from tests.support.live import free_port
    from vault.storage.s3 import S3BlobStore

    store = S3BlobStore(
        endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b", bucket="vault"
    )
    with pytest.raises(StorageUnavailable):
        store.check()
    with pytest.raises(StorageUnavailable):
        store.put("blobs/ee/x", io.BytesIO(b"x"), 1)


def test_s3_puts_are_not_hashed_twice_and_still_authenticated(s3_server: S3Server) -> None:
    """Object bodies go as UNSIGNED-PAYLOAD (the vault's chunks carry their own AES-GCM tags):
    minio does not hash each uploaded byte again. The request itself is still signed."""
    bucket = new_bucket(s3_server)
    store = s3_store(s3_server, bucket, part_size=5 * 1024 * 1024)
    trace = io.StringIO()
    store._client.trace_on(trace)  # minio's own request trace: the headers it sent
    data = os.urandom(6 * 1024 * 1024)  # two parts
    store.put("blobs/ee/traced", io.BytesIO(data), len(data))
    store._client.trace_off()
    assert b"".join(store.get("blobs/ee/traced")) == data
    sent = trace.getvalue().lower()
    assert sent.count("x-amz-content-sha256: unsigned-payload") >= 2, sent[:2000]
    assert "authorization: aws4-hmac-sha256" in sent
    forged = s3_store(s3_server, bucket).__class__(
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key="not-the-secret",
        bucket=bucket,
    )
    with pytest.raises(StorageUnavailable):
        forged.put("blobs/ee/forged", io.BytesIO(data[:1000]), 1000)
    assert [o.key for o in store.list()] == ["blobs/ee/traced"]
