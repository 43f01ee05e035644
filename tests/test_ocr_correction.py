"""OCR correction: real tesseract slips get fixed, correct code is never touched, the rules are data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archreview.pipeline import ocr_correction
from archreview.pipeline.language import detect_language
from archreview.pipeline.ocr_correction import (
    correct_code,
    load_data,
    normalize_lines,
    normalize_ocr_line,
    slip_rules,
    word_lists,
)

REPO = Path(__file__).resolve().parents[1]
_MARKER_RE = re.compile(r"\s*(?:#|//)\s*@flaw\s+[a-z-]+\s*$")
_LANGUAGE_OF = {".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java"}


def _fix_line(line: str, context: list[str], language: str) -> str:
    """`line` corrected within `context` (the other lines of the same screenshot)."""
    return correct_code("\n".join([*context, line]), language).split("\n")[-1]


# (context lines, OCR line, true line, language): slips read by tesseract on the rendered samples (and on
# benchmarks/ocr_snippets/tuned/sessionStore.ts, which left the held-apart set for it).
JS_CONTEXT = ["async function getItem(id) {", "  const API_BASE = 'x';", "  const API_TOKEN = 'y';"]
SLIPS = [
    (JS_CONTEXT, "  const response = await fetch(*${API_BASE}/items/${id}°, {",
     "  const response = await fetch(`${API_BASE}/items/${id}`, {", "javascript"),
    (JS_CONTEXT, '    headers: { Authorization: "Bearer ${API_TOKEN}* },',
     "    headers: { Authorization: `Bearer ${API_TOKEN}` },", "javascript"),
    (JS_CONTEXT, "    throw new Error(*item ${id}: HTTP ${response.status} );",
     "    throw new Error(`item ${id}: HTTP ${response.status}`);", "javascript"),
    (JS_CONTEXT, "      console.warn (update ${id} failed, retrying', err);",
     "      console.warn(`update ${id} failed, retrying`, err);", "javascript"),
    (JS_CONTEXT, "  container.innerHTML = '<table>${rows}</table> ;",
     "  container.innerHTML = `<table>${rows}</table>`;", "javascript"),
    (JS_CONTEXT, "    rows += °<tr><td>${order.id}</td><td>${order.total}</td></tr>°;",
     "    rows += `<tr><td>${order.id}</td><td>${order.total}</td></tr>`;", "javascript"),
    # auto's reading: rapidocr reads the backtick as a caret, and the punctuation vote takes it
    (JS_CONTEXT, "    rows += ^<tr><td>${order.id}</td><td>${order.total}</td></tr>°;",
     "    rows += `<tr><td>${order.id}</td><td>${order.total}</td></tr>`;", "javascript"),
    (JS_CONTEXT, "  const response = await fetch(^${API_BASE}/items/${id}^, {",
     "  const response = await fetch(`${API_BASE}/items/${id}`, {", "javascript"),
    (["router.get('/users/:id', async (req: Request, res: Response) => {"],
     '  const sql = "SELECT * FROM users WHERE id = ${req.params.id} ;',
     "  const sql = `SELECT * FROM users WHERE id = ${req.params.id}`;", "typescript"),
    (["  private key(id: string): string {"], "    return *${this.prefix}:${id}*;",
     "    return `${this.prefix}:${id}`;", "typescript"),
    (["router.get('/users/:id', async (req: Request, res: Response) => {", "  const sql = `x`;",
      "  const result = await pool.query(sqL);", "  res.json(result.rows[0]);"], "3);", "});", "typescript"),
    (["import logging"], "log = logging.getLogger(__name_ )", "log = logging.getLogger(__name__)", "python"),
    (["class OrderService:"], "    def _i nit__(self, db_path: str) -> None:",
     "    def __init__(self, db_path: str) -> None:", "python"),
    (["class CatalogueCache:"], "    def _ init _(self, store) -> None:", "    def __init__(self, store) -> None:",
     "python"),
    (["import os"], 'if _.name__ == "__main__":', 'if __name__ == "__main__":', "python"),
    (["import os"], 'if _ name _ == "_m ain_" :', 'if __name__ == "__main__":', "python"),
    (["import functools", "class Cache:"], "    @functools.1ru_cache(maxsize=256)",
     "    @functools.lru_cache(maxsize=256)", "python"),
    (["class ReportManager:", "    def monthly_rows(self, month: str) -> list[tuple]:"],
     '        cursor.execute("SELECT * FROM sales WHERE month = ?", (monh, ))',
     '        cursor.execute("SELECT * FROM sales WHERE month = ?", (month,))', "python"),
    (["export async function refresh(container) {", "  const customers = await loadCustomers();",
      "  if (customers.length === 0) {", "  }"],
     "    return vipCustomers(orders, customes) ;", "    return vipCustomers(orders, customers);", "javascript"),
    (["import requests", "def fetch(url: str) -> dict:", "    response = requests.get(url)"],
     "    response.rais efor_status()", "    response.raise_for_status()", "python"),
    (["public class InventoryService {", "    public int pairs(String a, String b) {"],
     "        if (a '= b && a.equals(b)) return 1;", "        if (a != b && a.equals(b)) return 1;", "java"),
    (["// client"], "const API_TOKEN = ''tk_live_9f8a7b6c';", "const API_TOKEN = 'tk_live_9f8a7b6c';", "javascript"),
]


@pytest.mark.parametrize(("context", "read", "truth", "language"), SLIPS, ids=[s[2].strip()[:40] for s in SLIPS])
def test_real_ocr_slips_are_fixed(context: list[str], read: str, truth: str, language: str) -> None:
    assert _fix_line(read, context, language) == truth


def test_fixes_hold_in_a_whole_screenshot() -> None:
    read = "\n".join([
        "const API_BASE = 'http://10.0.4.12:8080/inventory';",
        "",
        "async function getItem(id) {",
        "  const response = await fetch(*${API_BASE}/items/${id}°, {",
        "    headers: { Authorization: 'Bearer token' },",
        "  3);",
        "  return response.json();",
        "}",
    ])
    fixed = correct_code(read, "javascript").split("\n")
    assert fixed[3] == "  const response = await fetch(`${API_BASE}/items/${id}`, {"
    assert fixed[5] == "  });"


# --- precision guard: correct code comes out unchanged ---------------------------------------------

GUARD_SNIPPETS = {
    "python": '''
import os
from dataclasses import dataclass, field
from enum import Enum


class Color(Enum):
    RED = 1

    def label(self) -> str:
        return self._name_.lower() + str(self._value_)


@dataclass
class Basket:
    item: str
    items: list[str] = field(default_factory=list)
    user: str = ""
    users: list[str] = field(default_factory=list)

    def __init__(self, item1: str, item2: str) -> None:
        self.item1 = item1
        self.item2 = item2
        self._client = None
        self.client = "x"

    def __repr__(self) -> str:
        return f"Basket({self.item1!r}, {self.item2!r})"

    def total(self, prices: dict[str, float]) -> float:
        price = sum(prices.values())
        start, stat = 0, os.stat(".")
        width, widths = 3, [3, 4]
        count, cont = 1, 2
        return price + start + stat.st_size + width + sum(widths) + count + cont


def load(path: str, data: bytes, date: str) -> str:
    template = '${name} is literal here'
    return template + path + date + data.decode()


if __name__ == "__main__":
    print(load("a", b"b", "c"))
''',
    "javascript": '''
// Intentionally similar names, template literals and literal `${` in plain strings.
const item = { id: 1 };
const items = [item];
const user = 'ann';
const users = [user];
const item1 = 1;
const item2 = 2;
const raw = '${not a template}';
const other = "${neither}";
const html = `
  <div>${user}</div>
  <span>${items.length}</span>
`;

async function loadUsers(ids, onDone) {
  const response = await fetch(`/api/users/${ids.join(',')}`, {
    headers: { Authorization: `Bearer ${user}` },
  });
  if (!response.ok) {
    throw new Error(`users ${ids}: HTTP ${response.status}`);
  }
  const total = item1 * item2 * 3;
  return onDone(users.filter((u) => u !== user), total, raw + other + html);
}

module.exports = { loadUsers };
''',
    "typescript": '''
import { Request, Response } from 'express';

interface User {
  id: string;
  name: string;
}

export class UserStore {
  private readonly users: User[] = [];
  private readonly prefix: string = 'user';

  public key(user: User): string {
    return `${this.prefix}:${user.id}`;
  }

  public async find(req: Request, res: Response): Promise<void> {
    const user = this.users.find((u) => u.id === req.params.id);
    const note = 'price: ${amount}';
    res.json({ user, note, count: this.users.length });
  }
}
''',
    "java": '''
package com.example;

import java.util.ArrayList;
import java.util.List;

public class Inventory {
    private final List<String> items = new ArrayList<>();
    private String item;
    private int count;
    private int cont;

    public Inventory(String item) {
        this.item = item;
    }

    public static String describe(String user, List<String> users) {
        String template = "${user} stays literal";
        return template + user + users.size();
    }

    public boolean differs(String a, String b) {
        return a != b && !a.equals(b);
    }

    public void add(String item1, String item2) {
        items.add(item1);
        items.add(item2);
        count++;
        cont--;
    }
}
''',
}


def _guard_corpus() -> list[tuple[str, str, str]]:
    """(name, language, correct code): the sample sources (markers stripped) and the snippets above."""
    corpus = []
    for path in sorted((REPO / "samples" / "src").iterdir()):
        lines = [_MARKER_RE.sub("", line) for line in path.read_text(encoding="utf-8").rstrip("\n").split("\n")]
        corpus.append((path.name, _LANGUAGE_OF[path.suffix], "\n".join(lines)))
    corpus += [(f"snippet.{lang}", lang, code.strip("\n")) for lang, code in GUARD_SNIPPETS.items()]
    return corpus


GUARD = _guard_corpus()


@pytest.mark.parametrize(("name", "language", "code"), GUARD, ids=[g[0] for g in GUARD])
def test_correct_code_is_left_unchanged(name: str, language: str, code: str) -> None:
    corrected = correct_code(code, language)
    changed = [(a, b) for a, b in zip(code.split("\n"), corrected.split("\n"), strict=True) if a != b]
    assert changed == []


@pytest.mark.parametrize(("name", "language", "code"), GUARD, ids=[g[0] for g in GUARD])
def test_correct_code_is_unchanged_with_the_detected_language(name: str, language: str, code: str) -> None:
    assert correct_code(code, detect_language(code)) == code


def test_unknown_language_is_left_alone() -> None:
    assert correct_code("x = 1\nfoo(*${a}°)", "unknown") == "x = 1\nfoo(*${a}°)"


# --- properties ------------------------------------------------------------------------------------

_CODE_CHARS = st.sampled_from(list("abcdefghilmnorstuyABCIO01358_$ {}()[];:,.'\"`*°=!<>+-/#\\\t") + ["__", "${"])
_LINES = st.lists(st.lists(_CODE_CHARS, max_size=40).map("".join), max_size=12)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


@settings(max_examples=300, deadline=None)
@given(lines=_LINES, language=st.sampled_from(["python", "javascript", "typescript", "java", "go", "unknown"]))
def test_lines_and_indentation_are_kept(lines: list[str], language: str) -> None:
    text = "\n".join(lines)
    corrected = correct_code(text, language)
    out = corrected.split("\n")
    assert len(out) == len(text.split("\n"))
    # Two repairs put back a line OCR misread whole, at its own column: a block comment's `/**` (one left of the
    # stars below it, every line one column right where there is no room) and a docstring's closing quotes.
    placed = {i for i, (old, new) in enumerate(zip(text.split("\n"), out, strict=True))
              if new.strip() in ("/**", '"""', "'''") and old.strip() != new.strip()}
    kept = [(_indent(old), _indent(new)) for i, (old, new) in enumerate(zip(text.split("\n"), out, strict=True))
            if i not in placed]
    shift = " " if placed and any(new == " " + old for old, new in kept) else ""
    assert all(new == old or (shift and new == shift + old) for old, new in kept)


# --- through the vision stage, real tesseract ------------------------------------------------------


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs Debian tesseract-ocr")
def test_correction_raises_line_accuracy_on_a_real_screenshot() -> None:
    from PIL import Image

    from archreview.encoders.tesseract import TesseractOcr
    from archreview.pipeline.evaluation import line_accuracy
    from archreview.pipeline.language import detect_language
    from archreview.pipeline.ocr_layout import rebuild_layout
    from archreview.pipeline.vision import prepare_image, read_code
    from archreview.schemas import TesseractOptions

    case = next(c for c in json.loads((REPO / "samples" / "labels.json").read_text())["cases"]
                if c["name"] == "api_client")
    engine = TesseractOcr(TesseractOptions())
    with Image.open(REPO / "samples" / case["image"]) as image:
        layout = rebuild_layout(engine.recognize(prepare_image(image)[0]))
        read = read_code(image, engine).code.text
    assert layout is not None
    raw = "\n".join(layout.lines)
    corrected = correct_code(raw, detect_language(raw))
    assert corrected == read, "read_code applies the correction"
    truth_lines = set(case["code"].split("\n"))
    broken = [b for a, b in zip(raw.split("\n"), corrected.split("\n"), strict=True)
              if a != b and a in truth_lines]
    assert broken == []
    assert line_accuracy(case["code"], corrected) > line_accuracy(case["code"], raw)
    assert "  const response = await fetch(`${API_BASE}/items/${id}`, {" in corrected.split("\n")


# --- the rules are data, each entry with its source ------------------------------------------------


def _entries(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    """Every rule or word entry of a data file (an object holding words, glyphs or a read), with its path."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        if any(key in node for key in ("words", "glyphs", "glyph", "read")) or path.endswith("doubled_quote") \
                or path.endswith("dunder_breaks"):
            found.append((path, node))
        for key, value in node.items():
            if key not in ("words", "glyphs"):
                found += _entries(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _entries(value, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("name", [ocr_correction.SLIPS_FILE, ocr_correction.WORDS_FILE])
def test_every_rule_and_word_says_where_it_came_from(name: str) -> None:
    entries = _entries(load_data(name))
    assert len(entries) >= 10
    for path, entry in entries:
        if path.startswith(".dropped"):
            assert str(entry.get("reason", "")).strip(), path
        else:
            assert str(entry.get("source", "")).strip(), path


def test_data_files_load_into_the_rules() -> None:
    rules, words = slip_rules(), word_lists()
    assert any({"l", "1"} <= group for group in rules.confusable)
    assert rules.digit_for["O"] == "0" and rules.digit_for["l"] == "1"
    assert "*" in rules.template_delimiters
    assert {"python", "javascript", "typescript", "java"} <= set(words.languages)
    assert "lambda" in words.languages["python"]  # the interpreter's own keywords
    assert words.languages["javascript"] <= words.languages["typescript"]  # `includes`
    assert "init" in words.dunders and "eval" in words.analyzer


def test_an_entry_without_a_source_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_data(ocr_correction.SLIPS_FILE)
    data["spaced_operators"].append({"read": "* *", "meant": "**"})
    monkeypatch.setattr(ocr_correction, "load_data", lambda name: data)
    slip_rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="source"):
            slip_rules()
    finally:
        monkeypatch.undo()
        slip_rules.cache_clear()


def test_the_data_file_drives_the_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    """A template-literal slip is repaired with the data file's `*`, and no longer once `*` leaves the file."""
    read = "  const response = await fetch(*${API_BASE}/items/${id}*, {"
    truth = "  const response = await fetch(`${API_BASE}/items/${id}`, {"
    assert _fix_line(read, JS_CONTEXT, "javascript") == truth
    data = load_data(ocr_correction.SLIPS_FILE)
    data["template_delimiters"] = [d for d in data["template_delimiters"] if d["glyph"] != "*"]
    monkeypatch.setattr(ocr_correction, "load_data", lambda name: data)
    slip_rules.cache_clear()
    try:
        assert _fix_line(read, JS_CONTEXT, "javascript") == read
    finally:
        monkeypatch.undo()
        slip_rules.cache_clear()


@pytest.mark.parametrize("entry", load_data(ocr_correction.SLIPS_FILE)["spaced_operators"], ids=lambda e: e["read"])
def test_each_spaced_operator_of_the_data_file_is_joined(entry: dict[str, str]) -> None:
    assert normalize_ocr_line(f"if (a {entry['read']} b) x") == f"if (a {entry['meant']} b) x"


def test_the_not_equal_and_closer_rules_of_the_data_file_repair_a_line() -> None:
    data = load_data(ocr_correction.SLIPS_FILE)
    read = f"        if (a {data['not_equal']['read']} b && a.equals(b)) return 1;"
    assert _fix_line(read, ["class A {", "  int f(String a, String b) {"], "java") == read.replace(
        data["not_equal"]["read"], data["not_equal"]["meant"])
    closer = data["closer"]["read"] + ");"
    fixed = correct_code("\n".join(["app.get('/x', (req, res) => {", "  res.json(1);", closer]), "javascript")
    assert fixed.split("\n")[-1] == data["closer"]["meant"] + ");"


@pytest.mark.parametrize("group", [g for g in load_data(ocr_correction.SLIPS_FILE)["confusable_glyphs"]
                                   if "l" in g["glyphs"]], ids=lambda g: g["glyphs"])
def test_each_glyph_confused_with_l_is_repaired_in_a_known_name(group: dict[str, str]) -> None:
    # Glyphs that can sit inside a word (`|` and `!` end it).
    glyphs = sorted(g for g in set(group["glyphs"]) - {"l"} if g.isalnum())
    assert glyphs
    for glyph in glyphs:
        fixed = _fix_line(f"    @functools.{glyph}ru_cache(maxsize=256)", ["import functools"], "python")
        assert fixed == "    @functools.lru_cache(maxsize=256)", glyph


def test_the_analyzer_view_repairs_glyphs_operators_and_colons() -> None:
    lines = ["class Repo", "    def find(se1f, name)", "        if name = = None: return eva1(name)"]
    assert normalize_lines(lines, "python") == [
        "class Repo:", "    def find(self, name):", "        if name == None: return eval(name)"]
    assert normalize_lines(["if (ok = = Fa1se) {"], "javascript") == ["if (ok == False) {"]
    assert normalize_ocr_line("value1 = self1") == "value1 = self1"  # names an author may write stay


_SUFFIXES = {"python": (".py",), "javascript": (".js", ".ts"), "typescript": (".js", ".ts"), "java": (".java",)}


def _words_of(folder: Path, language: str) -> set[str]:
    return {w for p in folder.iterdir() if p.is_file() and p.suffix in _SUFFIXES[language]
            for w in re.findall(r"[A-Za-z_$][\w$]*", p.read_text(encoding="utf-8"))}


def test_no_word_was_learned_from_a_held_apart_snippet() -> None:
    """A listed name that a held-apart snippet of its language uses is a keyword, or a tuned-on source uses it."""
    snippets = REPO / "benchmarks" / "ocr_snippets"
    suspect = []
    for lang, entries in load_data(ocr_correction.WORDS_FILE)["languages"].items():
        held = _words_of(snippets, lang)
        tuned = _words_of(REPO / "samples" / "src", lang) | _words_of(snippets / "tuned", lang)
        suspect += [(lang, word) for entry in entries if not entry["source"].startswith("language spec")
                    for word in entry["words"] if word in held and word not in tuned]
    assert suspect == []


def test_a_caret_where_an_expression_cannot_start_is_the_only_one_taken_for_a_backtick() -> None:
    """`^` is JavaScript's XOR and a regular expression's anchor: only a caret that opens a template (after `=`,
    `(`, ...) with a `${` in it is read as a backtick."""
    clean = [
        "const toggled = flags ^ mask;",
        "const anchored = /^\\d+$/.test(value);",
        "const pattern = new RegExp('^' + prefix);",
        "const both = `${a}` ^ b;",
    ]
    assert correct_code("\n".join(clean), "javascript") == "\n".join(clean)
    assert _fix_line("  const sql = ^SELECT * FROM users WHERE id = ${req.params.id} ;", [], "typescript") == (
        "  const sql = `SELECT * FROM users WHERE id = ${req.params.id}`;"
    )


# --- code spans, docstring quotes and `def` (tuned editor/GitHub captures' slips, benchmarks/captures) ----------

@pytest.mark.parametrize(("read", "meant", "language"), [
    (" * The callback ~callback(err)> is invoked when the transfer is complete",
     " * The callback `callback(err)` is invoked when the transfer is complete", "javascript"),
    ("    // use a loop instead of 'push(...cb)*: the array can be arbitrarily large",
     "    // use a loop instead of `push(...cb)`: the array can be arbitrarily large", "typescript"),
    (' *   - "root`     root directory for relative filenames',
     " *   - `root`     root directory for relative filenames", "javascript"),
    (' * can be ~"allow"\' to send them', ' * can be `"allow"` to send them', "javascript"),
    ("    \"\"\"Return **'Strict'`` or ``'Lax'`` if the cookie",
     "    \"\"\"Return ``'Strict'`` or ``'Lax'`` if the cookie", "python"),
])
def test_code_spans_in_comments_get_their_backticks_back(read: str, meant: str, language: str) -> None:
    context = {"python": ["def f():"], "javascript": ["/**"], "typescript": ["function f() {"]}[language]
    assert _fix_line(read, context, language) == meant


def test_code_spans_in_a_docstring_get_double_backticks() -> None:
    lines = ['def secure(app):', '    """Returns True.  Returns the value of',
             "    the '*SESSION_COOKIE_SECURE** setting, see :doc:*/deploying/index'.", '    """']
    fixed = correct_code("\n".join(lines), "python").split("\n")
    assert fixed[2] == "    the ``SESSION_COOKIE_SECURE`` setting, see :doc:`/deploying/index`."


@pytest.mark.parametrize("line", [
    "    # the 'name' and \"other\" keys",  # matching quotes: a quotation as written
    "    # *emphasis* and **strong**",
    "    x = 'a' + \"b'",  # code and strings are never span-repaired
])
def test_quotations_and_code_are_not_taken_for_code_spans(line: str) -> None:
    assert _fix_line(line, ["def f():"], "python") == line


@pytest.mark.parametrize("garbled", ["vue", "nun", "noe", "u m", 'n""', "sun"])
def test_a_docstrings_closing_quotes_read_as_letters_are_restored(garbled: str) -> None:
    lines = ["def get(self):", '    """Returns the value of the setting.', f"    {garbled}", "    return self.value"]
    fixed = correct_code("\n".join(lines), "python").split("\n")
    assert fixed[2] == '    """'
    assert fixed[3] == "    return self.value"


def test_short_lines_outside_a_docstring_are_not_taken_for_quotes() -> None:
    lines = ["def run(self):", '    """Run it."""', "    sum", "    one"]
    assert correct_code("\n".join(lines), "python") == "\n".join(lines)


@pytest.mark.parametrize(("read", "meant"), [
    ("de fget_cookie_secure(self, app: Flask) -> bool:", "def get_cookie_secure(self, app: Flask) -> bool:"),
    ("defget_cookie_samesite(self, app: Flask) -> str | None:",
     "def get_cookie_samesite(self, app: Flask) -> str | None:"),
    ("    async de f fetch(self):", "    async def fetch(self):"),
])
def test_a_def_run_into_its_name_gets_its_blank_back(read: str, meant: str) -> None:
    assert _fix_line(read, ["class Session:"], "python") == meant


@pytest.mark.parametrize("line", ["default(x)", "    defaults = compute(x)", "    define(x, y)"])
def test_calls_that_start_with_def_are_left_alone(line: str) -> None:
    assert _fix_line(line, ["import os"], "python") == line


def test_a_screenshot_that_starts_inside_a_jsdoc_gets_its_code_spans_and_stars() -> None:
    read = ["* Transfer the file at the given 'path'.", "* The callback ^callback(err)~ is invoked",
            "* Other options are passed along to 'send .", "*", "x       var uid = req.params.uid", " */",
            "function send(res) {", "  return res;", "}"]
    fixed = correct_code("\n".join(read), "javascript").split("\n")
    assert fixed[:5] == ["* Transfer the file at the given 'path'.", "* The callback `callback(err)` is invoked",
                         "* Other options are passed along to `send`.", "*", "*       var uid = req.params.uid"]
    assert fixed[6:] == read[6:]


@pytest.mark.parametrize("opener", ["we", "jee"])
def test_a_jsdoc_opener_read_in_the_stars_column_is_put_one_column_left(opener: str) -> None:
    read = [opener, "* Transfer the file at the given path.", "*", "* Options:", "*/", "function send(res) {",
            "  return res;", "}"]
    fixed = correct_code("\n".join(read), "javascript").split("\n")
    assert fixed == ["/**", " * Transfer the file at the given path.", " *", " * Options:", " */",
                     " function send(res) {", "   return res;", " }"]


def test_a_jsdoc_opener_and_closer_read_as_letters_come_back() -> None:
    read = ["/x*", " * Assign `setting` to `val`.", " a    app.set('foo', 'bar');", " x/",
            "app.set = function set(setting, val) {", "  return this;", "};"]
    fixed = correct_code("\n".join(read), "javascript").split("\n")
    assert fixed[:4] == ["/**", " * Assign `setting` to `val`.", " *    app.set('foo', 'bar');", " */"]
    assert fixed[4:] == read[4:]


@pytest.mark.parametrize("closer", [' "/', " of", "  /", " *"])
def test_a_javadoc_empty_line_read_as_an_opener_and_a_garbled_closer_come_back(closer: str) -> None:
    """A blurred photo's Javadoc: its empty ` *` line read as `/**` (no comment opens inside one) and the line
    above the method, which must close the comment, read as two stray glyphs: both come back from its shape."""
    read = [
        "/**",
        " * Returns a {@link Converter} for {@code type}.",
        "/**",
        " * @throws IllegalArgumentException if no converter available.",
        closer,
        "public <T> Converter<T, RequestBody> requestBodyConverter(",
        "    Type type) {",
        "  return null;",
        "}",
    ]
    fixed = correct_code("\n".join(read), "java").split("\n")
    assert fixed[:5] == [
        "/**",
        " * Returns a {@link Converter} for {@code type}.",
        " *",
        " * @throws IllegalArgumentException if no converter available.",
        " */",
    ]
    assert fixed[5:] == read[5:]


def test_comment_lines_that_are_code_or_text_stay_as_read() -> None:
    """A second Javadoc after a closed one opens as read, and a star line above more comment text stays one."""
    clean = [
        "/**",
        " * Sends the body.",
        " */",
        "void send() {}",
        "",
        "/**",
        " *",
        " * @param value the value",
        " */",
        "void set(int value) {}",
    ]
    assert correct_code("\n".join(clean), "java") == "\n".join(clean)


def test_a_comment_alone_gets_its_code_spans_whatever_the_language() -> None:
    read = "* The callback ^callback(err)> is invoked\n* or when an error occurs. Be sure to check ^res.headersSent`"
    assert correct_code(read, "unknown").split("\n") == [
        "* The callback `callback(err)` is invoked", "* or when an error occurs. Be sure to check `res.headersSent`"]


def test_constant_names_get_the_underscores_ocr_lost_where_the_screenshot_shows_them() -> None:
    read = ['def secure(app):', '    """The ``SESSION_COOKIE_SECURE`` setting."""',
            '    return app.config["SESSION COOKIE SECURE"]', '    raise Error("NOT FOUND")']
    fixed = correct_code("\n".join(read), "python").split("\n")
    assert fixed[2] == '    return app.config["SESSION_COOKIE_SECURE"]'
    assert fixed[3] == '    raise Error("NOT FOUND")'  # no evidence: capitals a blank apart stay


def test_a_docstrings_closing_quotes_ocr_did_not_see_come_back_before_the_code() -> None:
    read = ["def get_cookie_httponly(self, app):", '    """Returns True if the cookie should be httponly.',
            "", "    Default is the config var.", "", '    return app.config["SESSION_COOKIE_HTTPONLY"]', "",
            "def get_cookie_secure(self, app):", '    """Returns True if secure."""', "    return True"]
    fixed = correct_code("\n".join(read), "python").split("\n")
    assert fixed[2] == ""  # a paragraph break inside the docstring: prose follows
    assert fixed[4] == '    """'
    assert fixed[5:] == read[5:]


def test_a_screenshot_that_starts_inside_a_docstring_gets_its_closer_and_its_code() -> None:
    read = ["    currently just returns the value of the", "    config var.", "    mun",
            '    return app.config["SESSION_COOKIE_HTTPONLY"]', "", "def get_cookie_secure(self, app):",
            '    """Returns True.  Returns the value of the', "    the '*SESSION_COOKIE_SECURE** setting.", '    """',
            "    return True"]
    fixed = correct_code("\n".join(read), "python").split("\n")
    assert fixed[2] == '    """'
    assert fixed[4] == ""  # a blank line of code stays blank
    assert fixed[7] == "    the ``SESSION_COOKIE_SECURE`` setting."


@pytest.mark.parametrize("glyph", ["+", "5"])
def test_a_closing_brace_read_as_one_glyph_comes_back_where_the_block_closes(glyph: str) -> None:
    read = ["export function flush(cbs) {", "  for (const cb of cbs) {", "    run(cb)", f"  {glyph}", "}"]
    assert correct_code("\n".join(read), "javascript").split("\n")[3] == "  }"


def test_a_lone_glyph_that_is_not_where_a_block_closes_stays() -> None:
    read = ["const total = [", "  1,", "  5", "]"]
    assert correct_code("\n".join(read), "javascript") == "\n".join(read)


def test_a_short_line_inside_a_block_comment_is_no_opener() -> None:
    read = ["/**", " * Returns a converter.", " .", " * @throws IllegalArgumentException if none.", " */"]
    # Its own star, read as a speck: no opener.
    assert correct_code("\n".join(read), "java").split("\n")[2] == " *"


def test_a_block_comment_in_code_too_garbled_for_its_language_still_gets_its_opener() -> None:
    read = ["fee", " * Returns a {@link Converter} for ^type~.", " */", "publuc <T> Converter<T> convert("]
    fixed = correct_code("\n".join(read), "unknown").split("\n")
    assert fixed[:3] == ["/**", " * Returns a {@link Converter} for `type`.", " */"]
    assert fixed[3] == read[3]


# Slips read by auto on the tuned captures (benchmarks/captures): a letter lost inside a word whose cell the grid
# kept as a blank before the next closer or separator (`rawRespone) ;`, gh-t-08; `rawRespose) ;`, ed-t-08).
@pytest.mark.parametrize(("read", "meant"), [
    ("    response = parseResponse(rawRespone) ;", "    response = parseResponse(rawResponse);"),
    ("    response = parseResponse(rawRespose) ;", "    response = parseResponse(rawResponse);"),
    ("    callback.onResponse(OkHttpCall.this, respone) ;", "    callback.onResponse(OkHttpCall.this, response);"),
])
def test_a_lost_letter_whose_blank_cell_shows_is_put_back(read: str, meant: str) -> None:
    context = ["public void onResponse(okhttp3.Call call, okhttp3.Response rawResponse) {",
               "  Response<T> response;", "  try {"]
    assert _fix_line(read, context, "java") == meant


@pytest.mark.parametrize("read", [
    "    return parseResponse(rawRespose);",  # no blank cell: a wide letter lost there is no evidence of anything
    "    if ( rawRespose ) {",  # brackets padded with blanks: the blank is the style, not a lost cell
    "    return count(itemCount) ;",  # an `s` inserted (items/item) is never voted away
])
def test_without_a_lost_cell_a_wide_letter_is_not_invented(read: str) -> None:
    context = ["void f(Response rawResponse, int itemsCount) {", "  int x = itemsCount;"]
    assert _fix_line(read, context, "java") == read


@pytest.mark.parametrize(("read", "meant"), [
    # tuned captures gh-t-01 and ed-t-09 (flask app.py): the opening backtick run into the role's colon, or
    # both backticks read as quotes
    ("    If the :attr :debug' flag is set the server will automatically reload",
     "    If the :attr:`debug` flag is set the server will automatically reload"),
    ("    If the :attr:'debug' flag is set the server will automatically reload",
     "    If the :attr:`debug` flag is set the server will automatically reload"),
    ("    See :func:\"run_simple\".", "    See :func:`run_simple`."),
])
def test_a_restructuredtext_roles_argument_gets_its_backticks(read: str, meant: str) -> None:
    assert _fix_line(read, ["def run(self):", '    """Runs the application.'], "python") == meant


def test_quotes_without_a_role_stay_quotes() -> None:
    line = "    If the 'debug' flag is set, see attr :debug' too"
    assert _fix_line(line, ["def run(self):", '    """Runs the application.'], "python") == line


def test_a_closer_of_a_block_opened_above_the_picture_comes_back() -> None:
    # tuned capture zh-t-04 (vben preferences): `};` read as `1;` where the method opened above the picture ends
    read = ["  this.setupWatcher();", "", "  this.isInitialized = true;", "1;", "", "/**"]
    assert correct_code("\n".join(read), "javascript").split("\n")[3] == "};"
    # not when the lines above are not all deeper: a value in a list
    read = ["values = [", "  1,", "2", "]"]
    assert correct_code("\n".join(read), "javascript") == "\n".join(read)


def test_one_chinese_character_where_a_block_closes_is_its_closer() -> None:
    # tuned capture zh-t-05 (mall OmsPortalOrderServiceImpl.java): rapidocr read the `}` as `了`
    read = ["    if(order.getStatus()!=2){", '        Asserts.fail("该订单还未发货！");', "    了",
            "    order.setStatus(3);"]
    assert correct_code("\n".join(read), "java").split("\n")[2] == "    }"
    # a Chinese character alone inside a comment stays
    read = ["    /*", "    了", "    */"]
    assert correct_code("\n".join(read), "java") == "\n".join(read)


def test_a_chinese_line_comment_that_lost_a_slash_gets_it_back() -> None:
    # tuned captures zh-t-01 (mall, Java) and zh-t-03 (vben, TypeScript): `//获取订单超时时间` read `/获取订单超时时间`
    read = ["public void send(Long orderId) {", "    /获取订单超时时间", "    long t = a /b;", "}"]
    assert correct_code("\n".join(read), "java").split("\n")[1:3] == ["    //获取订单超时时间", "    long t = a /b;"]
    read = ["function f(tabs) {", "  /设置访问历史记录", "  return tabs;", "}"]
    assert correct_code("\n".join(read), "typescript").split("\n")[1] == "  //设置访问历史记录"


@pytest.mark.parametrize(("read", "meant"), [
    ('    return app.config["SESSIO NCOOKI EHTTPONLY"]', '    return app.config["SESSION_COOKIE_HTTPONLY"]'),
    ('    return app.config["SESSION_cOOKIE_HTTPONLY"]', '    return app.config["SESSION_COOKIE_HTTPONLY"]'),
    ("    the :data:`SESSIONCOOKIES AMESITE` setting.", "    the :data:`SESSION_COOKIE_SAMESITE` setting."),
])
def test_a_name_whose_underscores_ocr_lost_or_moved_is_respelled_as_the_capture_spells_it(read: str,
                                                                                          meant: str) -> None:
    # Tuned photos ph-t-04/09/17 and ed-t-02: the letters are all there, the underscores lost, doubled or moved.
    context = ["def cookie(self, app):", '    """Uses ``SESSION_COOKIE_HTTPONLY``."""',
               "    name = SESSION_COOKIE_SAMESITE"]
    assert _fix_line(read, context, "python") == meant


def test_prose_words_a_blank_apart_are_not_joined_into_a_name() -> None:
    # `shell context` in a docstring is prose, though the capture names `shell_context`; and a name spelled two
    # ways in full (`request_body`, `requestBody`) says nothing about which one was meant.
    read = ["def make(self):", '    """Returns the shell context for this."""', "    shell_context = {}",
            "    a = request_body", "    b = requestBody", "    c = request body"]
    assert correct_code("\n".join(read), "python").split("\n") == read


def test_a_closer_read_as_a_paren_becomes_the_brace_the_stack_wants() -> None:
    read = ["function f(ref) {", "  if (ref.dep) {", "    ref.dep.trigger({", "      target: ref,", "    ))",
            "  ) else {", "    run()", "  )", "}"]
    fixed = correct_code("\n".join(read), "javascript").split("\n")
    assert fixed[4:] == ["    })", "  } else {", "    run()", "  }", "}"]


def test_a_paren_that_closes_what_is_open_stays() -> None:
    read = ["const total = sum(", "  a,", "  b,", ")", "call(() => {", "  run()", "})"]
    assert correct_code("\n".join(read), "javascript").split("\n") == read


def test_a_docstring_opener_read_as_marks_and_its_lost_closer_come_back() -> None:
    # Tuned photo ph-t-23: `"*"Returns ...` under the def, the closing quotes unseen before a garbled return.
    read = ["def get_cookie(self, app):", '    "*"Returns True if the cookie should be httponly.', "    Config var.",
            "", '    return app.config l"SESSION_COOKIE_HTTPONLY"}']
    fixed = correct_code("\n".join(read), "python").split("\n")
    assert fixed[1] == '    """Returns True if the cookie should be httponly.'
    assert fixed[3] == '    """'


def test_a_def_name_with_its_underscores_lost_and_letters_moved_is_cut_into_the_captures_words() -> None:
    # Tuned photos ph-t-04 and ph-t-23: `de fge tcookieh ttponly`, `get_cooki esecure`; the docstrings write
    # `cookie`, `httponly`, `secure`, another header `get`.
    read = ["def get_cookie_samesite(self, app):", '    """Returns True if the cookie should be httponly or secure."""',
            "    return True", "", "de fge tcookieh ttponly(self, app: Flask) -> bool:", "    return False", "",
            "def get_cooki esecure(self, app: Flask) -> bool:", "    return False"]
    fixed = correct_code("\n".join(read), "python").split("\n")
    assert fixed[4] == "def get_cookie_httponly(self, app: Flask) -> bool:"
    assert fixed[7] == "def get_cookie_secure(self, app: Flask) -> bool:"


def test_a_def_name_the_captures_words_cannot_cut_one_way_stays() -> None:
    read = ["def fetch(self):", '    """Fetch the data."""', "def fetch dat a(self):", "    return 1"]
    assert correct_code("\n".join(read), "python").split("\n")[2] == "def fetch dat a(self):"


@pytest.mark.parametrize(("read", "meant", "language"), [
    (" * The callback  callback(err)  is invoked when the transfer is complete",
     " * The callback `callback(err)` is invoked when the transfer is complete", "javascript"),
    (" * Other options are passed along to  send .", " * Other options are passed along to `send`.", "javascript"),
])
def test_a_code_span_that_lost_both_backticks_gets_them_back_from_its_blank_cells(read: str, meant: str,
                                                                                   language: str) -> None:
    assert _fix_line(read, ["/**"], language) == meant


def test_a_code_span_that_lost_double_backticks_in_a_docstring_gets_them_back() -> None:
    read = ['def f(app):', '    """Returns the value of the   SESSION_COOKIE_HTTPONLY   setting.']
    assert correct_code("\n".join(read), "python").split("\n")[1] == (
        '    """Returns the value of the ``SESSION_COOKIE_HTTPONLY`` setting.')


@pytest.mark.parametrize("line", [
    " *   - `maxAge`   defaulting to 0 (can be string converted by `ms`)",  # a list's aligned columns
    " * Returns True if the session cookie should be httponly.  This",  # two blanks after a sentence
    " *  The following example illustrates how `res.sendFile()` may",  # an indented paragraph
])
def test_aligned_columns_and_blanks_after_a_sentence_are_no_lost_backticks(line: str) -> None:
    assert _fix_line(line, ["/**"], "javascript") == line


@pytest.mark.parametrize(("read", "meant", "language"), [
    (" *   - 'root      root directory for relative filenames",
     " *   - `root`     root directory for relative filenames", "javascript"),
    (" * or when an error occurs. Be sure to check 'res.headersSent",
     " * or when an error occurs. Be sure to check `res.headersSent`", "javascript"),
    ("    \"'SameSite   attribute. This currently just returns the value of",
     "    ``SameSite`` attribute. This currently just returns the value of", "python"),
])
def test_a_code_span_that_lost_its_closing_backticks_before_a_column_or_the_end_gets_them_back(
        read: str, meant: str, language: str) -> None:
    context = {"python": ["def f():", '    """Return it.'], "javascript": ["/**"]}[language]
    assert _fix_line(read, context, language) == meant


@pytest.mark.parametrize("line", [
    " * a quotation 'that goes on",  # open at the line's end, but prose: it may close on the next line
    " * it's fine  and 'so'  is this",  # marks inside the body, a closed quotation
    " * Transfer the file at 'path'.",
    " *   - `maxAge-   defaulting to 0",  # the closer read as `-`: nothing lost
    ' *   - ~"maxAge   defaulting to 0',  # two marks outside a docstring: no double backticks
])
def test_open_quotations_in_prose_are_no_code_spans(line: str) -> None:
    assert _fix_line(line, ["/**"], "javascript") == line


def test_on_a_photo_voting_also_takes_the_look_alikes_of_blurred_glyphs() -> None:
    read = ["def run(", "    host: str | None = Hone,", "    load_dotenv: bool = Frue,", ") -> None:"]
    text = "\n".join(read)
    photo = correct_code(text, "python", blurred=True).split("\n")
    assert photo[1:3] == ["    host: str | None = None,", "    load_dotenv: bool = True,"]
    # A screenshot's glyphs are sharp: `H` for `N` is no slip there, and the words stay as read.
    assert correct_code(text, "python").split("\n") == read


def test_blurred_look_alikes_are_data_that_says_where_it_came_from() -> None:
    groups = load_data("ocr_slips.json")["blurred_confusable_glyphs"]
    assert groups and all(g["source"].strip() and len(g["glyphs"]) >= 2 for g in groups)
    assert frozenset("NMH") in slip_rules().blurred_confusable


def test_a_block_comments_stars_read_as_specks_or_lost_come_back() -> None:
    read = ["/**", " * Transfer the file.", " °", " * Options:", "", " * Other options.", " */", "function f() {}"]
    fixed = correct_code("\n".join(read), "javascript").split("\n")
    assert fixed[2] == " *" and fixed[4] == " *"
    assert fixed[:2] == read[:2] and fixed[5:] == read[5:]


def test_a_blank_line_outside_a_block_comment_stays_blank() -> None:
    code = ["/**", " * Doc.", " */", "", "function f() {", "  return 1;", "}"]
    assert correct_code("\n".join(code), "javascript").split("\n") == code


@pytest.mark.parametrize(("read", "meant"), [
    (" * Returns a felink Converter) for (@code type} to (plink RequestBody) from the available",
     " * Returns a {@link Converter} for {@code type} to {@link RequestBody} from the available"),
    (" * (Blinkplain #converterFactories() factories) except (@code skipPast).",
     " * {@linkplain #converterFactories() factories} except {@code skipPast}."),
])
def test_javadoc_inline_tags_get_their_braces_back(read: str, meant: str) -> None:
    assert _fix_line(read, ["/**"], "java") == meant


def test_a_paren_in_a_comment_without_a_tag_mark_stays() -> None:
    line = " * Returns (code of the thing) and {@link Foo}."
    assert _fix_line(line, ["/**"], "java") == line
