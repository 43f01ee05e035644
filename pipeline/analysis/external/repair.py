"""The best repairable form of OCR-read code, for tools that want a whole, parseable file.

A screenshot shows a window of a file: cut mid-block, with a slip in a line, without its imports.
`repair` turns the shown (OCR-normalized) lines into text a linter parses, and keeps, for every line
of that text, the shown line it came from (`Repaired.origin`), so a tool's findings map back to the
lines shown; lines it adds (wrappers, stubs, closers) map to None and their findings are dropped.

Python: common indentation removed, the enclosing blocks of a window cut mid-block rebuilt with
`if True:` headers, then up to `MAX_PASSES` compile-and-fix passes (an unclosed bracket or string
closed on its line, a missing block body given `pass`, a stray indent snapped to its neighbour,
an unreadable line replaced by `pass`), and `import X` stubs for modules the window uses but does not
import (so `yaml.load` resolves to PyYAML's). Brace languages: unclosed brackets closed at the end.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass, field

from archreview.pipeline.analysis.source import Source

MAX_PASSES = 30
_INDENT = "    "
_NOT_MODULES = frozenset({"self", "cls", "super", "this"})
_OPENERS = {"(": ")", "[": "]", "{": "}"}


@dataclass
class Repaired:
    """Repaired text, line by line, with where each line came from."""

    lines: list[str]
    origin: list[int | None]  # shown line number of each line (None: added by the repair)
    indent_removed: list[int]  # characters of leading whitespace removed from the shown line
    changed: set[int] = field(default_factory=set)  # indexes of lines whose text the repair changed
    notes: list[str] = field(default_factory=list)  # what was repaired, for the report
    parses: bool = True  # whether the repaired text parses (Python: compiles; others: not checked)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def shown_line(self, row: int) -> int | None:
        """The shown line number of 1-based `row` of the repaired text (None: added or out of range)."""
        if 1 <= row <= len(self.origin):
            return self.origin[row - 1]
        return None

    def insert(self, index: int, text: str) -> None:
        """Add a line that is not shown before `index`."""
        self.lines.insert(index, text)
        self.origin.insert(index, None)
        self.indent_removed.insert(index, 0)
        self.changed = {i + 1 if i >= index else i for i in self.changed}


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _start(source: Source) -> Repaired:
    lines = [line.expandtabs(4).rstrip() for line in source.normalized_text.split("\n")]
    return Repaired(
        lines=lines,
        origin=[line.number for line in source.lines],
        indent_removed=[0] * len(lines),
    )


def _dedent_and_wrap(repaired: Repaired) -> None:
    """Remove the common indentation; rebuild the blocks a window cut mid-block sits in."""
    code_rows = [i for i, line in enumerate(repaired.lines) if line.strip() and not line.lstrip().startswith("#")]
    if not code_rows:
        return
    common = min(_indent_of(repaired.lines[i]) for i in code_rows)
    if common:
        for i, line in enumerate(repaired.lines):
            if line.strip():
                cut = min(common, _indent_of(line))
                repaired.lines[i] = line[cut:]
                repaired.indent_removed[i] = cut
        repaired.notes.append(f"removed {common} columns of common indentation")
    first = _indent_of(repaired.lines[code_rows[0]])
    if first == 0:
        return
    levels = {0}
    for i in code_rows:
        indent = _indent_of(repaired.lines[i])
        if indent == 0:
            break
        if indent < first:
            levels.add(indent)
    for offset, level in enumerate(sorted(levels)):
        repaired.insert(offset, " " * level + "if True:")
    repaired.notes.append("the window starts inside a block: enclosing blocks added")


_NEVER_CLOSED = re.compile(r"'([(\[{])' was never closed")
_UNTERMINATED = re.compile(r"unterminated (triple-quoted )?string literal")
_EXPECTED_BLOCK = re.compile(r"expected an indented block after .* on line (\d+)")


def _unclosed_on_line(text: str) -> str:
    """The closers for the brackets `text` opens and leaves open (strings skipped)."""
    stack: list[str] = []
    quote = ""
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in _OPENERS:
            stack.append(_OPENERS[ch])
        elif ch in ")]}" and stack and stack[-1] == ch:
            stack.pop()
    return "".join(reversed(stack))


def _replace(repaired: Repaired, index: int, text: str) -> None:
    repaired.lines[index] = text
    repaired.changed.add(index)


def _fix_once(repaired: Repaired, error: SyntaxError) -> bool:
    """Repair the line `error` points at; False when nothing more can be done."""
    lines = repaired.lines
    row = (error.lineno or len(lines)) - 1
    row = min(max(row, 0), len(lines) - 1)
    message = error.msg or ""
    line = lines[row]
    indent = " " * _indent_of(line)
    expected = _EXPECTED_BLOCK.search(message)
    if expected:
        header = int(expected.group(1)) - 1
        body_indent = " " * (_indent_of(lines[header]) + len(_INDENT))
        repaired.insert(header + 1, body_indent + "pass")
        return True
    if (match := _NEVER_CLOSED.search(message)) is not None:
        closers = _unclosed_on_line(line) or _OPENERS[match.group(1)]
        body = line.rstrip()
        if body.endswith(":"):
            _replace(repaired, row, body[:-1] + closers + ":")
        else:
            _replace(repaired, row, body + closers)
        return True
    if _UNTERMINATED.search(message):
        quote = '"""' if "triple" in message else ('"' if line.count('"') % 2 else "'")
        _replace(repaired, row, line + quote)
        return True
    if isinstance(error, IndentationError) and "unexpected indent" in message:
        previous = next((lines[i] for i in range(row - 1, -1, -1) if lines[i].strip()), "")
        _replace(repaired, row, " " * _indent_of(previous) + line.lstrip())
        return True
    if isinstance(error, IndentationError) and "unindent does not match" in message:
        levels = [_indent_of(lines[i]) for i in range(row) if lines[i].strip()]
        lower = max((level for level in levels if level < len(indent)), default=0)
        _replace(repaired, row, " " * lower + line.lstrip())
        return True
    if line.strip() in ("pass", "if True:"):
        return False  # already replaced: the error is elsewhere and cannot be placed
    _replace(repaired, row, indent + ("if True:" if line.rstrip().endswith(":") else "pass"))
    return True


def _undefined_modules(tree: ast.Module) -> list[str]:
    """Names used as `name.attr` that the window never defines or imports: modules it forgot to show."""
    defined: set[str] = set(dir(builtins)) | _NOT_MODULES
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            defined.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            defined.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            used.append(node.value.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            defined.add(node.name)
    return sorted({name for name in used if name not in defined})


def _repair_python(repaired: Repaired) -> None:
    _dedent_and_wrap(repaired)
    fixes = 0
    tree: ast.Module | None = None
    for _ in range(MAX_PASSES):
        try:
            tree = ast.parse(repaired.text)
            break
        except SyntaxError as error:
            if not _fix_once(repaired, error):
                break
            fixes += 1
    if fixes:
        repaired.notes.append(f"{fixes} syntax repair{'s' if fixes != 1 else ''} before parsing")
    if tree is None:
        repaired.parses = False
        repaired.notes.append("the code still does not parse; the tools read it as it is")
        return
    modules = _undefined_modules(tree)
    for offset, name in enumerate(modules):
        repaired.insert(offset, f"import {name}")
    if modules:
        repaired.notes.append(f"stubbed {len(modules)} missing import{'s' if len(modules) != 1 else ''}")


_JAVA_DECLARATION = re.compile(
    r"\s*(@\w+|public|private|protected|static|final|abstract|synchronized|class|interface|enum|record|import|"
    r"package)\b"
)
_JAVA_TYPE = re.compile(r"^\s*(public\s+|final\s+|abstract\s+)*(class|interface|enum|record)\b", re.MULTILINE)


def _wrap_java(repaired: Repaired, source: Source) -> None:
    """Give a window of Java members a class, and a window of statements a class and a method, to sit in."""
    first = next((line.code for line in source.lines if line.code.strip()), "")
    if not first or _JAVA_TYPE.search(source.normalized_text):
        return
    header = "class Shown {" if _JAVA_DECLARATION.match(first) else "class Shown { void shown() throws Exception {"
    repaired.insert(0, header)
    repaired.notes.append("the window shows " + ("members" if header.count("{") == 1 else "statements") +
                          " only: a class" + ("" if header.count("{") == 1 else " and a method") + " added around it")
    repaired.lines.append("}" * header.count("{"))
    repaired.origin.append(None)
    repaired.indent_removed.append(0)


def _repair_braces(repaired: Repaired, source: Source) -> None:
    """Close the brackets a window cut before their end left open (a `try` block with an empty `finally`)."""
    stack: list[str] = []
    for line in source.lines:
        for ch in line.masked:
            if ch in _OPENERS:
                opens_try = ch == "{" and re.match(r"\s*(\}\s*)?try\b", line.masked) is not None
                stack.append("} finally {}" if opens_try else _OPENERS[ch])
            elif ch in ")]}" and stack and stack[-1][0] == ch:
                stack.pop()
    if stack:
        repaired.lines.append("".join(reversed(stack)))
        repaired.origin.append(None)
        repaired.indent_removed.append(0)
        repaired.notes.append(f"closed {len(stack)} bracket{'s' if len(stack) != 1 else ''} left open")
    if source.is_java:
        _wrap_java(repaired, source)


def repair(source: Source) -> Repaired:
    """The shown code in the form a linter reads best, with each line's shown number.

    Args:
        source: The code as the analyzer lexed it (OCR-normalized lines, numbers as shown).

    Returns:
        The repaired lines; `origin` maps each back to the shown line (None for added lines).
    """
    repaired = _start(source)
    if source.is_python:
        _repair_python(repaired)
    else:
        _repair_braces(repaired, source)
    return repaired
