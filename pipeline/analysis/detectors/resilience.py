"""Resilience detectors: remote calls without timeouts, retries without bounds or backoff."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import Block
from archreview.pipeline.analysis.source import Line

_PY_HTTP = re.compile(
    r"\b(?:requests|httpx)\.(get|post|put|delete|patch|head|request|options)\s*\(|\burlopen\s*\(|"
    # standard-library clients whose default timeout is none: they wait as long as the peer stays silent
    r"\b(?:http\.client\.)?HTTPS?Connection\s*\(|\b(?:smtplib\.)?SMTP(?:_SSL)?\s*\(|"
    r"\b(?:ftplib\.)?FTP(?:_TLS)?\s*\(|\bsocket\.create_connection\s*\("
)
_PY_CLIENT = re.compile(r"\b(httpx|aiohttp)\.(?:Client|AsyncClient|ClientSession)\s*\(")
_NO_TIMEOUT = re.compile(r"\btimeout\s*=\s*None\b")
_JS_FETCH = re.compile(r"(?<![.\w#])fetch\s*\(")
_JS_AXIOS = re.compile(r"\baxios\.(get|post|put|delete|patch|request)\s*\(|\baxios\s*\(")
_JS_NODE_HTTP = re.compile(r"\bhttps?\.(get|request)\s*\(")
_JAVA_HTTP = re.compile(
    r"\.openConnection\s*\(|\.openStream\s*\(|HttpRequest\.newBuilder\s*\(|"
    r"HttpClient\.newHttpClient\s*\(|new\s+RestTemplate\s*\(\s*\)|"
    # Apache HttpClient's defaults and a plain socket wait forever as well
    r"HttpClients\.(?:createDefault|createSystem)\s*\(|new\s+Socket\s*\(\s*[^)\s]"
)


def detect_missing_timeout(ctx: Context) -> Iterator[Hit]:
    """HTTP/network calls that can wait forever."""
    source = ctx.source
    everything = ctx.all_code
    if source.is_python or not source.uses_braces:
        sessions = re.findall(r"([\w.]+)\s*=\s*(?:requests\.Session|httpx\.Client)\s*\(\s*\)", everything)
        sessions += re.findall(r"\bwith\s+requests\.Session\s*\(\s*\)\s+as\s+(\w+)", everything)
        # a helper of this file that hands out such a session (`get_session_for_thread()`), and names bound to it
        makers = [block.name for block in ctx.outline.of_kind("function", "method") if block.name and re.search(
            r"\breturn\s+(?:requests\.Session\s*\(|(?:" + "|".join(map(re.escape, sessions or ["requests.Session"]))
            + r")\s*$)", source.code_text(block.start, block.end), re.MULTILINE)]
        for maker in makers:
            sessions += re.findall(rf"(?<![\w.])(\w+)\s*=\s*(?:self\.)?{re.escape(maker)}\s*\(", everything)
        names = "|".join(re.escape(s) for s in sessions)
        session_call = (
            re.compile(rf"(?<![\w.])(?:{names})\.(get|post|put|delete|patch|request)\s*\(") if sessions else None
        )
        # A function of this file named like the library's call (`def urlopen(...)`) is not the library call.
        own = {block.name for block in ctx.outline.of_kind("function", "method", "class")}
        for line in ctx.lines:
            client = _PY_CLIENT.search(line.masked)
            http = _PY_HTTP.search(line.masked)
            shadowed = http is not None and "urlopen" in own and http.group(0).startswith("urlopen")
            if shadowed or re.match(r"\s*(async\s+)?(def|class)\s", line.masked):
                http = None
            if http is not None and http.group(0).split("(")[0].strip() in own:
                http = None  # a bare call of the file's own function or class of that name (`SMTP(...)`)
            if http or client or (session_call and session_call.search(line.masked)):
                _, statement = ctx.statement(line.number)
                if re.search(r"(?<![*\w])\*\*\w", statement):
                    continue  # keyword arguments passed on (`**kwargs`) may carry the timeout
                if _NO_TIMEOUT.search(statement):
                    yield Hit("resilience/missing-timeout", line.number, confidence=0.85,
                              detail="`timeout=None` turns the timeout off, so the call can block forever.")
                elif "timeout" not in statement and not client and not re.search(r"\bhttpx\.", line.masked):
                    # httpx (5 s) and aiohttp (5 min) clients have default timeouts; requests and urllib wait forever
                    yield Hit("resilience/missing-timeout", line.number, confidence=0.85,
                              detail="The request has no timeout, so it can block forever.")
    elif source.is_js:
        for line in ctx.lines:
            masked = line.masked
            if _JS_FETCH.search(masked):
                _, statement = ctx.statement(line.number)
                function = ctx.outline.function_at(line.number)
                scope = (source.code_text(function.start, function.end) if function else everything)
                if not re.search(r"signal|AbortController|AbortSignal|timeout", statement + scope, re.IGNORECASE):
                    yield Hit("resilience/missing-timeout", line.number, confidence=0.8,
                              detail="`fetch` has no abort signal, so it can hang indefinitely.")
            elif _JS_AXIOS.search(masked) or _JS_NODE_HTTP.search(masked):
                _, statement = ctx.statement(line.number)
                if "timeout" not in statement and not re.search(r"timeout\s*[:=]", everything):
                    yield Hit("resilience/missing-timeout", line.number, confidence=0.7)
    elif source.is_java:
        configured = re.search(r"setConnectTimeout|setReadTimeout|\.timeout\s*\(|connectTimeout|setSoTimeout|"
                               r"RequestConfig|setDefaultSocketConfig", everything)
        for line in ctx.lines:
            if _JAVA_HTTP.search(line.masked) and not configured:
                yield Hit("resilience/missing-timeout", line.number, confidence=0.8,
                          detail="The connection is opened with the default infinite timeouts.")


_INFINITE_HEADER = re.compile(r"\bwhile\s*\(?\s*(True|true|1)\s*\)?\s*[:{]?\s*$|\bfor\s*\(\s*;\s*;\s*\)")
_SLEEP = re.compile(
    r"\b(?:time\.sleep|asyncio\.sleep|Thread\.sleep|sleep|setTimeout|\w+\.sleep|delay)\s*\(([^;]*)"
)
_BACKOFF = re.compile(r"\*\*|\*|<<|pow|backoff|attempt|jitter|random|exponential", re.IGNORECASE)
_GROWING_DELAY = re.compile(r"\w+\s*(\*=|<<=)|\w+\s*=\s*\w+\s*\*|\w+\s*=\s*min\(")
_COUNTER_CHECK = re.compile(
    r"\b(\w*(attempt|retr|tries|count)\w*|i|n)\s*(>=|>|==|<)\s*\w+|"
    r"\w+\s*(<=|<|>=)\s*\w*(attempt|retr|tries|max)\w*",
    re.IGNORECASE,
)


def detect_retry_loops(ctx: Context) -> Iterator[Hit]:
    """Retry loops that never give up or retry without backing off."""
    for loop in ctx.outline.of_kind("loop"):
        if "inline" in loop.modifiers or not ctx.is_retry_loop(loop):
            continue
        body = ctx.source.masked_text(loop.start + 1, loop.end)
        sleeps = [
            line for line in ctx.source.span(loop.start + 1, loop.end) if _SLEEP.search(line.masked)
        ]
        related = tuple(line.number for line in sleeps[:1])
        infinite = bool(_INFINITE_HEADER.search(loop.header))
        if infinite and not _COUNTER_CHECK.search(body):
            yield Hit("resilience/unbounded-retry", loop.start, related=related, confidence=0.8,
                      detail="The loop retries until the call succeeds, however long that takes.")
            continue
        backoff = any(
            _BACKOFF.search(match.group(1)) or _BACKOFF.search(_assigned(body, match.group(1)))
            for line in sleeps
            for match in [_SLEEP.search(line.masked)]
            if match
        ) or bool(sleeps and _GROWING_DELAY.search(body))
        if not backoff:
            what = "a fixed delay" if sleeps else "no delay at all"
            # a `do { ... } while (true)` header says nothing: the evidence runs from it to the fixed wait, what a
            # reviewer points at (a `while`/`for` header shows the retry; its wait is quoted as related)
            do_loop = bool(re.match(r"\s*do\b", loop.header))
            last = related[0] if do_loop and related and related[0] - loop.start <= 15 else loop.start
            yield Hit("resilience/retry-without-backoff", loop.start, last, related=related, confidence=0.75,
                      detail=f"Failed attempts are retried after {what}.")


def _assigned(body: str, argument: str) -> str:
    """What the loop body assigns to the sleep's argument when it is one name (`delay = Math.min(test, cap)`,
    `test = 2 ** n * 1000`, then `sleep(delay)`), two assignments deep; else ""."""
    found = ""
    names = [argument.strip().rstrip(");").strip()]
    for _ in range(2):
        following = []
        for name in names:
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                continue
            match = re.search(rf"(?<![\w.]){re.escape(name)}\s*=(?!=)\s*([^;\n]+)", body)
            if match is not None:
                found += "\n" + match.group(1)
                following += re.findall(r"(?<![\w.])([A-Za-z_]\w*)(?![\w(.])", match.group(1))
        names = following
    return found


_RETRY_NAME = re.compile(r"retr(y|ies)", re.IGNORECASE)
_CONSTANT_SLEEP = re.compile(
    r"\b(?:time\.sleep|Thread\.sleep|TimeUnit\.\w+\.sleep|sleep|wait|delay|pause)\s*\(\s*"
    r"(?:\d[\d_.]*[lL]?|[A-Z][A-Z0-9_]*)\s*\)|\bsetTimeout\s*\([^;]*,\s*(?:\d[\d_]*|[A-Z][A-Z0-9_]*)\s*\)"
)


def detect_retry_callbacks(ctx: Context) -> Iterator[Hit]:
    """Retry hooks (a function deciding whether to try again) that wait a constant time before each retry.

    The loop is in the caller (an HTTP client's retry handler, a job runner); the hook alone decides the delay.
    """
    for function in ctx.outline.of_kind("function", "method"):
        if not _RETRY_NAME.search(function.name) or ctx.outline.in_loop(function.start) is not None:
            continue
        if _calls_itself(ctx, function):
            continue  # a recursive retry: detect_recursive_retry judges it where it waits
        sleeps = [line for line in ctx.source.span(function.start + 1, function.end)
                  if _CONSTANT_SLEEP.search(line.masked) and ctx.outline.in_loop(line.number) is None]
        if not sleeps or any(ctx.outline.in_loop(line.number) for line in ctx.source.span(function.start + 1,
                                                                                           function.end)):
            continue  # no constant wait, or the function loops itself (detect_retry_loops judges it)
        if _BACKOFF.search(ctx.source.masked_text(function.start, function.end).replace(sleeps[0].masked, "")):
            continue
        yield Hit("resilience/retry-without-backoff", function.start, related=(sleeps[0].number,), confidence=0.7,
                  detail=f"`{function.name}` waits the same fixed time before every retry.")


def _self_calls(ctx: Context, function: Block) -> list[Line]:
    """Lines of `function` that call it again (directly, or from a callback defined inside it)."""
    return [line for line in ctx.source.span(function.start + 1, function.end)
            if re.search(rf"(?<![\w.]){re.escape(function.name)}\s*\(", line.masked)
            and not re.match(r"\s*(?:async\s+)?(?:def|function)\b", line.masked)]


def _calls_itself(ctx: Context, function: Block) -> bool:
    return bool(function.name) and bool(_self_calls(ctx, function))


def detect_recursive_retry(ctx: Context) -> Iterator[Hit]:
    """Retries written as recursion (`sleep(1); return get(url, n - 1)`) that wait the same time before each call."""
    for function in ctx.outline.of_kind("function", "method"):
        if not function.name:
            continue
        # the call may sit in a callback or error handler defined inside the function (`onError`, `.then(...)`)
        for call in _self_calls(ctx, function):
            sleeps = [line for line in ctx.source.span(max(function.start + 1, call.number - 4), call.number)
                      if _CONSTANT_SLEEP.search(line.masked)]
            if not sleeps:
                continue
            if _BACKOFF.search(ctx.source.masked_text(function.start, function.end).replace(sleeps[0].masked, "")):
                break
            yield Hit("resilience/retry-without-backoff", sleeps[0].number, call.number, confidence=0.65,
                      detail=f"`{function.name}` calls itself again after the same fixed wait every time.")
            break


DETECTORS = (detect_missing_timeout, detect_retry_loops, detect_retry_callbacks, detect_recursive_retry)
