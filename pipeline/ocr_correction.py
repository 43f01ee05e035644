"""Repair of the slips OCR makes on code: the one place that does it.

The grid rebuild (`pipeline.ocr_layout`) gets layout right; what remains are characters misread
inside a line. The rules and word lists are data (`pipeline/data/ocr_slips.json`,
`pipeline/data/ocr_words.json`), each entry with where it was seen; one confusable-glyph table
serves every repair here and the reading of line numbers. Two entry points, for two readers:

`correct_code` (the vision stage) changes the text a user sees, so each repair fires only on
evidence from the rest of the same screenshot. Code is full of structure that must balance (quotes,
brackets) and of identifiers that recur, so most slips show up as an inconsistency:

- JavaScript/TypeScript template literals whose backticks were read as `*`, `°`, `'`, `"` or
  lost (`fetch(*${API}/items/${id}°, {`);
- `'=` for `!=`, a doubled quote at a string's start, and a closing `});` read as `3);`;
- Python dunders broken by a space, a dot or a lost underscore (`_i nit__`, `__name_`);
- identifier voting: a word read once, never defined, one OCR slip away from an identifier the
  same code defines or uses twice, or from a keyword or well-known library name of the language,
  takes that spelling (`monh` -> `month`, `1ru_cache` -> `lru_cache`; any lost letter where the grid kept its
  blank cell: `respone) ;` -> `response);`), never across plural/singular or case-of-first-letter pairs;
- reST roles' backticks (`:attr :debug'` -> `:attr:`debug``), a Chinese `//` comment's lost slash, and a
  closer read as a digit or a CJK character where a block ends (`1;`, `了`).
Precision matters more than recall: a wrong "fix" of a correct line costs as much as a missed fix.

`normalize_lines` (the analyzer) repairs the view parsers and detectors read, line by line:
spaced operators (`= =`), look-alike glyphs inside keywords and risky API names (`eva1`,
`Fa1se`) and Python block headers that lost their colon. Evidence quotes always come from the raw
lines, so it may be bolder.

Neither ever adds or removes lines. Indentation is kept, but where a line OCR misread whole is put back at
its own column: a block comment's `/**` (one column left of its stars) and a docstring's closing quotes.
"""

from __future__ import annotations

import ast
import builtins
import contextvars
import functools
import json
import keyword
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

# --- the rules, as data ----------------------------------------------------------------------------

_HASH_COMMENT = frozenset({"python", "ruby"})
_BRACE_LANGUAGES = frozenset({"javascript", "typescript", "java", "go", "c", "cpp", "csharp", "rust", "php", "kotlin"})
_TEMPLATE_LANGUAGES = frozenset({"javascript", "typescript"})
SLIPS_FILE = "ocr_slips.json"
WORDS_FILE = "ocr_words.json"


def load_data(name: str) -> dict[str, Any]:
    """One JSON file of `archreview.pipeline`'s package data (`pipeline/data/<name>`).

    Args:
        name: the file's name, e.g. "ocr_slips.json".
    Returns:
        Its content.
    Raises:
        ValueError: the file is missing or not a JSON object.
    """
    try:
        text = (resources.files("archreview.pipeline") / "data" / name).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"package data {name} cannot be read: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"package data {name} is not a JSON object")
    return data


def _sourced(entry: Any, where: str) -> dict[str, Any]:
    """`entry` itself, checked to be an object with a non-empty `source` (where its rule came from)."""
    if not isinstance(entry, dict) or not str(entry.get("source", "")).strip():
        raise ValueError(f"{where}: every entry needs a non-empty 'source' (where the rule or word came from)")
    return entry


@dataclass(frozen=True)
class SlipRules:
    """The OCR slip rules of `pipeline/data/ocr_slips.json`, ready to use."""

    confusable: tuple[frozenset[str], ...]  # glyph groups that look alike in code fonts
    blurred_confusable: tuple[frozenset[str], ...]  # further groups that look alike once blurred (photos)
    digit_for: dict[str, str]  # glyph -> the digit it stands for inside a line number
    sequences: tuple[tuple[str, str], ...]  # (read, meant): `rn` read for `m`, ...
    thin: frozenset[str]  # narrow glyphs OCR drops or invents inside a word
    template_delimiters: str  # what a template literal's backtick is read as
    template_openers: tuple[str, ...]  # keywords an expression (a template literal) may follow
    not_equal: re.Pattern[str]
    not_equal_meant: str
    closer: re.Pattern[str]
    closer_meant: str
    spaced_operators: tuple[tuple[re.Pattern[str], str], ...]


@functools.cache
def slip_rules() -> SlipRules:
    """The slip rules, loaded once a process from `pipeline/data/ocr_slips.json`.

    Raises:
        ValueError: the file is unreadable, or an entry lacks its `source`.
    """
    data = load_data(SLIPS_FILE)
    groups = [_sourced(g, f"{SLIPS_FILE} confusable_glyphs") for g in data["confusable_glyphs"]]
    digit_for = {
        glyph: g["glyphs"][0]
        for g in groups
        if g["glyphs"][0].isdigit()
        for glyph in g["glyphs"][1:] + g.get("line_numbers_also", "")
    }
    for key in ("thin_glyphs", "template_openers", "not_equal", "closer", "doubled_quote", "dunder_breaks"):
        _sourced(data[key], f"{SLIPS_FILE} {key}")
    not_equal, closer = data["not_equal"], data["closer"]
    operators = []
    for entry in data["spaced_operators"]:
        _sourced(entry, f"{SLIPS_FILE} spaced_operators")
        unless = f"(?!{re.escape(entry['unless_before'])})" if entry.get("unless_before") else ""
        operators.append((re.compile(re.escape(entry["read"]) + unless), entry["meant"]))
    return SlipRules(
        confusable=tuple(frozenset(g["glyphs"]) for g in groups if len(g["glyphs"]) > 1),
        blurred_confusable=tuple(
            frozenset(_sourced(g, f"{SLIPS_FILE} blurred_confusable_glyphs")["glyphs"])
            for g in data.get("blurred_confusable_glyphs", [])
        ),
        digit_for=digit_for,
        sequences=tuple(
            (e["read"], e["meant"])
            for e in (_sourced(x, f"{SLIPS_FILE} glyph_sequences") for x in data["glyph_sequences"])
        ),
        thin=frozenset(data["thin_glyphs"]["glyphs"]),
        template_delimiters="".join(
            _sourced(e, f"{SLIPS_FILE} template_delimiters")["glyph"] for e in data["template_delimiters"]
        ),
        template_openers=tuple(data["template_openers"]["words"]),
        # `a '= b`: a word, bracket or blank before, a blank after.
        not_equal=re.compile(r"(?<=[\w)\] ]) " + re.escape(not_equal["read"]) + "(?= )"),
        not_equal_meant=" " + not_equal["meant"],
        # A line holding only the closer's slip and what may follow a `}`: `3);`, `3)`, `3;`, `3`.
        closer=re.compile(r"^(\s*)" + re.escape(closer["read"]) + r"(\)?)(;?,?)$"),
        closer_meant=closer["meant"],
        spaced_operators=tuple(operators),
    )


@dataclass(frozen=True)
class WordLists:
    """The word lists of `pipeline/data/ocr_words.json`, ready to use."""

    languages: dict[str, frozenset[str]]  # words voting may respell a slip into, and never "fixes"
    dunders: frozenset[str]  # Python dunder names (without underscores) the dunder repair may produce
    analyzer: tuple[str, ...]  # names `normalize_ocr_line` repairs look-alike glyphs in, first wins


def _words(entries: list[Any], where: str) -> list[str]:
    return [word for entry in entries for word in _sourced(entry, where)["words"]]


@functools.cache
def word_lists() -> WordLists:
    """The word lists, loaded once a process from `pipeline/data/ocr_words.json`.

    Python's also take the running interpreter's keywords and builtins (the language spec itself);
    a language listed under `includes` takes the words of the languages it names.

    Raises:
        ValueError: the file is unreadable, or an entry lacks its `source`.
    """
    data = load_data(WORDS_FILE)
    own = {lang: set(_words(entries, f"{WORDS_FILE} {lang}")) for lang, entries in data["languages"].items()}
    own["python"] |= set(keyword.kwlist) | {name for name in dir(builtins) if not name.startswith("_")}
    for lang, included in data.get("includes", {}).items():
        for other in included:
            own[lang] |= own[other]
    return WordLists(
        languages={lang: frozenset(words) for lang, words in own.items()},
        dunders=frozenset(_words(data["python_dunders"], f"{WORDS_FILE} python_dunders")),
        analyzer=tuple(_words(data["analyzer"], f"{WORDS_FILE} analyzer")),
    )


# --- lexing ----------------------------------------------------------------------------------------

_CODE, _SQ, _DQ, _BT, _TSQ, _TDQ, _BLOCK = "code", "'", '"', "`", "'''", '"""', "/*"


@dataclass(frozen=True)
class _Segment:
    """A run of one line: code, a string, or a comment; `closed` is False for a string left open."""

    kind: str  # code | string | template | comment
    start: int
    end: int
    closed: bool = True


def _lex_line(line: str, state: str, language: str) -> tuple[list[_Segment], str]:
    """Split `line` into code, string and comment runs, starting in lexer `state`; return the end state.

    Single-quoted and double-quoted strings end at the line's end (an open one is marked unclosed);
    triple-quoted strings, backtick templates and block comments carry over to the next line.
    """
    hash_comments = language in _HASH_COMMENT or language == "php"
    slash_comments = language not in _HASH_COMMENT
    backticks = language in _TEMPLATE_LANGUAGES or language == "go"
    triple = language in ("python", "java", "kotlin")
    segments: list[_Segment] = []
    i, start, n = 0, 0, len(line)

    def close(kind: str, end: int, closed: bool = True) -> None:
        if end > start:
            segments.append(_Segment(kind, start, end, closed))

    while i < n:
        if state == _CODE:
            two, three = line[i:i + 2], line[i:i + 3]
            if (hash_comments and line[i] == "#") or (slash_comments and two == "//"):
                close("code", i)
                segments.append(_Segment("comment", i, n))
                return segments, _CODE
            if slash_comments and two == "/*":
                close("code", i)
                start, state, i = i, _BLOCK, i + 2
                continue
            if triple and three in ('"""', "'''"):
                close("code", i)
                start, state, i = i, three, i + 3
                continue
            if line[i] in "'\"" or (backticks and line[i] == "`"):
                close("code", i)
                start, state, i = i, line[i], i + 1
                continue
            i += 1
            continue
        if state == _BLOCK:
            end = line.find("*/", i)
            if end < 0:
                break
            i = end + 2
            close("comment", i)
            start, state = i, _CODE
            continue
        if state in (_TSQ, _TDQ):
            end = line.find(state, i)
            if end < 0:
                break
            i = end + 3
            close("string", i)
            start, state = i, _CODE
            continue
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == state:
            i += 1
            close("template" if state == _BT else "string", i)
            start, state = i, _CODE
            continue
        i += 1
    if state == _CODE:
        close("code", n)
    elif state in (_SQ, _DQ):
        close("string", n, closed=False)
        state = _CODE
    else:
        close("template" if state == _BT else ("comment" if state == _BLOCK else "string"), n)
    return segments, state


_STAR_LINE_RE = re.compile(r"^\s*\*(?:\s|/|$)")


def _starts_in_comment(lines: list[str], language: str) -> bool:
    """True when the screenshot starts inside a block comment (a JSDoc's `* ...` lines, its `/**` above the
    picture): the first line shown starts with `*`, and the comment closes before any opens, or the next line
    starts with `*` too."""
    if language in _HASH_COMMENT:
        return False
    shown = [line for line in lines if line.strip()]
    if not shown or not _STAR_LINE_RE.match(shown[0]):
        return False
    text = "\n".join(shown)
    closes, opens = text.find("*/"), text.find("/*")
    return (closes >= 0 and (opens < 0 or closes < opens)) or (len(shown) > 1 and bool(_STAR_LINE_RE.match(shown[1])))


def _starts_in_docstring(lines: list[str]) -> str | None:
    """Python: the quotes of the docstring the screenshot starts inside (its opening line above the picture),
    or None. The first triple quote shown stands alone on its line, and nothing above it is a statement."""
    for index, line in enumerate(lines):
        if '"""' in line or "'''" in line:
            quotes = line.strip()
            if quotes not in ('"""', "'''") or not any(above.strip() for above in lines[:index]):
                return None
            return quotes if not any(_is_statement(above) for above in lines[:index]) else None
    return None


def _lex(lines: list[str], language: str) -> tuple[list[list[_Segment]], list[str]]:
    """Segments of every line and the lexer state each line starts in."""
    state = _BLOCK if _starts_in_comment(lines, language) else _CODE
    if language == "python":
        state = _starts_in_docstring(lines) or state
    all_segments: list[list[_Segment]] = []
    starts: list[str] = []
    for line in lines:
        starts.append(state)
        segments, state = _lex_line(line, state, language)
        all_segments.append(segments)
    return all_segments, starts


def _is_clean(line: str, language: str) -> bool:
    """True when `line`, lexed from code, leaves no string or template open."""
    segments, end = _lex_line(line, _CODE, language)
    return end == _CODE and all(s.closed for s in segments)


# --- punctuation -----------------------------------------------------------------------------------

# What may come right before a template literal starts, and right after it ends.
_BEFORE_EXPRESSION = set("([{=:,?+!&|>")
_AFTER_EXPRESSION = set(")]},;:?+.")
_PLACEHOLDER_RE = re.compile(r"\$\{")


def _placeholders(line: str) -> list[tuple[int, int]] | None:
    """Spans of the `${...}` groups of `line` (braces matched); None when one is not closed."""
    spans: list[tuple[int, int]] = []
    for match in _PLACEHOLDER_RE.finditer(line):
        if spans and match.start() < spans[-1][1]:
            continue
        depth, j = 0, match.start() + 1
        while j < len(line):
            depth += {"{": 1, "}": -1}.get(line[j], 0)
            if depth == 0:
                break
            j += 1
        if depth != 0:
            return None
        spans.append((match.start(), j + 1))
    return spans


def _opens_expression(line: str, j: int) -> bool:
    """True when an expression may start at `j` (what precedes it is an operator, bracket or keyword)."""
    before = line[:j].rstrip()
    if not before:
        return True
    return before[-1] in _BEFORE_EXPRESSION or before.endswith(slip_rules().template_openers)


def _closes_expression(line: str, j: int) -> bool:
    """True when an expression may end right after `j`."""
    after = line[j + 1:].lstrip()
    return not after or after[0] in _AFTER_EXPRESSION


def _needs_template_repair(line: str, segments: list[_Segment], spans: list[tuple[int, int]]) -> bool:
    """True when some `${` of `line` is outside a template literal and the quotes show damage."""
    for start, _end in spans:
        holder = next((s for s in segments if s.start <= start < s.end), None)
        if holder is None or holder.kind == "code" or (holder.kind == "string" and not holder.closed):
            return True
    return False


def _template_open(line: str, first: int) -> int | None:
    """Index of the character that opened the template literal holding `line[first]`, if one is there."""
    for j in range(first - 1, -1, -1):
        if line[j] in slip_rules().template_delimiters and _opens_expression(line, j):
            return j
    return None


def _template_close(line: str, last: int) -> int | None:
    """Index of the character that closed the template literal ending after `line[last - 1]`, if any."""
    for j in range(last, len(line)):
        if line[j] in slip_rules().template_delimiters and _closes_expression(line, j):
            return j
        if line[j] == ";":
            return None
    return None


def _insert_open(line: str, first: int) -> str | None:
    """Put the lost opening backtick before the literal text ending at `first`: after the call's `(`."""
    paren = line.rfind("(", 0, first)
    if paren < 0 or any(c in line[paren + 1:first] for c in "()=,"):
        return None
    if paren > 0 and line[paren - 1] == " " and paren > 1 and (line[paren - 2].isalnum() or line[paren - 2] == "_"):
        # The `(` slid one cell right into the backtick's place: `warn (update` for `warn(`update`.
        return line[:paren - 1] + "(`" + line[paren + 1:]
    if line[paren + 1:paren + 2] == " ":
        return line[:paren + 1] + "`" + line[paren + 2:]
    return line[:paren + 1] + "`" + line[paren + 1:]


def _insert_close(line: str, last: int) -> str | None:
    """Put the lost closing backtick after the literal text starting at `last`: before `)`, `;` or `,`."""
    match = re.compile(r"[);,\]]").search(line, last)
    stop = match.start() if match else len(line.rstrip())
    if stop - 1 >= last and line[stop - 1] == " " and stop >= 2 and line[stop - 2] != " ":
        # The backtick was read as a blank cell: `${x} );` for `${x}`);`.
        return line[:stop - 1] + "`" + line[stop:]
    return line[:stop] + "`" + line[stop:]


def _repair_template_line(line: str, language: str) -> str:
    """Rebuild the backticks of the one template literal on `line`, if its quotes show they were misread."""
    spans = _placeholders(line)
    if not spans:
        return line
    segments, _ = _lex_line(line, _CODE, language)
    if not _needs_template_repair(line, segments, spans):
        return line
    first, last = spans[0][0], spans[-1][1]
    # Literal text between the placeholders holds no delimiter: otherwise it is two literals, or prose.
    between = "".join(line[a:b] for (_, a), (b, _) in zip(spans, spans[1:], strict=False))
    if any(c in slip_rules().template_delimiters for c in between):
        return line
    opening, closing = _template_open(line, first), _template_close(line, last)
    if opening is None and closing is None:
        return line
    repaired: str | None = line
    if closing is not None:
        repaired = line[:closing] + "`" + line[closing + 1:]
    elif repaired is not None:
        repaired = _insert_close(repaired, last)
    if repaired is not None and opening is not None:
        repaired = repaired[:opening] + "`" + repaired[opening + 1:]
    elif repaired is not None:
        repaired = _insert_open(repaired, first)
    if repaired is None or not _is_clean(repaired, language):
        return line
    new_segments, _ = _lex_line(repaired, _CODE, language)
    new_spans = _placeholders(repaired) or []
    inside = all(any(s.kind == "template" and s.start < a < s.end for s in new_segments) for a, _ in new_spans)
    return repaired if inside else line


_DOUBLED_QUOTE_RE = re.compile(r"(?<=[\s(=,:\[])(''|\"\")(?=[A-Za-z0-9_])")


def _repair_quote_slips(line: str, language: str) -> str:
    """`a '= b` -> `a != b`, `= ''tk_live'` -> `= 'tk_live'`, where the line's quotes otherwise do not close."""
    if _is_clean(line, language):
        return line
    rules = slip_rules()
    for pattern, replacement in ((rules.not_equal, rules.not_equal_meant), (_DOUBLED_QUOTE_RE, None)):
        for match in pattern.finditer(line):
            fixed = line[:match.start()] + (replacement or match.group(1)[0]) + line[match.end():]
            if _is_clean(fixed, language):
                return fixed
    return line


_BRACKET_PAIRS = {")": "(", "]": "[", "}": "{"}

# A line comment in Chinese whose `//` lost a slash (`/获取订单超时时间`, tuned captures zh-t-01 and zh-t-03: auto
# spliced rapidocr's Chinese over tesseract's second `/`): no statement starts with a `/` and a Chinese character.
_LONE_SLASH_RE = re.compile(r"^(\s*)/(?=[\u3400-\u4dbf\u4e00-\u9fff])")


# A line of one digit or operator glyph alone, which no statement is: a `}` misread (`+`, `5` on the tuned
# editor and slide captures, benchmarks/captures), when it stands where the open block's closer is due; with
# what may follow a `}` (`1;` for `};`); or one CJK character alone (rapidocr's `了` for `}` on a tuned Chinese
# capture): no line of code is one Chinese character.
_LONE_GLYPH_RE = re.compile(r"^(\s*)(?:[0-9+=~-]|[\u3400-\u4dbf\u4e00-\u9fff])(\)?)(;?,?)$")


def _closes_above(above: list[str], indent: int) -> bool:
    """Whether a line at `indent` closes a block opened above the picture: every line shown above it (two or more,
    none of which opened a block still open) is indented deeper."""
    shown = [line for line in above if line.strip()]
    return len(shown) >= 2 and all(len(line) - len(line.lstrip()) > indent for line in shown)


def _repair_closers(lines: list[str], language: str) -> list[str]:
    """A line `3);` (or `3)`, `3;`, `3`, or one glyph alone: `+`, `5`) that must close an open `({` or `{`
    becomes `});` (`})`, `};`, `}`).

    Fires only when the bracket opened last is a `{` (after a `(` for `3)`) and the line's indentation
    equals that of the line that opened it, as editors and formatters indent closers; or, with no bracket open,
    when every line above it is indented deeper (the block opened above the picture: `1;` ending a method).
    """
    rules = slip_rules()
    out = list(lines)
    segments, _ = _lex(lines, language)
    stack: list[tuple[str, int]] = []  # (bracket, line index)
    for index, line in enumerate(lines):
        match = rules.closer.match(line) or _LONE_GLYPH_RE.match(line)
        in_code = all(segment.kind == "code" for segment in segments[index])
        if match and in_code and stack and stack[-1][0] == "{":
            opener_indent = len(lines[stack[-1][1]]) - len(lines[stack[-1][1]].lstrip())
            paren_ok = not match.group(2) or (len(stack) >= 2 and stack[-2][0] == "(")
            if paren_ok and len(match.group(1)) == opener_indent:
                out[index] = match.group(1) + rules.closer_meant + match.group(2) + match.group(3)
                line = out[index]
                segments[index] = [_Segment("code", 0, len(line))]
        elif match and in_code and not stack and not match.group(2) \
                and _closes_above(lines[:index], len(match.group(1))):
            out[index] = match.group(1) + rules.closer_meant + match.group(3)
            line = out[index]
            segments[index] = [_Segment("code", 0, len(line))]
        for segment in segments[index]:
            if segment.kind != "code":
                continue
            for char in line[segment.start:segment.end]:
                if char in "([{":
                    stack.append((char, index))
                elif char in _BRACKET_PAIRS and stack and stack[-1][0] == _BRACKET_PAIRS[char]:
                    stack.pop()
    return out


_OPENER_FOR = {"(": ")", "[": "]", "{": "}"}
# A line of code that starts with closing brackets: the run, and what may follow it on a closer's line.
_CLOSER_RUN_RE = re.compile(r"^(?P<indent>\s*)(?P<run>[)\]}]{1,3})(?P<rest>[;,]?$|[;,]? *(?:else|catch|finally|while)\b"
                            r"|\) *(?:=>|\{)| *->)")


def _repair_closer_runs(lines: list[str], language: str) -> list[str]:
    """`) else {` -> `} else {`, `))` -> `})`: a line that starts with closing brackets closes what the bracket
    stack says is open, and OCR reads `}` and `]` as `)` on blurred captures.

    Fires only where the line is indented as the line that opened the innermost open bracket (editors and
    formatters put a closer there) and the run, read as it stands, does not close what is open, by a `)` where a
    `}` or `]` is due.
    """
    segments, _ = _lex(lines, language)
    out = list(lines)
    stack: list[tuple[str, int]] = []  # (bracket, indentation of the line that opened it)
    for index, line in enumerate(lines):
        match = _CLOSER_RUN_RE.match(line)
        code = [segment for segment in segments[index] if segment.kind == "code"]
        if match and code and code[0].start == 0 and len(stack) >= len(match.group("run")):
            run, indent = match.group("run"), len(match.group("indent"))
            due = "".join(_OPENER_FOR[bracket] for bracket, _ in reversed(stack[-len(run):]))
            # Blur turns a brace's or a bracket's ends into a paren's curve, not the other way round: a `}` read
            # where the stack wants `)` says the opener was misread (`trigger((` for `trigger({`), and stays.
            misread = [read for read, meant in zip(run, due, strict=True) if read != meant]
            if misread and set(misread) == {")"} and stack[-1][1] == indent:
                line = out[index] = line[:indent] + due + line[indent + len(run):]
        for segment in segments[index]:
            if segment.kind != "code":
                continue
            for char in line[segment.start:segment.end]:
                if char in _OPENER_FOR:
                    stack.append((char, len(line) - len(line.lstrip())))
                elif char in _BRACKET_PAIRS and stack and stack[-1][0] == _BRACKET_PAIRS[char]:
                    stack.pop()
    return out


_DUNDER_RE = re.compile(r"(?<![\w.])(_[_. ]{0,2}|\._)([a-z]+(?: [a-z]+)?)( ?_[_ ]?_?)(?![\w])")


def _repair_dunders(line: str) -> str:
    """Python dunders broken by a space, a dot or a lost underscore: `_i nit__`, `__name_ )`, `_ init _`."""
    for match in reversed(list(_DUNDER_RE.finditer(line))):
        prefix, body, suffix = match.groups()
        name, text = body.replace(" ", ""), match.group(0).rstrip()
        if name not in word_lists().dunders or text == f"__{name}__":
            continue
        damaged = " " in text or "." in prefix or prefix.count("_") != suffix.count("_")
        if damaged and text != f"_{name}_":  # `_name_` (an Enum's sunder) is no damage
            line = _replace(line, match.start(), text, f"__{name}__")
    return line


# --- identifier voting -----------------------------------------------------------------------------

_WORD_RE = re.compile(r"[A-Za-z0-9_$]*[A-Za-z_$][A-Za-z0-9_$]*")
_MIN_LENGTH = 4
_DEFINING_WORDS = (
    "def", "class", "function", "const", "let", "var", "import", "from", "as", "interface", "type", "enum",
    "struct", "fn", "func", "val", "package", "for", "new", "extends", "implements", "throws", "catch",
)
_SIGNATURE_RE = re.compile(r"\b(?:def|function)\s*\w*\s*\(([^)]*)\)|\(([^()]*)\)\s*=>|(\w+)\s*=>")


# Whether the text being corrected was read from a photo (`correct_code(..., blurred=True)`): blur makes more glyphs
# look alike (`e`/`o`, `n`/`m`, `N`/`H`), so voting may respell with `SlipRules.blurred_confusable` too.
_BLURRED: contextvars.ContextVar[bool] = contextvars.ContextVar("blurred", default=False)


def _confusable(a: str, b: str) -> bool:
    """True when glyphs `a` and `b` look alike in monospace code fonts (`l`/`1`/`I`, `O`/`0`, ...), or, on a
    photo, once blurred (`e`/`o`, `N`/`H`, ...)."""
    rules = slip_rules()
    groups = rules.confusable + rules.blurred_confusable if _BLURRED.get() else rules.confusable
    return any(a in group and b in group for group in groups)


def _one_ocr_slip(read: str, target: str, *, lost_cell: bool = False) -> bool:
    """True when `read` is `target` with one OCR slip: a confusable glyph, a lost or an extra narrow
    character inside the word, or the case of one letter other than the first.

    With `lost_cell` (the line shows the blank cell a lost character left after the word, `respone) ;`), a
    lost character inside the word may be any letter: the grid says one is missing, whatever its width."""
    if read == target:
        return False
    if len(read) == len(target):
        diffs = [i for i in range(len(read)) if read[i] != target[i]]
        if len(diffs) != 1:
            return any(
                read.replace(a, b, 1) == target for a, b in slip_rules().sequences if a in read
            )
        i = diffs[0]
        x, y = read[i], target[i]
        if x.lower() == y.lower():
            return i > 0 and target[:i].strip("_") != ""
        return _confusable(x, y)
    if abs(len(read) - len(target)) == 1:
        if any(read.replace(a, b, 1) == target for a, b in slip_rules().sequences if a in read):
            return True
        lost = len(target) > len(read)
        longer, shorter = (target, read) if lost else (read, target)
        for i in range(1, len(longer) - 1):
            if longer[:i] + longer[i + 1:] == shorter:
                char = longer[i]
                # A lost letter must be narrow; an invented one narrow or a neighbour's double; never an `s`
                # (plurals inside compound names: `itemsCount`/`itemCount`).
                # (With a lost cell, an `s` inside a part of the name: `respone` for `response`.)
                if char in "sS" and not (lost and lost_cell and longer[i + 1].islower()):
                    return False
                if lost:
                    return char in slip_rules().thin or (lost_cell and char.isalpha())
                return char in slip_rules().thin or char in (longer[i - 1], longer[i + 1])
    return False


def _is_plural_pair(a: str, b: str) -> bool:
    """True for singular/plural pairs (`item`/`items`, `entry`/`entries`): both are meant, never a slip."""
    short, long_ = sorted((a.lower(), b.lower()), key=len)
    return long_ in (short + "s", short + "es") or (short.endswith("y") and long_ == short[:-1] + "ies")


@dataclass(frozen=True)
class _Word:
    text: str
    line: int
    start: int
    attribute: bool  # comes after a `.`


def _code_words(lines: list[str], segments: list[list[_Segment]]) -> list[_Word]:
    """Every word outside strings and comments, with where it is and whether it is an attribute."""
    words: list[_Word] = []
    for index, line in enumerate(lines):
        for segment in segments[index]:
            if segment.kind != "code":
                continue
            for match in _WORD_RE.finditer(line, segment.start, segment.end):
                before = line[:match.start()].rstrip()
                words.append(_Word(match.group(0), index, match.start(), before.endswith(".")))
    return words


def _is_definition(code: str, start: int, end: int) -> bool:
    """True when the word at `code[start:end]` is being defined: assigned (or a keyword argument), a typed
    parameter, declared after a keyword or a type (`const x`, `String x`, `List<T> x`), or imported."""
    before, after = code[:start].rstrip(), code[end:].lstrip()
    if after.startswith("=") and not after.startswith("=="):
        return True
    if after.startswith(":") and "(" in before:
        return True
    previous = re.search(r"([\w$]+)\s*$", before)
    if previous and (previous.group(1) in _DEFINING_WORDS or previous.group(1)[:1].isupper()):
        return True
    if re.search(r"[\w>]>$|\[\]$", before) is not None:  # after a generic or array type: `List<T> x`
        return True
    return before.endswith(",") and re.match(r"^\s*(import|from)\b", code) is not None


def _defined_names(lines: list[str], segments: list[list[_Segment]]) -> set[str]:
    """Names the code defines: assigned, declared, imported, bound by a loop, or a parameter."""
    defined: set[str] = set()
    for index, line in enumerate(lines):
        # Strings and comments blanked out, so that only code can define a name.
        code = "".join(
            line[s.start:s.end] if s.kind == "code" else " " * (s.end - s.start) for s in segments[index]
        )
        defined.update(m.group(0) for m in _WORD_RE.finditer(code) if _is_definition(code, m.start(), m.end()))
        for match in _SIGNATURE_RE.finditer(code):
            params = match.group(1) or match.group(2) or match.group(3) or ""
            defined.update(_WORD_RE.findall(params))
    return defined


def _best_target(word: _Word, references: dict[str, bool], vocabulary: frozenset[str], *,
                 lost_cell: bool = False) -> str | None:
    """The one spelling `word` is a slip of, or None (no candidate, or more than one)."""
    targets = {
        target
        for target, attribute in references.items()
        if len(target) >= _MIN_LENGTH or target.lower() == word.text.lower()
        if attribute == word.attribute and _one_ocr_slip(word.text, target, lost_cell=lost_cell)
        and not _is_plural_pair(word.text, target)
    }
    targets |= {
        t for t in vocabulary
        if len(t) >= _MIN_LENGTH and _one_ocr_slip(word.text, t, lost_cell=lost_cell)
        and not _is_plural_pair(word.text, t)
    }
    return targets.pop() if len(targets) == 1 else None


_SPURIOUS_SPACE_RE = re.compile(r"(?<=[^\s(\[{]) (?=[);,\]:])|(?<=,) (?=[)\]])")
# A blank after a word (and the closing brackets right after it) before a closing bracket or a separator
# (`respone) ;` for `response);`): the cell of a character lost inside the word, which the grid kept (`_lost_cell`).
_LOST_CELL_RE = re.compile(r"[)\]]* [);,\]]")
# A line whose brackets are padded with blanks (`if ( x )`) shows no lost cell by a blank before a closer.
_PADDED_RE = re.compile(r"[(\[] \S")


def _lost_cell(line: str, end: int) -> bool:
    """Whether the word ending at `end` is followed by the blank cell a lost character of it left behind."""
    return _LOST_CELL_RE.match(line, end) is not None and _PADDED_RE.search(line) is None


def _replace(line: str, start: int, old: str, new: str) -> str:
    """Replace `old` at `start` by `new`; when `new` is longer, take back the blank cells its lost letters
    left further on (`customes) ;` -> `customers);`)."""
    fixed = line[:start] + new + line[start + len(old):]
    for _ in range(len(new) - len(old)):
        match = _SPURIOUS_SPACE_RE.search(fixed, start + len(new))
        if match is None:
            break
        fixed = fixed[:match.start()] + fixed[match.end():]
    return fixed


def _vote_identifiers(lines: list[str], language: str) -> list[str]:
    """Respell words read once that are one OCR slip from an identifier of this code or of the language."""
    segments, _ = _lex(lines, language)
    words = _code_words(lines, segments)
    counts = Counter(w.text for w in words)
    defined = _defined_names(lines, segments)
    vocabulary = word_lists().languages.get(language, frozenset())
    references: dict[str, bool] = {}
    for w in words:
        if counts[w.text] >= 2 or w.text in defined:
            references.setdefault(w.text, w.attribute)
    out = list(lines)
    # Right to left within a line, so earlier offsets stay valid.
    for w in sorted(words, key=lambda w: (w.line, -w.start)):
        if counts[w.text] != 1 or w.text in defined or w.text in vocabulary or keyword.iskeyword(w.text):
            continue
        short_case_slip = len(w.text) >= 3 and w.text[-1].isupper() and w.text[:-1].islower()
        if len(w.text) < _MIN_LENGTH and not short_case_slip:
            continue
        target = _best_target(w, references, vocabulary, lost_cell=_lost_cell(lines[w.line], w.start + len(w.text)))
        if target is None or (len(w.text) < _MIN_LENGTH and target.lower() != w.text.lower()):
            continue
        out[w.line] = _replace(out[w.line], w.start, w.text, target)
    return _merge_split_words(out, language, references, vocabulary)


_SPLIT_RE = re.compile(r"(?<![\w$])([A-Za-z_][\w]*) ([A-Za-z_][\w]*)(?![\w$])")


def _merge_split_words(lines: list[str], language: str, references: dict[str, bool],
                       vocabulary: frozenset[str]) -> list[str]:
    """`rais efor_status` -> `raise_for_status`: two words a blank apart that, as one word of the same
    width with one OCR slip, spell a known name (a lost `_` shifted a letter into the blank)."""
    known = set(references) | set(vocabulary)
    out = list(lines)
    segments, _ = _lex(lines, language)
    for index, line in enumerate(lines):
        for segment in segments[index]:
            if segment.kind != "code":
                continue
            for match in _SPLIT_RE.finditer(line, segment.start, segment.end):
                a, b = match.groups()
                if {a, b} & known or keyword.iskeyword(a) or keyword.iskeyword(b):
                    continue
                width = len(a) + 1 + len(b)
                targets = {t for t in known if len(t) == width and _one_ocr_slip(a + b, t)}
                if len(targets) == 1:
                    target = targets.pop()
                    out[index] = out[index][:match.start()] + target + out[index][match.end():]
    return out


# --- code spans and docstrings in comments -----------------------------------------------------------

# What OCR reads a backtick as, at 12 to 14 px on editor, GitHub and slide captures (benchmarks/captures,
# tuned part: `'`, `"`, `^`, `~`, `*`, `°`, `>`, `™`, `©`): the marks a code span may open or close with.
_SPAN_OPEN_MARKS = frozenset("`'\"^~*\u00b0\u00a9")
_SPAN_CLOSE_MARKS = frozenset("`'\"^~*\u00b0>\u2122")
_QUOTES = frozenset("'\"")
# A token: an optional reST role (`:attr:`) or opening bracket, the opening marks, a body, the closing marks,
# then trailing punctuation.
_SPAN_TOKEN_RE = re.compile(r"(?<!\S)(?P<lead>(?::[a-z]+ ?:)?\(?)(?P<open>[`'\"^~*\u00b0\u00a9]{1,4})"
                            r"(?P<body>[^\s`'\"^~*\u00b0\u00a9>\u2122](?:[^\s]*?[^\s`'\"^~*\u00b0\u00a9>\u2122])?)"
                            r"(?P<close>[`'\"^~*\u00b0>\u2122]{1,4})(?P<tail>[.,;:!?)]*)(?!\S)")


# A code span whose closing marks OCR lost, leaving their cells blank before the sentence's punctuation
# (`'path .` for `` `path`. ``): prose never puts a blank before a full stop or a comma.
_SPAN_LOST_CLOSE_RE = re.compile(r"(?<!\S)(?P<lead>(?::[a-z]+ ?:)?\(?)(?P<open>[`'\"^~*\u00b0\u00a9]{1,2})"
                                 r"(?P<body>[^\s`'\"^~*\u00b0\u00a9>\u2122](?:[^\s]*?[^\s`'\"^~*\u00b0\u00a9>\u2122])?)"
                                 r"(?P<lost> {1,2})(?P<tail>[.,;:](?!\S))")


# A code span whose closing marks OCR lost where no punctuation follows: before a run of blanks that aligns the next
# column (a JSDoc option list, `'root      root directory` for `` `root`     root directory``: the first blanks are
# the lost marks' cells), or at the end of the comment (`check 'res.headersSent` for ``check `res.headersSent```).
# Prose does not leave a quotation open before two blanks; at a line's end only a body that is code (a `.`, `_`,
# call parentheses or a capital after a small letter inside it) is taken for a span, since a quotation may go on
# on the next line. A body holding a mark (`'path'.`, `setting's`) is left to the rules above.
_SPAN_LOST_CLOSE_GAP_RE = re.compile(r"(?<!\S)(?P<lead>\(?)(?P<open>[`'\"^~\u00b0\u00a9]{1,2})"
                                     r"(?P<body>[^\s`'\"^~*\u00b0\u00a9>\u2122]+)(?P<lost>(?: {2,}(?=\S))|$)")
_CODE_BODY_RE = re.compile(r"[._(]|[a-z][A-Z]")
_SPAN_BODY_END_RE = re.compile(r"[\w)\]]$")


def _repair_lost_close_gap(match: re.Match[str], double: bool) -> str:
    opening, lost, body = match.group("open"), match.group("lost"), match.group("body")
    if not lost and not _CODE_BODY_RE.search(body):
        return match.group(0)
    # Two marks are a docstring's double backticks; elsewhere a backtick and a quote, or one read as two (`~"`).
    # A body ending in a mark-like stroke (`maxAge-`) kept its closer as that stroke: nothing was lost.
    if (lost and len(lost) <= len(opening)) or (len(opening) == 2 and not double) or not _SPAN_BODY_END_RE.search(body):
        return match.group(0)
    ticks = "`" * len(opening)
    return match.group("lead") + ticks + body + ticks + lost[len(opening):]


# A code span whose marks OCR lost on both sides, each leaving its cells blank (`check  callback(err)  is` for
# ``check `callback(err)` is``): prose has one blank between words, so blanks beyond it are lost glyphs. Only a
# span with as many lost cells on each side is one (a JSDoc list aligns its columns with runs of blanks).
_SPAN_LOST_BOTH_RE = re.compile(r"(?<=[\w,;:)\]])(?P<open> {2,3})(?P<body>[^\s`'\"]+?)"
                                r"(?P<close> {1,3})(?P<after>[.,;:!?)](?!\S)|(?=[^\s.,;:!?)]))")


# A Javadoc / JSDoc inline tag (`{@link Converter}`, `{@code type}`) whose brace OCR read as a paren and whose `@`
# as a round letter (`(@code type)`, `(plink RequestBody}`, `felink Converter)`): the tag's own name, right after
# what stands for `{@`, says it is one. Without the `@` (or a look-alike) a paren stays: `(code of ...)` is prose.
_INLINE_TAG_RE = re.compile(r"(?:(?P<brace>\{)|\(|(?<!\S)f)(?P<at>[@#GOoePpBbgs&¢©]?)"
                            r"(?P<tag>linkplain|linkcode|link|code|literal|value)(?=[\s}])"
                            r"(?P<body>(?:[^(){}\s]|\(\)|\s)*?)(?P<close>[)}])")


def _repair_inline_tag(match: re.Match[str]) -> str:
    if not match.group("at") and not match.group("brace"):
        return match.group(0)
    return "{@" + match.group("tag") + match.group("body") + "}"


def _repair_lost_both(match: re.Match[str]) -> str:
    lost = len(match.group("open")) - 1
    after = match.group("after")
    if len(match.group("close")) != lost + (0 if after else 1):
        return match.group(0)
    ticks = "`" * lost
    return " " + ticks + match.group("body") + ticks + ("" if after else " ") + after


def _repair_lost_close(match: re.Match[str]) -> str:
    opening, lost = match.group("open"), match.group("lost")
    if len(opening) != len(lost) or set(opening) == {"*"}:
        return match.group(0)
    ticks = "`" * len(opening)
    return match.group("lead") + ticks + match.group("body") + ticks + match.group("tail")


def _span_marks(marks: str, backticks: int, *, opening: bool) -> str:
    """The marks of a code span as meant: `backticks` backticks, and the quotes written inside them kept."""
    inner = marks[backticks:] if opening else marks[:-backticks]
    kept = inner if inner and all(ch in _QUOTES for ch in inner) else ""
    return "`" * backticks + kept if opening else kept + "`" * backticks


# A reStructuredText role (`:attr:`, `:data:`) whose span's opening backtick OCR ran into the role's colon, which
# then stands a cell right, after a blank: `:attr :debug'` for `:attr:`debug``.
_ROLE_LOST_OPEN_RE = re.compile(r"(?<!\S)(?P<role>:[a-z]+) :(?P<body>[A-Za-z_][\w.()]*?[\w)])"
                                r"(?P<close>[`'\"^~*\u00b0>\u2122])(?P<tail>[.,;:!?)]*)(?!\S)")


def _repair_role_lost_open(match: re.Match[str]) -> str:
    return f"{match.group('role')}:`{match.group('body')}`{match.group('tail')}"


def _repair_code_span(match: re.Match[str], double: bool) -> str:
    opening, closing = match.group("open"), match.group("close")
    marks = opening + closing
    if match.group("lead").startswith(":"):
        # A role's argument is always in single backticks (reST); quotes after a role are none a writer meant.
        role = match.group("lead").replace(" ", "")
        return f"{role}`{match.group('body')}`{match.group('tail')}"
    if "`" not in marks and all(ch in _QUOTES for ch in marks) and opening[-1] == closing[0]:
        return match.group(0)  # 'name' or "name": a quotation as written
    if set(marks) == {"*"}:
        return match.group(0)  # *emphasis* or **strong**
    backticks = 2 if double and len(opening) >= 2 and len(closing) >= 2 else 1
    if len(opening) < backticks or len(closing) < backticks:
        return match.group(0)
    return (match.group("lead") + _span_marks(opening, backticks, opening=True) + match.group("body")
            + _span_marks(closing, backticks, opening=False) + match.group("tail"))


def _repair_code_spans(lines: list[str], language: str) -> list[str]:
    """Code spans in comments and docstrings whose backticks OCR read as other marks: `'path'.` stays, but
    `^callback(err)>` -> `` `callback(err)` ``, `'*SESSION_COOKIE_SECURE**` -> ````SESSION_COOKIE_SECURE````.

    Comments are prose that quotes code between backticks (Markdown, JSDoc; reStructuredText's double
    backticks in Python docstrings); a word wrapped in marks that are no matching pair of quotes is such a
    span. Only comment and docstring text is touched, never code or string literals.
    """
    segments, starts = _lex(lines, language)
    out = list(lines)
    double = language == "python"
    for index, line in enumerate(lines):
        pieces: list[tuple[int, int]] = []
        for number, segment in enumerate(segments[index]):
            text = line[segment.start:segment.end]
            docstring = segment.kind == "string" and (
                text.startswith(('"""', "'''")) or (number == 0 and starts[index] in (_TSQ, _TDQ))
            )
            if segment.kind == "comment" or docstring:
                pieces.append((segment.start, segment.end))
        for start, end in reversed(pieces):
            text = out[index][start:end]
            fixed = _ROLE_LOST_OPEN_RE.sub(_repair_role_lost_open, text)
            fixed = _SPAN_TOKEN_RE.sub(lambda m: _repair_code_span(m, double), fixed)
            fixed = _SPAN_LOST_CLOSE_RE.sub(_repair_lost_close, fixed)
            fixed = _SPAN_LOST_CLOSE_GAP_RE.sub(lambda m: _repair_lost_close_gap(m, double), fixed)
            fixed = _SPAN_LOST_BOTH_RE.sub(_repair_lost_both, fixed)
            if language in _BRACE_LANGUAGES:
                fixed = _INLINE_TAG_RE.sub(_repair_inline_tag, fixed)
            out[index] = out[index][:start] + fixed + out[index][end:]
    return out


# How OCR reads a docstring's closing `"""` on a line of its own (`vue`, `nun`, `noe`, `u m`, `n""`): two to
# four of these glyphs (the quotes' strokes), nothing else.
_CLOSING_QUOTES_RE = re.compile(r"[numvwoesr\"'`\u00b0*^~](?: ?[numvwoesr\"'`\u00b0*^~]){1,3}")


# A statement's keyword and code after it (an attribute, a call, an index or an assignment), which prose lacks.
_GARBLED_STATEMENT_RE = re.compile(r"^(?:return|raise|yield|if|for|while|with|assert|del)\s+\S*?(?:\w\.\w|\w[(\[]| = )")


def _is_statement(line: str) -> bool:
    """True when `line` alone is a Python statement that does something (an assignment, a call, a return, a
    block header): what follows a docstring, never its prose (`Returns True if ...` does not parse; a bare
    name or constant, which prose can parse as, does not count)."""
    text = line.strip()
    if not text:
        return False
    try:
        tree = ast.parse(text + ("\n    pass" if text.endswith(":") else ""))
    except (SyntaxError, ValueError):
        # A statement OCR garbled past parsing (`return app.config l"SESSION..."}`): its keyword, then code.
        return bool(_GARBLED_STATEMENT_RE.match(text))
    if len(tree.body) != 1:
        return False
    node = tree.body[0]
    return not (isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Attribute, ast.Constant)))


# A docstring's opening quotes as OCR reads them on blurred captures (`"*"`, `**"`, `***`, `'"'`), then its text.
_DOCSTRING_OPENER_RE = re.compile(r"^(?!\"\"\")[\"'`*\u00b0^~]{3}(?=[A-Za-z])")
# A `def` or `class` header, its keyword maybe run into the name (`de fget_cookie(self):`, `_BROKEN_DEF_RE`).
_BLOCK_HEADER_RE = re.compile(r"^\s*(?:async\s+)?(?:de ?f|class)[\sA-Za-z_].*:\s*(?:#.*)?$")


def _repair_docstring_closers(lines: list[str]) -> list[str]:
    """Python: the closing quotes of a docstring, where OCR misread or lost them.

    - A line inside a triple-quoted string that holds only what OCR makes of the closing quotes (`    vue` for
      `    \"\"\"`) becomes those quotes: a docstring opened above must close, and its prose has no lines of two
      to four quote-stroke letters alone (`nun`).
    - The same line where no triple quote stands above it (the docstring opened above the picture) and prose
      does: a bare name such as `nun` is no statement anyone writes.
    - A blank line inside a triple-quoted string, right before a line that is a statement at the docstring's
      indentation or less (`return app.config[...]`), held the closing quotes OCR did not see.
    - The opening quotes, read as three quote-like marks (`"*"Returns`, `***Return`) right after a `def` or
      `class` header and indented under it: no statement there starts so, a docstring does.
    """
    out = list(lines)
    state = _CODE
    opened_at = 0  # indentation of the line the open triple-quoted string started on
    header: str | None = None  # the last line of code, when it is a `def` or `class` header
    for index, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        opener = _DOCSTRING_OPENER_RE.match(stripped)
        if state == _CODE and header is not None and opener and indent > len(header) - len(header.lstrip()):
            line = out[index] = line[:indent] + '"""' + stripped[3:]
        if stripped and state == _CODE:
            header = line if _BLOCK_HEADER_RE.match(line) else None
        inside = state in (_TSQ, _TDQ)
        if inside and state not in line and _CLOSING_QUOTES_RE.fullmatch(stripped):
            out[index] = line[:indent] + state
        elif not inside and _CLOSING_QUOTES_RE.fullmatch(stripped) and not stripped.isdigit() \
                and not any('"""' in above or "'''" in above for above in out[:index]) \
                and index > 0 and out[index - 1].strip() and not _is_statement(out[index - 1]):
            out[index] = line[:indent] + '"""'
            continue  # it closes the docstring opened above the picture: code follows
        elif inside and not stripped and index + 1 < len(lines):
            below = lines[index + 1]
            if below.strip() and len(below) - len(below.lstrip()) <= opened_at and _is_statement(below):
                out[index] = " " * opened_at + state
        before = state
        _, state = _lex_line(out[index], state, "python")
        if state in (_TSQ, _TDQ) and before != state:
            opened_at = indent
    return out


# `de fget_cookie(self) -> bool:`, `defget_cookie(self):`: a block header whose `def` OCR ran into the name.
_BROKEN_DEF_RE = re.compile(r"^(?P<indent>\s*)(?P<async>async\s+)?(?:de f ?|def(?! ))"
                            r"(?P<name>[A-Za-z_]\w*)\s*\(.*\)\s*(?:->.*)?:\s*(?:#.*)?$")


def _repair_def_keyword(line: str) -> str:
    """Python: a line that is a function header (a name, parameters, `:`) but for its `def` keyword's blank
    gets it back. Only a `def` line ends in `:` after a call-like head; a call statement never does."""
    match = _BROKEN_DEF_RE.match(line)
    if match is None or line.lstrip().startswith(("def ", "async def ")):
        return line
    name_start = match.start("name")
    return f"{match.group('indent')}{match.group('async') or ''}def {line[name_start:]}"


# A `def` header whose name holds blanks (`de fge tcookieh ttponly(self, app):`): the keyword, maybe run into the
# name, then the name's letters with its underscores lost and neighbouring letters moved into their cells.
_SPLIT_DEF_RE = re.compile(r"^(?P<indent>\s*)(?P<async>async\s+)?(?:de ?f ?)"
                           r"(?P<name>[A-Za-z_][A-Za-z0-9_ ]*?[A-Za-z0-9_])(?P<rest>\(.*\)\s*(?:->.*)?:\s*(?:#.*)?)$")
_PROSE_WORD_RE = re.compile(r"[A-Za-z]+")


def _segment(letters: str, parts: int, breaks: list[int], words: set[str]) -> list[str] | None:
    """The one way to cut `letters` into `parts` words of `words`, each cut within a cell of a place in `breaks`
    (where the read had a blank or an underscore); None when there is none or more than one."""
    found: list[list[str]] = []

    def cut(start: int, left: int, taken: list[str]) -> None:
        if len(found) > 1:
            return
        if left == 1:
            if letters[start:].lower() in words:
                found.append([*taken, letters[start:]])
            return
        for end in range(start + 1, len(letters)):
            if any(abs(end - b) <= 1 for b in breaks) and letters[start:end].lower() in words:
                cut(end, left - 1, [*taken, letters[start:end]])

    cut(0, parts, [])
    return found[0] if len(found) == 1 else None


def _repair_split_def_names(lines: list[str]) -> list[str]:
    """Python: `de fge tcookieh ttponly(self, app):` -> `def get_cookie_httponly(self, app):`.

    A function's name holds no blank: each blank in it is an underscore OCR lost (thin, at the baseline), and blur
    moves a letter next to it into its cell (`cooki esecure`), so the blank says only roughly where the
    underscore was. The name's letters are cut, within a cell of each blank or underscore read, into words the
    same capture writes elsewhere (`cookie`, `secure` in the docstrings, `get` in another name); only a cut that
    is the one possible is taken.
    """
    seen = [Counter(w.lower() for w in _PROSE_WORD_RE.findall(line.replace("_", " "))) for line in lines]
    everywhere = sum(seen, Counter())
    out = list(lines)
    for index, line in enumerate(lines):
        match = _SPLIT_DEF_RE.match(line)
        if match is None or " " not in match.group("name").strip():
            continue
        # Words the rest of the capture writes (the header's own pieces, `cooki`, `esecure`, are no evidence).
        words = {w for w, n in (everywhere - seen[index]).items() if n}
        name = match.group("name").strip()
        letters, breaks = "", list[int]()
        for ch in name:
            if ch in " _":
                if letters and (not breaks or breaks[-1] != len(letters)):
                    breaks.append(len(letters))
            else:
                letters += ch
        if not letters.replace("_", "").isalnum():
            continue
        pieces = _segment(letters, len(breaks) + 1, breaks, words)
        if pieces is None:
            continue
        out[index] = f"{match.group('indent')}{match.group('async') or ''}def {'_'.join(pieces)}{match.group('rest')}"
    return out


# What OCR reads a comment line's leading `*` as (`x`, `a`, `+`), and its closing `*/` (`x/`, `+/`).
# What OCR reads a block comment's leading `*` as: `x`, `a`, `+` on screenshots; a blurred star on photos comes out
# as a speck or a round mark (`°`, `.`, `¢`, `©`, `e`: the tuned photos of benchmarks/captures).
_STAR_READS = frozenset("xa+*°.¢©®e")


def _star_column(lines: list[str], starts: list[str]) -> int | None:
    """The column of the leading `*` of the block comments' lines (the most common one)."""
    columns = Counter(
        len(line) - len(line.lstrip())
        for line, start in zip(lines, starts, strict=True)
        if start == _BLOCK and line.lstrip().startswith("*")
    )
    return columns.most_common(1)[0][0] if columns else None


def _place_comment_openers(lines: list[str], language: str) -> list[str]:
    """Brace languages: a block comment's opening `/**` that OCR misread (`/x*`, `j**`, `we`, `jee`) and
    misplaced. A line of one to three characters right above a line that starts with `*` can only be the
    comment's opener; it stands one column left of the stars. Where OCR put it in the stars' column, the other
    lines move one column right (the picture does not show where column 0 is), so that the opener fits."""
    if language not in _BRACE_LANGUAGES:
        return lines
    out = list(lines)
    shifted = False
    _, starts = _lex(lines, language)
    for index, line in enumerate(lines[:-1]):
        body, below = line.strip(), lines[index + 1]
        # Inside a comment already, a short line is one of its own (` *` read as ` .`), no opener.
        if starts[index] != _CODE or not body or len(body) > 3 or body.startswith(("/*", "*")) or "*/" in body \
                or not below.lstrip().startswith("*"):
            continue
        indent, stars = len(line) - len(line.lstrip()), len(below) - len(below.lstrip())
        if stars == indent + 1 or (stars == indent and stars > 0):
            out[index] = " " * (stars - 1) + "/**"
        elif stars == indent == 0 and not shifted:
            out = [(" " + other if other.strip() else other) for other in out]
            out[index] = "/**"
            shifted = True
    return out


# Most visible characters of a line that stands where a block comment's closing `*/` must be (`"/`, `of`, `*`).
_MAX_CLOSER_READ = 3


def _repair_comment_frame(lines: list[str], language: str) -> list[str]:
    """Brace languages: the lines of a starred block comment (a Javadoc, a JSDoc) that OCR read as something a
    comment cannot hold there, put back from the comment's shape.

    Inside an open comment, a line that is only `/**` (or `/*`) between two star lines is one of its own empty
    lines (` *`): a comment does not open inside one. The line right above the first line of code after star lines
    (a line that starts left of the stars' column, not with `*`) must close the comment: when it is short (at most
    _MAX_CLOSER_READ visible characters, `"/`, `of`, a lone `*`) and starts no further right than the closer's `/`
    (a lost star leaves it one column right of the stars), it is `*/`.
    Both may move a line's indentation to the stars' column, so this runs before indentation is kept.
    """
    if language not in _BRACE_LANGUAGES:
        return lines
    out = list(lines)
    _, starts = _lex(out, language)
    column = _star_column(out, starts)
    if column is None or column < 1:
        return out

    def star_line(index: int) -> bool:
        line = out[index]
        return line.lstrip().startswith("*") and len(line) - len(line.lstrip()) == column and "*/" not in line

    index = 1
    while index < len(out) - 1:
        line, below = out[index], out[index + 1]
        body, indent = line.strip(), len(line) - len(line.lstrip())
        if starts[index] == _BLOCK and body in ("/**", "/*") and star_line(index - 1) and star_line(index + 1):
            out[index] = " " * column + "*"
        elif (
            starts[index] == _BLOCK
            and star_line(index - 1)
            and 0 < len(body) <= _MAX_CLOSER_READ
            and "*/" not in body
            and indent <= column + 1
            and below.strip()
            and len(below) - len(below.lstrip()) < column
            and not below.lstrip().startswith(("*", "/"))
        ):
            out[index] = " " * column + "*/"
            _, starts = _lex(out, language)  # the code below is code again
        index += 1
    return out


def _repair_comment_stars(lines: list[str], language: str) -> list[str]:
    """Brace languages: the `*` that starts each line of a block comment, where OCR misread it.

    Lines inside a block comment start with `*` in one column; a line there that starts with `x`, `a` or `+`
    and a blank (or `/`, the closing `*/`) in that column had its star misread (its opener is put back first,
    `_place_comment_openers`).
    """
    if language not in _BRACE_LANGUAGES:
        return lines
    out = list(lines)
    _, starts = _lex(out, language)
    column = _star_column(out, starts)
    if column is None:
        return out
    def star_line(index: int) -> bool:
        line = out[index]
        return line.lstrip().startswith("*") and len(line) - len(line.lstrip()) == column

    for index, line in enumerate(out):
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if starts[index] == _BLOCK and indent == column and body[:1] in _STAR_READS and body[:1] != "*" \
                and (len(body) == 1 or body[1] in " /"):
            out[index] = line[:indent] + "*" + line[indent + 1:]
        elif starts[index] == _BLOCK and not body and 0 < index < len(out) - 1 and star_line(index - 1) \
                and star_line(index + 1):
            # A comment's empty line keeps its star (` *`): a blank between two star lines lost it.
            out[index] = " " * column + "*"
    return out


# CONSTANT_CASE names, and runs of upper-case words a blank apart (where OCR lost underscores).
_CONSTANT_RE = re.compile(r"(?<![\w$])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w$])")
_CAPS_RUN_RE = re.compile(r"(?<![\w$])[A-Z][A-Z0-9_]*[A-Z0-9](?: [A-Z][A-Z0-9_]*[A-Z0-9])+(?![\w$])")


def _repair_constant_underscores(lines: list[str]) -> list[str]:
    """`"SESSION COOKIE HTTPONLY"` -> `"SESSION_COOKIE_HTTPONLY"`: upper-case words a blank apart are one
    CONSTANT_CASE name whose underscores OCR lost (thin, at the baseline), when the same screenshot joins two of
    them with an underscore elsewhere (`SESSION_COOKIE_SECURE`). Prose in capitals (`NOT FOUND`) has no such
    evidence and stays."""
    joined = {(a, b) for name in _CONSTANT_RE.findall("\n".join(lines))
              for a, b in zip(name.split("_"), name.split("_")[1:], strict=False)}
    if not joined:
        return lines

    def repair(match: re.Match[str]) -> str:
        words = match.group(0).split(" ")
        pairs = [(a.split("_")[-1], b.split("_")[0]) for a, b in zip(words, words[1:], strict=False)]
        return "_".join(words) if any(pair in joined for pair in pairs) else match.group(0)

    return [_CAPS_RUN_RE.sub(repair, line) for line in lines]


# Multi-part names a capture spells in full: snake_case or CONSTANT_CASE parts joined by single underscores, or
# camelCase / PascalCase humps (`converterFactories`, `RequestBody`).
_SNAKE_NAME_RE = re.compile(r"(?<![\w$])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w$])")
_CAMEL_NAME_RE = re.compile(r"(?<![\w$])[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]+)+(?![\w$])")
# Fewest letters and digits a name must hold to be respelled from (short names recur as prose words).
_MIN_RESPELL_CHARS = 8
# Runs of word characters a blank or a few underscores apart, where a name's pieces may lie.
_PIECES_RE = re.compile(r"(?<![\w$])[A-Za-z0-9]+(?:(?: |_{1,3})[A-Za-z0-9]+)*(?![\w$])")
# Letters whose upper and lower case differ only in size: OCR confuses their case inside capitals.
_SIZE_ONLY_CASE = frozenset("cosuvwxz")
# Share of a name's letters in capitals for it to be CONSTANT_CASE read with a few size-only letters small.
_CONSTANT_UPPER_SHARE = 0.7


def _skeleton(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum()).lower()


def _is_constant_case(name: str) -> bool:
    """CONSTANT_CASE, or nearly (`SESSION_cOOKIE`): at least _CONSTANT_UPPER_SHARE of the letters upper case."""
    letters = [ch for ch in name if ch.isalpha()]
    return bool(letters) and sum(ch.isupper() for ch in letters) >= _CONSTANT_UPPER_SHARE * len(letters)


def _canonical(name: str) -> str:
    """A CONSTANT_CASE name with its size-only letters in capitals (`SESSION_cOOKIE` -> `SESSION_COOKIE`)."""
    if not _is_constant_case(name):
        return name
    return "".join(ch.upper() if ch in _SIZE_ONLY_CASE else ch for ch in name)


def _one_spelling(spellings: set[str]) -> str | None:
    """The spelling a name's full spellings agree on (CONSTANT_CASE ones with their size-only letters in
    capitals); None when the capture spells the name two ways (`get_cookie` and `getCookie`: nothing says which
    one was meant)."""
    canonical = {_canonical(name) for name in spellings}
    return canonical.pop() if len(canonical) == 1 else None


def _respell_split_names(lines: list[str]) -> list[str]:
    """`SESSIO NCOOKI EHTTPONLY` -> `SESSION_COOKIE_HTTPONLY`, `converterFactorie s` -> `converterFactories`:
    a name's letters read in order, but with its underscores lost, doubled or moved, or a blank inside, where the
    same capture spells the name in full elsewhere (a multi-part name of at least _MIN_RESPELL_CHARS letters and
    digits). The read must fill the name's width within one cell (the grid keeps a lost underscore's cell blank)
    and differ from it only in underscores and blanks (and, in CONSTANT_CASE, the case of letters whose cases
    differ only in size). Lower-case words a blank apart where the name has its underscores (`shell context` for
    `shell_context`) are prose as often as a slip, and stay."""
    text = "\n".join(lines)
    names: dict[str, set[str]] = {}
    for pattern in (_SNAKE_NAME_RE, _CAMEL_NAME_RE):
        for name in pattern.findall(text):
            if sum(ch.isalnum() for ch in name) >= _MIN_RESPELL_CHARS:
                names.setdefault(_skeleton(name), set()).add(name)
    known = {key: name for key, spellings in names.items() if (name := _one_spelling(spellings)) is not None}
    if not known:
        return lines

    def respell(match: re.Match[str]) -> str:
        run = match.group(0)
        # Pieces of the run (`the SESSION COOKIE HTTPONLY setting`): the longest stretch of whole pieces that
        # spells a known name, left to right.
        pieces = [m.span() for m in re.finditer(r"[A-Za-z0-9]+", run)]
        out, cursor, i = [], 0, 0
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                start, end = pieces[i][0], pieces[j - 1][1]
                read = run[start:end]
                name = known.get(_skeleton(read))
                if name is not None and read != name and abs(len(read) - len(name)) <= 1 \
                        and _canonical(read.replace(" ", "_")).replace("_", "") == name.replace("_", "") \
                        and (_is_constant_case(name) or read != name.replace("_", " ")):
                    out.append(run[cursor:start] + name)
                    cursor, i = end, j
                    break
            else:
                i += 1
        return "".join(out) + run[cursor:]

    return [_PIECES_RE.sub(respell, line) for line in lines]


# --- entry point -----------------------------------------------------------------------------------


def _keep_indentation(original: list[str], corrected: list[str]) -> list[str]:
    """Each corrected line, unless a repair touched its indentation (then the original line)."""
    kept = []
    for old, new in zip(original, corrected, strict=True):
        same_indent = old[: len(old) - len(old.lstrip())] == new[: len(new) - len(new.lstrip())]
        # A blank line may become a docstring's closing quotes OCR did not see (`_repair_docstring_closers`), or
        # a block comment's lone star (`_repair_comment_stars`): a blank shows no indentation to keep.
        closing_quotes = not old.strip() and new.strip() in ('"""', "'''", "*")
        kept.append(new if (same_indent and (new.strip() or not old.strip())) or closing_quotes else old)
    return kept


def correct_code(text: str, language: str, *, blurred: bool = False) -> str:
    """Fix the character slips OCR makes on code, where the rest of the code shows them.

    Args:
        text: code as read by OCR, lines joined with newlines.
        language: its language, as `pipeline.language.detect_language` names it ("unknown" is left alone).
        blurred: the text was read from a photo: identifier voting also takes the look-alikes of blurred glyphs
            (`Nene`, `Hone` -> `None` where the code uses `None`).
    Returns:
        The text with the slips repaired: the same number of lines, each with the same indentation, but for a
        block comment's opener or a docstring's closing quotes put back (`_place_comment_openers`,
        `_repair_docstring_closers`).
    """
    if language not in word_lists().languages and language not in _BRACE_LANGUAGES:
        # Code too garbled to tell its language (a photo), or a comment alone (a JSDoc block cut from its code):
        # block comments' openers, stars and code spans, which look alike in every brace language; nothing else.
        lines = _repair_comment_frame(_place_comment_openers(text.split("\n"), "c"), "c")
        if not _starts_in_comment(lines, "c") and not any("/*" in line for line in lines):
            return text
        return "\n".join(_repair_comment_stars(_repair_code_spans(lines, "c"), "c"))
    # The one repair that moves lines: the comment opener's column tells where theirs are.
    lines = _repair_comment_frame(_place_comment_openers(text.split("\n"), language), language)
    corrected = list(lines)
    if language == "python":
        corrected = _repair_split_def_names([_repair_def_keyword(line) for line in corrected])
        corrected = _repair_docstring_closers(corrected)
    if language in _TEMPLATE_LANGUAGES:
        state = _CODE  # a line that starts inside a multi-line template literal is left alone
        for index, line in enumerate(corrected):
            if state == _CODE:
                corrected[index] = _repair_template_line(line, language)
            _, state = _lex_line(corrected[index], state, language)
    corrected = [_repair_quote_slips(line, language) for line in corrected]
    if language in _BRACE_LANGUAGES:
        corrected = [_LONE_SLASH_RE.sub(r"\1//", line, count=1) for line in corrected]
    if language == "python":
        corrected = [_repair_dunders(line) for line in corrected]
    if language in _BRACE_LANGUAGES:
        corrected = _repair_closers(corrected, language)
        corrected = _repair_closer_runs(corrected, language)
        corrected = _repair_comment_stars(corrected, language)
    corrected = _repair_code_spans(_respell_split_names(_repair_constant_underscores(corrected)), language)
    token = _BLURRED.set(blurred)
    try:
        corrected = _vote_identifiers(corrected, language)
    finally:
        _BLURRED.reset(token)
    return "\n".join(_keep_indentation(lines, corrected))


# --- the analyzer's view ---------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[A-Za-z_|][A-Za-z0-9_|]*[A-Za-z0-9_]|[A-Za-z_]")
_MIN_ANALYZER_WORD = 3


@functools.cache
def _glyph_signature_table() -> dict[int, str]:
    """Every confusable glyph mapped to one glyph of its group, so look-alike spellings share a key.

    The representative is the group's smallest code point, a digit or a symbol, which lower-casing
    leaves alone.
    """
    return str.maketrans({glyph: min(group) for group in slip_rules().confusable for glyph in group})


def _signature(word: str) -> str:
    return word.translate(_glyph_signature_table()).lower()


@functools.cache
def _analyzer_words() -> dict[str, list[str]]:
    """The analyzer's words by signature, in the data file's order."""
    by_signature: dict[str, list[str]] = {}
    for word in word_lists().analyzer:
        if word.isidentifier() and len(word) >= _MIN_ANALYZER_WORD:
            by_signature.setdefault(_signature(word), []).append(word)
    return by_signature


def _repair_token(match: re.Match[str]) -> str:
    token = match.group(0)
    table = _glyph_signature_table()
    if len(token) < _MIN_ANALYZER_WORD or not any(ord(ch) in table for ch in token):
        return token
    candidates = _analyzer_words().get(_signature(token))
    if not candidates:
        return token
    # `Fa1se` is Python's False, `fa1se` JavaScript's false: keep the first letter's case.
    same_case = [word for word in candidates if word[0].isupper() == token[0].isupper()]
    repaired = (same_case or candidates)[0]
    if repaired.lower() == token.lower():
        return token
    # Only repair when the token is not itself a plausible identifier the author wrote: an OCR slip
    # leaves a digit or a bar among letters.
    if any(ch.isdigit() or ch == "|" for ch in token):
        return repaired
    return token


def normalize_ocr_line(line: str) -> str:
    """One line with common OCR slips repaired, for the analyzer's parsers and detectors.

    Args:
        line: A line as read by OCR.
    Returns:
        The line with spaced operators joined (`= =` -> `==`) and look-alike glyphs fixed in the
        analyzer's known words (`eva1` -> `eval`).
    """
    for pattern, replacement in slip_rules().spaced_operators:
        line = pattern.sub(replacement, line)
    return _TOKEN_RE.sub(_repair_token, line)


_PY_BLOCK_HEADER = re.compile(
    r"^\s*(class|def|async\s+def|if|elif|else|for|async\s+for|while|try|except|finally|with|"
    r"async\s+with)\b[^#]*?[^:\s,(\[{\\]\s*$"
)


def repair_python_colons(lines: list[str]) -> list[str]:
    """Python lines with block-header colons that OCR dropped put back.

    A header (`def f(x)`, `else`, `try`) that lacks its colon and is followed by a more indented
    line gets one, so `ast` can parse the code again.

    Args:
        lines: Python lines.
    Returns:
        The same lines, headers with their colon.
    """
    repaired = list(lines)
    for index, line in enumerate(lines):
        if not _PY_BLOCK_HEADER.match(line) or line.count("(") != line.count(")"):
            continue
        following = next((n for n in lines[index + 1 :] if n.strip()), None)
        indent = len(line) - len(line.lstrip())
        if following is not None and len(following) - len(following.lstrip()) > indent:
            repaired[index] = line.rstrip() + ":"
    return repaired


def normalize_lines(lines: list[str], language: str) -> list[str]:
    """The analyzer's view of OCR-read code: each line normalized, Python colons restored.

    Args:
        lines: the code's lines, as shown.
        language: its language (`pipeline.language.canonical_language`).
    Returns:
        As many lines, repaired (`normalize_ocr_line`, then `repair_python_colons` for Python).
    """
    normalized = [normalize_ocr_line(line) for line in lines]
    return repair_python_colons(normalized) if language == "python" else normalized
