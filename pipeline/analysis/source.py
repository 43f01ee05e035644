"""The code as the detectors see it: OCR-normalized lines, comments and strings separated.

OCR slips are repaired per line (so line numbers never move): spaced operators
(`= =`), and `l`/`1`/`I`/`|` or `o`/`0` confusions inside keywords and well-known
API names. Evidence quotes are always taken from the *raw* lines, never from the
normalized ones, so they stay verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from archreview.schemas import Code

PYTHON = "python"
JAVASCRIPT = "javascript"
TYPESCRIPT = "typescript"
JAVA = "java"

_LANGUAGE_ALIASES: dict[str, str] = {
    "py": PYTHON,
    "python": PYTHON,
    "python3": PYTHON,
    "js": JAVASCRIPT,
    "jsx": JAVASCRIPT,
    "javascript": JAVASCRIPT,
    "node": JAVASCRIPT,
    "ts": TYPESCRIPT,
    "tsx": TYPESCRIPT,
    "typescript": TYPESCRIPT,
    "java": JAVA,
}

# Words worth repairing when OCR confuses look-alike glyphs in them.
_VOCABULARY: tuple[str, ...] = (
    "self", "class", "import", "while", "else", "elif", "lambda", "global", "nonlocal",
    "public", "private", "protected", "final", "static", "null", "false", "true",
    "False", "True", "None", "finally", "synchronized", "volatile", "await", "async",
    "sleep", "eval", "exec", "pickle", "loads", "load", "shell", "verify", "timeout",
    "requests", "lock", "Lock", "RLock", "threading", "Thread", "while", "list",
    "fetch", "catch", "then", "throw", "Throwable", "string", "String", "innerHTML",
    "subprocess", "system", "popen", "execute", "query", "select", "SELECT", "FROM",
    "WHERE", "DELETE", "INSERT", "INTO", "UPDATE", "lru_cache", "cache", "collection",
    "console", "log", "logger", "logging", "include", "includes", "index", "length",
    "filter", "util", "HashMap", "ArrayList", "List", "Collections", "volatile",
    "password", "secret", "token", "readlines", "readFileSync", "openConnection",
    "setConnectTimeout", "setReadTimeout", "Runtime", "getRuntime", "follow", "url",
    "localhost", "self._lock", "Promise", "function", "let", "const", "def", "for",
    "if", "in", "is", "not", "new", "this", "try", "except", "pass", "raise", "return",
    "with", "from", "yield", "interface", "extends", "implements", "void", "int",
)
_CONFUSABLE = str.maketrans({"l": "1", "I": "1", "|": "1", "i": "1", "O": "0", "o": "0"})


def _signature(word: str) -> str:
    return word.translate(_CONFUSABLE).lower()


_VOCAB_BY_SIGNATURE: dict[str, list[str]] = {}
for _word in _VOCABULARY:
    if _word.isidentifier() and len(_word) >= 3:
        _VOCAB_BY_SIGNATURE.setdefault(_signature(_word), []).append(_word)

_TOKEN = re.compile(r"[A-Za-z_|][A-Za-z0-9_|]*[A-Za-z0-9_]|[A-Za-z_]")
_SPACED_OPERATORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"= =(?!=)"), "=="),
    (re.compile(r"! ="), "!="),
    (re.compile(r"< ="), "<="),
    (re.compile(r"> ="), ">="),
    (re.compile(r"\+ ="), "+="),
    (re.compile(r"- ="), "-="),
    (re.compile(r"\+ \+"), "++"),
    (re.compile(r"= >"), "=>"),
)


def _repair_token(match: re.Match[str]) -> str:
    token = match.group(0)
    if len(token) < 3 or not any(ch in token for ch in "1|I0lio"):
        return token
    candidates = _VOCAB_BY_SIGNATURE.get(_signature(token))
    if not candidates:
        return token
    # `Fa1se` is Python's False, `fa1se` JavaScript's false: keep the first letter's case.
    same_case = [word for word in candidates if word[0].isupper() == token[0].isupper()]
    repaired = (same_case or candidates)[0]
    if repaired.lower() == token.lower():
        return token
    # Only repair when the token is not itself a plausible identifier the author
    # wrote: an OCR slip leaves a digit or bar inside letters.
    if any(ch in token for ch in "1|0"):
        return repaired
    return token


def normalize_ocr_line(line: str) -> str:
    """One line with common OCR slips repaired; same number of lines, similar columns.

    Args:
        line: A line as read by OCR.

    Returns:
        The line with spaced operators joined and confused glyphs fixed in known words.
    """
    for pattern, replacement in _SPACED_OPERATORS:
        line = pattern.sub(replacement, line)
    return _TOKEN.sub(_repair_token, line)


_PY_BLOCK_HEADER = re.compile(
    r"^\s*(class|def|async\s+def|if|elif|else|for|async\s+for|while|try|except|finally|with|"
    r"async\s+with)\b[^#]*?[^:\s,(\[{\\]\s*$"
)


def repair_python_colons(lines: list[str]) -> list[str]:
    """Python lines with block-header colons that OCR dropped put back.

    A header (`def f(x)`, `else`, `try`) that lacks its colon and is followed by a
    more indented line gets one, so `ast` can parse the code again.
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


def canonical_language(language: str, text: str) -> str:
    """The analyzer's name for `language`, sniffing the text when it is unknown.

    Args:
        language: The language the vision stage reported.
        text: The code.

    Returns:
        One of python, javascript, typescript, java, or the lowered input when it is
        another known language (go, c, ...), or "unknown".
    """
    name = _LANGUAGE_ALIASES.get(language.strip().lower())
    if name:
        return name
    if language.strip().lower() not in ("", "unknown", "text", "plain"):
        return language.strip().lower()
    return sniff_language(text)


def sniff_language(text: str) -> str:
    """Guess the language of `text` from telltale constructs.

    Returns:
        python, javascript, typescript, java or unknown.
    """
    scores = {PYTHON: 0, JAVASCRIPT: 0, TYPESCRIPT: 0, JAVA: 0}
    patterns: dict[str, tuple[str, ...]] = {
        PYTHON: (r"^\s*def \w+\(.*\)\s*(->.*)?:\s*$", r"^\s*(from \S+ )?import \w", r"\bself\.",
                 r"^\s*(if|for|while|elif|else|try|except)\b.*:\s*$", r"\bNone\b"),
        JAVA: (r"\b(public|private|protected)\s+(static\s+)?\w[\w<>\[\], ]*\s+\w+\s*\(",
               r"^\s*import [a-z]+\.[\w.]+;\s*$", r"\bSystem\.out\b", r"\bnew \w+(<.*>)?\(",
               r"^\s*package [\w.]+;"),
        JAVASCRIPT: (r"\b(const|let|var) \w+\s*=", r"=>", r"\bfunction\b", r"\brequire\(",
                     r"\bconsole\.\w+\(", r"\bexport (default )?"),
        TYPESCRIPT: (r"\binterface \w+\s*\{", r":\s*(string|number|boolean|void)\b",
                     r"\b(private|public|readonly) \w+\s*:", r"<\w+>\(", r"\btype \w+ ="),
    }
    for lang, regexes in patterns.items():
        for regex in regexes:
            scores[lang] += len(re.findall(regex, text, flags=re.MULTILINE))
    if scores[TYPESCRIPT] >= 2 and scores[JAVASCRIPT] + scores[TYPESCRIPT] > scores[JAVA]:
        return TYPESCRIPT
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= 2 else "unknown"


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

    language: str  # canonical language (see canonical_language)
    first_line: int
    lines: list[Line] = field(default_factory=list)
    normalized_text: str = ""  # OCR-normalized text, same line count (what parsers read)

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


def _lex(lines: list[str], language: str, literal_openers: set[tuple[int, int]]) -> (
    tuple[list[str], list[str], list[list[str]], tuple[int, int] | None]
):
    """Split lines into comment-free code, string-masked code and string contents.

    Multi-line constructs (triple quotes, template literals, block comments) may span
    lines; one-line strings end at the end of their line even when OCR lost the
    closing quote, so a slip cannot swallow the rest of the file.

    Returns:
        code lines, masked lines, strings a line, and the position of a multi-line
        opener left unterminated at the end (None when all closed).
    """
    python = language == PYTHON
    line_comment = _comment_starts(language)[0]
    code_out: list[str] = []
    masked_out: list[str] = []
    strings_out: list[list[str]] = []
    state: str | None = None  # None, 'block', or the closing delimiter of a string
    opener: tuple[int, int] | None = None
    for row, text in enumerate(lines):
        code: list[str] = []
        masked: list[str] = []
        strings: list[str] = []
        current: list[str] = []
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
            if ch in "\"'`":
                triple = text[col : col + 3]
                multiline = (python and triple in ('"""', "'''")) or (
                    not python and (ch == "`" or (language == JAVA and triple == '"""'))
                )
                if multiline and (row, col) not in literal_openers:
                    state = triple if triple in ('"""', "'''") else "`"
                    opener = (row, col)
                else:
                    state = ch
                code.append(state)
                masked.append(state)
                col += len(state)
                continue
            code.append(ch)
            masked.append(ch)
            col += 1
        if state is not None and state != "block":
            strings.append("".join(current))
            if len(state) == 1 and state != "`":
                state = None  # one-line strings never continue onto the next line
        code_out.append("".join(code).rstrip())
        masked_out.append("".join(masked).rstrip())
        strings_out.append(strings)
    unterminated = opener if state is not None else None
    return code_out, masked_out, strings_out, unterminated


def build_source(code: Code) -> Source:
    """Lex `code` into a `Source`.

    Args:
        code: The code as read from the screenshot.

    Returns:
        Its lines with OCR repairs, comments stripped and strings separated.
    """
    raw_lines = code.text.split("\n")
    language = canonical_language(code.language, code.text)
    normalized = [normalize_ocr_line(line) for line in raw_lines]
    if language == PYTHON:
        normalized = repair_python_colons(normalized)
    openers: set[tuple[int, int]] = set()
    while True:
        code_lines, masked_lines, strings, unterminated = _lex(normalized, language, openers)
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
        normalized_text="\n".join(normalized),
    )
