"""Pillow preprocessing of a scanned page before Tesseract reads it.

Every step is a plain function on a Pillow image; `prepare` runs the ones `Steps` switches on,
in this order: EXIF orientation, grey conversion that drops coloured ink, upscaling of scans
under 150 dpi to 200 dpi, background flattening with a white point, deskew, removal of table
rules and underlines (OpenCV), crop to the text. A phone photo's page is found and its
perspective undone before all of them (`ocr.photo`, `Steps.photo`).
Turning a page by 90/180/270 degrees (`turn`) is decided by the pipeline, which asks the
engine's orientation detection (OSD) only when a page reads badly or its lines run
vertically. About 40 ms for a clean A4 page at 300 dpi, 0.2-0.3 s for a colour scan that
needs upscaling and deskewing.

Measured with `bench/ocr.py --steps` on the corpus of tests/ocr/corpus.py (6 pages per tier,
4 plain pages at 100/120 dpi; Tesseract 5.3 with its `vie` model): the mean character error
rate with the defaults, then with one step switched off or changed at a time.

| variant                              | clean | degraded | hard   | 100-120 dpi |
| ------------------------------------ | ----- | -------- | ------ | ----------- |
| raw Tesseract (file as scanned)      | 0.05% | 0.53%    | 60.32% | 0.28%       |
| defaults                             | 0.05% | 0.11%    | 0.60%  | 0.09%       |
| no colour drop (plain grey)          | 0.05% | 0.11%    | 28.10% | 0.09%       |
| colour drop, chroma not spread       | 0.05% | 0.11%    | 0.74%  | 0.09%       |
| no background flattening             | 0.05% | 0.32%    | 1.55%  | 0.08%       |
| white point 255 (none)               | 0.05% | 0.13%    | 1.55%  | 0.08%       |
| white point 230                      | 0.09% | 0.13%    | 0.81%  | 0.14%       |
| white point 200                      | 0.18% | 0.19%    | 0.57%  | 0.35%       |
| no upscaling                         | 0.05% | 0.11%    | 0.54%  | 0.13%       |
| upscaling below 250 dpi (150 too)    | 0.05% | 0.27%    | 0.60%  | 0.09%       |
| upscaling to 300 dpi, not 200        | 0.05% | 0.11%    | 0.57%  | 0.05%       |
| no deskew                            | 0.05% | 0.45%    | 0.66%  | 0.00%       |
| with 3x3 median denoise (off)        | 0.14% | 0.78%    | 0.86%  | 0.21%       |
| no cropping to the text              | 0.05% | 0.11%    | 0.62%  | 0.22%       |
| no orientation check (pipeline)      | 0.05% | 0.11%    | 28.31% | 0.09%       |

A tier's page has 400-900 characters: 0.05% is 2-3 characters over 6 pages, so differences
under ~0.1% are noise. Denoising is off: it blurs thin strokes more than it removes JPEG and
sensor noise. Upscaling: on plain 100 dpi pages it took the CER from 0.65% to 0% (4 pages,
a separate run), here it is a wash on the 120 dpi hard tier; at 150 dpi it only costs. The
target is 200 dpi, not 300: within noise of each other, and 300 makes Tesseract slower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

MAX_SKEW = 6.0  # degrees; more than that is a photo, not a scan, and is left alone
MIN_DESKEW = 0.3  # degrees; Tesseract copes with less, and rotating a page costs time


@dataclass(frozen=True, slots=True)
class Steps:
    """Which preprocessing steps run (the defaults are the measured best)."""

    exif: bool = True
    photo: bool = True  # an image that is a phone photo: find the page, undo the perspective
    drop_colour: bool = True  # grey = darkest ink only: red seals, blue ink, tints go white
    spread_colour: bool = True  # colour also counts one pixel around coloured ink (JPEG)
    flatten: bool = True  # divide by the estimated background: uneven light, tinted paper
    white_point: int = 215  # after flattening, lighter greys than this become white
    upscale_below: int = 150  # dpi; scans under it are resampled to `upscale_to` (0: never)
    upscale_to: int = 200
    deskew: bool = True
    remove_rules: bool = True  # table rules and underlines go white: they eat cell edges
    denoise: bool = False  # 3x3 median filter
    crop: bool = True  # to the text and a margin: less page for Tesseract to lay out


@dataclass(frozen=True, slots=True)
class Prepared:
    """A page ready for the engine, and how it relates to the page it came from."""

    image: Image.Image  # mode "L": what the engine reads (straightened, cropped to the text)
    dpi: int  # the source resolution times `scale`
    scale: float  # prepared pixels per source pixel
    skew: float  # degrees the page was rotated counter-clockwise to straighten it
    sideways: bool  # text lines run vertically: the page needs a quarter turn
    box: tuple[int, int, int, int]  # `image` within the whole straightened page (l, t, r, b)
    size: tuple[int, int]  # the whole page, in prepared pixels
    steps: tuple[str, ...] = ()  # the steps that changed the image
    base: Image.Image | None = field(default=None, repr=False)  # before deskew and crop

    def turned(self, rotate: int, steps: Steps) -> Prepared:
        """The same page turned `rotate` degrees clockwise, straightened and cropped again."""
        base = turn(self.image if self.base is None else self.base, rotate)
        applied = [s for s in self.steps if not s.startswith(("deskew", "rules", "crop"))]
        return _finish(base, self.dpi, self.scale, steps, applied, quarter_turn_done=True)


@dataclass(frozen=True, slots=True)
class SkewEstimate:
    angle: float  # counter-clockwise degrees that straighten the lines
    sideways: bool


def prepare(image: Image.Image, dpi: int, steps: Steps = Steps()) -> Prepared:
    applied: list[str] = []
    if steps.exif and image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        image = ImageOps.exif_transpose(image)
        applied.append("exif")
    gray = ink_gray(image, spread=steps.spread_colour) if steps.drop_colour else plain_gray(image)
    scale = 1.0
    if dpi < steps.upscale_below:
        scale = steps.upscale_to / dpi
        gray = gray.resize(
            (round(gray.width * scale), round(gray.height * scale)), Image.Resampling.LANCZOS
        )
        applied.append(f"upscale x{scale:.2f}")
    if steps.flatten:
        gray = flatten_background(gray, steps.white_point)
        applied.append("flatten")
    if steps.denoise:
        gray = gray.filter(ImageFilter.MedianFilter(3))
        applied.append("denoise")
    return _finish(gray, round(dpi * scale), scale, steps, applied, quarter_turn_done=False)


def _finish(
    base: Image.Image,
    dpi: int,
    scale: float,
    steps: Steps,
    applied: list[str],
    *,
    quarter_turn_done: bool,
) -> Prepared:
    """Deskew and crop: the steps that must be redone after a page is turned."""
    image = base
    skew = 0.0
    sideways = False
    if steps.deskew:
        estimate = estimate_skew(base)
        sideways = estimate.sideways and not quarter_turn_done
        if not sideways and abs(estimate.angle) >= MIN_DESKEW:
            skew = estimate.angle
            image = deskew(base, skew)
            applied.append(f"deskew {skew:+.1f}°")
    if steps.remove_rules and not sideways:
        # After deskew: a straight rule is one pixel column or row wide, as the test wants.
        ruled = remove_rules(image, dpi)
        if ruled is not None:
            image = ruled
            applied.append("rules")
    box = (0, 0, image.width, image.height)
    if steps.crop and not sideways:
        found = content_box(image, margin=round(dpi / 6))
        if found is not None and _area(found) < 0.9 * _area(box):
            box = found
            image = image.crop(box)
            applied.append("crop")
    size = (base.width, base.height)
    return Prepared(image, dpi, scale, skew, sideways, box, size, tuple(applied), base)


def content_box(gray: Image.Image, margin: int) -> tuple[int, int, int, int] | None:
    """The box around everything darker than light grey, plus a margin; None for a blank
    page. On a reduced copy: averaging 4x4 blocks also drops isolated noise specks."""
    factor = 4 if min(gray.size) >= 64 else 1
    small = gray.reduce(factor) if factor > 1 else gray
    found = small.point(lambda v: 255 if v < 200 else 0).getbbox()
    if found is None:
        return None
    left, top, right, bottom = (v * factor for v in found)
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(gray.width, right + margin),
        min(gray.height, bottom + margin),
    )


def _area(box: tuple[int, int, int, int]) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def plain_gray(image: Image.Image) -> Image.Image:
    return _flatten_alpha(image).convert("L")


def ink_gray(image: Image.Image, *, spread: bool = True) -> Image.Image:
    """Grey from the lightest channel plus the chroma: only ink dark in every channel (black,
    dark grey) stays dark. A red seal, a blue signature or a tinted paper is dark in one or two
    channels only, so it goes light; black text under a seal stays black (inks multiply).

    grey = max(R, G, B) + 0.6 * (max - min). Pure blue ballpoint (25, 55, 170) maps to 255,
    seal red (210, 30, 40) to 255, pale green paper (228, 244, 232) to 253, black to 0.

    spread: take each pixel's chroma as the highest around it (3x3). JPEG keeps colour at
    half resolution, so the edges of a blue stroke come out dark grey with little chroma and
    would stay as a ghost outline of the signature.
    """
    image = _flatten_alpha(image)
    if image.mode not in {"RGB", "CMYK", "P"} or not _has_colour(image):
        return image.convert("L")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    r, g, b = rgb.split()
    lightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    darkest = ImageChops.darker(ImageChops.darker(r, g), b)
    chroma = ImageChops.subtract(lightest, darkest)
    if spread:
        chroma = chroma.filter(ImageFilter.MaxFilter(3))
    chroma = chroma.point(lambda v: v * 6 // 10)
    return ImageChops.add(lightest, chroma)


# Flattening multiplies by a gain stored in 8 bits as 255 * 255 / (_GAIN_RANGE * background):
# backgrounds down to 255 / _GAIN_RANGE are brought to white, at 255 / _GAIN_RANGE grey levels.
_GAIN_RANGE = 3


def flatten_background(gray: Image.Image, white_point: int = 255) -> Image.Image:
    """Divide by the paper's own brightness, estimated around each point: shading from a lamp
    or a curled page, and paper tints, become white; the ink keeps its contrast.

    The background is the local maximum over ~1/8 of an inch at 300 dpi on an 8x reduced copy
    (wider than any stroke, so strokes vanish from it), smoothed. The division is a multiply
    by the reciprocal, computed on the reduced copy: 8-bit passes only, no float image.
    """
    factor = 8
    small = gray.reduce(factor) if min(gray.size) >= factor * 16 else gray
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.BoxBlur(3))
    lowest = _darkest(background)
    if lowest >= 235:  # already white paper under even light: nothing to divide
        out = gray
        scale = 1
    else:
        gain = background.point(lambda v: min(255, 255 * 255 // (_GAIN_RANGE * max(v, 1))))
        out = ImageChops.multiply(gray, gain.resize(gray.size, Image.Resampling.BILINEAR))
        scale = _GAIN_RANGE
    if scale == 1 and white_point >= 255:
        return out
    # One lookup: undo the gain's scaling, and make greys lighter than the white point (faint
    # patterns, seal and signature remnants, noise) white, stretching the rest.
    return out.point(
        lambda v: 255 if v * scale >= white_point else min(255, v * scale * 255 // white_point)
    )


def remove_rules(gray: Image.Image, dpi: int) -> Image.Image | None:
    """The page without its ruled lines (table frames, cell borders, underlines), or None
    when it has none. Tesseract reads a rule beside a cell's text as a character ("1" ->
    "|1", "3" -> ")") or drops the text: a horizontal run of ink over an inch long, or a
    vertical one longer than two lines of text (no letter is), is made white."""
    import cv2  # only here: most pages have no rules, and importing OpenCV costs time
    import numpy as np

    pixels = np.asarray(gray)
    # Found at half resolution on 250 dpi and finer (a rule is still a run of ink there):
    # four times faster. Coarser, a thin rule would fade to grey.
    factor = 2 if dpi >= 250 else 1
    small = cv2.resize(pixels, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.uint8)
    length = dpi // factor
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(8, length)), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(8, length * 2 // 5), 1), np.uint8))
    found = cv2.bitwise_or(across, down)
    if not found.any():
        return None
    rules = cv2.resize(found, (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_NEAREST)
    # The rule's anti-aliased edges too.
    rules = cv2.dilate(rules, np.ones((3, 3), np.uint8))
    cleaned = np.where(rules > 0, np.uint8(255), pixels)
    return Image.fromarray(cleaned)


def estimate_skew(gray: Image.Image) -> SkewEstimate:
    """Straightening angle by projection profile: text lines give sharp row sums only when
    they are level. Also tells whether lines run vertically (a page on its side).

    Fast, in Pillow only: the page is reduced and cut into 16 vertical strips, each strip's
    row sums are taken once (a resize to 16 pixels wide), and a candidate angle just shifts
    the strips up or down before summing: a shear, which at a few degrees is a rotation.
    About 30 ms a page.
    """
    factor = max(1, max(gray.size) // 800)
    small = gray.reduce(factor) if factor > 1 else gray
    ink = small.point(lambda v: 255 if v < 145 else 0)
    level = _ProfileScorer(ink)
    # Whole degrees, then tenths around the best: 23 shears instead of 121.
    angle = max((float(x) for x in range(-int(MAX_SKEW), int(MAX_SKEW) + 1)), key=level)
    angle = max((angle + x / 10 for x in range(-6, 7)), key=level)
    # A quarter turn: compare with the best profile of the copy turned on its side. Only a
    # clear win counts, so tables and sparse pages stay as they are.
    across = _ProfileScorer(ink.transpose(Image.Transpose.ROTATE_90))
    if max(across(a) for a in (-2.0, -1.0, 0.0, 1.0, 2.0)) > 2 * level(angle):
        return SkewEstimate(0.0, sideways=True)
    return SkewEstimate(round(angle, 1), sideways=False)


class _ProfileScorer:
    """How much the row sums of `ink` (white on black), sheared by an angle, vary: the squared
    coefficient of variation over the inked rows (margins excluded). Level text lines
    alternate full rows and empty gaps: high. Lines across the rows, or tilted ones, even the
    rows out: low. (Differences of neighbouring rows would also reward the stems of letters.)
    """

    STRIPS = 16

    def __init__(self, ink: Image.Image) -> None:
        width, height = ink.size
        columns = ink.resize((self.STRIPS, height), Image.Resampling.BOX)
        self.strips = [columns.crop((i, 0, i + 1, height)) for i in range(self.STRIPS)]
        self.offsets = [(i + 0.5) * width / self.STRIPS - width / 2 for i in range(self.STRIPS)]
        self.pad = math.ceil(width / 2 * math.tan(math.radians(MAX_SKEW + 1))) + 1
        self.height = height

    def __call__(self, angle: float) -> float:
        # Turning the page counter-clockwise by `angle` lifts points right of the centre.
        slope = math.tan(math.radians(angle))
        canvas = Image.new("L", (self.STRIPS, self.height + 2 * self.pad), 0)
        for i, (strip, x) in enumerate(zip(self.strips, self.offsets, strict=True)):
            canvas.paste(strip, (i, self.pad - round(x * slope)))
        box = canvas.getbbox()
        if box is None:
            return 0.0
        profile = canvas.crop((0, box[1], self.STRIPS, box[3]))
        rows = profile.resize((1, profile.height), Image.Resampling.BOX)
        (mean,) = ImageStat.Stat(rows).mean
        (variance,) = ImageStat.Stat(rows).var
        return variance / (mean * mean) if mean else 0.0


def deskew(gray: Image.Image, angle: float) -> Image.Image:
    # Same size (no expand): page coordinates stay those of the source, which the searchable
    # PDF's text layer relies on. A few degrees cut nothing but margin.
    return gray.rotate(angle, Image.Resampling.BILINEAR, expand=False, fillcolor=255)


_EXIF_ORIENTATION = 0x0112

_TURNS = {
    90: Image.Transpose.ROTATE_270,  # Pillow turns counter-clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def turn(image: Image.Image, rotate: int) -> Image.Image:
    """`image` turned `rotate` degrees clockwise (0, 90, 180 or 270)."""
    rotate %= 360
    if rotate == 0:
        return image
    return image.transpose(_TURNS[rotate])


def _flatten_alpha(image: Image.Image) -> Image.Image:
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in {"1", "I;16", "I", "F"}:
        return image.convert("L")
    return image


def _darkest(gray: Image.Image) -> int:
    return int(ImageStat.Stat(gray).extrema[0][0])


def _lightest(gray: Image.Image) -> int:
    return int(ImageStat.Stat(gray).extrema[0][1])


def _has_colour(image: Image.Image) -> bool:
    """Whether any ink or paper is coloured, judged on a small copy (a grey scan saved as
    RGB takes the cheap path)."""
    if image.mode == "P":
        palette = image.getpalette() or []
        triples = zip(palette[0::3], palette[1::3], palette[2::3], strict=False)
        return any(not r == g == b for r, g, b in triples)
    small = image.convert("RGB").reduce(max(1, max(image.size) // 400))
    r, g, b = small.split()
    chroma = ImageChops.subtract(
        ImageChops.lighter(ImageChops.lighter(r, g), b),
        ImageChops.darker(ImageChops.darker(r, g), b),
    )
    return _lightest(chroma) >= 40
