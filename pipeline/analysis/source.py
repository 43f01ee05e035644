"""The code as the detectors see it: OCR-normalized lines, comments and strings separated.

OCR slips are repaired per line by `pipeline.ocr_correction.normalize_lines` (so line numbers
never move); the language is `pipeline.language.canonical_language`. Evidence quotes are always
taken from the *raw* lines, never from the normalized ones, so they stay verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archreview.pipeline.language import canonical_language
from archreview.pipeline.ocr_correction import normalize_lines
from archreview.schemas import Code

PYTHON = "python"
JAVASCRIPT = "javascript"
TYPESCRIPT = "typescript"
JAVA = "java"


@dataclass(frozen=True)
class Line:
    """One shown line, in its three views."""

    number: int  # line number as shown (first_line + index)
    raw: str  # verbatim text from code.text (evidence quotes come from here)
    code: str  # OCR-normalized text with comments removed (strings kept)
    masked: str  # `code` with string-literal contents blanked (quotes kept)
    strings: tuple[str, ...]  # contents of string literals that touch this line


@dataclass
class Source:
    """The code under analysis, line by line."""

    language: str  # canonical language (`pipeline.language.canonical_language`)
    first_line: int
    lines: list[Line] = field(default_factory=list)
    normalized_text: str = ""  # OCR-normalized text, same line count, stray quotes blanked (what parsers read)

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.lines) - 1

    @property
    def is_python(self) -> bool:
        return self.language == PYTHON

    @property
    def is_js(self) -> bool:
        return self.language in (JAVASCRIPT, TYPESCRIPT)

    @property
    def is_java(self) -> bool:
        return self.language == JAVA

    @property
    def uses_braces(self) -> bool:
        """Whether blocks are delimited by braces (everything but Python)."""
        return self.language != PYTHON

    def line(self, number: int) -> Line | None:
        """The line with that shown number, or None when it is not shown."""
        index = number - self.first_line
        if 0 <= index < len(self.lines):
            return self.lines[index]
        return None

    def span(self, start: int, end: int) -> list[Line]:
        """Lines `start`..`end` (inclusive), clipped to what is shown."""
        lo = max(start, self.first_line) - self.first_line
        hi = min(end, self.last_line) - self.first_line
        return self.lines[lo : hi + 1] if hi >= lo else []

    def code_text(self, start: int, end: int) -> str:
        """Comment-free code of lines `start`..`end`, joined with newlines."""
        return "\n".join(line.code for line in self.span(start, end))

    def masked_text(self, start: int, end: int) -> str:
        """String-blanked code of lines `start`..`end`, joined with newlines."""
        return "\n".join(line.masked for line in self.span(start, end))


def _comment_starts(language: str) -> tuple[str, ...]:
    return ("#",) if language == PYTHON else ("//",)


# What `_lex_line` returns: code, masked code, strings, the state left, the multi-line opener, an unclosed quote.
_LineLex = tuple[list[str], list[str], list[str], str | None, tuple[int, int] | None, int | None]


def _lex(lines: list[str], language: str, literal_openers: set[tuple[int, int]]) -> (
    tuple[list[str], list[str], list[list[str]], tuple[int, int] | None, list[set[int]]]
):
    """Split lines into comment-free code, string-masked code and string contents.

    Multi-line constructs (triple quotes, template literals, block comments) may span
    lines; one-line strings end at the end of their line even when OCR lost the
    closing quote, so a slip cannot swallow the rest of the file.

    Returns:
        code lines, masked lines, strings a line, the position of a multi-line
        opener left unterminated at the end (None when all closed), and the columns
        of each line's quotes read as slips (one-line strings never closed).
    """
    python = language == PYTHON
    line_comment = _comment_starts(language)[0]
    code_out: list[str] = []
    masked_out: list[str] = []
    strings_out: list[list[str]] = []
    strays_out: list[set[int]] = []
    state: str | None = None  # None, 'block', or the closing delimiter of a string
    opener: tuple[int, int] | None = None
    for row, text in enumerate(lines):
        row_state, row_opener = state, opener
        stray: set[int] = set()  # quotes of this line taken for a slip: read as plain characters
        while True:
            code, masked, strings, state, opener, single = _lex_line(
                text, row, python, language, line_comment, literal_openers, row_state, row_opener, stray)
            # A one-line string never closed: real code has none, so OCR misread a character as a quote (`'user`
            # for `!user`) or lost the closing one. Reading the quote as a slip keeps the brackets after it.
            if single is None or single in stray:
                break
            stray.add(single)
        if state is not None and len(state) == 1 and state != "`":
            state = None  # one-line strings never continue onto the next line
        code_out.append("".join(code).rstrip())
        masked_out.append("".join(masked).rstrip())
        strings_out.append(strings)
        strays_out.append(stray)
    unterminated = opener if state is not None else None
    return code_out, masked_out, strings_out, unterminated, strays_out


def _lex_line(text: str, row: int, python: bool, language: str, line_comment: str,
              literal_openers: set[tuple[int, int]], state: str | None, opener: tuple[int, int] | None,
              stray: set[int]) -> _LineLex:
    """One line of `_lex`: its code, masked code and strings, the state it leaves, and the column of a one-line
    string's opening quote left unclosed at its end (None when every one-line string closed)."""
    code: list[str] = []
    masked: list[str] = []
    strings: list[str] = []
    current: list[str] = []
    single: int | None = None
    col = 0
    while col < len(text):
        ch = text[col]
        if state == "block":
            end = text.find("*/", col)
            if end < 0:
                col = len(text)
                break
            col = end + 2
            state = None
            continue
        if state is not None:
            if text.startswith(state, col) and (col == 0 or text[col - 1] != "\\"):
                strings.append("".join(current))
                current = []
                code.append(state)
                masked.append(state)
                col += len(state)
                state = None
                continue
            current.append(ch)
            code.append(ch)
            masked.append(" ")
            col += 1
            continue
        if text.startswith(line_comment, col):
            break
        if not python and text.startswith("/*", col) and (row, col) not in literal_openers:
            state = "block"
            opener = (row, col)
            col += 2
            continue
        if ch in "\"'`" and col not in stray:
            triple = text[col : col + 3]
            multiline = (python and triple in ('"""', "'''")) or (
                not python and (ch == "`" or (language == JAVA and triple == '"""'))
            )
            if multiline and (row, col) not in literal_openers:
                state = triple if triple in ('"""', "'''") else "`"
                opener = (row, col)
            else:
                state = ch
                single = col
            code.append(state)
            masked.append(state)
            col += len(state)
            continue
        code.append(ch)
        masked.append(ch)
        col += 1
    if state is not None and state != "block":
        strings.append("".join(current))
    unclosed = single if state is not None and len(state) == 1 and state != "`" else None
    return code, masked, strings, state, opener, unclosed


def build_source(code: Code) -> Source:
    """Lex `code` into a `Source`.

    Args:
        code: The code as read from the screenshot.

    Returns:
        Its lines with OCR repairs, comments stripped and strings separated.
    """
    raw_lines = code.text.split("\n")
    language = canonical_language(code.language, code.text)
    normalized = normalize_lines(raw_lines, language)
    openers: set[tuple[int, int]] = set()
    while True:
        code_lines, masked_lines, strings, unterminated, strays = _lex(normalized, language, openers)
        if unterminated is None or unterminated in openers or len(openers) > 20:
            break
        openers.add(unterminated)
    lines = [
        Line(
            number=code.first_line + index,
            raw=raw,
            code=code_lines[index],
            masked=masked_lines[index],
            strings=tuple(strings[index]),
        )
        for index, raw in enumerate(raw_lines)
    ]
    return Source(
        language=language,
        first_line=code.first_line,
        lines=lines,
        # the parsers read a stray quote (a slip) as a blank, so one misread character does not open a string
        normalized_text="\n".join(
            "".join(" " if col in stray else ch for col, ch in enumerate(text)) if stray else text
            for text, stray in zip(normalized, strays, strict=True)
        ),
    )
