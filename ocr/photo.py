"""Phone photos of papers: find the page, correct the perspective, then OCR as usual (the
light is flattened by `ocr.preprocess.flatten_background`, as for scans).

A photo shows the page lying on a desk at an angle: a light quadrilateral on a darker,
textured background. `find_page` looks for it on a reduced copy (OpenCV: a mask of the light
paper from Otsu's threshold, closed so text does not hole it, the largest region's outline
reduced to four corners), and `rectify` warps those corners to an upright rectangle at
`RECTIFIED_DPI` across the page's width (A4 is 210 mm wide, the size of most papers).

A scan is left alone: its page fills the frame (no desk around it), so no quadrilateral
covering less than `MAX_PAGE_SHARE` of the image, with darker surroundings, is found.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

# What the warped page is sampled at: the preprocessing's upscaling target for low-resolution
# scans, reached in the one resampling the warp does anyway.
RECTIFIED_DPI = 200
A4_WIDTH_INCHES = 210 / 25.4
DETECT_SIDE = 800  # px: the long side of the copy the page is looked for on
MIN_PAGE_SHARE = 0.15  # of the photo's area
MAX_PAGE_SHARE = 0.92  # above it the page fills the frame: a scan, or a photo cropped already
# The paper must be clearly lighter than the desk around it (grey levels, 0-255).
MIN_CONTRAST = 25


@dataclass(frozen=True, slots=True)
class PageQuad:
    """The page's corners in the photo's pixels, clockwise from top-left."""

    corners: tuple[tuple[float, float], ...]
    share: float  # of the photo's area


def find_page(image: Image.Image) -> PageQuad | None:
    """The page in a photo, or None when the image is not a photo of a page on a background."""
    rgb = np.asarray(image.convert("RGB"))
    factor = DETECT_SIDE / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    if _plain_border(small):
        return None  # light paper all around: a scan (or a photo cropped to the page)
    small = cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)
    darkest, lightest = small.min(axis=2), small.max(axis=2)
    # Two views of "paper": light in every channel (a neutral desk, even light), and grey
    # rather than coloured, which a shadow or a fall-off of the light does not change (a
    # wooden or coloured desk). The larger page found in either wins.
    views = (darkest, 255 * darkest / np.maximum(lightest, 1))
    found = [_page_in(view.astype(np.uint8), darkest) for view in views]
    best = max((q for q in found if q is not None), key=lambda q: q[1], default=None)
    if best is None:
        return None
    quad, share = best
    corners = tuple((float(x) / factor, float(y) / factor) for x, y in _clockwise(quad))
    return PageQuad(corners, round(share, 3))


def _plain_border(small: np.ndarray) -> bool:
    """The image's outer 3 % is light on every side: no desk shows."""
    height, width = small.shape[:2]
    band = max(2, round(0.03 * min(height, width)))
    darkest = small.min(axis=2)
    edges = (darkest[:band], darkest[-band:], darkest[:, :band], darkest[:, -band:])
    return all(float(np.median(edge)) > 200 for edge in edges)


def _page_in(view: np.ndarray, brightness: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The page's four corners in one view of the reduced photo, with its share of the area."""
    _, mask = cv2.threshold(view, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Close text lines and shadows' edges into the paper; open away desk highlights.
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(outline) / mask.size
    if not MIN_PAGE_SHARE <= share <= MAX_PAGE_SHARE:
        return None
    quad = _four_corners(cv2.convexHull(outline))
    if quad is None:
        return None
    inside = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.astype(np.int32), 255)
    outside = brightness[inside == 0]
    if outside.size < 0.05 * mask.size:
        return None  # nothing around the page to tell it from
    if float(np.median(brightness[inside > 0])) - float(np.median(outside)) < MIN_CONTRAST:
        return None
    return quad, share


def _four_corners(hull: np.ndarray) -> np.ndarray | None:
    """The hull simplified to four points: the tolerance grows until four are left."""
    perimeter = cv2.arcLength(hull, True)
    for tolerance in (0.01, 0.02, 0.03, 0.05, 0.08):
        approx = cv2.approxPolyDP(hull, tolerance * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float32)
        if len(approx) < 4:
            break
    return None


def _clockwise(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left (image y grows down)."""
    by_sum = points.sum(axis=1)
    by_diff = np.diff(points, axis=1).ravel()  # y - x
    return np.array(
        [
            points[np.argmin(by_sum)],
            points[np.argmin(by_diff)],
            points[np.argmax(by_sum)],
            points[np.argmax(by_diff)],
        ],
        dtype=np.float32,
    )


def rectify(image: Image.Image, quad: PageQuad) -> tuple[Image.Image, int]:
    """The page, upright and flat, and its resolution (dpi): A4 width at `RECTIFIED_DPI`,
    height in the proportion of the page's own sides."""
    # 1 % inside the corners found: a sliver of desk along an edge would read as a rule or
    # as letters, and the page's own margin is wider than that.
    centre = np.mean(np.array(quad.corners), axis=0)
    inset = [np.array(c) + (centre - np.array(c)) * 0.01 for c in quad.corners]
    tl, tr, br, bl = inset
    top, bottom = np.linalg.norm(tr - tl), np.linalg.norm(br - bl)
    left, right = np.linalg.norm(bl - tl), np.linalg.norm(br - tr)
    width = round(A4_WIDTH_INCHES * RECTIFIED_DPI)
    # The edges nearest the camera are the least foreshortened: take the longer of each pair.
    height = round(width * max(left, right) / max(top, bottom))
    target = np.array([(0, 0), (width, 0), (width, height), (0, height)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(np.array(inset, dtype=np.float32), target)
    rgb = np.asarray(image.convert("RGB"))
    flat = cv2.warpPerspective(
        rgb,
        matrix,
        (width, height),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return Image.fromarray(flat), RECTIFIED_DPI
