"""The streamed zip of export packages: its size is known before the first byte, and any zip
reader reads it (Python's zipfile, and Info-ZIP's unzip when installed)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from vault.services.zipstream import Entry, IterableReader, stream_zip, zip_size


def entries(files: dict[str, bytes]) -> list[Entry]:
    def pieces(data: bytes) -> list[bytes]:
        return [data[i : i + 7000] for i in range(0, len(data), 7000)] or [b""]

    return [Entry(name, len(data), (lambda d=data: pieces(d))) for name, data in files.items()]


FILES = {
    "manifest.json": b'{"a": 1}',
    "documents/0193/v1-x.pdf": os.urandom(300_001),
    "empty.json": b"",
    "giấy-tờ/khai-sinh.pdf": os.urandom(70_000),
}


def test_the_size_is_exact_and_every_reader_reads_it(tmp_path: Path) -> None:
    data = b"".join(stream_zip(entries(FILES)))
    assert len(data) == zip_size((n, len(d)) for n, d in FILES.items())
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        assert {n: z.read(n) for n in z.namelist()} == FILES
    if shutil.which("unzip"):
        path = tmp_path / "p.zip"
        path.write_bytes(data)
        result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
        assert result.returncode == 0 and "No errors detected" in result.stdout


def test_an_entry_that_is_not_its_declared_size_stops_the_stream() -> None:
    wrong = [Entry("a.pdf", 10, lambda: [b"123"])]
    with pytest.raises(ValueError, match="3 bytes written, 10 declared"):
        b"".join(stream_zip(wrong))


def test_the_reader_hands_out_exactly_what_is_asked() -> None:
    reader = IterableReader(iter([b"abc", b"", b"defgh", b"ij"]))
    assert reader.read(2) == b"ab"
    assert reader.read(4) == b"cdef"
    assert reader.read(-1) == b"ghij"
    assert reader.read(5) == b""
