"""Phone photos of papers, made here with ground truth: a typeset page lying on a desk at an
angle, seen in perspective, light falling off to one side, a soft shadow band across it (a
hand or the phone), about 150 dpi across the page, camera noise and JPEG, tagged 72 dpi as
phones tag their photos.

    sample = photo(corpus.BIRTH_CERTIFICATE, seed=3)
    sample.corners   # where the page's corners are in the photo (top-left, clockwise)

Everything is seeded: the same call gives the same pixels.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from tests.ocr import corpus

PAGE_DPI = 150  # across the page, as a phone held over an A4 page gives


@dataclass(frozen=True, slots=True)
class PhotoSample(corpus.Sample):
    corners: tuple[tuple[float, float], ...] = ()  # the page in the photo, clockwise from top-left


def desk(width: int, height: int, rng: random.Random) -> np.ndarray:
    """A wooden desk: brown, with grain running across and a little noise (float RGB 0-1)."""
    base = np.array(rng.choice(((0.45, 0.30, 0.18), (0.55, 0.40, 0.25), (0.35, 0.25, 0.17))))
    y = np.arange(height, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    phase = rng.uniform(0, 6.28)
    grain = 0.10 * np.sin(y / rng.uniform(9, 15) + 3 * np.sin(x / 400 + phase))
    grain += 0.05 * np.sin(y / 3.1 + x / 900)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, 0.03, (height, width))
    shade = (1 + grain + noise).astype(np.float32)
    return np.clip(shade[:, :, None] * base[None, None, :], 0, 1).astype(np.float32)


def photo(document: corpus.Document, seed: int) -> PhotoSample:
    return photo_of(corpus.typeset(document), document, seed)


def photo_of(text: Image.Image, document: corpus.Document, seed: int) -> PhotoSample:
    """A photo of the typeset page `text` (300 dpi), whose truth is `document`'s."""
    rng = random.Random(seed)
    # The whole A4 sheet (297 mm), however short the text on it.
    sheet = Image.new("L", (corpus.PAGE_WIDTH, max(text.height, 3508)), 255)
    sheet.paste(text, (0, 0))
    page = corpus.rescale(sheet, PAGE_DPI).convert("RGB")
    paper = np.asarray(page, dtype=np.float32) / 255.0
    paper *= np.array((1.0, 0.98, 0.94), dtype=np.float32)  # warm paper under room light
    ph, pw = paper.shape[:2]
    # The photo frame: the page fills 65-80 % of its width, desk all around.
    fill = rng.uniform(0.65, 0.8)
    width = round(pw / fill)
    height = round(max(ph / fill, width * 1.33))
    # Corners on the desk: turned by an angle, the far (top) edge shorter (perspective).
    angle = math.radians(rng.choice((-1, 1)) * rng.uniform(3, 12))
    keystone = rng.uniform(0.04, 0.12) * pw
    cx, cy = width / 2 + rng.uniform(-0.04, 0.04) * width, height / 2
    local = [
        (-pw / 2 + keystone, -ph / 2),
        (pw / 2 - keystone, -ph / 2),
        (pw / 2, ph / 2),
        (-pw / 2, ph / 2),
    ]
    corners = tuple(
        (
            cx + x * math.cos(angle) - y * math.sin(angle),
            cy + x * math.sin(angle) + y * math.cos(angle),
        )
        for x, y in local
    )
    source = np.array([(0, 0), (pw, 0), (pw, ph), (0, ph)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, np.array(corners, dtype=np.float32))
    warped = cv2.warpPerspective(paper, matrix, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.ones((ph, pw), np.float32), matrix, (width, height), flags=cv2.INTER_LINEAR
    )[:, :, None]
    image = warped * mask + desk(width, height, rng) * (1 - mask)
    # Light falling off to one side, and a soft shadow band across the page.
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    side = rng.choice((x, 1 - x, y, 1 - y))
    light = 1.0 - rng.uniform(0.35, 0.5) * side
    band_angle = rng.uniform(-0.5, 0.5)
    distance = (y - rng.uniform(0.3, 0.7)) * math.cos(band_angle) - (x - 0.5) * math.sin(band_angle)
    band_width = rng.uniform(0.04, 0.08)
    shadow = 1.0 - rng.uniform(0.3, 0.45) * np.exp(-((distance / band_width) ** 2))
    image = image * (light * shadow)[:, :, None]
    image = cv2.GaussianBlur(image, (0, 0), 0.7)  # the lens
    noise = np.random.default_rng(seed).normal(0, 0.025, image.shape).astype(np.float32)
    image = np.clip((image + noise) * 255, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(image).save(out, "JPEG", quality=rng.randint(82, 92), dpi=(72, 72))
    return PhotoSample(
        f"{document.name}-photo-{seed}",
        "photo",  # type: ignore[arg-type]  # a tier of its own, beside corpus.Tier
        document,
        out.getvalue(),
        "image/jpeg",
        PAGE_DPI,
        corners,
    )


def photo_samples(count: int, seed: int = 7) -> list[PhotoSample]:
    return [photo(corpus.DOCUMENTS[i % len(corpus.DOCUMENTS)], seed + i) for i in range(count)]
