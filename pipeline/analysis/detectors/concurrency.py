"""Concurrency detectors: unguarded shared state, check-then-act races, blocking in async."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from archreview.pipeline.analysis.architecture import module_globals
from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block

_MUTATING_METHODS = r"(append|extend|add|update|pop|remove|insert|setdefault|clear|discard|popitem)"
_JAVA_FIELD = re.compile(
    r"^\s*(?:@\w+\s+)*((?:(?:public|private|protected|static|final|volatile|transient)\s+)*)"
    r"([\w.]+(?:<[^=;()]*>)?(?:\[\])?)\s+(\w+)\s*(?:=[^;]*)?(?:;|=\s*new\s[^;]*\{\s*$)"
)
_JAVA_MUTABLE_TYPE = re.compile(
    r"^(?:Hash|Linked|Tree|Identity|Weak)?(?:Map|List|Set|HashMap|HashSet|ArrayList|LinkedList|"
    r"TreeMap|TreeSet|Deque|ArrayDeque|Queue|StringBuilder)\b|\[\]$"
)
_JAVA_SAFE_TYPE = re.compile(r"^(Concurrent|Atomic|CopyOnWrite|Blocking|LongAdder|ThreadLocal)")
_JAVA_PRIMITIVE = re.compile(r"^(int|long|short|byte|double|float|boolean|Integer|Long|Double)$")
_SHARED_JAVA_CLASS = re.compile(
    r"@(RestController|Controller|Service|Component|Repository|Singleton|WebServlet)\b|"
    r"extends\s+HttpServlet|implements\s+Runnable|extends\s+Thread"
)


@dataclass(frozen=True)
class _Shared:
    """A piece of state more than one thread can reach."""

    name: str  # variable/field name as written in mutations (`counts`, `self.counts`)
    declared_at: int  # line of its declaration (0 when unknown)


def _python_shared(ctx: Context) -> list[_Shared]:
    shared = []
    for name, line_number in module_globals(ctx.source).items():
        line = ctx.source.line(line_number)
        if line is None:
            continue
        container = re.search(r"=\s*(\{|\[|dict\(|list\(|set\(|defaultdict\(|Counter\(|OrderedDict\()", line.masked)
        number = re.search(r"=\s*-?\d+(\.\d+)?\s*$", line.masked)
        if container or (number and not name.isupper()):
            shared.append(_Shared(name, line_number))
    for line in ctx.lines:
        for match in re.finditer(r"\bself\.(\w+)\s*(?::[^=]+)?=(?!=)", line.masked):
            attr = match.group(1)
            if re.search(r"lock|queue|event|semaphore|executor|pool", attr, re.IGNORECASE):
                continue
            name = f"self.{attr}"
            if all(s.name != name for s in shared):
                shared.append(_Shared(name, line.number))
    return shared


def _java_shared(ctx: Context) -> list[_Shared]:
    class_text = ctx.all_code
    shared_class = bool(_SHARED_JAVA_CLASS.search(class_text)) or ctx.uses_threads
    # Fields replaced by a thread-safe wrapper anywhere (`list = Collections.synchronizedList(list)` in main).
    wrapped = set(re.findall(
        r"(?:\bthis\.)?\b(\w+)\s*=\s*(?:Collections\.synchronized\w*|new\s+(?:Concurrent|CopyOnWrite)\w*|"
        r"Concurrent\w*\.)",
        ctx.all_masked,
    ))
    shared = []
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if not match:
            continue
        modifiers, type_name, name = match.group(1).split(), match.group(2), match.group(3)
        if _JAVA_SAFE_TYPE.match(type_name) or type_name in ("return", "throw", "package") or name in wrapped:
            continue
        if "Collections.synchronized" in line.code or "Concurrent" in line.code:
            continue
        mutable_type = bool(_JAVA_MUTABLE_TYPE.search(type_name))
        if "final" in modifiers and not mutable_type:
            continue
        if not (mutable_type or _JAVA_PRIMITIVE.match(type_name)):
            continue
        if not shared_class and _constant_flag(ctx, name, line.number):
            continue  # a static switch only ever set to a constant (a feature probe): racing writes agree
        if "static" in modifiers or shared_class:
            shared.append(_Shared(name, line.number))
    return shared


def _constant_flag(ctx: Context, name: str, declared_at: int) -> bool:
    """Whether every write of `name` after its declaration stores a literal (`checked = false;`)."""
    values = [m.group(1) for line in ctx.lines if line.number != declared_at
              for m in re.finditer(rf"(?<![\w.])(?:this\.)?{re.escape(name)}\s*=(?!=)\s*([^;]+);", line.masked)]
    updated = re.compile(rf"(?<![\w.])(?:this\.)?{re.escape(name)}\s*(\+\+|--|[+\-*/|&]=)|(\+\+|--){re.escape(name)}")
    compound = any(updated.search(line.masked) for line in ctx.lines)
    return bool(values) and not compound and all(re.fullmatch(r"\s*(true|false|null)\s*", v) for v in values)


def _mutation(name: str, masked: str, java: bool) -> bool:
    target = rf"(?<![\w.]){re.escape(name)}" if "." in name else rf"(?<![\w.])(?:this\.)?{re.escape(name)}\b"
    if java:
        return bool(re.search(
            rf"{target}\s*(\+\+|--|[+\-*/]=|=(?!=))|(\+\+|--){target}|"
            rf"{target}\.(put|add|remove|clear|putAll|addAll|merge|compute\w*|append)\s*\(",
            masked,
        ))
    return bool(re.search(
        rf"{target}\s*([+\-*/|]=)|{target}\s*\[[^\]]+\]\s*([+\-*/]?=)(?!=)|"
        rf"{target}\.{_MUTATING_METHODS}\s*\(|{target}\s*=\s*{target}\s*[+\-]",
        masked,
    ))


# Web framework route decorators: a synchronous handler runs on the server's worker threads (Flask's threaded
# server, FastAPI's thread pool for plain `def` endpoints, Django's WSGI workers), many requests at once.
_PY_ROUTE = re.compile(r"^\s*@\w+(?:\.\w+)*\.(?:route|get|post|put|patch|delete|api_route|on)\s*\(")
# A read-modify-write of a name: `n += 1`, `d[k] += 1`, `n = n + 1` (a single container call is atomic in CPython).
_READ_MODIFY_WRITE = r"{target}\s*(?:\[[^\]]+\]\s*)?[+\-*/|]=|{target}\s*=\s*{target}\s*[+\-*/]"


def _python_handlers(ctx: Context) -> list[Block]:
    """Synchronous functions registered as web request handlers."""
    handlers = []
    for function in ctx.outline.of_kind("function"):
        if function.is_async or function.decorator_start >= function.start:
            continue
        decorators = ctx.source.span(function.decorator_start, function.start - 1)
        if any(_PY_ROUTE.search(line.code) for line in decorators):
            handlers.append(function)
    return handlers


def _handler_races(ctx: Context, handlers: list[Block]) -> Iterator[Hit]:
    """Read-modify-writes of module state inside request handlers, without a lock."""
    names = [s for s in _python_shared(ctx) if not s.name.startswith("self.")]
    for function in handlers:
        for item in names:
            body = ctx.source.masked_text(function.start, function.end)
            subscripted = re.search(rf"(?<![\w.]){re.escape(item.name)}\s*\[", body)
            if not subscripted and not _writes_global(ctx, function, item.name):
                continue  # `n += 1` without `global n` makes a local; `d[k] += 1` updates the module's dict
            target = rf"(?<![\w.]){re.escape(item.name)}"
            pattern = _READ_MODIFY_WRITE.format(target=target)
            for line in ctx.source.span(function.start + 1, function.end):
                if re.search(pattern, line.masked) and not ctx.outline.locked(line.number):
                    yield Hit(
                        "concurrency/unsynchronized-shared-state",
                        line.number,
                        related=(item.declared_at,),
                        confidence=0.7,
                        detail=f"`{item.name}` is read and rewritten by `{function.name}`, a request handler that "
                               "runs on several server threads at once, without a lock.",
                    )
                    break


# Java library classes whose instances keep per-call state and must not be shared between threads.
_JAVA_UNSAFE_TYPE = re.compile(
    r"^(?:SimpleDateFormat|DateFormat|DecimalFormat|NumberFormat|MessageDigest|Calendar|GregorianCalendar)$"
)


def _java_unsafe_instances(ctx: Context) -> Iterator[Hit]:
    """Static (or shared-class) fields holding a non-thread-safe formatter or digest, used without a lock."""
    shared_class = bool(_SHARED_JAVA_CLASS.search(ctx.all_code)) or ctx.uses_threads
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if not match or not _JAVA_UNSAFE_TYPE.match(match.group(2)):
            continue
        if "static" not in match.group(1).split() and not shared_class:
            continue
        name = re.escape(match.group(3))
        for use in ctx.lines:
            function = ctx.outline.function_at(use.number)
            if function is None or function.is_constructor or ctx.outline.locked(use.number):
                continue
            if re.search(rf"(?<![\w.])(?:this\.)?{name}\.(?:format|parse\w*|digest|update|set\w*|add|roll)\s*\(",
                         use.masked):
                yield Hit(
                    "concurrency/unsynchronized-shared-state",
                    use.number,
                    related=(line.number,),
                    confidence=0.75,
                    detail=f"`{match.group(3)}` is a {match.group(2)} shared by every caller; it keeps state "
                           "between calls and is not thread-safe.",
                )
                break


def detect_shared_state(ctx: Context) -> Iterator[Hit]:
    """Check-then-act races and unguarded updates of shared state."""
    source = ctx.source
    if source.is_python:
        if not ctx.uses_threads:
            yield from _handler_races(ctx, _python_handlers(ctx))
            return
        shared = _python_shared(ctx)
    elif source.is_java:
        shared = _java_shared(ctx)
        yield from _java_unsafe_instances(ctx)
    else:
        return
    covered: set[int] = set()
    # A concurrent map makes each call atomic, not a check and the update after it.
    atomic_calls = _java_concurrent_maps(ctx) if source.is_java else []
    for hit in _check_then_act(ctx, shared + atomic_calls):
        covered.update(range(hit.line, hit.last + 1))
        yield hit
    reported: set[str] = set()
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if function is None or function.is_constructor or line.number in covered:
            continue
        if function.name in ("__init__", "setUp", "main") or ctx.outline.locked(line.number):
            continue
        for item in shared:
            if item.declared_at == line.number and not item.name.startswith("self."):
                continue
            if not _mutation(item.name, line.masked, source.is_java):
                continue
            if item.name in reported:
                continue  # one finding a piece of state: its first unguarded update
            if (
                source.is_python
                and "." not in item.name
                and not _writes_global(ctx, function, item.name)
                and re.search(rf"(?<![\w.]){re.escape(item.name)}\s*([+\-*/]=|=(?!=))", line.masked)
            ):
                continue  # a local variable that shadows the global
            reported.add(item.name)
            yield Hit(
                "concurrency/unsynchronized-shared-state",
                line.number,
                related=(item.declared_at,) if item.declared_at else (),
                confidence=0.8 if source.is_python or ctx.uses_threads else 0.7,
                detail=f"`{item.name}` is updated without holding a lock.",
            )


def _java_concurrent_maps(ctx: Context) -> list[_Shared]:
    """Fields holding a ConcurrentHashMap (or another concurrent map) in a class that threads share."""
    if not (_SHARED_JAVA_CLASS.search(ctx.all_code) or ctx.uses_threads or "static" in ctx.all_code):
        return []
    found = []
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if match and (re.match(r"Concurrent\w*Map\b", match.group(2))
                      or re.search(r"=\s*new\s+Concurrent\w*Map\b", line.masked)):
            shared_field = "static" in match.group(1).split() or bool(_SHARED_JAVA_CLASS.search(ctx.all_code))
            if shared_field or ctx.uses_threads:
                found.append(_Shared(match.group(3), line.number))
    return found


def _writes_global(ctx: Context, function: Block, name: str) -> bool:
    body = ctx.source.masked_text(function.start, function.end)
    return bool(re.search(rf"\bglobal\b[^\n]*\b{re.escape(name)}\b", body))


def _check_then_act(ctx: Context, shared: list[_Shared]) -> Iterator[Hit]:
    names = [s.name for s in shared]
    source = ctx.source
    for line in ctx.lines:
        if ctx.outline.locked(line.number) or ctx.outline.function_at(line.number) is None:
            continue
        masked = line.masked
        container = None
        match = re.search(r"\bif\s+(?:[\w.\[\]'\"]+\s+not\s+in|not\s+[\w.]+\s+in)\s+([\w.]+)", masked)
        if match is None:
            match = re.search(r"\bif\s*\(\s*!\s*(?:this\.)?([\w]+)\.(?:containsKey|contains)\s*\(", masked)
        if match is None:
            match = re.search(r"\bif\s*\(\s*(?:this\.)?(\w+)\.get\s*\([^()]*\)\s*==\s*null\b", masked)
        if match is None:
            match = re.search(r"\bif\s*\(?\s*((?:self\.|cls\.|this\.)?\w+)\s*(?:is\s+None|==\s*null)\b", masked)
        if match is not None:
            container = match.group(1)
        if container is None:
            continue
        bare = container.removeprefix("this.")
        if container not in names and bare not in names and not container.startswith("cls."):
            continue
        for later in source.span(line.number + 1, line.number + 4):
            act = re.search(
                rf"(?<![\w]){re.escape(container)}\s*(\[[^\]]+\]\s*)?=(?!=)|"
                rf"(?<![\w]){re.escape(container)}\.(put|add|append|setdefault)\s*\(",
                later.masked,
            )
            if act:
                yield Hit(
                    "concurrency/check-then-act",
                    line.number,
                    later.number,
                    confidence=0.8,
                    detail=f"`{container}` is checked and then updated as two separate steps.",
                )
                break


_PY_BLOCKING = re.compile(
    r"\btime\.sleep\s*\(|\brequests\.(get|post|put|delete|patch|head|request)\s*\(|"
    r"\burlopen\s*\(|\bsubprocess\.(run|call|check_output|check_call)\s*\(|"
    r"\bsocket\.create_connection\s*\("
)
_JS_BLOCKING = re.compile(r"\b\w+Sync\s*\(|\bAtomics\.wait\s*\(")


def detect_blocking_in_async(ctx: Context) -> Iterator[Hit]:
    """Blocking calls that freeze an event loop."""
    source = ctx.source
    if not (source.is_python or source.is_js):
        return
    pattern = _PY_BLOCKING if source.is_python else _JS_BLOCKING
    for line in ctx.lines:
        if not pattern.search(line.masked):
            continue
        function = ctx.outline.function_at(line.number)
        if function is None or function.kind not in FUNCTION_KINDS:
            continue
        if function.is_async:
            yield Hit("concurrency/blocking-call-in-async", line.number, confidence=0.9,
                      detail=f"`{function.name or 'this callback'}` is async but blocks here.")
        elif source.is_js and {"req", "res"} <= set(function.params):
            yield Hit("concurrency/blocking-call-in-async", line.number, confidence=0.7,
                      detail="A request handler blocks the event loop with synchronous I/O.")


_PY_NEW_LOCK = r"(?:threading\.|multiprocessing\.|asyncio\.)?(?:R?Lock|Semaphore|BoundedSemaphore)\s*\([^)]*\)"
_JAVA_NEW_LOCK = r"new\s+(?:ReentrantLock|ReentrantReadWriteLock|Object|Semaphore)\s*\([^)]*\)"


def detect_useless_lock(ctx: Context) -> Iterator[Hit]:
    """Locks created inside the function that takes them: every call locks its own lock, so none excludes another."""
    if not (ctx.source.is_python or ctx.source.is_java):
        return
    new_lock = _PY_NEW_LOCK if ctx.source.is_python else _JAVA_NEW_LOCK
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if function is None or function.is_constructor or function.name in ("__init__", "__new__", "setUp"):
            continue
        inline = re.search(rf"^\s*(?:async\s+)?with\s+{new_lock}|\bsynchronized\s*\(\s*{new_lock}", line.masked)
        if inline:
            yield Hit("concurrency/useless-lock", line.number, confidence=0.9,
                      detail="The lock is created on this line, so each call holds a different one.")
            continue
        local = re.match(rf"^\s*(?:[\w<>]+\s+)?(\w+)\s*=\s*{new_lock}\s*;?\s*$", line.masked)
        if local is None or "." in local.group(0).split("=")[0]:
            continue
        name = re.escape(local.group(1))
        taken = rf"\bwith\s+{name}\b|\bsynchronized\s*\(\s*{name}\s*\)|\b{name}\.(acquire|lock)\s*\("
        body = ctx.source.span(line.number + 1, function.end)
        escapes = rf"\breturn\b[^\n]*\b{name}\b|\b(self|this|cls)\.\w+\s*=\s*{name}\b|\w+\([^)]*\b{name}\b"
        if any(re.search(taken, later.masked) for later in body) and not any(
            re.search(escapes, later.masked) for later in body
        ):
            yield Hit("concurrency/useless-lock", line.number, confidence=0.85,
                      detail=f"`{local.group(1)}` is a new lock on every call of `{function.name}`.")


DETECTORS = (detect_shared_state, detect_useless_lock, detect_blocking_in_async)
