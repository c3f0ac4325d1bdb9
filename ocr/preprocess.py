"""Pillow preprocessing of a scanned page before Tesseract reads it.

Every step is a plain function on a Pillow image; `prepare` runs the ones `Steps` switches on,
in this order: EXIF orientation, grey conversion (dropping coloured ink), background
flattening, upscaling to 300 dpi, deskew. Turning a page by 90/180/270 degrees (`turn`) is
decided by the pipeline, which asks the engine's orientation detection when it needs to.

Each step was measured on the test corpus (tests/ocr/corpus.py: 4 pages per tier) with
`bench/ocr.py --steps`: the character error rate with every default step on, then with one
step switched off or changed at a time. Steps that did not lower the CER are off by default.

TABLE_PLACEHOLDER
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PIL import Image, ImageChops, ImageFilter, ImageMath, ImageOps

TARGET_DPI = 300
# Below this a page is upscaled: Tesseract's LSTM reads best with capitals ~30-40 px tall.
MIN_DPI = 250
MAX_SKEW = 6.0  # degrees; more than that is a photo, not a scan, and is left alone


@dataclass(frozen=True, slots=True)
class Steps:
    """Which preprocessing steps run (the defaults are the measured best)."""

    exif: bool = True
    drop_colour: bool = True  # grey = darkest ink only: red seals, blue ink, tints go white
    flatten: bool = True  # divide by the estimated background: uneven light, tinted paper
    white_point: int = 255  # after flattening, lighter greys than this become white
    upscale: bool = True
    deskew: bool = True
    denoise: bool = False  # 3x3 median filter


@dataclass(frozen=True, slots=True)
class Prepared:
    """A page ready for the engine, and how it relates to the page it came from."""

    image: Image.Image  # mode "L", upright (but for a quarter turn the pipeline decides)
    dpi: int  # of `image`: the source resolution times `scale`
    scale: float  # image pixels per source pixel
    skew: float  # degrees the page was rotated counter-clockwise to straighten it
    sideways: bool  # text lines run vertically: the page needs a quarter turn
    steps: tuple[str, ...] = field(default=())  # the steps that changed the image

    def turned(self, rotate: int, steps: Steps) -> Prepared:
        """The same page turned `rotate` degrees clockwise, deskewed again."""
        image = turn(self.image, rotate)
        skew = 0.0
        if steps.deskew:
            estimate = estimate_skew(image)
            skew = estimate.angle
            image = deskew(image, skew)
        return replace(self, image=image, skew=skew, sideways=False)


@dataclass(frozen=True, slots=True)
class SkewEstimate:
    angle: float  # counter-clockwise degrees that straighten the lines
    sideways: bool


def prepare(image: Image.Image, dpi: int, steps: Steps = Steps()) -> Prepared:
    applied: list[str] = []
    if steps.exif:
        upright = ImageOps.exif_transpose(image)
        if upright is not image:
            applied.append("exif")
        image = upright
    gray = ink_gray(image) if steps.drop_colour else plain_gray(image)
    scale = 1.0
    if steps.upscale and dpi < MIN_DPI:
        scale = TARGET_DPI / dpi
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
    skew = 0.0
    sideways = False
    if steps.deskew:
        estimate = estimate_skew(gray)
        sideways = estimate.sideways
        if not sideways and abs(estimate.angle) >= 0.1:
            skew = estimate.angle
            gray = deskew(gray, skew)
            applied.append(f"deskew {skew:+.1f}°")
    return Prepared(gray, round(dpi * scale), scale, skew, sideways, tuple(applied))


def plain_gray(image: Image.Image) -> Image.Image:
    return _flatten_alpha(image).convert("L")


def ink_gray(image: Image.Image) -> Image.Image:
    """Grey from the lightest channel plus the chroma: only ink dark in every channel (black,
    dark grey) stays dark. A red seal, a blue signature or a tinted paper is dark in one or two
    channels only, so it goes light; black text under a seal stays black (inks multiply).

    grey = max(R, G, B) + 0.6 * (max - min). Pure blue ballpoint (25, 55, 170) maps to 255,
    seal red (210, 30, 40) to 255, pale green paper (228, 244, 232) to 255, black to 0.
    """
    image = _flatten_alpha(image)
    if image.mode not in {"RGB", "CMYK", "P"} or image.mode == "P" and not _has_colour(image):
        return image.convert("L")
    rgb = image.convert("RGB")
    r, g, b = rgb.split()
    lightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    darkest = ImageChops.darker(ImageChops.darker(r, g), b)
    chroma = ImageChops.subtract(lightest, darkest).point(lambda v: v * 6 // 10)
    return ImageChops.add(lightest, chroma)


def flatten_background(gray: Image.Image, white_point: int = 255) -> Image.Image:
    """Divide by the paper's own brightness, estimated around each point: shading from a lamp
    or a curled page, and paper tints, become white; the ink keeps its contrast.

    The background is the local maximum over ~1/8 of an inch at 300 dpi on an 8x reduced copy
    (wider than any stroke, so strokes vanish from it), smoothed and scaled back up.
    """
    factor = 8
    small = gray.reduce(factor) if min(gray.size) >= factor * 16 else gray
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.BoxBlur(3))
    background = background.resize(gray.size, Image.Resampling.BILINEAR)
    out = ImageMath.lambda_eval(
        lambda a: a["convert"](a["min"](a["g"] * 255.0 / a["max"](a["b"], 1), 255), "L"),
        g=gray,
        b=background,
    )
    assert isinstance(out, Image.Image)
    if white_point < 255:
        # Greys lighter than the white point (faint patterns, noise) go white; the rest is
        # stretched so black stays black.
        out = out.point(lambda v: 255 if v >= white_point else v * 255 // white_point)
    return out


def estimate_skew(gray: Image.Image) -> SkewEstimate:
    """Straightening angle by projection profile: text lines give sharp row sums only when
    they are level. Also tells whether lines run vertically (a page on its side).

    Pillow only: the row sums of a rotated, reduced, inverted copy are a resize to one pixel
    wide with a box filter.
    """
    small = gray.copy()
    small.thumbnail((700, 700), Image.Resampling.BOX)
    ink = ImageOps.invert(small).point(lambda v: 255 if v > 110 else 0)

    def score(image: Image.Image, angle: float) -> float:
        rotated = image.rotate(angle, Image.Resampling.BILINEAR, fillcolor=0)
        rows = list(rotated.resize((1, rotated.height), Image.Resampling.BOX).getdata())
        return float(sum((a - b) ** 2 for a, b in zip(rows, rows[1:], strict=False)))

    def best(image: Image.Image) -> tuple[float, float]:
        coarse = [x / 2 for x in range(-int(MAX_SKEW * 2), int(MAX_SKEW * 2) + 1)]
        angle = max(coarse, key=lambda a: score(image, a))
        fine = [angle + x / 10 for x in range(-5, 6)]
        angle = max(fine, key=lambda a: score(image, a))
        return angle, score(image, angle)

    angle, level = best(ink)
    # A quarter turn: compare with the best profile of the copy turned on its side. Only a
    # clear win counts, so tables and sparse pages stay as they are.
    across = max(score(ink.transpose(Image.Transpose.ROTATE_90), a) for a in (-2, 0, 2))
    if across > 1.6 * level:
        return SkewEstimate(0.0, sideways=True)
    return SkewEstimate(round(angle, 1), sideways=False)


def deskew(gray: Image.Image, angle: float) -> Image.Image:
    # Same size (no expand): page coordinates stay those of the source, which the searchable
    # PDF's text layer relies on. A few degrees cut nothing but margin.
    return gray.rotate(angle, Image.Resampling.BICUBIC, expand=False, fillcolor=255)


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
    if image.mode in {"RGBA", "LA", "PA"} or image.mode == "P" and "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in {"1", "I;16", "I", "F"}:
        return image.convert("L")
    return image


def _has_colour(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    triples = zip(palette[0::3], palette[1::3], palette[2::3], strict=False)
    return any(not r == g == b for r, g, b in triples)
