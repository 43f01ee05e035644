"""Render source lines as an IDE-like code screenshot (Pillow only).

Used by the sample generator and the tests to make screenshots whose true
text is known: a monospace font on a light or dark editor theme, a few
syntax colours (keywords, strings, comments, numbers) and an optional
line-number gutter, so the OCR stage can be measured line by line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

Theme = Literal["light", "dark"]

# Spaces a tab expands to; editors differ, 4 is the most common default.
TAB_WIDTH_CHARS = 4

# Regular (upright, normal weight) monospace faces, most common first.
_MONOSPACE_FILE_NAMES = (
    "DejaVuSansMono.ttf",
    "LiberationMono-Regular.ttf",
    "NotoSansMono-Regular.ttf",
    "NotoMono-Regular.ttf",
    "Hack-Regular.ttf",
    "JetBrainsMono-Regular.ttf",
    "Inconsolata.otf",
    "FreeMono.ttf",
    "UbuntuMono-R.ttf",
    "Consolas.ttf",
    "consola.ttf",
    "Menlo.ttc",
    "CourierNew.ttf",
    "cour.ttf",
)
_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.fonts",
    "~/.local/share/fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)

_KEYWORD_TEXT = """
    abstract and as async await break case catch class const continue def default del do elif else enum
    except export extends false False final finally fn for from func function go if impl implements import
    in interface is let match mut new nil None not null or package pass private protected public raise
    return self static struct super switch this throw throws true True try type typeof val var void while
    with yield
"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())
# One alternation, tried left to right: comments, strings, numbers, words, anything else.
_TOKEN_RE = re.compile(
    r"(?P<comment>#.*|//.*|/\*.*?\*/)"
    r"|(?P<string>\"(?:\\.|[^\"\\])*\"?|'(?:\\.|[^'\\])*'?|`[^`]*`?)"
    r"|(?P<number>\b\d[\d_.xXa-fA-F]*\b)"
    r"|(?P<word>[A-Za-z_]\w*)"
    r"|(?P<other>\s+|.)"
)

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class _Palette:
    background: RGB
    text: RGB
    keyword: RGB
    string: RGB
    comment: RGB
    number: RGB
    gutter_background: RGB
    gutter_text: RGB
    separator: RGB


# Light is close to GitHub's light theme, dark to VS Code's Dark+.
_PALETTES: dict[str, _Palette] = {
    "light": _Palette(
        background=(255, 255, 255),
        text=(36, 41, 47),
        keyword=(207, 34, 46),
        string=(10, 48, 105),
        comment=(110, 119, 129),
        number=(5, 80, 174),
        gutter_background=(246, 248, 250),
        gutter_text=(140, 149, 159),
        separator=(208, 215, 222),
    ),
    "dark": _Palette(
        background=(30, 30, 30),
        text=(212, 212, 212),
        keyword=(86, 156, 214),
        string=(206, 145, 120),
        comment=(106, 153, 85),
        number=(181, 206, 168),
        gutter_background=(30, 30, 30),
        gutter_text=(133, 133, 133),
        separator=(64, 64, 64),
    ),
}


def find_monospace_fonts() -> list[str]:
    """Regular monospace font files installed on this system, most common first.

    Returns:
        Absolute paths (DejaVu Sans Mono, Liberation Mono, Noto Mono, ...), each
        face once; empty when none is installed.
    """
    found: dict[str, str] = {}
    wanted = {name.lower(): name for name in _MONOSPACE_FILE_NAMES}
    for root in _FONT_DIRS:
        base = Path(os.path.expanduser(root))
        if not base.is_dir():
            continue
        for dirpath, _dirnames, filenames in os.walk(base):
            for filename in filenames:
                name = wanted.get(filename.lower())
                if name is not None and name not in found:
                    found[name] = str(Path(dirpath) / filename)
    return [found[name] for name in _MONOSPACE_FILE_NAMES if name in found]


def _load_font(font_path: str | None, font_size: int) -> ImageFont.FreeTypeFont:
    path = font_path
    if path is None:
        fonts = find_monospace_fonts()
        if not fonts:
            raise FileNotFoundError("no monospace font found; install fonts-dejavu-core or pass font_path")
        path = fonts[0]
    # BASIC layout: no ligatures, so every character keeps its own cell.
    return ImageFont.truetype(path, font_size, layout_engine=ImageFont.Layout.BASIC)


def _tokens(line: str) -> list[tuple[str, str]]:
    """Split one line into (kind, text) pairs for colouring."""
    tokens: list[tuple[str, str]] = []
    for match in _TOKEN_RE.finditer(line):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind == "word" and text in _KEYWORDS:
            kind = "keyword"
        tokens.append((kind, text))
    return tokens


def _colour(palette: _Palette, kind: str) -> RGB:
    colour: RGB = getattr(palette, kind, palette.text)
    return colour


def render_code(
    lines: list[str],
    *,
    theme: Theme = "light",
    gutter: bool = False,
    first_line: int = 1,
    font_path: str | None = None,
    font_size: int = 16,
    padding: int = 12,
    line_spacing: float = 1.4,
    syntax: bool = True,
    min_columns: int = 0,
) -> Image.Image:
    """Draw `lines` as an editor would show them.

    Args:
        lines: source lines, without newlines; blank lines are kept, tabs expand to 4 spaces.
        theme: "light" (dark text on white) or "dark" (light text on near-black).
        gutter: draw right-aligned line numbers in a dimmer colour, with a separator.
        first_line: number of the first line, shown in the gutter.
        font_path: a monospace font file; None = the first of `find_monospace_fonts()`.
        font_size: font size in pixels.
        padding: margin around the text, pixels.
        line_spacing: line pitch as a multiple of `font_size`.
        syntax: colour keywords, strings, comments and numbers.
        min_columns: widen the editor to at least this many characters.
    Returns:
        An RGB image.
    Raises:
        FileNotFoundError: no font was given and no monospace font is installed.
        ValueError: `theme` is unknown.
    """
    if theme not in _PALETTES:
        raise ValueError(f"unknown theme {theme!r}; known: {', '.join(_PALETTES)}")
    palette = _PALETTES[theme]
    font = _load_font(font_path, font_size)
    cell_width = font.getlength("M")
    pitch = round(font_size * line_spacing)
    expanded = [line.expandtabs(TAB_WIDTH_CHARS).rstrip("\n") for line in lines]
    columns = max([min_columns, 1, *(len(line) for line in expanded)])

    gutter_width = 0
    if gutter:
        digits = len(str(first_line + max(len(expanded), 1) - 1))
        gutter_width = round((digits + 2) * cell_width) + padding
    text_left = gutter_width + padding
    width = text_left + round(columns * cell_width) + padding
    height = 2 * padding + pitch * max(len(expanded), 1)

    image = Image.new("RGB", (width, height), palette.background)
    draw = ImageDraw.Draw(image)
    if gutter:
        draw.rectangle((0, 0, gutter_width - 1, height), fill=palette.gutter_background)
        draw.line((gutter_width - 1, 0, gutter_width - 1, height), fill=palette.separator)

    # Text sits vertically centred in its line box, as editors draw it.
    ascent, descent = font.getmetrics()
    baseline_offset = (pitch - (ascent + descent)) // 2
    for index, line in enumerate(expanded):
        top = padding + index * pitch + baseline_offset
        if gutter:
            number = str(first_line + index)
            right = gutter_width - padding
            draw.text((right - font.getlength(number), top), number, font=font, fill=palette.gutter_text)
        column = 0
        for kind, text in _tokens(line) if syntax else [("text", line)]:
            for char in text:
                # One character at a time, each on its own cell: FreeType's hinted advances
                # (whole pixels) would otherwise drift off the font's true cell width.
                if not char.isspace():
                    draw.text((text_left + column * cell_width, top), char, font=font, fill=_colour(palette, kind))
                column += 1
    return image
