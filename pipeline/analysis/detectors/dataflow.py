"""Untrusted input reaching a dangerous call, followed line by line within a function.

The flow is deliberately simple, so that it works on OCR-read windows of code as well as on whole
files: inside each top-level function (or the module's top level), a name becomes tainted when it is
assigned from a request source or from an expression using a tainted name, when it is the loop variable
over a tainted collection, or when a tainted value is added to it (`list.add(x)`, `sb.append(x)`); the
parameters of a request handler are tainted. A sanitizer anywhere in an expression (output encoding,
numeric conversion, a file's base name) makes it clean, and assigning a clean value clears a name.
A sink (a file path, an HTTP response, a redirect, a query, a command, ...) whose statement uses a tainted
name or a source directly is a finding. Sources, sanitizers and sinks are data
(`pipeline/data/dataflow.json`, each with the API documentation it comes from).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block
from archreview.pipeline.analysis.source import Line

_DATA_FILE = "dataflow.json"
_MAX_CONTINUATION_LINES = 5
_NAME = r"[A-Za-z_$][\w$]*"
_ASSIGN = re.compile(
    rf"^\s*(?:(?:var|let|const|final|private|public|protected|static|val)\s+)*"
    rf"(?:[\w.$<>\[\]?]+(?:<[^=]*>)?(?:\[\])*\s+)?({_NAME})\s*(?:\[[^\]]*\]\s*)?(\+?=)(?!=)\s*(.*)$",
    re.DOTALL,
)
_TUPLE_ASSIGN = re.compile(rf"^\s*({_NAME}(?:\s*,\s*{_NAME})+)\s*=(?!=)\s*(.*)$", re.DOTALL)
_DESTRUCTURE = re.compile(r"^\s*(?:var|let|const)?\s*[{\[]([^}\]]*)[}\]]\s*=(?!=)\s*(.*)$", re.DOTALL)
_MUTATE = re.compile(
    rf"(?<![\w$.])({_NAME})\s*\.\s*(?:append|add|addAll|push|put|putAll|set|concat|extend|insert|unshift|"
    rf"update|setdefault)\s*\((.*)\)"
)
_FOR_EACH = re.compile(
    rf"\bfor\s*\(?\s*(?:(?:final|const|let|var)\s+)?(?:[\w.<>\[\]]+\s+)?({_NAME})\s*(?::|\bof\b|\bin\b)\s*(.+?)\)?\s*[:{{]?\s*$"
)
_KEYWORDS = frozenset({"if", "for", "while", "return", "else", "new", "await", "yield", "throw", "case", "in", "of"})


@dataclass(frozen=True)
class _Sink:
    rule: str
    languages: tuple[str, ...]
    pattern: re.Pattern[str]
    requires: re.Pattern[str] | None
    unless: re.Pattern[str] | None = None  # a form of the call that is safe whatever its argument (a statement match)


@dataclass(frozen=True)
class _FlowData:
    sources: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]
    route: re.Pattern[str]
    sanitizer: re.Pattern[str]
    sinks: tuple[_Sink, ...]
    stored: re.Pattern[str] | None = None  # a call whose result is the store's data, not the request's text


@cache
def _data() -> _FlowData:
    """The sources, sanitizers and sinks (read once a process)."""
    raw = json.loads((resources.files("archreview.pipeline") / "data" / _DATA_FILE).read_text("utf-8"))
    return _FlowData(
        sources=tuple((tuple(s["languages"]), re.compile(s["pattern"])) for s in raw["sources"]),
        route=re.compile(raw["route_decorators"]["pattern"]),
        sanitizer=re.compile("|".join(f"(?:{s['pattern']})" for s in raw["sanitizers"])),
        sinks=tuple(
            _Sink(
                s["rule"],
                tuple(s["languages"]),
                re.compile(s["pattern"]),
                re.compile(s["requires"]) if s.get("requires") else None,
                re.compile(s["unless"]) if s.get("unless") else None,
            )
            for s in raw["sinks"]
        ),
        stored=re.compile("|".join(f"(?:{s['pattern']})" for s in raw["stored_reads"]))
        if raw.get("stored_reads")
        else None,
    )


def _applies(languages: tuple[str, ...], language: str) -> bool:
    return not languages or language in languages or language == "unknown"


_LOOKUP = re.compile(r"([\w$]+(?:\.[\w$]+)*)\[([^\[\]]*)\]")


class _Flow:
    """Tainted names of one scope, updated statement by statement."""

    def __init__(
        self,
        source_pattern: re.Pattern[str] | None,
        sanitizer: re.Pattern[str],
        seen_once: frozenset[str] = frozenset(),
        stored: re.Pattern[str] | None = None,
    ) -> None:
        self.names: set[str] = set()
        self._source = source_pattern
        self._sanitizer = sanitizer
        self._stored = stored  # calls that return stored data (a query's rows): assigning their result is clean
        self._seen_once = seen_once  # identifiers the shown code holds once: candidates for a slip
        self._levels: dict[str, int] = {}  # indentation of the statement that first tainted each name

    def _lookups_dropped(self, text: str) -> str:
        """`text` with the keys of lookups in this program's own containers emptied: `users[req.params.id]` is a
        value the server stored, chosen by the request, not the request's text (`req.query["q"]` stays)."""

        def drop(match: re.Match[str]) -> str:
            container = match.group(1)
            if (self._source is not None and self._source.search(container)) or container in self.names:
                return match.group(0)
            return container + "[]"

        return _LOOKUP.sub(drop, text)

    def tainted(self, code: str, masked: str) -> bool:
        """Whether an expression carries untrusted data (and no sanitizer)."""
        code, masked = self._lookups_dropped(code), self._lookups_dropped(masked)
        if self._sanitizer.search(code):
            return False
        if self._source is not None and self._source.search(code):
            return True
        if any(re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", masked) for name in self.names):
            return True
        return any(
            token in self._seen_once and any(_one_slip(token, name) for name in self.names)
            for token in re.findall(rf"(?<![\w$.]){_NAME}(?![\w$])", masked)
        )

    def update(self, code: str, masked: str) -> None:
        """Apply one statement's assignments to the tainted names."""
        for match in _MUTATE.finditer(masked):
            start, end = match.span(2)
            if self.tainted(code[start:end], masked[start:end]):
                self.names.add(match.group(1))
        loop = _FOR_EACH.search(masked)
        if loop:
            start, end = loop.span(2)
            if self.tainted(code[start:end], masked[start:end]):
                self.names.add(loop.group(1))
            return
        destructure = _DESTRUCTURE.match(masked)
        if destructure:
            start = destructure.start(2)
            if self.tainted(code[start:], masked[start:]):
                for part in destructure.group(1).split(","):
                    name = part.split(":")[-1].split("=")[0].strip().lstrip(".")
                    if re.fullmatch(_NAME, name):
                        self.names.add(name)
            return
        tuple_assign = _TUPLE_ASSIGN.match(masked)
        if tuple_assign:
            start = tuple_assign.start(2)
            if self.tainted(code[start:], masked[start:]):
                self.names.update(n.strip() for n in tuple_assign.group(1).split(","))
            return
        assign = _ASSIGN.match(masked)
        if not assign or assign.group(1) in _KEYWORDS:
            return
        name, operator = assign.group(1), assign.group(2)
        start = assign.start(3)
        indent = _indent(masked)
        if operator == "=" and self._stored is not None and self._stored.search(masked[start:]):
            # the rows a query returns, or the nodes an XPath selects, are what the store holds: the request chose
            # which (an injection is judged at the call), but the values are not the request's text
            self.names.discard(name)
            return
        if self.tainted(code[start:], masked[start:]):
            self.names.add(name)
            self._levels[name] = min(indent, self._levels.get(name, indent))
        elif operator == "=" and name in self.names and indent <= self._levels.get(name, indent):
            # reassigned to a clean value; a clean value set deeper inside a branch (`if (page == null) page =
            # "index.jsp";`) replaces it on that branch only, and the request's value goes on after the branch
            self.names.discard(name)


def _indent(masked: str) -> int:
    """Indentation of a statement's first line (a tab counts four)."""
    first = masked.split("\n", 1)[0].expandtabs(4)
    return len(first) - len(first.lstrip())


def _one_slip(seen: str, name: str) -> bool:
    """Whether `seen` is `name` with one character lost, added or misread (`targt` for `target`); names of
    five or more characters only, so that short names, one letter apart by design, stay apart."""
    if len(name) < 5 or seen == name or abs(len(seen) - len(name)) > 1:
        return False
    if len(seen) == len(name):
        return sum(a != b for a, b in zip(seen, name, strict=True)) == 1
    short, long = sorted((seen, name), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _seen_once(ctx: Context) -> frozenset[str]:
    """Identifiers that occur once in the shown code: a name nothing defines, which OCR may have misspelt."""
    counts: dict[str, int] = {}
    for token in re.findall(rf"(?<![\w$.]){_NAME}(?![\w$])", ctx.all_masked):
        counts[token] = counts.get(token, 0) + 1
    return frozenset(token for token, count in counts.items() if count == 1)


# Sinks whose danger is the first argument (the query, the command, the code): a tainted value passed after
# it is a bound parameter or an option, not an injection.
_FIRST_ARGUMENT_RULES = frozenset(
    {
        "security/sql-injection",
        "security/command-injection",
        "security/code-injection",
        "security/unsafe-forward",
        "security/ssrf",
    }
)
# File calls whose path is the first argument and whose later arguments are the data written or options
# (`fs.writeFile(path, JSON.stringify(body))`, `res.sendFile(name, { root })`): only the path can traverse.
_PATH_FIRST_CALL = re.compile(
    r"(?:writeFile|appendFile|createWriteStream|createReadStream|readFile|sendFile|"
    r"download)(?:Sync)?\s*\($"
)


def _first_argument_end(masked: str, start: int) -> int:
    """Where the first argument of the call whose `(` is just before `start` ends (its top-level comma)."""
    depth = 0
    for index in range(start, len(masked)):
        ch = masked[index]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return index
            depth -= 1
        elif ch == "," and depth == 0:
            return index
    return len(masked)


_LEADING_STATUS = re.compile(r"\s*\d{3}\s*,")
_PATH_LITERAL = re.compile(r"""\s*\+\s*["'`]/(?![/\\])""")


def _origin_fixed(flow: _Flow, code: str, masked: str, start: int) -> bool:
    """Whether a redirect's target begins with a value the request did not choose, followed by a path
    (`config.serverURL + '/' + noteId`, `'/notes/' + id`): the request picks a path on this site, not the host.
    A bare `'/' + x` is not fixed (`//evil.example` is another host)."""
    if ")" not in masked[start:] and "(" not in code[start - 1 : start]:
        return False
    status = _LEADING_STATUS.match(code, start)
    begin = status.end() if status else start
    end = _first_argument_end(masked, begin)
    target = code[begin:end].strip()
    literal = re.match(r"""(["'`])(/[^/\\"'`][^"'`]*?/?|https?://[^/"'`]+/[^"'`]*)\1""", target)
    if literal:
        return True  # a path of this site or a fixed origin's path, whatever follows
    first = re.match(r"[\w$.]+", target)
    if not first or flow.tainted(first.group(0), first.group(0)):
        return False
    return bool(_PATH_LITERAL.match(target, first.end()))


def _statement(ctx: Context, line: Line) -> tuple[int, str, str]:
    """The statement starting at `line`: last line, code and masked text.

    It runs on while brackets are open or (brace languages) the line does not end the statement, but stops
    at a line that opens a block (`{`, a Python `:`), so a callback's body is read statement by statement.
    """
    depth = 0
    last = line.number
    for current in ctx.source.span(line.number, line.number + _MAX_CONTINUATION_LINES):
        last = current.number
        for ch in current.masked:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
        ending = current.code.rstrip()
        if ending.endswith("{") or (ctx.source.is_python and ending.endswith(":")):
            break
        following = ctx.source.line(current.number + 1)
        continues = following is not None and following.code.lstrip().startswith((".", "+", "?", ":", "||", "&&"))
        if (
            depth <= 0
            and not continues
            and (not ctx.source.uses_braces or ending.endswith((";", "}", ")")) or not ending)
        ):
            break
        if depth <= 0 and ctx.source.uses_braces and not continues and not ending.endswith(("+", ",", "=", "(")):
            break
    span = ctx.source.span(line.number, last)
    return last, "\n".join(ln.code for ln in span), "\n".join(ln.masked for ln in span)


# A check of a value whose failing branch leaves (`if (SecurityUtil.checkURL(url) == null) { ...; return; }`,
# `if not is_safe_path(p): abort(400)`): after it, the value is one the check let through.
_GUARD_CALL = re.compile(
    r"\b([\w$]*(?:[Cc]heck|[Vv]alid|[Vv]erify|[Aa]llow|[Ss]afe|[Ww]hitelist|[Ss]anitiz)[\w$]*)\s*\(([^()]*)\)"
)
_EXIT = re.compile(r"(?<![\w$.])(?:return|throw|raise|abort|continue|break)\b|\bsendError\s*\(")
_GUARD_LINES = 6  # how far the failing branch is read for its exit


def _guarded_names(ctx: Context, line: Line, last: int, masked: str, names: set[str]) -> set[str]:
    """The tainted names a guard statement (an `if` testing a check call, whose branch exits) lets through."""
    if not re.match(r"\s*(?:if|elif)\b", masked):
        return set()
    checked = {
        name
        for match in _GUARD_CALL.finditer(masked.split("\n", 1)[0])
        for name in names
        if re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", match.group(2))
    }
    if not checked:
        return set()
    if _EXIT.search(masked):
        return checked
    indent = _indent(masked)
    for following in ctx.source.span(last + 1, last + _GUARD_LINES):
        code = following.masked
        if not code.strip():
            continue
        if _indent(code) <= indent and not code.strip().startswith("}"):
            break
        if _EXIT.search(code):
            return checked
        if _indent(code) <= indent:
            break
    return set()


def _scopes(ctx: Context) -> list[Block | None]:
    """Top-level functions (closures share their enclosing function's names), then the module level."""
    functions = ctx.outline.of_kind(*FUNCTION_KINDS)
    top = [
        f
        for f in functions
        if not any(
            o is not f and o.contains(f.start) and o.end >= f.end and (o.start, -o.end) < (f.start, -f.end)
            for o in functions
        )
    ]
    return [*top, None]


def detect_tainted_sinks(ctx: Context) -> Iterator[Hit]:
    """Request data reaching a file path, response, redirect, query, command or evaluator."""
    data = _data()
    language = ctx.source.language
    sources = [pattern.pattern for languages, pattern in data.sources if _applies(languages, language)]
    source_pattern = re.compile("|".join(f"(?:{s})" for s in sources)) if sources else None
    sinks = [
        sink
        for sink in data.sinks
        if _applies(sink.languages, language) and (sink.requires is None or sink.requires.search(ctx.all_code))
    ]
    if not sinks:
        return
    scopes = _scopes(ctx)
    once = _seen_once(ctx)
    inside = {n for block in scopes if block is not None for n in range(block.decorator_start, block.end + 1)}
    # helpers defined here that a scope calls with request data: their parameters carry it (one call level;
    # `getImgBase64(imgFile)` from a handler, then `new File(imgFile)` in the helper)
    helpers = {scope.name: scope for scope in scopes if scope is not None and scope.name and scope.params}
    tainted_helpers: set[str] = set()
    for _ in range(2):
        found_hits: list[Hit] = []
        called: set[str] = set()
        for scope in scopes:
            found_hits.extend(
                _scope_hits(ctx, scope, inside, sinks, source_pattern, data, once, helpers, tainted_helpers, called)
            )
        if called <= tainted_helpers:
            break
        tainted_helpers |= called
    yield from found_hits


def _scope_hits(
    ctx: Context,
    scope: Block | None,
    inside: set[int],
    sinks: list[_Sink],
    source_pattern: re.Pattern[str] | None,
    data: _FlowData,
    once: frozenset[str],
    helpers: dict[str, Block],
    tainted_helpers: set[str],
    called: set[str],
) -> Iterator[Hit]:
    """The sinks request data reaches in one scope; the helpers it calls with request data go into `called`."""
    flow = _Flow(source_pattern, data.sanitizer, once, data.stored)
    if scope is None:
        lines = [line for line in ctx.lines if line.number not in inside]
    else:
        lines = ctx.source.span(scope.start, scope.end)
        handler_text = ctx.source.code_text(scope.decorator_start, scope.start)
        if (
            data.route.search(handler_text)
            or (source_pattern and source_pattern.search(handler_text))
            or (scope.name in tainted_helpers)
        ):
            flow.names.update(scope.params)
    skip_until = 0
    for line in lines:
        if line.number <= skip_until or not line.code.strip():
            continue
        last, code, masked = _statement(ctx, line)
        for match in re.finditer(r"(?<![\w$])(?:(?:this|self)\s*\.\s*)?([A-Za-z_$][\w$]*)\s*\(", masked):
            name = match.group(1)
            if (
                name in helpers
                and (scope is None or name != scope.name)
                and not re.match(r"\s*(?:def|function|public|private|protected|static)\b", code)
            ):
                end = _first_argument_end(masked, match.end())
                close = masked.find(")", match.end())
                stop = max(end, close if close >= 0 else end)
                if flow.tainted(code[match.end() : stop], masked[match.end() : stop]):
                    called.add(name)
        for sink in sinks:
            found = sink.pattern.search(code)
            if not found or re.match(r"\s*(?:def|function|public|private|protected)\b", code):
                continue
            lo, hi = found.start(), len(code)
            if sink.rule in _FIRST_ARGUMENT_RULES or (
                sink.rule == "security/path-traversal" and _PATH_FIRST_CALL.search(code[lo : found.end()])
            ):
                hi = _first_argument_end(masked, found.end())
            if sink.unless is not None and sink.unless.search(code):
                continue
            if sink.rule == "security/open-redirect" and _origin_fixed(flow, code, masked, found.end()):
                continue
            if flow.tainted(code[lo:hi], masked[lo:hi]):
                yield Hit(
                    sink.rule,
                    line.number,
                    last,
                    confidence=0.75,
                    detail="Request data reaches this call unchecked.",
                )
                break
        flow.update(code, masked)
        flow.names -= _guarded_names(ctx, line, last, masked, flow.names)
        skip_until = last


DETECTORS = (detect_tainted_sinks,)
