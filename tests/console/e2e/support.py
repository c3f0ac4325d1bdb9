"""What the console's browser tests share: the cast and its data, files to upload, and small
helpers to drive the pages (imported relatively: tests/console may or may not be a package)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Locator, Page, Response, expect

from signing.issuing.signer_settings import DEJAVU_SANS
from tests.people import People
from tests.signing.vault.conftest import OFFICERS as OFFICER_CREDENTIALS
from tests.signing.vault.conftest import PINS

REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

PASSWORD = "mat-khau-thu-nghiem"  # throw-away accounts of a throw-away database
AGENCY_NAME = "UBND phường Bến Nghé"
OTHER_AGENCY_NAME = "UBND phường Đa Kao"
OWNER_NAME = "Nguyễn Thị Hương"
OTHER_OWNER_NAME = "Trần Văn Bình"
# Vietnamese names where a test reads them back (the charset must survive the round trip).
FULL_NAMES = {
    "receiver": "Lê Thị Tiếp Nhận",
    "certifier": "Nguyễn Văn An",
    "verifier": "Phạm Minh Kiểm",
    "auditor": "Đỗ Thu Hà",
    "other_receiver": "Võ Quốc Đạt",
}
PROCEDURE = "1.002809"  # Cấp lại Giấy phép lái xe: driving licence, health certificate, ID card
CERTIFIER_PIN = PINS[OFFICER_CREDENTIALS["certifier"]]
BOOK = f"01/{date.today().year}-SCT/BS-ĐT"


@dataclass
class Console:
    """The live console and what the tests need to drive it."""

    url: str
    people: People
    owner_id: str
    other_owner_id: str
    documents: dict[str, str]  # id_card, licence, expired_health, other_birth -> document id

    def sign_in(self, page: Page, username: str, password: str = PASSWORD) -> None:
        page.goto("/console/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password)
        response = submit(page, page.locator("#login-submit"))
        assert response.status == 200, f"sign-in as {username}: {response.status}"
        expect(page.locator("#whoami")).to_be_visible()

    def shot(self, page: Page, name: str) -> Path:
        """A full-page screenshot kept as a test artefact (test-artifacts/screenshots/)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def submit(page: Page, button: Locator, *, timeout: float = 30_000) -> Response:
    """Clicks a submit button and returns the response of the page it leads to (after any
    redirect), so a test can check the status (401, 403 …) as well as the page."""
    with page.expect_navigation(timeout=timeout) as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def expect_loaded(image: Locator, *, timeout: float = 15_000) -> None:
    """Waits until an <img> is fetched and decoded (not a broken-image icon); scrolled to
    first, in case the page loads its images lazily."""
    image.scroll_into_view_if_needed(timeout=timeout)
    handle = image.element_handle(timeout=timeout)
    image.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=handle, timeout=timeout
    )


def drop_file(page: Page, target: Locator, name: str, content: bytes, mime: str) -> None:
    """Drags a file from 'the desktop' onto `target`: the DOM events a real drop fires,
    carrying a DataTransfer with the file (what the page's script receives)."""
    transfer = page.evaluate_handle(
        """([name, b64, mime]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: mime }));
            return transfer;
        }""",
        [name, base64.b64encode(content).decode(), mime],
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": transfer})


def paper_png(lines: list[str], *, size: tuple[int, int] = (900, 420)) -> bytes:
    """A clean 'scan' with printed Vietnamese text, big enough for Tesseract to read."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU_SANS), 40)
    for i, line in enumerate(lines):
        draw.text((40, 40 + i * 70), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def scan_jpeg() -> bytes:
    """What a certifying officer scans: an A4-ish grey page with ink on it."""
    image = Image.new("RGB", (620, 877), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU_SANS), 28)
    draw.text((60, 60), "GIẤY KHAI SINH", fill=(20, 20, 20), font=font)
    for y in range(140, 820, 40):
        draw.line((60, y, 560, y), fill=(40, 40, 40), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def certify_through_api(console: Console) -> tuple[dict[str, Any], bytes]:
    """A certified copy made through the API (the officer's signature and the office seal,
    PAdES B-LT, by the remote signing service): its record and its signed file."""
    headers = console.people.auth("certifier")
    with httpx.Client(base_url=console.url, timeout=120) as client:
        made = client.post(
            f"/api/v1/owners/{console.owner_id}/certified-copies",
            data={
                "paper_type": "birth_certificate",
                "title": "Giấy khai sinh",
                "book": BOOK,
                "pin": CERTIFIER_PIN,
            },
            files=[("pages", ("scan.jpg", scan_jpeg(), "image/jpeg"))],
            headers=headers,
        )
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        content = client.get(f"/api/v1/documents/{body['document']['id']}/content", headers=headers)
        assert content.status_code == 200, content.text
        return body, content.content
