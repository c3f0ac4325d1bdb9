"""Hostile files at upload, on both backends: refused with the reason, nothing stored.

- a PDF whose image XObject is over the pixel limit (the 300 KB file holding a 50000x50000
  image drove the OCR child to 2.24 GB), or whose Flate stream decodes past the memory limit;
- an HTML page followed by a PDF (was stored as application/pdf);
- a PNG or a JPEG with data after its end marker.
"""

from __future__ import annotations

import io
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pikepdf
import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import Backend
from tests.factories import DEFAULT_FIELDS, create_owner, jpeg_bytes, pdf_bytes, png_bytes
from tests.people import People
from vault import content
from vault.content import ContentLimits
from vault.domain import MediaType
from vault.errors import ContentTooLarge, UnsupportedMediaType
from vault.runtime import Vault


def deflated_zeros(size: int) -> bytes:
    """`size` zero bytes, Flate-compressed (about 1000:1) without holding them."""
    packer = zlib.compressobj(9)
    block = bytes(4 * 1024 * 1024)
    out = []
    while size > 0:
        out.append(packer.compress(block[: min(size, len(block))]))
        size -= len(block)
    out.append(packer.flush())
    return b"".join(out)


def pdf_with_image(width: int, height: int) -> bytes:
    """One page drawing one 1-bit image that claims `width` x `height` pixels."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    image = pikepdf.Stream(pdf, deflated_zeros(width * height // 8))
    image.stream_dict = pikepdf.Dictionary(
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=width,
        Height=height,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=1,
        Filter=pikepdf.Name.FlateDecode,
    )
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def pdf_with_flate_bomb(decoded: int) -> bytes:
    """A page whose content stream is `decoded` bytes once inflated."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    stream = pikepdf.Stream(pdf, deflated_zeros(decoded))
    stream.stream_dict = pikepdf.Dictionary(Filter=pikepdf.Name.FlateDecode)
    page.Contents = stream
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


@pytest.fixture
def small_limits(backend: Backend) -> Iterator[TestClient]:
    """The API with a 1 Mpx pixel limit, so 4 MB is the most a stream may decode to."""
    settings = backend.settings.model_copy(update={"max_image_pixels": 1_000_000})
    vault = Vault.from_settings(settings, blobs=backend.store)
    people = People.make(vault)
    with TestClient(create_app(vault=vault), headers=people.auth("clerk")) as client:
        yield client
    vault.close()


def post(client: TestClient, owner_id: str, data: bytes, name: str = "x.pdf") -> Any:
    return client.post(
        f"/api/v1/owners/{owner_id}/documents",
        data={**DEFAULT_FIELDS, "title": "x"},
        files={"file": (name, data, "application/octet-stream")},
    )


def nothing_stored(client: TestClient, backend: Backend, owner_id: str) -> None:
    assert client.get(f"/api/v1/owners/{owner_id}/documents").json()["items"] == []
    assert list(backend.store.list()) == []


def test_a_pdf_image_over_the_pixel_limit_is_413_before_anyone_decodes_it(
    client: TestClient, backend: Backend
) -> None:
    owner_id = create_owner(client)
    bomb = pdf_with_image(20000, 20000)  # 400 Mpx (limit 120) in a ~50 KB file
    assert len(bomb) < 100_000
    r = post(client, owner_id, bomb)
    assert r.status_code == 413, r.text
    detail = r.json()["detail"]
    assert "20000x20000 pixels" in detail and "120000000" in detail
    nothing_stored(client, backend, owner_id)
    # An image within the limit is fine.
    assert post(client, owner_id, pdf_with_image(2000, 1000)).status_code == 201


def test_a_deflate_bomb_in_a_pdf_is_413(small_limits: TestClient, backend: Backend) -> None:
    owner_id = create_owner(small_limits)
    r = post(small_limits, owner_id, pdf_with_flate_bomb(64 * 1024 * 1024))
    assert r.status_code == 413, r.text
    detail = r.json()["detail"]
    assert "decompresses to more than 4000000 bytes" in detail
    nothing_stored(small_limits, backend, owner_id)
    # The same kind of stream, small enough, is stored.
    assert post(small_limits, owner_id, pdf_with_flate_bomb(100_000)).status_code == 201


def test_content_before_the_pdf_header_is_refused(
    client: TestClient, backend: Backend, vault: Vault
) -> None:
    owner_id = create_owner(client)
    page = b"<html><body><p>Gi\xe1\xba\xa5y khai sinh</p></body></html>\n"
    r = post(client, owner_id, page + pdf_bytes(), "paper.html")
    assert r.status_code == 415, r.text
    expected = f"{len(page)} bytes that are not whitespace before its %PDF- header"
    assert expected in r.json()["detail"]
    nothing_stored(client, backend, owner_id)
    # On record: who tried to store it, and why it was refused.
    with vault.uows() as uow:
        refused = [e for e in uow.audit.iter_all() if e.action == "document.upload"]
    assert [(e.outcome, e.owner_id) for e in refused] == [("failed", uuid.UUID(owner_id))]
    assert refused[0].detail is not None and expected in refused[0].detail
    # Whitespace before the header is allowed (readers and the standard tolerate it).
    r = post(client, owner_id, b"\r\n  \n" + pdf_bytes())
    assert r.status_code == 201 and r.json()["content"]["media_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("image", "marker"), [(png_bytes(), "IEND chunk"), (jpeg_bytes(), "EOI marker")]
)
def test_data_after_an_image_end_marker_is_refused(
    client: TestClient, backend: Backend, image: bytes, marker: str
) -> None:
    owner_id = create_owner(client)
    r = post(client, owner_id, image + b"%PDF-1.7 hidden", "scan.img")
    assert r.status_code == 415, r.text
    assert f"15 bytes after its {marker}" in r.json()["detail"]
    nothing_stored(client, backend, owner_id)
    assert post(client, owner_id, image, "scan.img").status_code == 201


def test_jpeg_end_is_found_through_its_scans() -> None:
    """Progressive JPEGs have several scans, with markers between them; restart markers and
    stuffed 0xFF bytes sit inside the entropy-coded data."""
    from PIL import Image

    limits = ContentLimits(10_000_000, 10)
    picture = Image.effect_noise((300, 200), 80).convert("RGB")
    for options in ({"progressive": True}, {"restart_marker_blocks": 1}, {}):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=90, **options)
        data = out.getvalue()
        info = content.inspect(io.BytesIO(data), MediaType.JPEG, limits)
        assert info.pages == 1, options
        with pytest.raises(UnsupportedMediaType, match="1 bytes after its EOI"):
            content.inspect(io.BytesIO(data + b"\x00"), MediaType.JPEG, limits)


def test_the_limits_come_from_the_settings() -> None:
    limits = ContentLimits(max_image_pixels=50, max_pdf_pages=1)
    assert limits.max_decoded_bytes == 200
    with pytest.raises(ContentTooLarge, match="10x10 pixels"):
        content.inspect(io.BytesIO(pdf_with_image(10, 10)), MediaType.PDF, limits)
