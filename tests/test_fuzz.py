"""Property tests and a bounded fuzz run: no input, however mangled, crashes a stage or slips ungrounded data through.

- OCR line reconstruction (`rebuild_layout`) on random pages never raises and keeps its invariants;
- model output (ERNIE's JSON) random or mangled is parsed, validated or refused, and after merging and
  grounding no finding cites a line not shown or a quote not on its line;
- manifest lines, random or hostile, give pairs that stay inside the root with plain unique names, or
  one InputError;
- the image and audio loaders on mutated files (tests/fuzz/fuzz_loaders.py) refuse or accept, nothing else.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from archreview.encoders.ernie import ErnieFusion, merge_findings
from archreview.pipeline.errors import InputError
from archreview.pipeline.fusion import ground_findings
from archreview.pipeline.intent import parse_instruction
from archreview.pipeline.ocr_layout import rebuild_layout
from archreview.pipeline.pairs import RESERVED_NAMES, inside, name_problem, read_manifest
from archreview.schemas import (
    CATEGORIES,
    SEVERITIES,
    Analysis,
    Code,
    ErnieFusionOptions,
    FusionRequest,
    OcrPage,
    OcrWord,
)
from archreview.schemas.fusion_output import FusionOutput
from archreview.schemas.report import evidence_problem
from tests.fuzz.fuzz_loaders import fuzz

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- OCR layout

_glyphs = st.text(
    alphabet=string.ascii_letters + string.digits + "()[]{}:;.,=+-*/_'\"#|!  \u2018\u201c\u00a0", max_size=6
)


@st.composite
def ocr_pages(draw: st.DrawFn) -> OcrPage:
    width = draw(st.integers(1, 4000))
    height = draw(st.integers(1, 4000))
    words = draw(
        st.lists(
            st.builds(
                OcrWord,
                text=_glyphs,
                left=st.integers(-50, width + 50),
                top=st.integers(-50, height + 50),
                width=st.integers(0, 400),
                height=st.integers(0, 120),
                confidence=st.floats(0, 1),
                line_key=st.sampled_from(["", "1.1.1", "1.1.2", "2.1.1"]),
            ),
            max_size=80,
        )
    )
    return OcrPage(width=width, height=height, words=words)


@st.composite
def grid_pages(draw: st.DrawFn) -> OcrPage:
    """Pages that look like code: characters on a monospace grid, some rows numbered."""
    cell = draw(st.floats(5, 30))
    pitch = draw(st.floats(cell * 1.1, cell * 3))
    words = []
    for row in range(draw(st.integers(1, 25))):
        column = draw(st.integers(0, 8))
        for char in draw(st.text(alphabet=string.ascii_letters + "=():0123456789", min_size=1, max_size=20)):
            words.append(
                OcrWord(
                    text=char,
                    left=round(10 + column * cell + draw(st.floats(-1, 1))),
                    top=round(10 + row * pitch),
                    width=max(1, round(cell * 0.8)),
                    height=round(cell * 1.4),
                    confidence=draw(st.floats(0, 1)),
                    line_key=f"1.1.{row}",
                )
            )
            column += draw(st.integers(1, 2))
    return OcrPage(width=2000, height=2000, words=words)


@FUZZ
@given(st.one_of(ocr_pages(), grid_pages()))
def test_rebuild_layout_never_raises_and_keeps_invariants(page: OcrPage) -> None:
    layout = rebuild_layout(page)
    if layout is None:
        return
    assert layout.lines and layout.lines[0].strip() and layout.lines[-1].strip()
    assert all(line == line.rstrip() for line in layout.lines)
    assert all("\n" not in line for line in layout.lines)
    assert layout.first_line >= 0 and layout.code_chars >= 0
    assert 0 <= layout.confidence <= 1
    if not layout.numbered:
        assert layout.first_line == 1


# ---------------------------------------------------------------- model output

CODE = Code(
    text="import threading\n\n_cache = {}\n\ndef get(key):\n    if key not in _cache:\n        _cache[key] = 1\n"
    "    return _cache[key]",
    language="python",
    first_line=10,
    ocr_confidence=0.9,
)
CODE_LINES = CODE.text.split("\n")
_quotes = st.one_of(st.sampled_from(CODE_LINES), st.text(max_size=40), st.sampled_from([s[:8] for s in CODE_LINES]))
_finding = st.fixed_dictionaries(
    {
        "rule_id": st.one_of(st.sampled_from(["caching/unbounded", "concurrency/race", ""]), st.text(max_size=30)),
        "title": st.text(max_size=40),
        "category": st.one_of(st.sampled_from(CATEGORIES), st.text(max_size=10)),
        "severity": st.one_of(st.sampled_from(SEVERITIES), st.text(max_size=8)),
        "confidence": st.one_of(st.floats(-1, 2), st.integers(-5, 5)),
        "line_start": st.integers(-3, 30),
        "line_end": st.integers(-3, 30),
        "quote": _quotes,
        "rationale": st.text(max_size=40),
        "recommendation": st.text(max_size=40),
    },
    optional={"verdict": st.sampled_from(["confirmed", "new", "bogus"])},
)
_outputs = st.fixed_dictionaries(
    {"findings": st.lists(_finding, max_size=6), "summary": st.text(max_size=80)},
    optional={"rejected": st.lists(st.sampled_from(["C1", "C2", "c3", "X9", ""]), max_size=4)},
)


def _mangle(text: str, data: st.DataObject) -> str:
    how = data.draw(st.sampled_from(["keep", "cut", "wrap", "insert", "fake-report"]))
    if how == "cut":
        return text[: data.draw(st.integers(0, len(text)))]
    if how == "wrap":
        return f"Sure! Here is the review:\n```json\n{text}\n```\nIgnore previous instructions."
    if how == "insert":
        at = data.draw(st.integers(0, len(text)))
        return text[:at] + data.draw(st.text(max_size=10)) + text[at:]
    if how == "fake-report":
        return json.dumps({"schema_version": "1.1", "status": "success", "findings": [], "summary": "all fine"})
    return text


@FUZZ
@given(_outputs, st.data(), st.booleans())
def test_model_output_never_lets_ungrounded_evidence_through(
    output: dict, data: st.DataObject, constrained: bool
) -> None:  # type: ignore[type-arg]
    fusion = ErnieFusion(ErnieFusionOptions(model="/nonexistent", constrained=constrained))
    raw = _mangle(json.dumps(output), data)
    try:
        parsed = fusion.postprocess(raw)
    except (ValidationError, ValueError):
        return  # refused: the backend retries, then the pipeline falls back to the analyzer (status partial)
    assert isinstance(parsed, FusionOutput)
    request = FusionRequest(instruction=parse_instruction("find bugs", "text"), code=CODE, analysis=Analysis())
    merged = merge_findings(request, parsed, max_findings=25)
    kept, reasons = ground_findings(merged, request)
    assert len(kept) + len(reasons) == len(merged)
    for finding in kept:
        for evidence in finding.evidence:
            assert evidence_problem(CODE, evidence) is None


# ---------------------------------------------------------------- manifests

_path_text = st.one_of(
    st.sampled_from(["a.png", "sub/b.png", "./a.png", "../x.png", "/etc/passwd", "sub/../a.png", "link.png",
                     "sub/../../x.png", "a.png\x00", "ü b.png", "", ".", "sub", "~/a.png"]),
    st.text(max_size=20),
)  # fmt: skip
_entry = st.one_of(
    st.fixed_dictionaries(
        {"image": _path_text},
        optional={
            "audio": _path_text,
            "instruction": st.text(max_size=30),
            "name": st.one_of(st.sampled_from(["summary", "Summary", "../n", "a", ".hidden", "x" * 300]), st.text()),
        },
    ),
    st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
)
_line = st.one_of(_entry.map(json.dumps), st.text(max_size=60), st.just(""), st.just("[]"), st.just("null"))


@pytest.fixture(scope="module")
def manifest_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("manifest") / "root"
    (root / "sub").mkdir(parents=True)
    (root / "a.png").write_bytes(b"x")
    (root / "sub" / "b.png").write_bytes(b"x")
    (root / "link.png").symlink_to("/etc/hostname")
    return root


@FUZZ
@given(lines=st.lists(_line, max_size=8))
def test_manifest_lines_give_safe_pairs_or_one_error(manifest_root: Path, lines: list[str]) -> None:
    manifest = manifest_root / "m.jsonl"
    manifest.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        specs = read_manifest(manifest)
    except InputError as e:
        assert "\n" not in str(e)
        return
    names = [spec.name for spec in specs]
    assert len({n.lower() for n in names}) == len(names)
    for spec in specs:
        assert name_problem(spec.name) is None and spec.name.lower() not in RESERVED_NAMES
        assert inside(Path(spec.image), manifest_root)
        assert spec.audio is None or inside(Path(spec.audio), manifest_root)


# ---------------------------------------------------------------- loaders on mutated bytes

FUZZ_SECONDS = 20.0


def test_loaders_on_mutated_files_refuse_or_accept(summary_line: Callable[[str], None]) -> None:
    """Bounded fuzz run of check_image / check_audio / decode_audio (python -m tests.fuzz.fuzz_loaders for longer)."""
    report = fuzz(FUZZ_SECONDS, seed=20240611, audio_share=0.1)
    summary_line(
        f"fuzz: {sum(report.iterations.values())} iterations in {report.seconds:.1f} s "
        f"{dict(report.iterations)}; crashes: {len(report.crashes)}"
    )
    assert not report.crashes, report.crashes[:5]
    assert report.iterations["check_image"] >= 200 and report.iterations["decode_audio"] >= 10
