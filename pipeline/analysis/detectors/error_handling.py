"""Error-handling detectors: swallowed exceptions, bare/over-broad catches, lost rejections."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block

_PY_BARE = re.compile(r"^\s*except\s*:|^\s*except\s+BaseException\b")
_PY_BROAD = re.compile(r"^\s*except\s*\(?\s*(Exception|BaseException)\b|^\s*except\s*:")
_SILENT_STATEMENTS = frozenset({"pass", "...", "continue", "", ";"})
_REPORTS = re.compile(
    r"\b(raise|throw|log|logger|logging|LOG|LOGGER|log\.\w+|console\.(error|warn)|warn|warning|"
    r"error|print|printf|sentry|capture\w*|report\w*|notify|emit|reject|next|\w*echo|print_exc|format_exc)\b"
)
# A handler that re-raises or ends the program hides nothing, however broad it is.
_ENDS_OR_RERAISES = re.compile(r"^(raise\b|(sys\.|os\._)?exit\s*\(|quit\s*\()")
_JS_SILENT_CATCH = re.compile(
    r"\.catch\s*\(\s*(?:\(\s*\w*\s*\)|\w+)\s*=>\s*(?:\{\s*\}|null|undefined|void 0)\s*\)"
    r"|\.catch\s*\(\s*function\s*\w*\s*\(\s*\w*\s*\)\s*\{\s*\}\s*\)"
)


def _python_handler(ctx: Context, handler: Block) -> Hit | None:
    header = handler.header
    after_colon = header.split(":", 1)[1].strip() if ":" in header else ""
    body = [after_colon] if after_colon else []
    body += [line.code.strip() for line in ctx.body_lines(handler) if line.code.strip()]
    bare = bool(_PY_BARE.search(header))
    broad = bool(_PY_BROAD.search(header))
    span_end = min(handler.end, handler.start + 2)
    names = re.search(r"\bas\s+(\w+)", header)
    uses_error = bool(names and any(re.search(rf"\b{names.group(1)}\b", stmt) for stmt in body))
    if (
        names
        and len(body) == 1
        and re.fullmatch(rf"return\s+{re.escape(names.group(1))}", body[0])
        and _try_returns_value(ctx, handler)
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.7,
            detail=f"`{names.group(1)}` is returned as if it were the result: the caller gets an exception "
            "object where it expects a value, and nothing raises.",
        )
    if not bare and _python_probe(ctx, handler, body):
        return None
    if all(stmt in _SILENT_STATEMENTS for stmt in body):
        if not (bare or broad) and (
            _documented(ctx, handler) or _has_else(ctx, handler) or _tries_alternatives(ctx, handler)
        ):
            return None  # one named exception, expected and said so (`except ValueError: pass  # not JSON`), or
            # answered by the try's `else:` (EAFP control flow): nothing is hidden
        what = "everything" if bare else "the error"
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.9,
            detail=f"The handler catches {what} and does nothing with it.",
        )
    if broad and not uses_error and not any(_REPORTS.search(stmt) for stmt in body):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.7,
            detail="Every exception is caught and replaced by a fallback without a trace.",
        )
    if bare and not any(_ENDS_OR_RERAISES.search(stmt) for stmt in body):
        return Hit("error-handling/bare-except", handler.start, confidence=0.85)
    return None


def _documented(ctx: Context, handler: Block) -> bool:
    """Whether the handler's header or its silent body carries a comment saying why the error is expected."""
    lines = [ctx.source.line(handler.start), *ctx.body_lines(handler)]
    return any(line is not None and "#" in line.raw[len(line.code.rstrip()) :] for line in lines)


def _tries_alternatives(ctx: Context, handler: Block) -> bool:
    """Whether the try sits in a loop and leaves it on success (`for name in names: try: x = load(name); break`):
    each failure means "try the next one"."""
    if ctx.outline.in_loop(handler.start) is None:
        return False
    tries = [t for t in ctx.outline.of_kind("try") if t.start < handler.start <= t.end + 1]
    if not tries:
        return False
    block = max(tries, key=lambda t: t.start)
    return bool(
        re.search(r"^\s*(break|return\b)", ctx.source.masked_text(block.start + 1, handler.start - 1), re.MULTILINE)
    )


def _has_else(ctx: Context, handler: Block) -> bool:
    """Whether the try this handler belongs to goes on with an `else:` (the success path is written apart)."""
    for line in ctx.source.span(handler.end + 1, handler.end + 8):
        if not line.code.strip():
            continue
        indent = len(line.raw) - len(line.raw.lstrip())
        header = ctx.source.line(handler.start)
        own = len(header.raw) - len(header.raw.lstrip()) if header else -1
        if indent == own:
            return bool(re.match(r"\s*else\s*:", line.code))
        if indent < own:
            return False
    return False


# A try block that only computes a value (an assignment, a return, an import) and a handler that falls back to a
# constant: the failure is an expected answer (an optional module, a value that does not parse, a missing key).
_PY_VALUE_STATEMENT = re.compile(
    r"^(return\b.+|[\w.\[\]'\"]+\s*(?::[^=]+)?=[^=].*|import\s.+|from\s+\S+\s+import\s.+)$"
)
# A conversion tried for its error only, then the answer (`int(value)` then `return TYPE_INTEGER`): a type probe.
_PY_CONVERSION_CALL = re.compile(
    r"^(?:int|float|complex|Decimal|UUID|[\w.]*(?:parse|loads|fromisoformat|strptime)\w*)\s*\(.*\)$"
)
_PY_FALLBACK = re.compile(
    r"^(pass|continue|\.\.\.|return(\s+(None|True|False|-?\d+|\"\"|''|\[\]|\{\}|\(\)|\w+))?|"
    r"[\w.]+\s*=\s*(None|True|False|-?\d+|\"\"|''|\[\]|\{\}))$"
)


def _try_returns_value(ctx: Context, handler: Block) -> bool:
    """Whether the try block before `handler` returns a value (`return jwt.encode(...)`): a handler that returns the
    exception then hands it over in the value's place. A try whose success is answered elsewhere (`else: return
    True`) may return the exception as its status on purpose."""
    tries = [t for t in ctx.outline.of_kind("try") if t.start < handler.start <= t.end + 1]
    if not tries:
        return False
    block = max(tries, key=lambda t: t.start)
    return any(re.match(r"\s*return\s+\S", line.masked) for line in ctx.source.span(block.start, handler.start - 1))


def _python_probe(ctx: Context, handler: Block, body: list[str]) -> bool:
    """Whether this handler answers a one-step attempt to compute a value (see `_PY_VALUE_STATEMENT`)."""
    if not body or not all(_PY_FALLBACK.match(stmt) for stmt in body):
        return False
    tries = [t for t in ctx.outline.of_kind("try") if t.start < handler.start <= t.end + 1]
    if not tries:
        return False
    block = max(tries, key=lambda t: t.start)
    first_handler = min(
        (h.start for h in ctx.outline.of_kind("handler") if h.start > block.start), default=handler.start
    )
    statements = []
    number = block.start + 1
    while number < first_handler:  # whole statements, a call spread over lines counted once
        line = ctx.source.line(number)
        if line is None:
            break
        last, code = ctx.statement(number)
        if line.code.strip():
            statements.append(" ".join(part.strip() for part in code.split("\n")))
        number = max(last, number) + 1
    if (
        len(statements) == 2
        and _PY_CONVERSION_CALL.match(statements[0])
        and re.match(r"^(return\b.+|continue|break)$", statements[1])
    ):
        return True
    return 1 <= len(statements) <= 2 and all(_PY_VALUE_STATEMENT.match(stmt) for stmt in statements)


def _brace_handler(ctx: Context, handler: Block) -> Hit | None:
    text = ctx.source.masked_text(handler.start, handler.end)
    code = ctx.source.code_text(handler.start, handler.end)
    header_match = re.search(r"catch\s*(\(([^)]*)\))?", code)
    if header_match is None:
        return None
    caught = header_match.group(2) or ""
    brace = text.find("{", header_match.end())
    if brace < 0:
        return None
    closing = text.rfind("}")
    body = text[brace + 1 : closing if closing > brace else len(text)].strip()
    statements = [s.strip() for s in re.split(r"[;\n]", body) if s.strip()]
    span_end = min(handler.end, handler.start + 2)
    if not statements:
        if _is_probe(ctx, handler) or re.search(r"\b(?:ignored?|expected|unused|_+)\s*$", caught):
            return None  # a one-value attempt, or a catch whose variable says it is ignored on purpose
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.9,
            detail="The catch block is empty.",
        )
    caught_name = re.search(r"(\w+)\s*$", caught.strip()) if caught.strip() else None
    printed = rf"System\.(?:out|err)\.print(?:ln)?\(\s*{re.escape(caught_name.group(1))}\s*\)" if caught_name else None
    if all(
        re.fullmatch(r"\w+\.printStackTrace\(\)", s) or (ctx.source.is_java and printed and re.fullmatch(printed, s))
        for s in statements
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.75,
            detail="The error is only printed to stderr, then execution continues.",
        )
    if (
        ctx.source.is_java
        and re.search(r"\bInterruptedException\b", caught)
        and ctx.outline.in_loop(handler.start)
        and not re.search(r"\binterrupt\s*\(|\bthrow\b|\breturn\b|\bbreak\b", body)
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.7,
            detail="The interrupt is caught and the loop goes on: the thread's interrupted status is lost, "
            "so a request to stop is ignored (restore it with Thread.currentThread().interrupt()).",
        )
    if (
        ctx.source.is_java
        and re.search(r"\bInterruptedException\b", caught)
        and _callers_interrupt(ctx, handler)
        and not re.search(r"\binterrupt\s*\(|\bthrow\b|\breturn\b", body)
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.65,
            detail="The interrupt is caught and the method returns as if nothing happened: the caller's "
            "interrupted status is lost (restore it with Thread.currentThread().interrupt(), or "
            "declare the exception).",
        )
    if re.search(r"\b(Throwable|Error)\b", caught) and ctx.source.is_java:
        return Hit("error-handling/catch-throwable", handler.start, confidence=0.85)
    name = re.search(r"(\w+)\s*$", caught.strip()) if caught.strip() else None
    uses_error = bool(name and any(re.search(rf"\b{re.escape(name.group(1))}\b", s) for s in statements))
    # a JavaScript or TypeScript catch has no type: it catches everything, like Java's `catch (Exception e)`
    untyped = ctx.source.is_js and bool(re.fullmatch(r"\s*\w+\s*(?::\s*(?:any|unknown)\s*)?", caught))
    if (
        name is not None
        and (not caught.strip() or untyped or _BROAD_CATCH.match(caught) or _FAULT_CATCH.match(caught))
        and _message_only(name.group(1), statements)
    ):
        return Hit(
            "error-handling/traceback-not-logged",
            handler.start,
            span_end,
            confidence=0.6,
            detail=f"Only `{name.group(1)}`'s message is logged or printed: its type, its cause and the "
            "stack trace that would locate the fault are lost.",
        )
    if uses_error or any(_REPORTS.search(s) and not s.startswith("throw") for s in statements):
        return None
    if (
        len(statements) == 1
        and re.match(r"throw\s+new\s+\w+", statements[0])
        and not re.match(r"throw\s+new\s+AssertionError\b", statements[0])  # an "impossible" marker
        and name is not None
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.65,
            detail=f"`{name.group(1)}` is replaced by a new exception that does not carry it as its cause, "
            "so why the call failed is lost.",
        )
    if (
        ctx.source.is_java
        and name is not None
        and not _documented(ctx, handler)
        and all(_RESETS.fullmatch(s) for s in statements)
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.6,
            detail=f"`{name.group(1)}` is dropped and the result reset to empty: the caller goes on as if the "
            "call had found nothing, and the failure leaves no trace.",
        )
    returned = re.fullmatch(r"return\s+(\w+)", statements[-1])
    if returned and _builds_in_try(ctx, handler, returned.group(1)):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.6,
            detail=f"On any error the partly built `{returned.group(1)}` is returned as if it were complete, "
            "and the error leaves no trace.",
        )
    broad = not caught.strip() or untyped or bool(_BROAD_CATCH.match(caught))
    if (
        broad
        and name is not None
        and any(_ANSWERS.search(s) for s in statements)
        and not re.search(r"\b(?:ignored?|expected|unused|_+)\s*$", caught)
        and not _documented(ctx, handler)
    ):
        return Hit(
            "error-handling/swallowed-exception",
            handler.start,
            span_end,
            confidence=0.6,
            detail=f"Every error becomes this answer and `{name.group(1)}` is never read or logged: the "
            "caller sees a generic failure and nobody can find out what went wrong.",
        )
    return None


# A catch body that only empties a result (`list.clear()`, `result = null`, `items = new ArrayList<>()`).
_RESETS = re.compile(
    r"[\w.]+\.(?:clear|reset)\(\)|[\w.]+\s*=\s*(?:null|new\s+[\w.<>]+\(\s*\)|Collections\.empty\w*\(\)|"
    r"List\.of\(\)|Optional\.empty\(\)|\d+|false|\"\")"
)
_MESSAGE_OF = r"\.\s*(?:get\w*|toString)\s*\(\s*\)|\.\s*(?:message|code|status|errno)\b"
_BROAD_CATCH = re.compile(r"\s*(?:final\s+)?(?:java\.lang\.)?(?:Exception|RuntimeException|Throwable)\s+\w+\s*$")
# Faults of the environment (a database, a file, the network): what failed is in the cause chain and the trace.
_FAULT_CATCH = re.compile(r"\s*(?:final\s+)?(?:java\.(?:sql|io)\.)?(?:SQLException|IOException)\s+\w+\s*$")
# A web handler's answer: the caught error becomes this response.
_ANSWERS = re.compile(
    r"\b(?:response|res|resp)\s*\.\s*(?:sendRedirect|sendError|setStatus|status|sendStatus|send|json|"
    r"redirect|render|getWriter)\s*\(|^return\s+(?:ResponseEntity\b|new\s+ModelAndView\b)"
)
_LOG_OR_PRINT = re.compile(r"\b(?:log|logger|LOG|LOGGER|console)\s*\.\s*\w+\s*\(|\bSystem\.(?:out|err)\.print")


def _message_only(name: str, statements: list[str]) -> bool:
    """Whether the caught error `name` is used, and only as its message passed to a log or print call
    (`log.error(e.getMessage())`, `System.out.println("..." + ex.getMessage())`), and nothing is rethrown."""
    uses = [s for s in statements if re.search(rf"(?<![\w.]){re.escape(name)}\b", s)]
    if not uses or any(s.startswith("throw") for s in statements):
        return False
    for statement in uses:
        if not _LOG_OR_PRINT.search(statement):
            return False
        rest = re.sub(rf"(?<![\w.]){re.escape(name)}\s*(?:{_MESSAGE_OF})", "", statement)
        if re.search(rf"(?<![\w.]){re.escape(name)}\b", rest):
            return False  # the error itself is passed (log.error("...", e)): its trace is kept
    return True


def _callers_interrupt(ctx: Context, handler: Block) -> bool:
    """Whether an InterruptedException caught here belongs to a caller: the catch sits in a named method (not a
    task's `run`/`call`, not a lambda handed to a thread), so the thread goes on into the caller's code."""
    method = ctx.outline.function_at(handler.start)
    if method is None or method.name in ("run", "call", "main"):
        return False
    return "->" not in ctx.source.masked_text(method.start, handler.start)


def _builds_in_try(ctx: Context, handler: Block, name: str) -> bool:
    """Whether the `try` of this catch adds to `name` (so returning it from the catch returns partial results)."""
    target = re.escape(name)
    return any(
        re.search(
            rf"(?<![\w.]){target}\.(push|add|put|append|set|concat)\s*\(|(?<![\w.]){target}\s*"
            rf"(\[[^\]]*\]\s*=[^=]|\+=)",
            statement,
        )
        for statement in _try_body(ctx, handler)
    )


# One statement that returns or stores a value: `try { x = new URL(s); } catch {}` then `if (!x)`, a parse
# attempt whose failure is the expected "no" answer, handled by the code after it.
_PROBE_STATEMENT = re.compile(r"^(return\s+\S|(?:(?:const|let|var)\s+)?[\w.#\[\]]+\s*=[^=])")


def _try_body(ctx: Context, handler: Block) -> list[str]:
    """The statements of the `try` block this catch belongs to (empty when it cannot be found)."""
    tries = [t for t in ctx.outline.of_kind("try") if t.start < handler.start <= t.end + 1]
    if not tries:
        return []
    block = max(tries, key=lambda t: t.start)
    text = ctx.source.masked_text(block.start, handler.start)
    text = text[: text.rfind("catch")] if "catch" in text else text
    opening, closing = text.find("{"), text.rfind("}")
    if opening < 0 or closing <= opening:
        return []
    return [s.strip() for s in re.split(r"[;\n{}]", text[opening + 1 : closing]) if s.strip()]


def _is_probe(ctx: Context, handler: Block) -> bool:
    """Whether the `try` before this empty catch only tries to compute one value (a parse or lookup attempt)."""
    statements = _try_body(ctx, handler)
    return len(statements) == 1 and bool(_PROBE_STATEMENT.match(statements[0]))


def detect_exception_handlers(ctx: Context) -> Iterator[Hit]:
    """Swallowed, bare and over-broad exception handlers."""
    for handler in ctx.outline.of_kind("handler"):
        hit = _python_handler(ctx, handler) if ctx.source.is_python else _brace_handler(ctx, handler)
        if hit is not None:
            yield hit
    if ctx.source.is_js:
        for line in ctx.lines:
            if _JS_SILENT_CATCH.search(line.masked) and not _deliberate_discard(ctx, line.number):
                yield Hit(
                    "error-handling/swallowed-exception",
                    line.number,
                    confidence=0.8,
                    detail="The promise's rejection handler discards the error.",
                )


# Best-effort cleanup: whether releasing a resource failed changes nothing for the caller.
_CLEANUP_CALL = re.compile(r"\.(?:cancel|close|destroy|abort|release|unref|unlink|disconnect|end|kill)\s*\(")


def _deliberate_discard(ctx: Context, number: int) -> bool:
    """Whether a discarded rejection is meant: the chain is marked `void` (left floating on purpose, its
    outcome observed elsewhere) or only cleans up a resource."""
    shown = ctx.source.line(number)
    head = _opening_line(ctx, number) if shown is not None and re.match(r"\s*[})\]]", shown.masked) else number
    chain = ctx.source.masked_text(head, number)
    return bool(re.match(r"\s*void\s", chain) or _CLEANUP_CALL.search(chain.split(".catch(")[0]))


# A line that continues a promise chain begun above: `.then(...)`, or `}).then(...)` after a callback's body.
_CHAIN_CONTINUES = re.compile(r"\s*(?:[})\]]+\s*)*\.")


def _opening_line(ctx: Context, number: int) -> int:
    """The line opening the brackets that line `number` starts by closing (`}).then(` -> the chain's head)."""
    first = ctx.source.line(number)
    closing = re.match(r"\s*([})\]]*)", first.masked) if first else None
    depth = len(closing.group(1)) if closing else 0
    for current in range(number - 1, ctx.source.first_line - 1, -1):
        line = ctx.source.line(current)
        if line is None:
            break
        for ch in reversed(line.masked):
            depth += ch in ")]}"
            depth -= ch in "([{"
            if depth <= 0:
                return current
    return max(number - 1, ctx.source.first_line)


# A process-wide handler for rejections nobody caught (Node's `unhandledRejection`, the browser's
# `unhandledrejection` event): a floating chain's failure still reaches it, so it is not lost.
_GLOBAL_REJECTION_HANDLER = re.compile(
    r"\bprocess\s*\.\s*on(?:ce)?\s*\(\s*['\"]unhandledRejection['\"]|"
    r"\baddEventListener\s*\(\s*['\"]unhandledrejection['\"]|\bonunhandledrejection\s*="
)


def _top_level_catch(chain: str) -> bool:
    """Whether the chain itself ends in `.catch(`: one inside a callback of the chain (`.then(p => p.save()
    .catch(...))`) handles that inner promise only, not the chain's own rejection."""
    depth = 0
    compact = re.sub(r"\s+", "", chain)
    for index, ch in enumerate(compact):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "." and depth <= 0 and compact.startswith(".catch(", index):
            return True
    return False


def detect_unhandled_promise(ctx: Context) -> Iterator[Hit]:
    """`.then(...)` chains that nobody catches, awaits or returns."""
    if not ctx.source.is_js or _GLOBAL_REJECTION_HANDLER.search(ctx.all_code):
        return
    source = ctx.source
    seen: set[int] = set()
    for line in ctx.lines:
        if ".then(" not in line.masked.replace(" ", ""):
            continue
        start = line.number
        while start > source.first_line:
            current = source.line(start)
            previous = source.line(start - 1)
            if current is None or previous is None or not _CHAIN_CONTINUES.match(current.masked):
                break
            start = _opening_line(ctx, start) if current.masked.lstrip()[:1] in ")]}" else start - 1
        if start in seen:
            continue
        seen.add(start)
        end, depth = start, 0
        for candidate in source.span(start, start + 80):  # a chain of callbacks may run long before its .catch
            depth += sum(candidate.masked.count(c) for c in "([{")
            depth -= sum(candidate.masked.count(c) for c in ")]}")
            end = candidate.number
            following = source.line(candidate.number + 1)
            if depth <= 0 and not (following and _CHAIN_CONTINUES.match(following.masked)):
                break
        chain = source.masked_text(start, end)
        head = source.line(start)
        head_code = head.masked.strip() if head else ""
        if _top_level_catch(chain) or re.match(r"(return|await|yield)\b", head_code):
            continue
        if re.match(r"(const|let|var)\s+[\w$]+\s*(?::[^=]+)?=|\w+(\.\w+)*\s*=[^=>]|export\b", head_code):
            continue  # the promise is kept; it may be handled where it is used
        if _passed_on(ctx, start, end, head_code):
            continue  # an argument, an element, a property or an arrow's result: whoever receives it handles it
        if re.search(r"\.then\s*\([^()]*\([^()]*\)[^()]*,\s*(\(|function|\w+\s*=>)", chain):
            continue  # a rejection handler passed as then's second argument
        yield Hit("error-handling/unhandled-promise", start, min(line.number, start + 2), confidence=0.75)


def _passed_on(ctx: Context, start: int, end: int, head_code: str) -> bool:
    """Whether the chain on lines start..end is a value inside a larger expression, not a statement of its own:
    `defineAsyncComponent(() =>` above it, `Key: () => import(...).then(...)`, a trailing `,` after it."""
    if re.match(r"[\w$'\"]+\s*:\s*|\(?[\w$,\s]*\)?\s*=>", head_code):
        return True  # a property's value, or the line is an arrow function whose body is the chain
    previous = None
    for number in range(start - 1, max(ctx.source.first_line, start - 4) - 1, -1):
        line = ctx.source.line(number)
        if line is not None and line.masked.strip():
            previous = line
            break
    if previous is not None and re.search(r"(=>|\(|,|\[|:|\?|[^=!<>]=|\|\||&&|\breturn)\s*$", previous.masked):
        return True
    last = ctx.source.line(end)
    return last is not None and last.masked.rstrip().endswith(",")


_PROMISIFIED = re.compile(r"(?:const|let|var)\s+(\w+)\s*=\s*(?:\w+\.)?promisify\s*\(")


def detect_floating_promise(ctx: Context) -> Iterator[Hit]:
    """Calls of promise-returning functions (made with `promisify`) as bare statements: nobody awaits, returns or
    catches them, so their failure is lost."""
    if not ctx.source.is_js or _GLOBAL_REJECTION_HANDLER.search(ctx.all_code):
        return
    names = set(_PROMISIFIED.findall(ctx.all_masked))
    if not names:
        return
    call = re.compile(rf"^\s*({'|'.join(map(re.escape, sorted(names)))})\s*\(")
    for line in ctx.lines:
        match = call.match(line.masked)
        if match is None:
            continue
        end, statement = ctx.statement(line.number)
        if re.search(r"\.\s*(then|catch|finally)\s*\(", statement):
            continue  # handled as a chain (detect_unhandled_promise judges it)
        yield Hit(
            "error-handling/unhandled-promise",
            line.number,
            end,
            confidence=0.7,
            detail=f"`{match.group(1)}` returns a promise that is neither awaited, returned nor caught.",
        )


_GATHER_DISCARDED = re.compile(r"^\s*(?:await\s+)?(?:asyncio\.)?gather\s*\(|^\s*await\s+Promise\.allSettled\s*\(")


def detect_discarded_gathered_errors(ctx: Context) -> Iterator[Hit]:
    """`await asyncio.gather(..., return_exceptions=True)` or `await Promise.allSettled(...)` as a bare statement:
    the failures are handed back as results, and the results are thrown away, so every failure vanishes."""
    if not (ctx.source.is_python or ctx.source.is_js):
        return
    for line in ctx.lines:
        match = _GATHER_DISCARDED.match(line.masked)
        if match is None:
            continue
        end, statement = ctx.statement(line.number)
        if "allSettled" in match.group(0) or re.search(r"return_exceptions\s*=\s*True", statement):
            yield Hit(
                "error-handling/swallowed-exception",
                line.number,
                end,
                confidence=0.7,
                detail="The failed tasks' exceptions come back as results, and the results are dropped.",
            )


_PY_EXCEPT_NAME = re.compile(r"^\s*except\b[^:]*?\bas\s+(\w+)\s*:")
_JS_CATCH_NAME = re.compile(r"\bcatch\s*\(\s*(\w+)")
_PY_RAISE_NEW = re.compile(r"^\s*raise\s+[A-Za-z_][\w.]*\s*\(")
# an exception that is an HTTP answer (a 403, a 404): the client is told what went wrong, no cause to keep
_HTTP_ANSWER = re.compile(
    r"\b(?:HTTPException|HttpException|Http\d{3}|HTTP\w*Error|PermissionDenied|Forbidden\w*|NotFound\w*|"
    r"Unauthori[sz]ed\w*|BadRequest\w*|ValidationError|abort)\b"
)
_JS_THROW_NEW = re.compile(r"^\s*throw\s+new\s+[A-Za-z_$][\w$.]*\s*\(")


def detect_cause_dropped(ctx: Context) -> Iterator[Hit]:
    """A new exception raised inside a handler without its cause: Python's `raise X(...)` without `from`
    (Ruff's B904, for code Ruff cannot read whole), JavaScript's `throw new Error(...)` that neither passes the
    caught error as `cause` nor mentions it."""
    if not (ctx.source.is_python or ctx.source.is_js):
        return
    for handler in ctx.outline.of_kind("handler"):
        header = ctx.source.code_text(handler.start, handler.start)
        named = (_PY_EXCEPT_NAME if ctx.source.is_python else _JS_CATCH_NAME).search(header)
        nested = [b for b in ctx.outline.of_kind(*FUNCTION_KINDS) if handler.start < b.start <= handler.end]
        for line in ctx.body_lines(handler):
            if any(b.start <= line.number <= b.end for b in nested):
                continue  # a function defined in the handler raises later, elsewhere
            if ctx.outline.innermost(line.number, "handler") is not handler:
                continue
            last, statement = ctx.statement(line.number)
            new = _PY_RAISE_NEW if ctx.source.is_python else _JS_THROW_NEW
            if (
                named is None  # nothing bound: the author chose not to keep it
                or not new.match(line.code)
                or (ctx.source.is_python and re.search(r"\bfrom\b", statement))
                or re.search(rf"(?<![\w$.]){re.escape(named.group(1))}\b", statement)  # built from the caught one
                or _HTTP_ANSWER.search(statement)
            ):
                continue
            yield Hit(
                "error-handling/exception-chain-lost",
                line.number,
                last,
                confidence=0.7,
                related=(handler.start,),
                detail="The new exception leaves the caught one behind: its traceback says what failed.",
            )


DETECTORS = (
    detect_exception_handlers,
    detect_unhandled_promise,
    detect_floating_promise,
    detect_discarded_gathered_errors,
    detect_cause_dropped,
)
