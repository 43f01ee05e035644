"""The realistic OCR development set: real public code, captured the ways users capture code.

Real code from permissively licensed public repositories (Python, JavaScript, TypeScript, Java, some with
Chinese comments and strings) is drawn as users send it: pygments-highlighted HTML screenshotted by
headless Chromium in editor themes with editor chrome (`editor`), GitHub's file view (`github`), slides
(`slide`), phone photos of an editor on a monitor (`photo`, simulated with numpy and Pillow) and code with
Chinese comments in editor and GitHub styles (`chinese`). The source text is the label.

About a third is held apart (`part: held_apart`): other repositories and, where possible, other themes
and fonts. Nothing may be tuned on it; benchmarks report it separately.

    .venv/bin/python benchmarks/captures/make_captures.py                 # render every capture (7 min on 2 busy cores)
    .venv/bin/python benchmarks/captures/make_captures.py --only ed-t-01  # one capture (ids in labels.json)
    .venv/bin/python benchmarks/captures/make_captures.py import-sources --mirrors DIR
        # re-take the source windows from local git mirrors (DIR/<owner>+<name>/repo); needs no network

Writes `sources/` (the windows taken, with `sources.json`: repository, commit, path, licence, lines),
`images/` (PNG renders, JPEG photos) and `labels.json` (per capture: kind, part, theme, font, font px,
scale, gutter, chrome, source, the lines shown and the line numbers the user sees). Randomness is seeded
by the capture id, so a rerun draws the same pictures. Needs Debian `chromium`, `fonts-jetbrains-mono`,
`fonts-firacode`, `fonts-dejavu-core`, `fonts-liberation` and `fonts-wqy-zenhei` (the Makefile's APT_PACKAGES).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import random
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
IMAGES = HERE / "images"
LABELS = HERE / "labels.json"
TUNED, HELD_APART = "tuned", "held_apart"
TAB_WIDTH = 4  # spaces a tab shows as
MAX_LINE_CELLS = 92  # widest line a window may hold (CJK characters count two cells)
_CJK_RE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_EXTENSIONS = {"python": ".py", "javascript": ".js", "typescript": ".ts", "java": ".java"}
# A window starts where a reader would start reading: a definition, a decorator, a doc comment.
_START_RE = re.compile(
    r"^\s*(def |async def |class |@|function |async function |export |public |private |protected |"
    r"const |let |/\*\*|static |interface |type )"
)


# ---------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceSpec:
    """A window of real code to take from a repository."""

    id: str
    repo: str  # owner/name on GitHub
    path: str
    language: str
    part: str  # TUNED | HELD_APART
    lines: int  # window length, 12 to 35
    offset: float = 0.3  # where in the file to start looking for a window (fraction of its length)
    chinese: bool = False  # the window must hold Chinese comments or strings
    license: str = ""


SOURCE_SPECS: tuple[SourceSpec, ...] = (
    # tuned on: these repositories only
    SourceSpec("flask_app", "pallets/flask", "src/flask/app.py", "python", TUNED, 28, 0.35, license="BSD-3-Clause"),
    SourceSpec("flask_sessions", "pallets/flask", "src/flask/sessions.py", "python", TUNED, 22, 0.5,
               license="BSD-3-Clause"),
    SourceSpec("express_response", "expressjs/express", "lib/response.js", "javascript", TUNED, 30, 0.3,
               license="MIT"),
    SourceSpec("express_application", "expressjs/express", "lib/application.js", "javascript", TUNED, 24, 0.5,
               license="MIT"),
    SourceSpec("vue_ref", "vuejs/core", "packages/reactivity/src/ref.ts", "typescript", TUNED, 26, 0.3,
               license="MIT"),
    SourceSpec("vue_scheduler", "vuejs/core", "packages/runtime-core/src/scheduler.ts", "typescript", TUNED, 32,
               0.4, license="MIT"),
    SourceSpec("retrofit_retrofit", "square/retrofit", "retrofit/src/main/java/retrofit2/Retrofit.java", "java",
               TUNED, 30, 0.45, license="Apache-2.0"),
    SourceSpec("retrofit_okhttpcall", "square/retrofit", "retrofit/src/main/java/retrofit2/OkHttpCall.java",
               "java", TUNED, 25, 0.4, license="Apache-2.0"),
    SourceSpec("mall_order_zh", "macrozheng/mall",
               "mall-portal/src/main/java/com/macro/mall/portal/service/impl/OmsPortalOrderServiceImpl.java",
               "java", TUNED, 26, 0.15, chinese=True, license="Apache-2.0"),
    SourceSpec("mall_redis_zh", "macrozheng/mall",
               "mall-common/src/main/java/com/macro/mall/common/service/RedisService.java",
               "java", TUNED, 30, 0.1, chinese=True, license="Apache-2.0"),
    SourceSpec("vben_tabbar_zh", "vbenjs/vue-vben-admin", "packages/stores/src/modules/tabbar.ts", "typescript",
               TUNED, 28, 0.2, chinese=True, license="MIT"),
    SourceSpec("vben_preferences_zh", "vbenjs/vue-vben-admin", "packages/@core/preferences/src/preferences.ts",
               "typescript", TUNED, 24, 0.3, chinese=True, license="MIT"),
    # held apart: other repositories
    SourceSpec("httpx_client", "encode/httpx", "httpx/_client.py", "python", HELD_APART, 27, 0.4,
               license="BSD-3-Clause"),
    SourceSpec("httpx_models", "encode/httpx", "httpx/_models.py", "python", HELD_APART, 22, 0.55,
               license="BSD-3-Clause"),
    SourceSpec("axios_axios", "axios/axios", "lib/core/Axios.js", "javascript", HELD_APART, 30, 0.3, license="MIT"),
    SourceSpec("axios_headers", "axios/axios", "lib/core/AxiosHeaders.js", "javascript", HELD_APART, 24, 0.4,
               license="MIT"),
    SourceSpec("ky_ky", "sindresorhus/ky", "source/core/Ky.ts", "typescript", HELD_APART, 28, 0.45, license="MIT"),
    SourceSpec("ky_merge", "sindresorhus/ky", "source/utils/merge.ts", "typescript", HELD_APART, 22, 0.2,
               license="MIT"),
    SourceSpec("petclinic_owner", "spring-projects/spring-petclinic",
               "src/main/java/org/springframework/samples/petclinic/owner/Owner.java", "java", HELD_APART,
               28, 0.35, license="Apache-2.0"),
    SourceSpec("petclinic_pet", "spring-projects/spring-petclinic",
               "src/main/java/org/springframework/samples/petclinic/owner/PetController.java", "java", HELD_APART,
               16, 0.3, license="Apache-2.0"),
    SourceSpec("vea_utils_zh", "PanJiaChen/vue-element-admin", "src/utils/index.js", "javascript", HELD_APART, 26,
               0.0, chinese=True, license="MIT"),
    SourceSpec("pyhanlp_init_zh", "hankcs/pyhanlp", "pyhanlp/__init__.py", "python", HELD_APART, 24, 0.0,
               chinese=True, license="Apache-2.0"),
    SourceSpec("pyhanlp_static_zh", "hankcs/pyhanlp", "pyhanlp/static/__init__.py", "python", HELD_APART, 20, 0.0,
               chinese=True, license="Apache-2.0"),
)


def display_line(line: str) -> str:
    """A source line as an editor shows it: tabs expanded, trailing spaces gone."""
    return line.expandtabs(TAB_WIDTH).rstrip()


def cells(text: str) -> int:
    """Columns `text` takes in a monospace font (wide CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pick_window(lines: list[str], spec: SourceSpec) -> int:
    """The 0-based first line of a good window: starts at a definition, fits the width, not mostly blank."""
    total = len(lines)
    first = int(total * spec.offset)
    for start in [*range(first, total - spec.lines + 1), *range(0, first)]:
        window = [display_line(line) for line in lines[start : start + spec.lines]]
        if len(window) < spec.lines or not _START_RE.match(window[0]) or not window[-1].strip():
            continue
        if max(cells(line) for line in window) > MAX_LINE_CELLS or sum(not line for line in window) > spec.lines // 4:
            continue
        if spec.chinese and sum(bool(_CJK_RE.search(line)) for line in window) < 3:
            continue
        return start
    raise SystemExit(f"{spec.id}: no window of {spec.lines} lines fits in {spec.repo}/{spec.path}")


def import_sources(mirrors: Path) -> None:
    """Take every window from a local git mirror of its repository; write `sources/` and `sources.json`."""
    SOURCES.mkdir(exist_ok=True)
    entries = []
    for spec in SOURCE_SPECS:
        git_dir = mirrors / spec.repo.replace("/", "+") / "repo"

        def git(*args: str, git_dir: Path = git_dir) -> str:
            return subprocess.run(["git", "-C", str(git_dir), *args], check=True, capture_output=True,
                                  text=True).stdout

        commit = git("rev-parse", "HEAD").strip()
        lines = git("show", f"{commit}:{spec.path}").split("\n")
        start = pick_window(lines, spec)
        window = lines[start : start + spec.lines]
        name = spec.id + _EXTENSIONS[spec.language]
        (SOURCES / name).write_text("\n".join(window) + "\n", encoding="utf-8")
        entries.append({
            "id": spec.id, "file": name, "repository": spec.repo, "commit": commit, "path": spec.path,
            "license": spec.license, "language": spec.language, "part": spec.part, "chinese": spec.chinese,
            "line_start": start + 1, "line_end": start + spec.lines,
            "url": f"https://github.com/{spec.repo}/blob/{commit}/{spec.path}#L{start + 1}-L{start + spec.lines}",
        })
        print(f"{spec.id:<22} {spec.repo}/{spec.path} lines {start + 1}-{start + spec.lines}")
    (SOURCES / "sources.json").write_text(json.dumps({"sources": entries}, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")


def load_sources() -> dict[str, dict]:
    """sources.json's entries by id, each with its window's `text` added."""
    entries = json.loads((SOURCES / "sources.json").read_text(encoding="utf-8"))["sources"]
    return {e["id"]: {**e, "text": (SOURCES / e["file"]).read_text(encoding="utf-8")} for e in entries}


# ----------------------------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class Theme:
    """An editor colour theme: the code's colours and its chrome's."""

    name: str
    dark: bool
    bg: str
    fg: str
    keyword: str
    string: str
    comment: str
    number: str
    function: str
    klass: str
    decorator: str
    gutter: str  # line-number colour
    gutter_bg: str
    chrome: str  # title bar, tab strip
    chrome_fg: str
    status: str
    status_fg: str
    current_line: str
    guide: str  # indent guides
    italic_comments: bool = False


THEMES: dict[str, Theme] = {t.name: t for t in (
    Theme("vscode-dark", True, "#1e1e1e", "#d4d4d4", "#569cd6", "#ce9178", "#6a9955", "#b5cea8", "#dcdcaa",
          "#4ec9b0", "#dcdcaa", "#858585", "#1e1e1e", "#2d2d2d", "#969696", "#007acc", "#ffffff", "#2a2d2e",
          "#404040"),
    Theme("vscode-light", False, "#ffffff", "#000000", "#0000ff", "#a31515", "#008000", "#098658", "#795e26",
          "#267f99", "#795e26", "#237893", "#ffffff", "#f3f3f3", "#616161", "#007acc", "#ffffff", "#f3f3f3",
          "#d3d3d3"),
    Theme("darcula", True, "#2b2b2b", "#a9b7c6", "#cc7832", "#6a8759", "#808080", "#6897bb", "#ffc66d",
          "#a9b7c6", "#bbb529", "#606366", "#313335", "#3c3f41", "#bbbbbb", "#3c3f41", "#bbbbbb", "#323232",
          "#393939", italic_comments=True),
    Theme("monokai", True, "#272822", "#f8f8f2", "#f92672", "#e6db74", "#75715e", "#ae81ff", "#a6e22e",
          "#a6e22e", "#a6e22e", "#90908a", "#272822", "#1e1f1c", "#cccccc", "#414339", "#f8f8f2", "#3e3d32",
          "#464741"),
    Theme("solarized-dark", True, "#002b36", "#839496", "#859900", "#2aa198", "#586e75", "#d33682", "#268bd2",
          "#b58900", "#cb4b16", "#586e75", "#073642", "#073642", "#93a1a1", "#00212b", "#93a1a1", "#073642",
          "#0d4654", italic_comments=True),
    Theme("github-light", False, "#ffffff", "#1f2328", "#cf222e", "#0a3069", "#6e7781", "#0550ae", "#8250df",
          "#953800", "#8250df", "#6e7781", "#ffffff", "#f6f8fa", "#1f2328", "#f6f8fa", "#59636e", "#fff8c5",
          "#d0d7de"),
    # held-apart themes
    Theme("jetbrains-light", False, "#ffffff", "#080808", "#0033b3", "#067d17", "#8c8c8c", "#1750eb", "#00627a",
          "#000000", "#9e880d", "#adadad", "#ffffff", "#f7f8fa", "#000000", "#f7f8fa", "#6c707e", "#f5f8fe",
          "#ebecf0", italic_comments=True),
    Theme("one-dark", True, "#282c34", "#abb2bf", "#c678dd", "#98c379", "#7f848e", "#d19a66", "#61afef",
          "#e5c07b", "#61afef", "#495162", "#282c34", "#21252b", "#9da5b4", "#21252b", "#9da5b4", "#2c313c",
          "#3b4048", italic_comments=True),
    Theme("solarized-light", False, "#fdf6e3", "#657b83", "#859900", "#2aa198", "#93a1a1", "#d33682", "#268bd2",
          "#b58900", "#cb4b16", "#93a1a1", "#eee8d5", "#eee8d5", "#586e75", "#eee8d5", "#586e75", "#eee8d5",
          "#e4dcc4", italic_comments=True),
    Theme("github-dark", True, "#0d1117", "#e6edf3", "#ff7b72", "#a5d6ff", "#8b949e", "#79c0ff", "#d2a8ff",
          "#ffa657", "#d2a8ff", "#6e7681", "#0d1117", "#151b23", "#e6edf3", "#151b23", "#9198a1", "#2f2a1e",
          "#30363d"),
)}
TUNED_THEMES = ("vscode-dark", "vscode-light", "darcula", "monokai", "solarized-dark", "github-light")
HELD_APART_THEMES = ("jetbrains-light", "one-dark", "solarized-light", "github-dark")
FONTS = {  # CSS family name; CJK glyphs fall back to WenQuanYi Zen Hei Mono
    "jetbrains-mono": "JetBrains Mono", "dejavu-sans-mono": "DejaVu Sans Mono",  # tuned
    "fira-code": "Fira Code", "liberation-mono": "Liberation Mono",  # held apart
}
TUNED_FONTS = ("jetbrains-mono", "dejavu-sans-mono")
HELD_APART_FONTS = ("fira-code", "liberation-mono")
_CJK_FONT = "WenQuanYi Zen Hei Mono"
_UI_FONT = "'DejaVu Sans', 'WenQuanYi Zen Hei', sans-serif"
# Ligatures off: editors and GitHub show `->` and `!=` as typed unless the user turns them on.
_RESET_CSS = ('* { margin: 0; padding: 0; box-sizing: border-box; font-variant-ligatures: none; '
              'font-feature-settings: "liga" 0, "calt" 0; }')

# pygments' short token classes, by the theme colour they take
_TOKEN_CLASSES = {
    "keyword": "k kc kd kn kp kr kt ow",
    "string": "s sa sb sc dl sd s2 se sh si sx sr s1 ss",
    "comment": "c ch cm cp cpf c1 cs",
    "number": "m mb mf mh mi mil mo",
    "function": "nf fm",
    "klass": "nc nn",
    "decorator": "nd",
}


def token_css(theme: Theme, scope: str) -> str:
    """CSS that colours pygments' token classes inside `scope` with the theme's colours."""
    rules = []
    for attribute, classes in _TOKEN_CLASSES.items():
        selectors = ", ".join(f"{scope} .{c}" for c in classes.split())
        style = f"color: {getattr(theme, attribute)}"
        if attribute == "comment" and theme.italic_comments:
            style += "; font-style: italic"
        rules.append(f"{selectors} {{ {style} }}")
    return "\n".join(rules)


def highlighted_lines(lines: list[str], language: str) -> list[str]:
    """Each line as HTML with pygments' token spans (spans never cross a line break)."""
    # stripnl=False: pygments' lexers drop leading and trailing blank lines by default, and a window whose first
    # line is blank was drawn without it, every line one off its label (h3 found it on gh-t-09).
    lexer = get_lexer_by_name(language, stripnl=False)
    out = highlight("\n".join(lines) + "\n", lexer, HtmlFormatter(nowrap=True))
    rows = out.split("\n")
    return rows[: len(lines)]


# --------------------------------------------------------------------------------------------- captures


@dataclass(frozen=True)
class Photo:
    """How a phone photo of the screen is simulated."""

    tilt: float  # perspective strength, fraction of the size the corners move
    rotation_deg: float
    blur_px: float
    moire: float  # amplitude of the interference pattern
    glare: float  # strength of the light reflection
    jpeg_quality: int
    noise: float  # sensor noise, grey levels
    room: float = 1.0  # room around the monitor, relative to the default margins: more is a photo from further off
    max_px: int = 2200  # widest photo the phone keeps (pixels)
    bezel: float = 0.03  # the monitor's bezel, share of the screen's width
    desk: float = 0.0  # share of the frame's height, at the bottom, that is a desk with a keyboard in front of it
    glossy: float = 0.0  # strength of a reflection of the room across the screen (a dark window, a lamp)


@dataclass(frozen=True)
class Capture:
    """One picture of the development set."""

    id: str
    kind: str  # editor | github | slide | photo | chinese
    part: str
    source: str
    theme: str
    font: str
    font_px: int
    scale: int  # device pixel ratio
    gutter: bool
    chrome: tuple[str, ...]  # chrome drawn around the code
    style: str = "editor"  # editor | github | slide: what is drawn (a photo and chinese take editor or github)
    first: int = 0  # first window line shown (0-based)
    count: int = 0  # lines shown (0: the whole window)
    photo: Photo | None = None
    background: str = ""  # slides: CSS background
    title: str = ""  # slides: the title above the code


_EDITOR_CHROME = ("window_buttons", "tabs", "breadcrumbs", "minimap", "status_bar")


def plan() -> list[Capture]:
    """Every capture: a fixed spread of kinds, themes, fonts, sizes, scales, gutters and chrome."""
    tuned = [s for s in SOURCE_SPECS if s.part == TUNED and not s.chinese]
    held = [s for s in SOURCE_SPECS if s.part == HELD_APART and not s.chinese]
    tuned_zh = [s for s in SOURCE_SPECS if s.part == TUNED and s.chinese]
    held_zh = [s for s in SOURCE_SPECS if s.part == HELD_APART and s.chinese]
    chrome_sets = (
        _EDITOR_CHROME,
        ("tabs", "breadcrumbs"),
        ("window_buttons", "tabs", "status_bar"),
        (),
        ("tabs", "breadcrumbs", "minimap", "indent_guides", "current_line"),
        ("window_buttons", "tabs", "breadcrumbs", "status_bar", "indent_guides"),
        ("tabs",),
    )
    sizes = (12, 13, 14, 15, 16, 17, 18)
    out: list[Capture] = []

    def editor_set(kind: str, prefix: str, sources: list[SourceSpec], themes: tuple[str, ...],
                   fonts: tuple[str, ...], n: int, offset: int = 0) -> list[Capture]:
        made = []
        for i in range(n):
            j = i + offset
            theme = themes[j % len(themes)]
            if theme.startswith("github"):
                theme = themes[(j + 1) % len(themes)]
            made.append(Capture(
                id=f"{prefix}-{i + 1:02d}", kind=kind, part=sources[0].part, source=sources[j % len(sources)].id,
                theme=theme, font=fonts[j % len(fonts)], font_px=sizes[(j * 3) % len(sizes)],
                scale=1 + (j // 2) % 2, gutter=j % 3 != 2, chrome=chrome_sets[j % len(chrome_sets)],
            ))
        return made

    def github_set(kind: str, prefix: str, sources: list[SourceSpec], themes: tuple[str, ...],
                   fonts: tuple[str, ...], n: int, start: int = 0) -> list[Capture]:
        return [
            Capture(id=f"{prefix}-{i + 1:02d}", kind=kind, part=sources[0].part, source=sources[i % len(sources)].id,
                    theme=themes[i % len(themes)], font=fonts[i % len(fonts)], font_px=(12, 13, 14)[i % 3],
                    scale=1 + i % 2, gutter=True, chrome=("file_header", "toolbar"), style="github",
                    first=(i * 3) % 5, count=0)
            for i in range(start, start + n)
        ]

    out += editor_set("editor", "ed-t", tuned, TUNED_THEMES, TUNED_FONTS, 14)
    out += editor_set("editor", "ed-h", held, HELD_APART_THEMES, HELD_APART_FONTS, 8)
    out += github_set("github", "gh-t", tuned, ("github-light",), TUNED_FONTS, 8)
    # GitHub's dark theme on tuned repositories too (added 2026-12-01): the held-apart gh-h-03 lost 27 of 29 lines
    # to a dark-page mechanism no tuned capture showed (rapidocr's CJK guesses over blank pixels).
    out += github_set("github", "gh-t", tuned, ("github-dark",), TUNED_FONTS, 4, start=8)
    out += github_set("github", "gh-h", held, ("github-dark", "github-light"), HELD_APART_FONTS, 4)

    slide_backgrounds = {
        TUNED: ("linear-gradient(135deg, #4b2a8a 0%, #1f6fd1 100%)", "linear-gradient(120deg, #f97316, #db2777)",
                "#0f4c5c", "linear-gradient(160deg, #fefce8, #fde68a)"),
        HELD_APART: ("radial-gradient(circle at 30% 20%, #134e4a, #052e2b)", "linear-gradient(90deg, #e0f2fe, #c7d2fe)",
                     "#7f1d1d", "linear-gradient(200deg, #111827, #374151)"),
    }
    titles = ("How a request flows", "The core of it", "Where the state lives", "Walkthrough",
              "What happens on a call", "Reading the source")
    for part, prefix, sources, themes, fonts, n in (
        (TUNED, "sl-t", tuned, ("monokai", "vscode-light", "vscode-dark", "solarized-dark"), TUNED_FONTS, 6),
        (HELD_APART, "sl-h", held, ("one-dark", "solarized-light", "github-dark", "jetbrains-light"),
         HELD_APART_FONTS, 4),
    ):
        for i in range(n):
            out.append(Capture(
                id=f"{prefix}-{i + 1:02d}", kind="slide", part=part, source=sources[(i * 3 + 1) % len(sources)].id,
                theme=themes[i % len(themes)], font=fonts[i % len(fonts)], font_px=(24, 26, 28, 30, 32)[i % 5],
                scale=1, gutter=i % 3 == 1, chrome=("title", "frame") + (("window_buttons",) if i % 2 else ()),
                style="slide", first=i % 4, count=12 + i % 3, background=slide_backgrounds[part][i % 4],
                title=titles[i % len(titles)],
            ))

    photo_params = (
        Photo(0.05, -1.5, 1.0, 0.05, 0.3, 60, 4.0),
        Photo(0.08, 2.0, 1.4, 0.08, 0.0, 55, 5.0),
        Photo(0.03, 0.8, 0.8, 0.03, 0.45, 70, 3.0),
        Photo(0.06, -2.5, 1.2, 0.06, 0.2, 50, 6.0),
    )
    for part, prefix, sources, themes, fonts, n in (
        (TUNED, "ph-t", tuned, ("vscode-dark", "vscode-light", "monokai", "darcula"), TUNED_FONTS, 8),
        (HELD_APART, "ph-h", held, ("one-dark", "jetbrains-light", "solarized-light", "github-dark"),
         HELD_APART_FONTS, 4),
    ):
        for i in range(n):
            out.append(Capture(
                id=f"{prefix}-{i + 1:02d}", kind="photo", part=part, source=sources[(i * 5 + 2) % len(sources)].id,
                theme=themes[i % len(themes)], font=fonts[i % len(fonts)], font_px=(14, 16, 15, 18)[i % 4],
                scale=1 + i % 2, gutter=i % 2 == 0, chrome=("tabs", "status_bar") if i % 3 else _EDITOR_CHROME,
                photo=photo_params[(i + (part == HELD_APART)) % len(photo_params)],
            ))

    # More tuned photos (added 2026-12-01, so photo reading is not fitted to eight pictures): light and dark
    # tuned themes, weaker and stronger perspective and rotation, more blur, moiré and glare, JPEG 50-70, and
    # photos taken from closer or further off (room) or kept smaller (max_px). Tuned repositories, themes and
    # fonts only; the held-apart photos are untouched.
    more_photos = (
        ("vscode-light", 15, 1, Photo(0.10, 3.0, 1.0, 0.04, 0.25, 60, 4.0)),
        ("solarized-dark", 16, 2, Photo(0.02, -0.5, 1.6, 0.02, 0.0, 65, 3.0)),
        ("github-light", 14, 1, Photo(0.06, 1.2, 0.9, 0.10, 0.15, 50, 5.0)),
        ("darcula", 15, 2, Photo(0.04, -3.5, 1.1, 0.05, 0.5, 55, 4.0)),
        ("vscode-dark", 16, 2, Photo(0.05, 1.0, 1.0, 0.04, 0.2, 60, 4.0, room=1.8)),
        ("monokai", 13, 1, Photo(0.07, -1.0, 0.9, 0.06, 0.1, 65, 4.0, room=0.5)),
        ("vscode-light", 17, 2, Photo(0.04, 0.5, 1.3, 0.03, 0.3, 50, 7.0)),
        ("solarized-dark", 14, 1, Photo(0.09, 2.5, 1.0, 0.05, 0.2, 60, 5.0)),
        ("github-light", 16, 2, Photo(0.05, -2.0, 1.2, 0.06, 0.35, 55, 4.0, room=1.5)),
        ("darcula", 14, 1, Photo(0.03, 0.3, 0.7, 0.08, 0.0, 70, 3.0)),
        ("vscode-dark", 15, 1, Photo(0.04, -4.5, 1.0, 0.03, 0.25, 60, 4.0)),
        ("vscode-light", 18, 2, Photo(0.06, 1.8, 1.1, 0.05, 0.2, 65, 5.0, max_px=1600)),
    )
    for i, (theme, font_px, scale, photo) in enumerate(more_photos, start=8):
        out.append(Capture(
            id=f"ph-t-{i + 1:02d}", kind="photo", part=TUNED, source=tuned[(i * 3 + 1) % len(tuned)].id,
            theme=theme, font=TUNED_FONTS[i % 2], font_px=font_px, scale=scale, gutter=i % 3 != 1,
            chrome=chrome_sets[i % len(chrome_sets)], photo=photo,
        ))

    # A third round of tuned photos (added 2026-12-02): what the held-apart photos might show and no tuned one did:
    # stronger perspective, rotations past 4 degrees both ways, heavier blur and moiré, small (12-13 px) and big
    # (20-22 px) text, a wide bezel, a desk and keyboard in the frame, a glossy screen's reflection, GitHub's file
    # view photographed, photos kept small. Tuned repositories, themes and fonts only; the draws are seeded by id.
    third_round = (
        ("vscode-dark", 13, 1, "editor", Photo(0.13, 4.5, 1.2, 0.05, 0.2, 60, 4.0)),
        ("vscode-light", 20, 1, "editor", Photo(0.12, -5.5, 1.0, 0.04, 0.3, 55, 5.0)),
        ("darcula", 16, 2, "editor", Photo(0.05, 2.0, 1.8, 0.03, 0.1, 60, 4.0)),
        ("github-light", 13, 2, "github", Photo(0.08, -1.5, 1.0, 0.12, 0.2, 55, 5.0, desk=0.25)),
        ("monokai", 22, 1, "editor", Photo(0.10, -3.0, 1.3, 0.08, 0.0, 50, 6.0, bezel=0.07, room=1.3)),
        ("solarized-dark", 12, 2, "editor", Photo(0.06, 1.5, 0.9, 0.06, 0.2, 65, 4.0, glossy=0.5)),
        ("vscode-light", 14, 2, "editor", Photo(0.15, 3.0, 1.1, 0.05, 0.25, 60, 4.0, desk=0.3, room=1.4)),
        ("vscode-dark", 18, 2, "editor", Photo(0.04, -6.0, 1.5, 0.10, 0.3, 55, 5.0)),
        ("github-light", 14, 1, "github", Photo(0.07, 5.0, 1.2, 0.04, 0.4, 60, 5.0, glossy=0.4)),
        ("darcula", 12, 1, "editor", Photo(0.05, -2.0, 1.0, 0.05, 0.15, 60, 4.0, max_px=1400)),
        ("monokai", 17, 2, "editor", Photo(0.11, 0.5, 1.6, 0.14, 0.2, 50, 7.0, desk=0.2)),
        ("vscode-light", 21, 1, "editor", Photo(0.03, -0.8, 2.0, 0.03, 0.0, 65, 4.0, bezel=0.06)),
        ("solarized-dark", 15, 1, "editor", Photo(0.09, 6.5, 1.1, 0.07, 0.35, 55, 5.0, room=0.3)),
        ("vscode-dark", 14, 2, "github", Photo(0.12, -4.0, 1.3, 0.06, 0.2, 60, 6.0, desk=0.25, glossy=0.3)),
    )
    for i, (theme, font_px, scale, style, photo) in enumerate(third_round, start=20):
        github = style == "github"
        out.append(Capture(
            id=f"ph-t-{i + 1:02d}", kind="photo", part=TUNED, source=tuned[(i * 5 + 3) % len(tuned)].id,
            theme=theme, font=TUNED_FONTS[(i + 1) % 2], font_px=font_px, scale=scale, gutter=github or i % 4 != 2,
            chrome=("file_header", "toolbar") if github else chrome_sets[(i + 2) % len(chrome_sets)], photo=photo,
            style=style, first=(i * 3) % 5 if github else 0,
        ))

    zh_chrome = (("tabs", "breadcrumbs"), _EDITOR_CHROME, ("window_buttons", "tabs", "status_bar"), ())
    for part, prefix, sources, themes, fonts, n in (
        (TUNED, "zh-t", tuned_zh, ("vscode-dark", "github-light", "darcula", "vscode-light"), TUNED_FONTS, 6),
        (HELD_APART, "zh-h", held_zh, ("jetbrains-light", "github-dark", "one-dark", "github-light"),
         HELD_APART_FONTS, 4),
    ):
        for i in range(n):
            theme = themes[i % len(themes)]
            github = theme.startswith("github")
            out.append(Capture(
                id=f"{prefix}-{i + 1:02d}", kind="chinese", part=part, source=sources[i % len(sources)].id,
                theme=theme, font=fonts[i % len(fonts)], font_px=(14, 13, 16, 15, 18, 12)[i % 6], scale=1 + i % 2,
                gutter=github or i % 4 != 3, chrome=("file_header", "toolbar") if github else zh_chrome[i % 4],
                style="github" if github else "editor",
            ))
    return out


def shown_lines(capture: Capture, source: dict) -> tuple[list[str], list[int]]:
    """The lines the capture shows and the numbers the user sees beside them (the file's with a gutter)."""
    window = [display_line(line) for line in source["text"].rstrip("\n").split("\n")]
    count = capture.count or len(window) - capture.first
    lines = window[capture.first : capture.first + count]
    first_number = source["line_start"] + capture.first if capture.gutter else 1
    return lines, list(range(first_number, first_number + len(lines)))


# ------------------------------------------------------------------------------------------------- HTML


def _code_rows(capture: Capture, source: dict, lines: list[str], numbers: list[int], theme: Theme,
               current: int | None) -> str:
    """The code lines as rows of HTML: gutter number, indent guides, highlighted text."""
    indent_unit = 2 if source["language"] in ("javascript", "typescript") else 4
    digits = max(len(str(numbers[-1])), 2)
    rows = []
    for index, (number, code) in enumerate(zip(numbers, highlighted_lines(lines, source["language"]), strict=True)):
        leading = len(lines[index]) - len(lines[index].lstrip(" "))
        if "indent_guides" in capture.chrome and leading >= indent_unit:
            guides = f'<span class="guides" style="width:{leading}ch"></span>'
        else:
            guides = ""
        gutter = f'<span class="ln">{number:>{digits}}</span>' if capture.gutter else ""
        cls = "row cur" if index == current else "row"
        rows.append(f'<div class="{cls}">{gutter}<span class="src">{guides}{code or " "}</span></div>')
    return "\n".join(rows)


def _minimap(lines: list[str], theme: Theme, line_px: float) -> str:
    bars = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        width = max(len(line.strip()), 0)
        colour = theme.comment if line.strip().startswith(("#", "//", "/*", "*")) else theme.fg
        bars.append(f'<div style="height:{line_px}px;margin-left:{indent * 1.2}px;width:{width * 1.2}px;'
                    f'background:{colour};opacity:0.45;margin-bottom:{line_px}px"></div>')
    return f'<div class="minimap">{"".join(bars)}</div>'


def editor_html(capture: Capture, source: dict, lines: list[str], numbers: list[int]) -> tuple[str, int, int]:
    """An editor window showing the lines, with the capture's chrome; (html, width, height) in CSS px."""
    theme = THEMES[capture.theme]
    rng = random.Random(capture.id)
    line_px = round(capture.font_px * rng.choice((1.35, 1.45, 1.5)))
    name = Path(source["path"]).name
    crumbs = " › ".join(Path(source["path"]).parts[-3:])
    char_px = capture.font_px * 0.61
    gutter_px = (max(len(str(numbers[-1])), 2) + 3) * char_px if capture.gutter else 0
    code_px = max(cells(line) for line in lines) * char_px + 2 * capture.font_px
    minimap = "minimap" in capture.chrome
    width = int(max(760, gutter_px + code_px + (110 if minimap else 0) + 40 + rng.randint(0, 120)))
    heights = {"window_buttons": 30, "tabs": 35, "breadcrumbs": 22, "status_bar": 22}
    pad_bottom = rng.randint(6, 40)
    height = int(sum(h for c, h in heights.items() if c in capture.chrome) + 10 + len(lines) * line_px + pad_bottom)
    current = rng.randrange(len(lines)) if "current_line" in capture.chrome else None
    other_tabs = ("README.md", "index.ts", "utils.py", "config.json", "Main.java")
    tabs = [name] + [t for t in rng.sample(other_tabs, 2) if t != name]
    tab_html = "".join(
        f'<div class="tab{" active" if t == name else ""}">{html.escape(t)}<span class="x">×</span></div>'
        for t in (tabs if rng.random() < 0.5 else tabs[::-1])
    )
    language = {"python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "java": "Java"}
    parts = []
    if "window_buttons" in capture.chrome:
        parts.append('<div class="title"><span class="b" style="background:#ff5f57"></span><span class="b" '
                     'style="background:#febc2e"></span><span class="b" style="background:#28c840"></span>'
                     f'<span class="wt">{html.escape(name)} — {html.escape(source["repository"].split("/")[1])}'
                     '</span></div>')
    if "tabs" in capture.chrome:
        parts.append(f'<div class="tabs">{tab_html}</div>')
    if "breadcrumbs" in capture.chrome:
        parts.append(f'<div class="crumbs">{html.escape(crumbs)}</div>')
    rows = _code_rows(capture, source, lines, numbers, theme, current)
    parts.append(f'<div class="main"><div class="code">{rows}</div>'
                 f'{_minimap(lines, theme, 2) if minimap else ""}</div>')
    if "status_bar" in capture.chrome:
        ln = rng.randint(1, len(lines))
        parts.append(f'<div class="status"><span>⎇ main</span><span>Ln {numbers[ln - 1]}, Col {rng.randint(1, 30)}'
                     f'</span><span>Spaces: {4 if source["language"] in ("python", "java") else 2}</span>'
                     f'<span>UTF-8</span><span>LF</span><span>{language[source["language"]]}</span></div>')
    active_tab_bg = theme.bg
    css = f"""
{_RESET_CSS}
html, body {{ width: {width}px; height: {height}px; overflow: hidden; background: {theme.bg}; }}
body {{ display: flex; flex-direction: column; }}
.title {{ height: 30px; background: {theme.chrome}; display: flex; align-items: center; padding-left: 12px;
  font: 13px {_UI_FONT}; color: {theme.chrome_fg}; }}
.title .b {{ width: 12px; height: 12px; border-radius: 50%; margin-right: 8px; display: inline-block; }}
.title .wt {{ flex: 1; text-align: center; margin-right: 80px; }}
.tabs {{ height: 35px; background: {theme.chrome}; display: flex; }}
.tab {{ padding: 0 14px; font: 13px {_UI_FONT}; line-height: 35px; color: {theme.chrome_fg}; opacity: 0.8;
  border-right: 1px solid {theme.bg}; }}
.tab.active {{ background: {active_tab_bg}; color: {theme.fg}; opacity: 1; border-top: 1px solid {theme.status}; }}
.tab .x {{ margin-left: 10px; opacity: 0.7; }}
.crumbs {{ height: 22px; padding-left: 16px; font: 12px {_UI_FONT}; line-height: 22px; color: {theme.chrome_fg};
  opacity: 0.85; background: {theme.bg}; }}
.main {{ flex: 1; display: flex; padding-top: 10px; }}
.code {{ flex: 1; font-family: '{FONTS[capture.font]}', '{_CJK_FONT}', monospace; font-size: {capture.font_px}px;
  color: {theme.fg}; }}
.row {{ height: {line_px}px; line-height: {line_px}px; white-space: pre; }}
.row.cur {{ background: {theme.current_line}; }}
.ln {{ display: inline-block; color: {theme.gutter}; background: {theme.gutter_bg}; padding: 0 1.2em 0 0.8em;
  text-align: right; }}
.src {{ position: relative; padding-left: 0.6em; }}
.guides {{ position: absolute; left: 0.6em; top: 0; height: {line_px}px;
  background-image: linear-gradient(to right, {theme.guide} 1px, transparent 1px);
  background-size: {2 if source["language"] in ("javascript", "typescript") else 4}ch 100%; }}
.minimap {{ width: 110px; padding: 0 8px; border-left: 1px solid {theme.chrome}; }}
.status {{ height: 22px; background: {theme.status}; color: {theme.status_fg}; font: 12px {_UI_FONT};
  display: flex; gap: 18px; align-items: center; padding: 0 12px; }}
{token_css(theme, ".code")}
"""
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>" \
           f"{''.join(parts)}</body></html>", width, height


def github_html(capture: Capture, source: dict, lines: list[str], numbers: list[int]) -> tuple[str, int, int]:
    """GitHub's file view: path, latest-commit bar, the file box with its toolbar, numbered lines."""
    theme = THEMES[capture.theme]
    rng = random.Random(capture.id)
    line_px = 20 if capture.font_px <= 12 else round(capture.font_px * 1.6)
    owner, repo = source["repository"].split("/")
    path_parts = [repo, *source["path"].split("/")]
    path_html = " / ".join(f'<a>{html.escape(p)}</a>' for p in path_parts[:-1]) + \
        f' / <b>{html.escape(path_parts[-1])}</b>'
    char_px = capture.font_px * 0.61
    width = int(max(980, 90 + max(cells(line) for line in lines) * char_px + 80 + rng.randint(0, 100)))
    height = int(48 + 60 + 48 + len(lines) * line_px + 24 + rng.randint(10, 30))
    digits = len(str(numbers[-1]))
    rows = "\n".join(
        f'<div class="row"><span class="ln">{n:>{digits}}</span><span class="src">{code or " "}</span></div>'
        for n, code in zip(numbers, highlighted_lines(lines, source["language"]), strict=True)
    )
    border = "#30363d" if theme.dark else "#d1d9e0"
    muted = "#9198a1" if theme.dark else "#59636e"
    total = numbers[-1] + rng.randint(20, 400)
    css = f"""
{_RESET_CSS}
html, body {{ width: {width}px; height: {height}px; overflow: hidden; background: {theme.bg}; color: {theme.fg};
  font: 14px {_UI_FONT}; }}
.wrap {{ padding: 12px 24px; }}
.path {{ font-size: 16px; height: 36px; line-height: 36px; }}
.path a {{ color: {"#4493f8" if theme.dark else "#0969da"}; }}
.commit {{ border: 1px solid {border}; border-radius: 6px 6px 0 0; background: {theme.chrome}; height: 48px;
  display: flex; align-items: center; gap: 10px; padding: 0 14px; font-size: 13px; color: {muted}; }}
.avatar {{ width: 20px; height: 20px; border-radius: 50%; background: #8b949e; }}
.commit b {{ color: {theme.fg}; }}
.box {{ border: 1px solid {border}; border-top: 0; border-radius: 0 0 6px 6px; }}
.toolbar {{ height: 46px; display: flex; align-items: center; padding: 0 10px; border-bottom: 1px solid {border};
  background: {theme.chrome}; font-size: 13px; gap: 12px; color: {muted}; }}
.seg {{ border: 1px solid {border}; border-radius: 6px; display: flex; }}
.seg span {{ padding: 4px 12px; }} .seg .on {{ background: {theme.bg}; color: {theme.fg}; font-weight: bold;
  border-radius: 6px; }}
.meta {{ flex: 1; }}
.btn {{ border: 1px solid {border}; border-radius: 6px; padding: 4px 10px; color: {theme.fg}; }}
.code {{ padding: 8px 0; font-family: '{FONTS[capture.font]}', '{_CJK_FONT}', monospace;
  font-size: {capture.font_px}px; }}
.row {{ height: {line_px}px; line-height: {line_px}px; white-space: pre; }}
.ln {{ display: inline-block; width: {digits + 4}ch; text-align: right; padding-right: 2ch; color: {theme.gutter}; }}
{token_css(theme, ".code")}
"""
    body = f"""<div class="wrap"><div class="path">{path_html}</div>
<div class="commit"><span class="avatar"></span><b>{html.escape(owner)}</b>
<span>Merge pull request #{rng.randint(100, 6000)} from {html.escape(owner)}/main</span>
<span style="flex:1"></span>
<span>{hashlib.sha1(capture.id.encode()).hexdigest()[:7]} · {rng.randint(2, 11)} months ago</span>
<span>History</span></div>
<div class="box"><div class="toolbar"><div class="seg"><span class="on">Code</span><span>Blame</span></div>
<span class="meta">{total} lines ({total - rng.randint(10, 60)} loc) ·
{rng.randint(3, 60)}.{rng.randint(0, 9)} KB</span>
<span class="btn">Raw</span><span class="btn">⧉</span><span class="btn">⤓</span><span class="btn">✎</span>
<span class="btn">⋯</span></div>
<div class="code">{rows}</div></div></div>"""
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{body}</body></html>", \
        width, height


def slide_html(capture: Capture, source: dict, lines: list[str], numbers: list[int]) -> tuple[str, int, int]:
    """A presentation slide: coloured or gradient background, a title, the code in a framed box."""
    theme = THEMES[capture.theme]
    rng = random.Random(capture.id)
    width, height = 1920, 1080
    line_px = round(capture.font_px * 1.4)
    char_px = capture.font_px * 0.61
    need = max(cells(line) for line in lines) * char_px + (5 * char_px if capture.gutter else 0) + 80
    font_px = capture.font_px if need <= 1760 else int(capture.font_px * 1760 / need)
    light_bg = "fefce8" in capture.background or "e0f2fe" in capture.background
    title_colour = "#111827" if light_bg else "#ffffff"
    rows = _code_rows(capture, source, lines, numbers, theme, None)
    buttons = ('<div class="btns"><span style="background:#ff5f57"></span><span style="background:#febc2e"></span>'
               '<span style="background:#28c840"></span></div>') if "window_buttons" in capture.chrome else ""
    css = f"""
{_RESET_CSS}
html, body {{ width: {width}px; height: {height}px; overflow: hidden; background: {capture.background}; }}
h1 {{ font: bold 52px {_UI_FONT}; color: {title_colour}; padding: 56px 80px 36px; }}
.frame {{ margin: 0 80px; display: inline-block; background: {theme.bg}; border-radius: 14px; padding: 28px 36px;
  box-shadow: 0 20px 60px rgba(0,0,0,0.45); border: 3px solid {theme.guide}; min-width: 900px; }}
.btns span {{ display: inline-block; width: 16px; height: 16px; border-radius: 50%; margin: 0 8px 18px 0; }}
.code {{ font-family: '{FONTS[capture.font]}', '{_CJK_FONT}', monospace; font-size: {font_px}px; color: {theme.fg}; }}
.row {{ height: {line_px}px; line-height: {line_px}px; white-space: pre; }}
.ln {{ display: inline-block; color: {theme.gutter}; padding-right: 1.2em; text-align: right; }}
.src {{ position: relative; }}
.foot {{ position: absolute; bottom: 28px; left: 80px; right: 80px; display: flex; justify-content: space-between;
  font: 22px {_UI_FONT}; color: {title_colour}; }}
{token_css(theme, ".code")}
"""
    body = (f"<h1>{html.escape(capture.title)}</h1><div class='frame'>{buttons}<div class='code'>{rows}</div></div>"
            f"<div class='foot'><div>{html.escape(source['repository'])}</div><div>{rng.randint(3, 40)}</div></div>")
    return f"<!doctype html><html><head><meta charset='utf-8'><style>{css}</style></head><body>{body}</body></html>", \
        width, height


def screenshot(page: str, width: int, height: int, scale: int, out: Path) -> None:
    """Render HTML in headless Chromium to a PNG of width*scale x height*scale pixels."""
    with tempfile.TemporaryDirectory(prefix="captures-") as tmp:
        page_path = Path(tmp) / "page.html"
        page_path.write_text(page, encoding="utf-8")
        shot = Path(tmp) / "shot.png"
        command = [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--font-render-hinting=none", f"--force-device-scale-factor={scale}", f"--window-size={width},{height}",
            f"--user-data-dir={tmp}/profile", f"--screenshot={shot}", page_path.as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        with Image.open(shot) as image:
            image.convert("RGB").save(out, format="PNG", optimize=True)


# ----------------------------------------------------------------------------------------------- photos


def _perspective_coefficients(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Pillow PERSPECTIVE coefficients mapping output points `dst` to input points `src`."""
    matrix, vector = [], []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        vector += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(matrix, float), np.array(vector, float))]


def phone_photo(screen: Image.Image, params: Photo, seed: str) -> bytes:
    """JPEG bytes of a simulated phone photo of `screen` on a monitor: bezel, room, perspective, moiré, glare, blur."""
    rng = np.random.default_rng(int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16))
    screen = screen.convert("RGB")
    if screen.width > 1800:  # a phone photo holds fewer pixels per screen pixel than a 2x screenshot
        screen = screen.resize((screen.width * 2 // 3, screen.height * 2 // 3), Image.Resampling.LANCZOS)
    w, h = screen.size
    bezel = int(params.bezel * w)
    monitor = Image.new("RGB", (w + 2 * bezel, h + 2 * bezel + bezel // 2), (22, 22, 24))
    monitor.paste(screen, (bezel, bezel))
    margin_x, margin_y = int(0.18 * params.room * w), int(0.22 * params.room * h)
    # A desk lies below the monitor, in front of its stand: it adds to the frame, never covers the screen.
    desk_px = int(params.desk * (monitor.height + 2 * margin_y))
    cw, ch = monitor.width + 2 * margin_x, monitor.height + 2 * margin_y + desk_px
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    wall = np.array(rng.choice([(150, 140, 128), (96, 104, 112), (188, 182, 170)]), np.float32)
    room = wall[None, None, :] * (0.75 + 0.35 * (yy / ch))[..., None]
    room += rng.normal(0, 6, room.shape).astype(np.float32)
    canvas = Image.fromarray(np.clip(room, 0, 255).astype(np.uint8))
    canvas.paste(monitor, (margin_x, margin_y))
    if params.desk:  # drawn only when asked, so the photos without one keep their random draws
        canvas = _desk(canvas, monitor.height + margin_y + max(margin_y // 2, bezel), margin_x, rng)
    # perspective: the monitor's corners move inwards by up to `tilt` of the size, plus a slight rotation
    corners = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)]
    jitter = [(rng.uniform(0, params.tilt) * cw, rng.uniform(0, params.tilt) * ch) for _ in corners]
    signs = [(1, 1), (-1, 1), (-1, -1), (1, -1)]
    moved = [(x + sx * jx, y + sy * jy) for (x, y), (sx, sy), (jx, jy) in zip(corners, signs, jitter, strict=True)]
    canvas = canvas.transform((cw, ch), Image.Transform.PERSPECTIVE, _perspective_coefficients(corners, moved),
                              Image.Resampling.BICUBIC, fillcolor=tuple(int(c) for c in wall))
    canvas = canvas.rotate(params.rotation_deg, resample=Image.Resampling.BICUBIC,
                           fillcolor=tuple(int(c) for c in wall))
    pixels = np.asarray(canvas).astype(np.float32)
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    if params.moire:
        angle = rng.uniform(0, np.pi)
        freq = rng.uniform(0.18, 0.3)
        wave = np.sin(2 * np.pi * freq * (xx * np.cos(angle) + yy * np.sin(angle)))
        beat = 0.5 + 0.5 * np.sin(2 * np.pi * (xx / cw * rng.uniform(2, 5) + yy / ch * rng.uniform(1, 4)))
        pixels *= (1 + params.moire * wave * beat)[..., None]
    if params.glare:
        gx, gy = rng.uniform(0.25, 0.75) * cw, rng.uniform(0.2, 0.6) * ch
        radius = rng.uniform(0.15, 0.3) * cw
        blob = np.exp(-(((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2)))
        pixels += (params.glare * 255 * blob)[..., None]
    if params.glossy:  # a soft bright band across the screen: the room mirrored in a glossy panel
        band_angle = rng.uniform(-0.6, 0.6)
        band_at = rng.uniform(0.3, 0.7) * cw
        across = (xx - band_at) * np.cos(band_angle) + (yy - ch / 2) * np.sin(band_angle)
        band = np.exp(-(across**2) / (2 * (rng.uniform(0.06, 0.14) * cw) ** 2))
        pixels = pixels * (1 - 0.3 * params.glossy * band)[..., None] + (params.glossy * 150 * band)[..., None]
    vignette = 1 - 0.25 * (((xx - cw / 2) / cw) ** 2 + ((yy - ch / 2) / ch) ** 2) * 2
    pixels *= vignette[..., None]
    pixels *= np.array(rng.uniform(0.93, 1.05, 3), np.float32)[None, None, :]  # white balance
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(params.blur_px))
    noisy = np.asarray(photo).astype(np.float32) + rng.normal(0, params.noise, (ch, cw, 3)).astype(np.float32)
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    if photo.width > params.max_px:
        photo = photo.resize((params.max_px, round(photo.height * params.max_px / photo.width)),
                             Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=params.jpeg_quality)
    return buffer.getvalue()


def _desk(canvas: Image.Image, top: int, margin_x: int, rng: np.random.Generator) -> Image.Image:
    """The canvas with a desk from row `top` down: wood-grain stripes and a dark keyboard in front of the
    monitor."""
    pixels = np.asarray(canvas).astype(np.float32).copy()
    height, width = pixels.shape[:2]
    yy, xx = np.mgrid[top:height, 0:width].astype(np.float32)
    wood = np.array(rng.choice([(120, 84, 52), (182, 160, 130), (60, 58, 56)]), np.float32)
    grain = 1 + 0.06 * np.sin(xx / rng.uniform(9, 25) + 3 * np.sin(yy / rng.uniform(30, 80)))
    pixels[top:] = wood[None, None, :] * grain[..., None] * (0.8 + 0.3 * (yy - top) / max(height - top, 1))[..., None]
    key_top = top + int(0.25 * (height - top))
    key_left, key_right = margin_x + int(0.15 * width), width - margin_x - int(0.2 * width)
    if key_right > key_left and key_top < height:
        pixels[key_top : height - int(0.1 * (height - top)), key_left:key_right] = (34, 34, 38)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


# ------------------------------------------------------------------------------------------------ build

_PAGES: dict[str, Callable[[Capture, dict, list[str], list[int]], tuple[str, int, int]]] = {
    "editor": editor_html, "github": github_html, "slide": slide_html,
}


def build(capture: Capture, sources: dict[str, dict]) -> dict:
    """Draw one capture into images/ and return its label."""
    source = sources[capture.source]
    lines, numbers = shown_lines(capture, source)
    page, width, height = _PAGES[capture.style](capture, source, lines, numbers)
    IMAGES.mkdir(exist_ok=True)
    if capture.photo is None:
        image_path = IMAGES / f"{capture.id}.png"
        screenshot(page, width, height, capture.scale, image_path)
    else:
        image_path = IMAGES / f"{capture.id}.jpg"
        with tempfile.TemporaryDirectory() as tmp:
            screen_path = Path(tmp) / "screen.png"
            screenshot(page, width, height, capture.scale, screen_path)
            with Image.open(screen_path) as screen:
                image_path.write_bytes(phone_photo(screen, capture.photo, capture.id))
    with Image.open(image_path) as image:
        size = image.size
    label = {k: v for k, v in asdict(capture).items() if k not in ("first", "count", "style", "background")}
    label["chrome"] = list(capture.chrome)
    if capture.photo is None:
        label.pop("photo")
    return {
        **label, "style": capture.style, "image": image_path.relative_to(HERE).as_posix(), "width": size[0],
        "height": size[1], "language": source["language"], "lines": lines, "line_numbers": numbers,
        "window_offset": capture.first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("command", nargs="?", default="render", choices=("render", "import-sources"))
    parser.add_argument("--mirrors", type=Path, help="import-sources: folder of git mirrors (<owner>+<name>/repo)")
    parser.add_argument("--only", action="append", help="render only these capture ids")
    parser.add_argument("--workers", type=int, default=2, help="Chromium processes in parallel")
    args = parser.parse_args()
    if args.command == "import-sources":
        if args.mirrors is None:
            parser.error("import-sources needs --mirrors")
        import_sources(args.mirrors)
        return
    sources = load_sources()
    captures = plan()
    chosen = [c for c in captures if not args.only or c.id in args.only]
    previous = {}
    if args.only and LABELS.exists():
        previous = {c["id"]: c for c in json.loads(LABELS.read_text(encoding="utf-8"))["captures"]}
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        made = {label["id"]: label for label in pool.map(lambda c: build(c, sources), chosen)}
    labels = [made.get(c.id) or previous[c.id] for c in captures if c.id in made or c.id in previous]
    LABELS.write_text(json.dumps({"captures": labels}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    total = sum((HERE / label["image"]).stat().st_size for label in labels)
    print(f"{len(made)} captures drawn, {len(labels)} in labels.json; images {total / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
