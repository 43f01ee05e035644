"""What every detector receives (`Context`) and returns (`Hit`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block, Outline
from archreview.pipeline.analysis.source import Line, Source

_MAX_STATEMENT_LINES = 8
_RETRY_WORDS = re.compile(r"attempt|retr(y|ies)|tries", re.IGNORECASE)
# The variable a `for` loop binds (`for name in ...`, `for (const name of ...)`, `for (Type name : ...)`).
_LOOP_VARIABLE = re.compile(r"\bfor\s*\(?\s*(?:(?:const|let|var|final)\s+)?(?:[\w<>\[\]]+\s+)?(\w+)\s+(?:in|of|:)\s")
_OWN_THREAD_CALLS = re.compile(r"\bThread\s*\.\s*(?:sleep|currentThread|interrupted|onSpinWait|yield)\b")
_PY_THREAD_TARGET = re.compile(
    r"(?:\btarget\s*=\s*|\.submit\s*\(\s*|\brun_in_executor\s*\([^,()]*,\s*|\bto_thread\s*\(\s*|"
    r"\.map\s*\(\s*|\.apply_async\s*\(\s*|\bstart_new_thread\s*\(\s*)(?:[\w.]*\.)?(\w+)"
)
_PY_THREAD_MARKERS = re.compile(
    r"\b(?:threading|ThreadPoolExecutor|ProcessPoolExecutor|concurrent\.futures|_thread|start_new_thread|"
    r"multiprocessing\.dummy|to_thread|run_in_executor)\b|\bexecutor\.submit|\bpool\.map|\.submit\("
)
_THREAD_MARKERS = re.compile(
    r"\b(?:threading|Thread|ThreadPoolExecutor|ProcessPoolExecutor|concurrent\.futures|"
    r"Runnable|ExecutorService|Executors|CompletableFuture|parallelStream|"
    r"start_new_thread|Worker|worker_threads|multiprocessing\.dummy)\b|"  # whole words: not ThreadDeath
    r"@Async\b|\bexecutor\.submit|\bpool\.map|\.submit\("
)


@dataclass(frozen=True)
class Hit:
    """One detection, before it becomes a `Finding`."""

    rule_id: str  # id in the rules catalogue
    line: int  # first line of the primary evidence
    end: int = 0  # last line of the primary evidence (0: same as `line`)
    related: tuple[int, ...] = ()  # further lines worth quoting (declaration, ...)
    confidence: float = 0.8  # how sure the detector is, before OCR adjustment
    detail: str = ""  # what exactly was seen, prepended to the rule's rationale

    @property
    def last(self) -> int:
        return self.end or self.line


@dataclass
class Context:
    """The code and its structure, with facts several detectors share."""

    source: Source
    outline: Outline
    _cache: dict[str, object] = field(default_factory=dict)

    @property
    def lines(self) -> list[Line]:
        return self.source.lines

    @cached_property
    def uses_threads(self) -> bool:
        """Whether the code starts or runs on threads (so shared state is contended); words in strings and
        docstrings ("use a lock when threading") do not count."""
        text = "\n".join(line.masked for line in self.lines)
        # the current thread's own calls (`Thread.sleep` in a retry, `Thread.currentThread().interrupt()`) start
        # nothing: a single-threaded loop that waits uses them too
        text = _OWN_THREAD_CALLS.sub("", text)
        if self.source.is_python:
            # a bare `Thread` is an OS thread only when it comes from threading (discord.py's Thread is a channel)
            return bool(_PY_THREAD_MARKERS.search(text))
        return bool(_THREAD_MARKERS.search(text))

    @cached_property
    def thread_run_names(self) -> frozenset[str]:
        """Names of functions handed to a thread (`Thread(target=self.loop)`, `pool.submit(store.update)`,
        `run_in_executor(None, self.read)`, `to_thread(...)`, `pool.map(...)`), and of the methods they call:
        the code seen running on other threads."""
        targets = set(_PY_THREAD_TARGET.findall(self.all_masked))
        running = set(targets)
        for _ in range(3):  # what the thread's function calls, and what those call, run on that thread too
            called: set[str] = set()
            for block in self.outline.of_kind(*FUNCTION_KINDS):  # functions only: a class's name is no task
                if block.name in running:
                    # `self.step()`, `counter.increment()` or a plain `increment()` inside a thread's function
                    called.update(re.findall(r"(?:\b\w+\.|(?<![\w.]))(\w+)\s*\(",
                                             self.source.masked_text(block.start + 1, block.end)))
            if called <= running:
                break
            running |= called
        return frozenset(running)

    @cached_property
    def all_code(self) -> str:
        """The comment-free code, one string."""
        return "\n".join(line.code for line in self.lines)

    @cached_property
    def all_masked(self) -> str:
        """The string-blanked code, one string."""
        return "\n".join(line.masked for line in self.lines)

    def statement(self, number: int) -> tuple[int, str]:
        """The statement starting at line `number`: its last line and its code.

        A statement continues while brackets are open (up to a few lines), which
        covers calls whose arguments are spread over several lines.
        """
        depth = 0
        parts: list[str] = []
        last = number
        for line in self.source.span(number, number + _MAX_STATEMENT_LINES - 1):
            parts.append(line.code)
            last = line.number
            for ch in line.masked:
                if ch in "([{":
                    depth += 1
                elif ch in ")]}":
                    depth -= 1
            if depth <= 0:
                break
        return last, "\n".join(parts)

    def is_retry_loop(self, loop: Block) -> bool:
        """Whether `loop` repeats an operation until it stops failing.

        A retry loop catches errors and either names its counter like one
        (attempt, retries, tries) or leaves the loop from inside the `try` on success.
        """
        handlers = [h for h in self.outline.of_kind("handler") if loop.start < h.start <= loop.end]
        tries = [t for t in self.outline.of_kind("try") if loop.start < t.start <= loop.end]
        promise_catch = ".catch(" in self.source.masked_text(loop.start, loop.end)
        if not handlers and not promise_catch:
            return False
        if handlers and not promise_catch and all(self._reraises(h) for h in handlers):
            return False  # every failure leaves the loop: nothing is tried again
        if self._walks_items(loop):
            return False  # each pass takes the next item (loaders, hooks, candidates): alternatives, not a retry
        if _RETRY_WORDS.search(loop.header):
            return True
        variable = _LOOP_VARIABLE.search(loop.header)
        for block in tries:
            first_handler = min((h.start for h in handlers if h.start > block.start), default=block.end)
            protected = self.source.masked_text(block.start, first_handler - 1)
            if variable and re.search(rf"\b{re.escape(variable.group(1))}\b", protected):
                continue  # each pass tries another item (the first that works): alternatives, not a retry
            if re.search(r"\b(return|break)\b", protected):
                return True  # leaves the loop on success: it loops to retry failures
        return False

    def _reraises(self, handler: Block) -> bool:
        """Whether the handler's last statement raises or throws (it cleans up, then lets the error go)."""
        statements = [line.code.strip() for line in self.source.span(handler.start, handler.end) if line.code.strip()]
        statements = [s for s in statements if s not in ("}", "};")]
        return bool(statements) and bool(re.match(r"(raise|throw)\b", statements[-1].lstrip("} ")))

    def _walks_items(self, loop: Block) -> bool:
        """Whether `loop` is a for-each over a collection (not a counter) whose item the body uses."""
        header = loop.header
        each = re.match(r"\s*(?:async\s+)?for\s+\(?([\w\s,]+?)\)?\s+in\s+(.+?):\s*$", header) or re.match(
            r"\s*for\s*\(\s*(?:const|let|var|final)?\s*(?:[\w<>\[\],?.]+\s+)?([\w\s,\[\]{}]+?)\s+(?:of|:)\s+(.+?)\)",
            header)
        if each is None or re.match(r"\s*(range|xrange)\s*\(|\s*\d", each.group(2)):
            return False
        names = [n for n in re.findall(r"\w+", each.group(1)) if n not in ("const", "let", "var", "final")]
        body = self.source.masked_text(loop.start + 1, loop.end)
        return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", body) for n in names if not n.startswith("_"))

    def helpers_matching(self, pattern: re.Pattern[str]) -> frozenset[str]:
        """Names of the functions defined here whose own body matches `pattern` (one call level).

        A call to such a helper does what the pattern looks for, one step removed: a loop calling
        `get_user(id)`, whose body queries, queries once per item.
        """
        key = f"helpers:{pattern.pattern}"
        cached = self._cache.get(key)
        if isinstance(cached, frozenset):
            return cached
        names = frozenset(
            block.name
            for block in self.outline.of_kind("function", "method")
            if block.name and pattern.search(self.source.masked_text(block.start + 1, block.end))
        )
        self._cache[key] = names
        return names

    def calls_any(self, masked: str, names: frozenset[str]) -> str | None:
        """The first of `names` that `masked` calls (not defines), if any."""
        for match in re.finditer(r"(?<![\w.])(\w+)\s*\(", masked):
            if match.group(1) in names and not re.search(
                r"\b(def|function|async\s+def)\s*$", masked[: match.start()]
            ):
                return match.group(1)
        return None

    def body_lines(self, block: Block) -> list[Line]:
        """Lines of `block` after its header line."""
        return self.source.span(block.start + 1, block.end)


Detector = Callable[[Context], Iterable[Hit]]
