"""Capture preparation: find the code in a screenshot, a slide or a photo, and separate its text by colour.

The OCR engines read a page of dark text on white. Real captures are not that: editor windows carry title
bars, tab bars, breadcrumbs, minimaps and status bars; themes draw keywords in colours whose grey level is
close to the background's; slides sit on gradients; phone photos of a monitor are tilted, in perspective,
blurred. `prepare_capture` turns any of them into the code pane alone, dark text on white:

1. photo (no flat background colour): find the screen's quadrilateral (edges -> contours -> a convex
   four-sided polygon) and warp it to a rectangle; measure sharpness and refuse a photo too blurred (or its
   text too small) to read; deskew by the angle that makes text rows sharpest; sharpen (blurred ones more).
2. background: the most common colour of a flat screenshot, or a coarse median of a photo or gradient.
3. ink: colour distance from the background, not grey level, scaled by the text's own contrast, so blue
   keywords on dark grey and pale comments on white come out as black as the rest, with their anti-aliasing.
4. the code pane: rows and columns filled by solid areas of another colour (title bar, tab bar, toolbar,
   status bar, frames, scroll bars) bound it; the longest stretch between them is the pane. A narrow band
   of another colour left of it that holds text is a line-number gutter and is kept (the layout reads it).
   A column block right of the code with text rows far shorter than the code's is a minimap and goes.
5. header rows inside the pane (breadcrumbs, a slide title) are text not set on the code's
   monospace grid: each text row's ink, column by column, is tested for the pane's character period and
   phase; leading rows that do not share it are left out, so line 1 is the first code line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Literal

import numpy as np
from PIL import Image

CaptureKind = Literal["screenshot", "photo"]

THRESHOLDS_RESOURCE = "capture.json"  # under archreview/pipeline/data/: the tuned thresholds, each with its source


def _load_thresholds() -> dict[str, float]:
    text = (resources.files("archreview.pipeline") / "data" / THRESHOLDS_RESOURCE).read_text(encoding="utf-8")
    return {name: float(entry["value"]) for name, entry in json.loads(text)["thresholds"].items()}


_THRESHOLDS = _load_thresholds()


def _threshold(name: str) -> float:
    return _THRESHOLDS[name]


# Share of pixels the most common exact colour must cover for the image to be a flat screenshot.
_FLAT_SHARE = _threshold("flat_share")
# Colour distance (RGB, Euclidean) within which a pixel is the pane's background (a flat screenshot).
_BACKGROUND_TOLERANCE = 8.0
# The same for a photo or gradient, measured from the local background.
_PHOTO_TOLERANCE = 24.0
# Side of the square a pixel must be the centre of, all of it non-background, to count as solid chrome:
# text strokes are thinner, so text never counts.
_SOLID_PX = 5
# Share of a row's (column's) pixels that must be solid non-background for it to be chrome.
_CHROME_SHARE = 0.5
# A left band of another colour narrower than this share of the pane, holding text, is a gutter.
_GUTTER_MAX_SHARE = 0.18
# A highlighted line (current line, selection) inside the pane: a chrome band at most this many text
# lines high, with pane on both sides, is part of the pane.
_HIGHLIGHT_MAX_LINES = 1.6
# Ink level (distance over the strongest distance near the pixel) below which a pixel is background,
# and from which it is full ink.
_INK_LOW = 0.15
_INK_HIGH = 0.8
# Side of the square (pixels) whose strongest distance a pixel is measured against: a stroke or two.
_LOCAL_PX = 5
# The strongest distance never counts as less than this share of the text's contrast.
_INK_FLOOR = _threshold("ink_floor")
# Percentile of the distances of clearly-ink pixels that stands for the text's contrast.
_TEXT_CONTRAST_PERCENTILE = 90
# Photos: ink level (distance over the text's contrast) below which a pixel is background, and from which
# it is full ink.
_PHOTO_INK_LOW = _threshold("photo_ink_low")
_PHOTO_INK_HIGH = _threshold("photo_ink_high")
# Photos: the same ratio from which a pixel of the page the engines read is full ink.
_PHOTO_PAGE_INK_HIGH = _threshold("photo_page_ink_high")
# A pixel is ink for row and column profiles at this ink level.
_INK_LEVEL = 0.5
# A row or column this share of which is ink is a ruled line (a frame, a border), never text.
_RULE_SHARE = 0.6
# Gaps in a ruled row that are bridged (JPEG noise nicks a rule; the spaces between words are wider).
_RULE_NICK_PX = 2
# Photos: a column this share of whose rows hold ink of at least _FAINT_INK is a faint rule (`_erase_faint_rules`).
_FAINT_INK = 0.1
_FAINT_RULE_SHARE = 0.7
# ... and whose ink is even along it: over its inked rows, the 10th percentile at least this share of the 90th.
_FAINT_RULE_EVEN = 0.4
# ... and which runs unbroken down at least this share of it (a column of digits has gaps between lines).
_FAINT_RULE_RUN = 0.3
# ... and is at most this share of the image wide.
_FAINT_RULE_WIDTH = 0.012
# Vertical ink longer than this many text-row heights is a guide, not a glyph.
_GUIDE_LINES = 1.8
# Sharpness (see _sharpness) below which a photo cannot be read, and below which it is sharpened.
MIN_SHARPNESS = _threshold("min_sharpness")
_SHARPEN_BELOW = _threshold("sharpen_below")
# A photo refused for its sharpness whose glyphs are fewer pixels high than this is refused as text too small.
_SMALL_GLYPH_PX = 9
# Unsharp mask (amount) for a photo below _SHARPEN_BELOW, and for every other photo; its radius is the glyph
# height over _SHARPEN_DIV (1 to 3 px).
_SHARPEN_AMOUNT = 1.0
_MILD_SHARPEN_AMOUNT = _threshold("mild_sharpen_amount")
_SHARPEN_DIV = 8.0
# Header/footer rows: at most this many at either end are tested.
_MAX_HEADER_ROWS = 4
# A row is on the code's grid when its ink's phase coherence at the cell period is at least this share
# of the median row's and its phase within this share of a cell of the pane's.
_GRID_COHERENCE_SHARE = _threshold("grid_coherence_share")
_GRID_PHASE_CELLS = _threshold("grid_phase_cells")
# Photos: a leading row whose coherence is below this share of the median row's must also be within
# _PHOTO_GRID_PHASE_CELLS of the pane's phase and at least _PHOTO_SMALL_ROW_SHARE of the median row's height.
_PHOTO_FIRM_COHERENCE_SHARE = _threshold("photo_firm_coherence_share")
_PHOTO_GRID_PHASE_CELLS = _threshold("photo_grid_phase_cells")
_PHOTO_SMALL_ROW_SHARE = 0.6
# Photos: a last text row at least this many line pitches below the one above it may be a status bar's.
_STATUS_GAP_LINES = 1.3
# ... and at least this share of a pitch off the code's rows.
_STATUS_OFF_PITCH = 0.2
# Photos: share of a full row's ink a text row must hold (see _text_rows).
_PHOTO_ROW_SHARE = 0.05
# Width, in text-row heights, of the part of each row the grid test reads.
_GRID_SPAN_LINES = 30
# Rows narrower than this many cells are not tested (too few characters to show a grid).
_GRID_MIN_CELLS = 8
# Cell width / text-row ink height range searched for the monospace period.
_CELL_RANGE = (0.35, 0.9)
# Largest side the skew search works at.
_SKEW_WORK_PX = 500
# Shortest side (at work size) an image must have to be searched for a screen's quadrilateral.
_MIN_QUAD_PX = 32
# Slides: a code box is an upright rectangle of one colour (RGB quantized by _BOX_QUANTUM, then within
# _BOX_TOLERANCE of its median) filling at least _BOX_FILL of its bounding box once text is closed over
# (a square of _BOX_CLOSE_SHARE of the short side), covering at least _BOX_MIN_AREA of the image, at least
# _BOX_MARGIN_SHARE of each side away from the edges, holding at least _BOX_MIN_INK of text pixels; the
# _BOX_COLOURS commonest colours are tried, at _BOX_WORK_PX.
_BOX_WORK_PX = 600
_BOX_QUANTUM = 12
_BOX_TOLERANCE = 20.0
_BOX_FILL = _threshold("box_fill")
_BOX_CLOSE_SHARE = 0.03
_BOX_MIN_AREA = _threshold("box_min_area")
_BOX_MARGIN_SHARE = 0.01
_BOX_MIN_INK = 0.01
_BOX_COLOURS = 6
# Photos: a text row at the end of the pane this share of whose pixels are off the pane's colour sits on a
# bar (code rows: their glyphs, about a quarter).
_BAR_SHARE = _threshold("bar_share")
# Window buttons: at most this many discs in the first text row, each filling this share of its box
# (a disc fills pi/4 of it; the anti-aliased rim a little less).
_BUTTONS_MAX = 4
_BUTTON_FILL = _threshold("button_fill")
# The first note of every capture read as a photo (what the correction knows it by: blurred glyphs).
PHOTO_NOTE = "read as a photo of a screen"
# Largest side the photo steps (quadrilateral, deskew) work at; results map back to full size.
_WORK_PX = 900


@dataclass(frozen=True)
class Capture:
    """A capture prepared for OCR."""

    ink: Image.Image  # "L": the code pane, dark text on white, same scale as the input (or the rectified photo)
    color: Image.Image  # "RGB": the same crop in colour
    kind: CaptureKind
    offset: tuple[int, int] = (0, 0)  # top-left of the crop in the (rectified) image
    removed: list[str] = field(default_factory=list)  # what was left out, in words
    notes: list[str] = field(default_factory=list)  # what was done, in words
    unreadable: str | None = None  # why the capture cannot be read; None when it can
    sharpness: float | None = None  # photos: the blur measure (_sharpness)


@dataclass(frozen=True)
class _Band:
    start: int
    stop: int  # exclusive

    @property
    def size(self) -> int:
        return self.stop - self.start


def _runs(mask: np.ndarray) -> list[_Band]:
    """Runs of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [_Band(int(a), int(b)) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


def to_rgb(image: Image.Image) -> np.ndarray:
    """Any Pillow mode as an RGB array (uint8); 16-bit scaled to 8, transparency flattened on a contrast."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)
        return np.repeat(scaled.astype(np.uint8)[..., None], 3, axis=2)
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"))
        if alpha.min() < 255:
            opaque = np.asarray(rgba.convert("L"))[alpha > 127]
            # Light text on a transparent background would vanish on white: flatten onto black then.
            light = opaque.size > 0 and float(opaque.mean()) > 128
            backdrop = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if light else (255, 255, 255, 255))
            rgba = Image.alpha_composite(backdrop, rgba)
        image = rgba
    return np.asarray(image.convert("RGB"))


def _modal_colour(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The most common exact colour and the share of pixels it covers."""
    packed = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    step_y, step_x = max(1, packed.shape[0] // 400), max(1, packed.shape[1] // 400)
    values, counts = np.unique(packed[::step_y, ::step_x], return_counts=True)
    best = int(values[int(np.argmax(counts))])
    share = float(np.mean(packed == best))
    return np.array([(best >> 16) & 255, (best >> 8) & 255, best & 255], dtype=np.float32), share


def _local_background(rgb: np.ndarray) -> np.ndarray:
    """The background colour around each pixel of a photo or gradient: a coarse median (text covers less
    than half of any window), as float32 HxWx3."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, 160 / max(height, width))
    # Nearest-neighbour keeps each pixel text or background (averaging would mix text into the background).
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_NEAREST)
    kernel = min(max(3, (min(small.shape[:2]) // 6) | 1), 255)
    smooth = cv2.medianBlur(small, kernel)
    return cv2.resize(smooth, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def _distance(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Euclidean RGB distance of each pixel from the background (a colour or a per-pixel image)."""
    diff = rgb.astype(np.float32) - background
    return np.sqrt((diff * diff).sum(axis=2))


def _contrast(distance: np.ndarray, tolerance: float) -> float | None:
    """The text's contrast: a high percentile of the distances of clearly-ink pixels; None without ink."""
    clear = distance[distance > 2 * tolerance]
    return float(np.percentile(clear, _TEXT_CONTRAST_PERCENTILE)) if clear.size else None


def _ink(distance: np.ndarray, tolerance: float) -> np.ndarray:
    """Ink strength 0..1 of each pixel: its distance from the background over the strongest distance
    near it (a glyph's own colour), so every syntax colour comes out as full ink while anti-aliased edges
    keep their share of it. Faint areas are measured against a floor, so noise is not raised to ink."""
    import cv2

    contrast = _contrast(distance, tolerance)
    if contrast is None:
        return np.zeros_like(distance)
    local = cv2.dilate(distance, np.ones((_LOCAL_PX, _LOCAL_PX), np.uint8))
    floor = max(3 * tolerance, _INK_FLOOR * contrast)
    level = distance / np.maximum(local, floor)
    return np.clip((level - _INK_LOW) / (_INK_HIGH - _INK_LOW), 0.0, 1.0)


def _photo_ink(distance: np.ndarray, high: float | None = None) -> np.ndarray:
    """Ink strength 0..1 of a photo's pixels: distance from the local background over the text's contrast,
    linear. Unlike `_ink` a pixel is not measured against its brightest neighbour: a blurred stroke's halo
    would come out as full ink and run the glyphs together; tesseract binarises the grey levels itself."""
    contrast = _contrast(distance, _PHOTO_TOLERANCE)
    if contrast is None:
        return np.zeros_like(distance)
    level = distance / contrast
    top = _PHOTO_INK_HIGH if high is None else high
    return np.clip((level - _PHOTO_INK_LOW) / (top - _PHOTO_INK_LOW), 0.0, 1.0)


def _clear_border(ink: np.ndarray, *, bottom_only: bool = False) -> None:
    """Erase, in place, ink connected to the border of a rectified photo: the bezel, a shadow or the
    screen's edge, never a glyph (the code has a margin). `bottom_only`: ink touching the bottom border alone."""
    import cv2

    mask = (ink >= _INK_LEVEL).astype(np.uint8)
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    if count < 2:
        return
    borders = [labels[-1]] if bottom_only else [labels[0], labels[-1], labels[:, 0], labels[:, -1]]
    edge = np.unique(np.concatenate(borders))
    edge = edge[edge > 0]
    if edge.size:
        touching = np.isin(labels, edge)
        ink[cv2.dilate(touching.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)] = 0.0


def _solid(other: np.ndarray) -> np.ndarray:
    """Pixels whose whole _SOLID_PX square is non-background: areas of another colour, never text strokes."""
    import cv2

    kernel = np.ones((_SOLID_PX, _SOLID_PX), np.uint8)
    return cv2.erode(other.astype(np.uint8), kernel).astype(bool)


def _text_rows(ink: np.ndarray, relative: float = 0.0) -> list[_Band]:
    """Text rows of an ink map: runs of rows holding ink, small marks merged into their neighbours.

    `relative`: a row must also hold this share of the ink of a full row (the 95th percentile), which
    parts lines that a photo's blur joins by a faint haze.
    """
    counts = (ink >= _INK_LEVEL).sum(axis=1)
    floor = max(1.0, ink.shape[1] / 500, relative * float(np.percentile(counts, 95)))
    rows = counts > floor
    runs = _runs(rows)
    if not runs:
        return []
    height = float(np.median([r.size for r in runs]))
    merged: list[_Band] = []
    for run in runs:
        # A dot, an underscore or the bar of `=` split from its line by a gap of a pixel or two.
        if merged and run.start - merged[-1].stop <= max(1, round(0.15 * height)) and (
            run.size < 0.5 * height or merged[-1].size < 0.5 * height
        ):
            merged[-1] = _Band(merged[-1].start, run.stop)
        else:
            merged.append(run)
    return [r for r in merged if r.size >= 2]


def _longest_run(mask: np.ndarray, bridge: int = 0) -> int:
    """Length of the longest run of True in a 1-D mask, gaps of at most `bridge` pixels bridged."""
    runs = _runs(mask)
    longest, start, stop = 0, None, None
    for run in runs:
        if start is None or stop is None or run.start - stop > bridge:
            start = run.start
        stop = run.stop
        longest = max(longest, stop - start)
    return longest


def _erase_rules(ink: np.ndarray) -> int:
    """Erase ruled lines (frames, borders, separators) in place: rows and columns mostly ink end to end,
    which no text row and no text column is. Returns how many were erased."""
    lines = ink >= _INK_LEVEL
    # A rule's anti-aliased edge is a neighbouring row or column about half as full; text beside it is not.
    row_share, column_share = lines.mean(axis=1), lines.mean(axis=0)
    # A rule runs on unbroken (JPEG noise may nick it); a row through the middle of a long line of blurred bold
    # text can be as full, but the spaces between its words break it.
    rows = np.array([y for y in np.flatnonzero(row_share >= _RULE_SHARE)
                     if _longest_run(lines[y], _RULE_NICK_PX) >= _RULE_SHARE * lines.shape[1]], dtype=np.int64)
    columns = np.flatnonzero(column_share >= _RULE_SHARE)
    edge_rows = np.flatnonzero(row_share >= _RULE_SHARE / 2)
    edge_columns = np.flatnonzero(column_share >= _RULE_SHARE / 2)
    ink[np.intersect1d(edge_rows, np.concatenate([rows - 1, rows, rows + 1]))] = 0.0
    ink[:, np.intersect1d(edge_columns, np.concatenate([columns - 1, columns, columns + 1]))] = 0.0
    return len(_runs(np.isin(np.arange(ink.shape[0]), rows))) + len(_runs(np.isin(np.arange(ink.shape[1]), columns)))


def _erase_faint_rules(ink: np.ndarray) -> int:
    """Erase, in place, a photo's faint vertical rules: columns inked, however faintly, down nearly the whole
    image (a bezel's or window's edge left after rectification, a shadow, a gutter's border), which no text
    column is (lines of text have gaps between them). Their blurred edges go too. Returns how many."""
    faint = ink >= _FAINT_INK
    coverage = faint.mean(axis=0)
    core = coverage >= _FAINT_RULE_SHARE
    # A gutter's digits, blurred, can ink most rows of a column too, but a line at a time, strong on the glyphs
    # and faint or broken between lines; a rule is as strong along its length, unbroken.
    for x in np.flatnonzero(core):
        low, high = np.percentile(ink[faint[:, x], x], (10, 90))
        unbroken = max((run.size for run in _runs(faint[:, x])), default=0) >= _FAINT_RULE_RUN * ink.shape[0]
        core[x] = low >= _FAINT_RULE_EVEN * high and unbroken
    if not core.any():
        return 0
    keep = np.zeros_like(core)
    for band in _runs(core):
        # A band of another colour (a gutter's, a side bar's) is wide and holds text: only thin rules go, with the
        # column of blur or anti-aliasing on each side.
        if band.size <= max(6.0, _FAINT_RULE_WIDTH * ink.shape[1]):
            keep[max(band.start - 1, 0) : band.stop + 1] = True
    ink[:, keep] = 0.0
    return len(_runs(keep))


def _erase_guides(ink: np.ndarray, line_px: float) -> bool:
    """Erase vertical guides in place (indent guides, a gutter's separator): ink running straight down
    through more than _GUIDE_LINES text rows, which no glyph does. Returns whether any was found."""
    import cv2

    length = max(3, round(_GUIDE_LINES * line_px))
    strokes = cv2.morphologyEx((ink >= _INK_LEVEL).astype(np.uint8), cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    if not strokes.any():
        return False
    # Their anti-aliased edges go too.
    ink[cv2.dilate(strokes, np.ones((5, 3), np.uint8)).astype(bool)] = 0.0
    return True


def _longest(bands: list[_Band]) -> _Band | None:
    return max(bands, key=lambda b: b.size) if bands else None


def _pane_rows(solid: np.ndarray, line_px: float) -> _Band | None:
    """The rows of the code pane: the longest stretch not filled by chrome, a highlighted line bridged."""
    chrome = solid.mean(axis=1) >= _CHROME_SHARE
    runs = _runs(~chrome)
    if not runs:
        return None
    merged = [runs[0]]
    for run in runs[1:]:
        if run.start - merged[-1].stop <= _HIGHLIGHT_MAX_LINES * line_px:
            merged[-1] = _Band(merged[-1].start, run.stop)
        else:
            merged.append(run)
    # Bridging is for a highlight between two parts of the pane, not for a bar beside a sliver of it.
    best = _longest(runs)
    best_merged = _longest(merged)
    if best is None or best_merged is None:
        return None
    if best_merged.size > best.size:
        parts = [r for r in runs if best_merged.start <= r.start and r.stop <= best_merged.stop]
        if min(p.size for p in parts) >= line_px:
            return best_merged
    return best


def _pane_columns(solid: np.ndarray, ink: np.ndarray, removed: list[str]) -> _Band | None:
    """The columns of the code pane within its rows; a narrow gutter of another colour holding text kept."""
    chrome = solid.mean(axis=0) >= _CHROME_SHARE
    runs = _runs(~chrome)
    best = _longest(runs)
    if best is None:
        return None
    start = best.start

    def holds_text(band: _Band) -> bool:
        return bool((ink[:, band.start : band.stop] >= _INK_LEVEL).mean() > 0.002)

    # A gutter of its own colour (JetBrains, GitHub): a narrow band left of the pane with text (numbers) in
    # it; all that lies left of the pane when that is narrow (a JPEG's noise breaks a gutter into stripes).
    left_chrome = _runs(chrome[:start])
    if start and start <= _GUTTER_MAX_SHARE * best.size and holds_text(_Band(0, start)):
        start = 0
    elif left_chrome and start - left_chrome[-1].stop <= _SOLID_PX:
        band = left_chrome[-1]
        if band.size <= _GUTTER_MAX_SHARE * best.size and holds_text(band):
            start = band.start
    if start > 0:
        removed.append(f"{start} px of chrome left of the code pane")
    if best.stop < solid.shape[1]:
        removed.append(f"{solid.shape[1] - best.stop} px of chrome right of the code pane")
    return _Band(start, best.stop)


def _drop_minimap(ink: np.ndarray, removed: list[str]) -> int:
    """Width to keep: columns up to a minimap (a block of text right of the code whose rows are far shorter)."""
    columns: np.ndarray = np.asarray((ink >= _INK_LEVEL).any(axis=0))
    rows = _text_rows(ink)
    if not rows:
        return ink.shape[1]
    line_px = float(np.median([r.size for r in rows]))
    blocks: list[_Band] = []
    for run in _runs(columns):
        # Gaps between characters and words are narrower than a line is high; a minimap stands further off.
        if blocks and run.start - blocks[-1].stop < 1.5 * line_px:
            blocks[-1] = _Band(blocks[-1].start, run.stop)
        else:
            blocks.append(run)
    if len(blocks) < 2:
        return ink.shape[1]
    heights = []
    for block in blocks:
        rows = _text_rows(ink[:, block.start : block.stop])
        heights.append(float(np.median([r.size for r in rows])) if rows else 0.0)
    main = int(np.argmax([b.size * h for b, h in zip(blocks, heights, strict=True)]))
    gap_px = max(heights[main], 4.0)
    for index in range(main + 1, len(blocks)):
        block = blocks[index]
        # Its rows are a fraction of a text line high, or run together into one block (a blurred photo).
        tiny = 0 < heights[index] < 0.5 * heights[main]
        inked_rows = np.flatnonzero((ink[:, block.start : block.stop] >= _INK_LEVEL).any(axis=1))
        # A minimap runs down much of the pane; a brace or two at the end of long lines does not.
        tall = inked_rows.size > 0 and inked_rows[-1] - inked_rows[0] >= 0.3 * ink.shape[0]
        apart = block.start - blocks[index - 1].stop >= gap_px
        if apart and tall and (tiny or heights[index] > 2.5 * heights[main]):
            removed.append("a minimap right of the code")
            return blocks[index - 1].stop + (block.start - blocks[index - 1].stop) // 2
    return ink.shape[1]


def _cell_period(profiles: list[np.ndarray], height: float) -> tuple[float, float] | None:
    """The monospace cell width and grid phase (pixels) from the text rows' ink column profiles."""
    total = np.sum(profiles, axis=0)
    if total.sum() <= 0:
        return None
    xs = np.arange(total.size, dtype=np.float64)
    low, high = _CELL_RANGE[0] * height, _CELL_RANGE[1] * height
    cells = np.arange(max(low, 3.0), max(high, 4.0), 0.05)
    weights = total / total.sum()
    nz = weights > 0
    phases = np.exp(2j * np.pi * xs[nz][None, :] / cells[:, None])
    coherence = np.abs((phases * weights[nz][None, :]).sum(axis=1))
    best = int(np.argmax(coherence))
    cell = float(cells[best])
    phase = float(np.angle((phases[best] * weights[nz]).sum()))
    return cell, phase


def _row_on_grid(profile: np.ndarray, cell: float, phase: float) -> tuple[float, float]:
    """Phase coherence of one row's ink at the cell period, and its phase offset from the pane's (cells)."""
    weight = profile.sum()
    if weight <= 0:
        return 0.0, 0.5
    xs = np.arange(profile.size, dtype=np.float64)
    vector = (profile * np.exp(2j * np.pi * xs / cell)).sum() / weight
    offset = (np.angle(vector) - phase + np.pi) % (2 * np.pi) - np.pi
    return float(np.abs(vector)), float(abs(offset) / (2 * np.pi))


def _off_grid_header(ink: np.ndarray, rows: list[_Band], *, by_phase: bool = True) -> int:
    """How many leading text rows are not set on the code's monospace grid (breadcrumbs, titles).

    `by_phase`: also drop rows whose characters sit between the code's columns (off for photos, whose
    leftover perspective shifts the phase from row to row).
    """
    if len(rows) < 4:
        return 0
    height = float(np.median([r.size for r in rows]))
    # Only the rows' first columns: a photo's leftover perspective makes the grid drift along a long row.
    span = min(ink.shape[1], round(_GRID_SPAN_LINES * height))
    profiles = [ink[r.start : r.stop, :span].sum(axis=0) for r in rows]
    # The grid is measured on the rows away from the ends, so a header cannot set it.
    inner = profiles[min(_MAX_HEADER_ROWS, len(rows) // 4) : len(rows) - min(_MAX_HEADER_ROWS, len(rows) // 4)]
    found = _cell_period(inner or profiles, height)
    if found is None:
        return 0
    cell, phase = found
    scores = [_row_on_grid(p, cell, phase) for p in profiles]
    typical = float(np.median([s for s, _ in scores]))

    def on_grid(index: int) -> bool:
        coherence, offset = scores[index]
        # A few characters (`}`, `341 /**`) cannot show a grid: their glyphs' side bearings move the phase.
        # Glyphs ink about half of their cell's columns.
        if np.count_nonzero(profiles[index] > 0) < 0.5 * _GRID_MIN_CELLS * cell:
            return True
        in_phase = offset <= _GRID_PHASE_CELLS or not by_phase
        if not by_phase and coherence < _PHOTO_FIRM_COHERENCE_SHARE * typical:
            # A photo's grid drifts along a row, but not by a third of a cell within the rows' first columns: a row
            # whose coherence is weak and whose phase is that far off, or whose glyphs are far smaller than the
            # code's (a UI font's breadcrumbs), is not on the code's grid.
            small = rows[index].size < _PHOTO_SMALL_ROW_SHARE * height
            in_phase = offset <= _PHOTO_GRID_PHASE_CELLS and not small
        return coherence >= _GRID_COHERENCE_SHARE * typical and in_phase

    lead = 0
    while lead < min(_MAX_HEADER_ROWS, len(rows) - 2) and not on_grid(lead):
        lead += 1
    # Rows below the code are kept: a status bar has its own colour (chrome), and a last code line that is
    # off the grid (CJK comments are wider than the ASCII cell) must not go.
    return lead


def _status_row(ink: np.ndarray, rows: list[_Band]) -> int | None:
    """Where a status bar's text row starts when the last text row is one (the row to cut above), else None:
    further below the row above it than the code's rows are apart (_STATUS_GAP_LINES pitches), off their pitch,
    and not on the code's monospace grid. A last code line off the grid (a CJK comment) follows the code at its
    pitch and stays."""
    if len(rows) < 6:
        return None
    pitch = float(np.median([b.start - a.start for a, b in zip(rows, rows[1:], strict=False)]))
    gap = (rows[-1].start - rows[-2].start) / pitch
    # After blank lines the last code line is a whole number of pitches down; a bar sits anywhere.
    if gap < _STATUS_GAP_LINES or abs(gap - round(gap)) < _STATUS_OFF_PITCH:
        return None
    flipped = [_Band(ink.shape[0] - r.stop, ink.shape[0] - r.start) for r in reversed(rows)]
    if _off_grid_header(ink[::-1], flipped, by_phase=False) < 1:
        return None
    return (rows[-2].stop + rows[-1].start) // 2


def _on_bar(other: np.ndarray, row: _Band) -> bool:
    """Whether a text row sits on a band of another colour than the pane's (a status bar, a tab bar): most
    of its pixels, not just its glyphs, are off the pane's colour."""
    return bool(other[row.start : row.stop].mean() >= _BAR_SHARE)


def _window_buttons(row: np.ndarray) -> bool:
    """Whether a text row's ink is a few filled discs side by side (a window's buttons), which no line of
    code is: glyphs are strokes, a disc fills most of its box."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats((row >= _INK_LEVEL).astype(np.uint8), connectivity=8)
    blobs = [stats[i] for i in range(1, count) if stats[i][cv2.CC_STAT_AREA] >= 4]
    if not 2 <= len(blobs) <= _BUTTONS_MAX:
        return False
    for blob in blobs:
        width, height, area = blob[cv2.CC_STAT_WIDTH], blob[cv2.CC_STAT_HEIGHT], blob[cv2.CC_STAT_AREA]
        round_ = 0.75 <= width / max(height, 1) <= 1.33 and height >= 0.5 * row.shape[0]
        if not round_ or area < _BUTTON_FILL * width * height:
            return False
    return True


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left."""
    total = points.sum(axis=1)
    diff = points[:, 1] - points[:, 0]
    return np.array(
        [points[np.argmin(total)], points[np.argmin(diff)], points[np.argmax(total)], points[np.argmax(diff)]],
        dtype=np.float32,
    )


def _screen_quadrilateral(rgb: np.ndarray) -> np.ndarray | None:
    """Corners of the screen or page in a photo (full-size pixels), or None when none stands out."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, _WORK_PX / max(height, width))
    if min(height, width) * scale < _MIN_QUAD_PX:
        return None  # a strip: no screen in it
    small = cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    area = small.shape[0] * small.shape[1]
    for low, high in ((30, 90), (10, 40)):
        edges = cv2.dilate(cv2.Canny(gray, low, high), np.ones((3, 3), np.uint8))
        contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            hull = cv2.convexHull(contour)
            if cv2.contourArea(hull) < 0.2 * area:
                break
            poly = cv2.approxPolyDP(hull, 0.03 * cv2.arcLength(hull, True), True)
            if len(poly) == 4 and cv2.contourArea(poly) < 0.97 * area:
                return _order_corners(poly.reshape(4, 2).astype(np.float32) / scale)
    return None


def _code_box(rgb: np.ndarray) -> tuple[int, int, int, int] | None:
    """The code box of a slide: an upright rectangle of one flat colour, clear of the image's edges on every
    side, holding text (a frame around code on a gradient or a coloured background). Returns its rows and
    columns (top, bottom, left, right; full-size pixels), or None when there is none.

    An editor's pane touches the capture's edges (or its chrome does), so a screenshot never has one; a
    photo's screen is not flat (noise, glare) and is left to the quadrilateral.
    """
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, _BOX_WORK_PX / max(height, width))
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    rows, cols = small.shape[:2]
    if min(rows, cols) < _MIN_QUAD_PX:
        return None
    quantized = (small // _BOX_QUANTUM).astype(np.int32)
    packed = (quantized[..., 0] << 10) | (quantized[..., 1] << 5) | quantized[..., 2]
    values, counts = np.unique(packed, return_counts=True)
    # Text inside the box is closed over by a square a few text rows wide.
    side = max(3, round(_BOX_CLOSE_SHARE * min(rows, cols))) | 1
    for index in np.argsort(counts)[::-1][:_BOX_COLOURS]:
        if counts[index] < _BOX_MIN_AREA * rows * cols:
            break
        colour = np.median(small[packed == values[index]], axis=0).astype(np.float32)
        mask = (_distance(small, colour) < _BOX_TOLERANCE).astype(np.uint8)
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((side, side), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=4)
        if count < 2:
            continue
        best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        x, y, w, h, area = (int(v) for v in stats[best])
        margin_x, margin_y = _BOX_MARGIN_SHARE * cols, _BOX_MARGIN_SHARE * rows
        clear = x >= margin_x and y >= margin_y and x + w <= cols - margin_x and y + h <= rows - margin_y
        if not clear or area < _BOX_FILL * w * h or w * h < _BOX_MIN_AREA * rows * cols:
            continue
        # Inside the frame's border and its anti-aliasing.
        inset = 2
        top, left = round(y / scale) + inset, round(x / scale) + inset
        bottom, right = round((y + h) / scale) - inset, round((x + w) / scale) - inset
        inside = _distance(rgb[top:bottom, left:right], colour) >= 4 * _BACKGROUND_TOLERANCE
        if bottom - top > 4 * inset and right - left > 4 * inset and inside.mean() >= _BOX_MIN_INK:
            return top, bottom, left, right
    return None


def _upright(corners: np.ndarray, width: int, height: int) -> bool:
    """Whether the quadrilateral is an upright rectangle (within 1% of the image's diagonal)."""
    left, top = corners[:, 0].min(), corners[:, 1].min()
    right, bottom = corners[:, 0].max(), corners[:, 1].max()
    box = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], dtype=np.float32)
    return float(np.abs(corners - box).max()) <= 0.01 * float(np.hypot(width, height))


def _rectify(rgb: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Warp the quadrilateral to an upright rectangle of its own size."""
    import cv2

    tl, tr, br, bl = corners
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(rgb, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _skew_degrees(ink: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise) that makes text rows sharpest: the variance of the row
    profile of the ink sheared by each candidate angle, searched within 6 degrees."""
    import cv2

    scale = min(1.0, _SKEW_WORK_PX / max(ink.shape))
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    small = cv2.resize(ink.astype(np.float32), size)
    ys, xs = np.nonzero(small >= _INK_LEVEL)
    if ys.size == 0:
        return 0.0
    xs_centred = xs - small.shape[1] / 2

    def score(angle: float) -> float:
        # A small rotation moves a pixel's row by x * tan(angle): a shear, far cheaper than rotating.
        shifted = np.round(ys - xs_centred * np.tan(np.radians(angle))).astype(np.int64)
        return float(np.var(np.bincount(shifted - shifted.min())))

    coarse = max(np.arange(-6.0, 6.01, 0.5), key=score)
    return float(max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=score))


def _rotate(rgb: np.ndarray, degrees: float) -> np.ndarray:
    import cv2

    matrix = cv2.getRotationMatrix2D((rgb.shape[1] / 2, rgb.shape[0] / 2), degrees, 1.0)
    size = (rgb.shape[1], rgb.shape[0])
    return cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def _glyph_px(ink: np.ndarray) -> float | None:
    """Typical glyph height (pixels): the median height of the ink's connected blobs, which holds when blur
    or tight leading runs text rows together."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats((ink >= _INK_LEVEL).astype(np.uint8), connectivity=8)
    heights = stats[1:count, cv2.CC_STAT_HEIGHT]
    widths = stats[1:count, cv2.CC_STAT_WIDTH]
    areas = stats[1:count, cv2.CC_STAT_AREA]
    # Specks and whole-page blobs (a frame, a bar) are no glyphs.
    keep = (areas >= 4) & (heights >= 3) & (widths < ink.shape[1] / 4) & (heights < ink.shape[0] / 4)
    return float(np.median(heights[keep])) if keep.any() else None


def _sharpness(distance: np.ndarray, contrast: float, glyph_px: float) -> float:
    """Blur measure: glyph height over the width of the text's edges (both pixels), so it does not depend
    on resolution or contrast. Sharp screen text measures 4 and more; blur as wide as a stroke, about 1."""
    level = np.clip(distance / max(contrast, 1.0), 0.0, 1.0).astype(np.float32)
    gy, gx = np.gradient(level)
    slope = np.hypot(gx, gy)
    edges = slope[slope > 0.05]
    if edges.size == 0:
        return 0.0
    return float(glyph_px * np.percentile(edges, 90))


def _unsharp(rgb: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    import cv2

    blurred = cv2.GaussianBlur(rgb, (0, 0), sigma)
    return cv2.addWeighted(rgb, 1 + amount, blurred, -amount, 0)


def prepare_capture(image: Image.Image) -> Capture:
    """Find the code in a capture and separate its text from the background by colour.

    Args:
        image: a screenshot, slide or photo, any Pillow mode.
    Returns:
        The code pane as dark text on white (`ink`, for the OCR engines) and in colour, what was left out
        and done, and `unreadable` with the reason when no code can be read from it (too blurred, text too
        small, no text).
    """
    rgb = to_rgb(image)
    corners = _screen_quadrilateral(rgb)
    # A screen seen in perspective or turned is a photo, whatever flat areas it holds: a dark editor's pane in a
    # photo can look like a slide's code box.
    tilted = corners is not None and not _upright(corners, rgb.shape[1], rgb.shape[0])
    modal, share = _modal_colour(rgb)
    # A slide is rendered: one exact colour covers much of it. A photo's noise leaves no colour that flat, and
    # an upright photo of a dark editor's pane can look like a code box.
    box = None if tilted or share < _FLAT_SHARE else _code_box(rgb)
    if box is not None:
        # A slide (or a page) with the code in a framed box: the box alone, read as a screenshot.
        top, bottom, left, right = box
        inner = prepare_capture(Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right])))
        offset = (inner.offset[0] + left, inner.offset[1] + top)
        outside = f"everything outside the code box at {left},{top} ({right - left}x{bottom - top} px)"
        removed = [outside, *inner.removed]
        return replace(inner, offset=offset, removed=removed)
    # A photo: no flat background, or a screen seen in perspective or turned (a flat bezel can be the
    # most common colour of a photo; a screenshot's frames and boxes are upright rectangles).
    if share >= _FLAT_SHARE and not tilted:
        distance = _distance(rgb, modal)
        ink = _ink(distance, _BACKGROUND_TOLERANCE)
        notes = ["dark theme: inverted to dark text on white by colour distance"] if modal.mean() < 128 else []
        return _cut_pane(rgb, ink, distance >= _BACKGROUND_TOLERANCE, "screenshot", notes, None)
    # A photo's screen is rectified even when it stands upright: the room and the bezel around it go.
    return _prepare_photo(rgb, corners)


def _prepare_photo(rgb: np.ndarray, corners: np.ndarray | None) -> Capture:
    """A photo (or a capture without a flat background): rectified, deskewed, checked for blur, sharpened."""
    notes: list[str] = [PHOTO_NOTE]
    if corners is not None:
        rgb = _rectify(rgb, corners)
        # The quadrilateral's edge runs along the bezel: a sliver of it would be read as `|`.
        margin_y, margin_x = max(1, rgb.shape[0] // 100), max(1, rgb.shape[1] // 100)
        rgb = np.ascontiguousarray(rgb[margin_y:-margin_y, margin_x:-margin_x])
        notes.append("photo: screen quadrilateral found and rectified")
    background = _local_background(rgb)
    ink = _photo_ink(_distance(rgb, background))
    angle = _skew_degrees(ink)
    if abs(angle) >= 0.3:
        rgb = _rotate(rgb, angle)
        background = _local_background(rgb)
        ink = _photo_ink(_distance(rgb, background))
        notes.append(f"photo: deskewed by {angle:.1f} degrees")
    distance = _distance(rgb, background)
    contrast = _contrast(distance, _PHOTO_TOLERANCE)
    glyph_px = _glyph_px(ink)
    if contrast is None or glyph_px is None or not _text_rows(ink, _PHOTO_ROW_SHARE):
        return _unreadable(rgb, "no text found", notes)
    sharpness = _sharpness(distance, contrast, glyph_px)
    if sharpness < MIN_SHARPNESS:
        measured = f"sharpness {sharpness:.1f}, needs at least {MIN_SHARPNESS}"
        if glyph_px < _SMALL_GLYPH_PX:
            # Blur a pixel or two wide is as wide as the strokes of glyphs this small: the text is too small in the
            # picture, whatever the focus (a photo from too far off, or scaled down); closer is the remedy.
            reason = (f"text too small in the photo to read (glyphs about {glyph_px:.0f} px high, {measured}): "
                      "photograph the screen from closer")
        else:
            reason = f"photo too blurred to read ({measured})"
        return _unreadable(rgb, reason, notes, sharpness)
    # Every photo's camera blur softens strokes: a mild unsharp mask for all, a stronger one for blurred ones.
    amount = _SHARPEN_AMOUNT if sharpness < _SHARPEN_BELOW else _MILD_SHARPEN_AMOUNT
    if amount:
        rgb = _unsharp(rgb, amount, min(max(1.0, glyph_px / _SHARPEN_DIV), 3.0))
        ink = _photo_ink(_distance(rgb, background))
        notes.append("photo: sharpened" + (" (mildly)" if amount < _SHARPEN_AMOUNT else ""))
    _clear_border(ink)
    # The page the engines read keeps more of the grey levels than the map the pane is found on: saturated at
    # _PHOTO_INK_HIGH, a blurred glyph's halo is as black as its strokes and `m` closes into a blob.
    page = np.where(ink > 0, _photo_ink(_distance(rgb, background), _PHOTO_PAGE_INK_HIGH), 0.0)
    return _cut_pane(rgb, ink, _photo_chrome(rgb, background), "photo", notes, sharpness, page)


def _photo_chrome(rgb: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Pixels of a photo that are not the pane's background: far from the pane's colour (its commonest,
    noise smoothed) once the local background's drift (glare, vignetting, a gradient) is divided out."""
    import cv2

    smooth = cv2.medianBlur(rgb, 3)
    quantized = (smooth // 16).astype(np.int32)
    packed = (quantized[..., 0] << 8) | (quantized[..., 1] << 4) | quantized[..., 2]
    counts = np.bincount(packed.ravel(), minlength=4096)
    best = int(np.argmax(counts))
    colour = np.median(smooth[packed == best], axis=0).astype(np.float32)
    # Glare and vignetting are divided out by the local background (wider than any bar), so the pane is one
    # colour again while bars, the bezel and text, narrower, keep theirs.
    flat = smooth.astype(np.float32) * (np.maximum(colour, 1.0) / np.maximum(background, 1.0))
    return _distance(flat, colour) >= _PHOTO_TOLERANCE


def _unreadable(rgb: np.ndarray, reason: str, notes: list[str], sharpness: float | None = None) -> Capture:
    white = Image.new("L", (rgb.shape[1], rgb.shape[0]), 255)
    return Capture(white, Image.fromarray(rgb), "photo", notes=notes, unreadable=reason, sharpness=sharpness)


def _cut_pane(
    rgb: np.ndarray,
    ink: np.ndarray,
    other: np.ndarray,
    kind: CaptureKind,
    notes: list[str],
    sharpness: float | None,
    page: np.ndarray | None = None,
) -> Capture:
    """The code pane of an ink map: chrome bands, frames, a minimap and off-grid header rows left out.

    Args:
        rgb: the (rectified) capture.
        ink: its ink map, 0..1.
        other: pixels that are not the pane's background colour.
        kind: screenshot or photo.
        notes: what was done so far.
        sharpness: the photo's blur measure.
        page: the ink the engines are to read, where it differs from `ink` (photos); what is erased from `ink`
            (rules, guides, marks at the border) is erased from it too.
    """
    removed: list[str] = []
    if _erase_rules(ink):
        removed.append("ruled lines (a frame or border)")
    relative = _PHOTO_ROW_SHARE if kind == "photo" else 0.0
    rows = _text_rows(ink, relative)
    if not rows:
        return replace(_unreadable(rgb, "no text found", notes, sharpness), kind=kind)
    line_px = float(np.median([r.size for r in rows]))
    if _erase_guides(ink, line_px):
        removed.append("vertical guides (indent guides, separators)")
    solid = _solid(other)
    pane_rows = _pane_rows(solid, line_px)
    top, bottom = (pane_rows.start, pane_rows.stop) if pane_rows else (0, rgb.shape[0])
    if top > 0:
        removed.append(f"{top} px of chrome above the code pane")
    if bottom < rgb.shape[0]:
        removed.append(f"{rgb.shape[0] - bottom} px of chrome below the code pane")
    pane_cols = _pane_columns(solid[top:bottom], ink[top:bottom], removed)
    left, right = (pane_cols.start, pane_cols.stop) if pane_cols else (0, rgb.shape[1])
    right = left + _drop_minimap(ink[top:bottom, left:right], removed)

    pane_ink = ink[top:bottom, left:right]
    if kind == "photo" and bottom < rgb.shape[0]:
        # What is left of a bar cut away below the pane (its blurred edge, its rounded corners) touches the cut.
        # (Above the pane, leftovers of a tab bar are the off-grid header test's; the code's first column may touch
        # a cut at the side.)
        _clear_border(pane_ink, bottom_only=True)
    if kind == "photo" and _erase_faint_rules(pane_ink):
        # Measured over the pane's rows alone, the edge of a bar or of the screen beside the code shows.
        removed.append("faint vertical rules beside the code")
    rows = _text_rows(pane_ink, relative)
    if not rows:
        return replace(_unreadable(rgb, "no text found", notes, sharpness), kind=kind, removed=removed)
    lead = _off_grid_header(pane_ink, rows, by_phase=kind == "screenshot")
    if lead == 0 and len(rows) > 2 and _window_buttons(pane_ink[rows[0].start : rows[0].stop]):
        lead = 1
        removed.append("window buttons above the code")
    cut_top, cut_bottom = 0, pane_ink.shape[0]
    if lead:
        cut_top = (rows[lead - 1].stop + rows[lead].start) // 2
        removed.append(f"{lead} text row(s) above the code not on its monospace grid (breadcrumbs, a title)")
    if kind == "photo":
        # A photo's noise breaks the solid areas of a thin bar: rows on a band of another colour are its text.
        pane_other = other[top:bottom, left:right]
        tail = 0
        while tail < min(_MAX_HEADER_ROWS, len(rows) - lead - 2) and _on_bar(pane_other, rows[-1 - tail]):
            tail += 1
        if tail:
            cut_bottom = (rows[-1 - tail].stop + rows[-tail].start) // 2
            removed.append(f"{tail} text row(s) below the code on a bar of another colour (a status bar)")
        elif (status := _status_row(pane_ink, rows[lead:])) is not None:
            # A status bar of the pane's own colour (a light theme's): its text stands apart below the code, in
            # the UI's proportional font, off the code's monospace grid.
            cut_bottom = status
            removed.append("1 text row below the code, apart from it and off its monospace grid (a status bar)")
    read = pane_ink if page is None else np.where(pane_ink > 0, page[top:bottom, left:right], 0.0)
    top, bottom = top + cut_top, top + cut_bottom
    gray = np.clip(255.0 * (1.0 - read[cut_top:cut_bottom]), 0, 255).astype(np.uint8)
    return Capture(
        ink=Image.fromarray(gray, mode="L"),
        color=Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right])),
        kind=kind,
        offset=(left, top),
        removed=removed,
        notes=notes,
        sharpness=sharpness,
    )
