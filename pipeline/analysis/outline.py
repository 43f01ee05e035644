"""The code's structure as the detectors need it: blocks with shown line spans.

Whichever parser read the code (Python `ast`, tree-sitter, or the line heuristics),
it produces the same `Outline`, so detectors never depend on a parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal[
    "class",
    "interface",
    "function",
    "method",
    "loop",
    "try",
    "handler",
    "with",
    "synchronized",
]
DEFINITION_KINDS: frozenset[str] = frozenset({"class", "interface", "function", "method"})
FUNCTION_KINDS: frozenset[str] = frozenset({"function", "method"})


@dataclass(frozen=True)
class Block:
    """One syntactic block, with line numbers as shown."""

    kind: BlockKind
    start: int  # first line (the header; decorators excluded)
    end: int  # last line
    name: str = ""  # class/function name; "" for anonymous blocks
    header: str = ""  # normalized code of the header line(s)
    params: tuple[str, ...] = ()  # parameter names (functions), without self/this
    bases: tuple[str, ...] = ()  # base classes / implemented interfaces (classes)
    modifiers: tuple[str, ...] = ()  # e.g. static, synchronized, async, constructor
    owner: str = ""  # enclosing class name for methods, "" otherwise
    decorator_start: int = 0  # first decorator/annotation line, or `start` when none

    @property
    def is_async(self) -> bool:
        return "async" in self.modifiers

    @property
    def is_constructor(self) -> bool:
        return "constructor" in self.modifiers

    def contains(self, line: int) -> bool:
        """Whether `line` lies within the block."""
        return self.start <= line <= self.end


@dataclass
class Outline:
    """All blocks of the code plus how it was parsed."""

    blocks: list[Block] = field(default_factory=list)
    parser: str = "none"  # ast, tree-sitter-<lang>, or lines
    parse_errors: int = 0  # syntax errors the parser recovered from

    def of_kind(self, *kinds: str) -> list[Block]:
        """Blocks of the given kinds, in source order."""
        return [block for block in self.blocks if block.kind in kinds]

    def enclosing(self, line: int, *kinds: str) -> list[Block]:
        """Blocks of the given kinds that contain `line`, innermost first."""
        found = [b for b in self.blocks if b.kind in kinds and b.contains(line)]
        return sorted(found, key=lambda b: (b.end - b.start, -b.start))

    def innermost(self, line: int, *kinds: str) -> Block | None:
        """The innermost block of the given kinds containing `line`, if any."""
        found = self.enclosing(line, *kinds)
        return found[0] if found else None

    def function_at(self, line: int) -> Block | None:
        """The innermost function/method containing `line`."""
        return self.innermost(line, *FUNCTION_KINDS)

    def class_at(self, line: int) -> Block | None:
        """The innermost class/interface containing `line`."""
        return self.innermost(line, "class", "interface")

    def in_loop(self, line: int) -> Block | None:
        """The innermost loop whose body holds `line` (the loop header excluded).

        Inline loops (comprehensions, `xs.map(x => ...)`) count from their first line.

        Loops outside the innermost function are ignored: a function defined inside a
        loop does not run once per iteration at its definition. A function that starts on
        `line` itself is a callback handed to a call on that line (`push(find(id, (err) => {`):
        the call runs where the line is, so the function around it decides. A loop written on
        one line (`for (const id of ids) await remove(id)`) holds its body on its header line.
        """
        functions = [f for f in self.enclosing(line, *FUNCTION_KINDS) if f.start != line or f.end == line]
        function = functions[0] if functions else None
        for loop in self.enclosing(line, "loop"):
            if line == loop.start and "inline" not in loop.modifiers and loop.end != loop.start:
                continue
            if function is not None and not function.contains(loop.start):
                continue
            return loop
        return None

    def locked(self, line: int) -> bool:
        """Whether `line` runs under a lock: a lock `with`, synchronized block or method."""
        for block in self.enclosing(line, "with", "synchronized"):
            if block.kind == "synchronized" or _mentions_lock(block.header):
                return True
        function = self.function_at(line)
        return function is not None and "synchronized" in function.modifiers


def _mentions_lock(header: str) -> bool:
    lowered = header.lower()
    return any(word in lowered for word in ("lock", "mutex", "semaphore", "condition"))
