"""The code-screenshot renderer: sizes, themes, gutter and fonts."""

from __future__ import annotations

import os

import pytest
from PIL import Image

# samples/ is a folder of scripts, not an installed package: make the repository root importable
# (drop this once pyproject's [tool.pytest.ini_options] has pythonpath = ["."]).
from samples.render import find_monospace_fonts, render_code  # noqa: E402

LINES = ["def f(x):", "", "    return x  # done"]


def _mean_gray(image: Image.Image) -> float:
    gray = image.convert("L")
    histogram = gray.histogram()
    return sum(value * count for value, count in enumerate(histogram)) / (gray.width * gray.height)


def test_finds_dejavu_sans_mono() -> None:
    fonts = find_monospace_fonts()
    assert fonts, "fonts-dejavu-core should be installed"
    assert all(os.path.isfile(path) for path in fonts)
    assert any("DejaVuSansMono" in path for path in fonts)
    assert len(fonts) == len(set(fonts))


def test_light_and_dark_backgrounds() -> None:
    light = render_code(LINES, theme="light")
    dark = render_code(LINES, theme="dark")
    assert light.mode == dark.mode == "RGB"
    assert _mean_gray(light) > 200
    assert _mean_gray(dark) < 60


def test_height_counts_blank_lines_and_width_the_longest_line() -> None:
    short = render_code(["x"], font_size=16, padding=10, line_spacing=1.5)
    three = render_code(["x", "", "y"], font_size=16, padding=10, line_spacing=1.5)
    assert three.height - short.height == 2 * 24
    wide = render_code(["x" * 40], font_size=16, padding=10)
    assert wide.width > 2 * render_code(["x" * 10], font_size=16, padding=10).width


def test_gutter_widens_the_image_and_draws_at_the_left() -> None:
    plain = render_code(LINES)
    numbered = render_code(LINES, gutter=True, first_line=998)
    assert numbered.width > plain.width
    darkest, _lightest = numbered.crop((0, 0, 30, numbered.height)).convert("L").getextrema()
    assert isinstance(darkest, int) and darkest < 200  # the numbers left ink there


def test_other_font_and_tabs() -> None:
    fonts = find_monospace_fonts()
    image = render_code(["\tx = 1"], font_path=fonts[-1], font_size=12)
    assert image.width > 0 and image.height > 0


def test_unknown_theme_is_refused() -> None:
    with pytest.raises(ValueError, match="theme"):
        render_code(LINES, theme="solarized")  # type: ignore[arg-type]
