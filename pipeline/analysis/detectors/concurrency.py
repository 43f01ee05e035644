"""Concurrency detectors: unguarded shared state, check-then-act races, blocking in async."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from archreview.pipeline.analysis.architecture import module_globals
from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block
from archreview.pipeline.analysis.source import Line

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


# Methods a framework or the program calls once, before other threads see the object (servlet `init`,
# `@PostConstruct`, JUnit set-up, `main` starting the threads): a write there is not contended.
_INITIALIZER_NAMES = frozenset(
    {
        "__init__",
        "__new__",
        "__post_init__",
        "setUp",
        "setUpClass",
        "main",
        "init",
        "initialize",
        "afterPropertiesSet",
        "contextInitialized",
        "onStartup",
    }
)
_INITIALIZER_ANNOTATION = re.compile(r"@(PostConstruct|BeforeEach|BeforeAll|Before|BeforeClass)\b")


def _is_initializer(ctx: Context, function: Block) -> bool:
    """Whether `function` runs once to set the object up (constructor, `init`, `@PostConstruct`, ...)."""
    if function.is_constructor or function.name in _INITIALIZER_NAMES:
        return True
    if function.decorator_start >= function.start:
        return False
    return any(
        _INITIALIZER_ANNOTATION.search(line.code)
        for line in ctx.source.span(function.decorator_start, function.start - 1)
    )


# Classes named for serving requests (`AccountService`, `OrderController`, `UploadHandler`): many callers at once.
_SERVING_CLASS = re.compile(r"\bclass\s+\w*(?:Service|Controller|Servlet|Handler|Resource|Endpoint)\b")
_SINGLETON_BEAN = re.compile(
    r"@(RestController|Controller|Service|Component|Repository|Singleton|WebServlet)\b|extends\s+HttpServlet\b"
)


@dataclass(frozen=True)
class _Shared:
    """A piece of state more than one thread can reach."""

    name: str  # variable/field name as written in mutations (`counts`, `self.counts`)
    declared_at: int  # line of its declaration (0 when unknown)
    volatile: bool = False  # a Java volatile field: double-checked locking on it is correct
    reference: bool = False  # a Java bean's field of a plain type (not a collection or a number)


_PY_PRIMITIVE = (
    r"(?:threading\.|asyncio\.|queue\.|multiprocessing\.)?(?:Event|Lock|RLock|Condition|Semaphore|"
    r"BoundedSemaphore|Barrier|Queue|SimpleQueue|LifoQueue|PriorityQueue)\s*\("
)


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
    # attributes holding a synchronization object (`self._running = threading.Event()`): its methods are safe
    primitives = {m.group(1) for m in re.finditer(rf"\bself\.(\w+)\s*(?::[^=]+)?=\s*{_PY_PRIMITIVE}", ctx.all_masked)}
    for line in ctx.lines:
        for match in re.finditer(r"\bself\.(\w+)\s*(?::[^=]+)?=(?!=)", line.masked):
            attr = match.group(1)
            if re.search(r"lock|queue|event|semaphore|executor|pool", attr, re.IGNORECASE) or attr in primitives:
                continue
            name = f"self.{attr}"
            if all(s.name != name for s in shared):
                shared.append(_Shared(name, line.number))
    return shared


def _java_shared(ctx: Context) -> list[_Shared]:
    class_text = ctx.all_code
    shared_class = bool(_SHARED_JAVA_CLASS.search(class_text)) or ctx.uses_threads
    # One instance the container hands every request thread: a field it holds, of any type (the current user,
    # the last query), leaks from one request into another when a handler writes it.
    bean = bool(_SINGLETON_BEAN.search(class_text))
    serving = bool(_SERVING_CLASS.search(class_text))
    per_connection = "@ServerEndpoint" in class_text
    # Fields replaced by a thread-safe wrapper anywhere (`list = Collections.synchronizedList(list)` in main).
    wrapped = set(
        re.findall(
            r"(?:\bthis\.)?\b(\w+)\s*=\s*(?:Collections\.synchronized\w*|new\s+(?:Concurrent|CopyOnWrite)\w*|"
            r"Concurrent\w*\.)",
            ctx.all_masked,
        )
    )
    shared = []
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if not match:
            continue
        modifiers, type_name, name = match.group(1).split(), match.group(2), match.group(3)
        if per_connection and "static" not in modifiers:
            continue  # a WebSocket endpoint: the container makes one instance a connection (JSR 356)
        if _JAVA_SAFE_TYPE.match(type_name) or type_name in ("return", "throw", "package") or name in wrapped:
            continue
        if "Collections.synchronized" in line.code or "Concurrent" in line.code:
            continue
        mutable_type = bool(_JAVA_MUTABLE_TYPE.search(type_name))
        if "final" in modifiers and not mutable_type:
            continue
        reference = not (mutable_type or _JAVA_PRIMITIVE.match(type_name))
        if reference and not (bean and "final" not in modifiers and not _injected(ctx, line.number)):
            continue
        if not shared_class and _constant_flag(ctx, name, line.number):
            continue  # a static switch only ever set to a constant (a feature probe): racing writes agree
        # A static field is one per program, but only threads make it contended: the file must show them (a thread
        # started, a servlet, a container's singleton bean, a class that serves requests by its role's name), as a
        # reviewer would ask before calling it a race.
        if shared_class or ("static" in modifiers and serving):
            shared.append(_Shared(name, line.number, volatile="volatile" in modifiers, reference=reference))
    return shared


# A field the container fills (`@Autowired private UserRepository users;`): written once, before any request.
_INJECTED = re.compile(
    r"@(Autowired|Inject|Resource|Value|PersistenceContext|PersistenceUnit|Mock|InjectMocks|"
    r"MockBean|Captor|Getter|Setter)\b"
)


def _injected(ctx: Context, number: int) -> bool:
    """Whether the field declared on line `number` carries an injection annotation (on it or the line above)."""
    return any(_INJECTED.search(line.code) for line in ctx.source.span(max(1, number - 1), number))


def _constant_flag(ctx: Context, name: str, declared_at: int) -> bool:
    """Whether every write of `name` after its declaration stores a literal (`checked = false;`)."""
    values = [
        m.group(1)
        for line in ctx.lines
        if line.number != declared_at
        for m in re.finditer(rf"(?<![\w.])(?:this\.)?{re.escape(name)}\s*=(?!=)\s*([^;]+);", line.masked)
    ]
    updated = re.compile(rf"(?<![\w.])(?:this\.)?{re.escape(name)}\s*(\+\+|--|[+\-*/|&]=)|(\+\+|--){re.escape(name)}")
    compound = any(updated.search(line.masked) for line in ctx.lines)
    return bool(values) and not compound and all(re.fullmatch(r"\s*(true|false|null)\s*", v) for v in values)


def _mutation(name: str, masked: str, java: bool) -> bool:
    target = rf"(?<![\w.]){re.escape(name)}" if "." in name else rf"(?<![\w.])(?:this\.)?{re.escape(name)}\b"
    if java:
        return bool(
            re.search(
                rf"{target}\s*(\+\+|--|[+\-*/]=|=(?!=))|(\+\+|--){target}|"
                rf"{target}\.(put|putIfAbsent|add|addFirst|addLast|remove|removeIf|removeAll|retainAll|clear|putAll|"
                rf"addAll|merge|compute\w*|replace\w*|append|insert|offer|poll|push|pop|set|sort)\s*\(",
                masked,
            )
        )
    return bool(
        re.search(
            rf"{target}\s*([+\-*/|]=)|{target}\s*\[[^\]]+\]\s*([+\-*/]?=)(?!=)|"
            rf"{target}\.{_MUTATING_METHODS}\s*\(|{target}\s*=\s*{target}\s*[+\-]",
            masked,
        )
    )


# Web framework route decorators: a synchronous handler runs on the server's worker threads (Flask's threaded
# server, FastAPI's thread pool for plain `def` endpoints, Django's WSGI workers), many requests at once.
_PY_ROUTE = re.compile(r"^\s*@\w+(?:\.\w+)*\.(?:route|get|post|put|patch|delete|api_route|on)\s*\(")
# A read-modify-write of a name: `n += 1`, `d[k] += 1`, `n = n + 1` (a single container call is atomic in CPython).
_READ_MODIFY_WRITE = (
    r"{target}\s*(?:\[[^\]]+\]\s*)?[+\-*/|]=|{target}\s*=\s*{target}\s*[+\-*/]|"
    r"{target}\s*\[[^\]]+\]\s*=(?!=)[^\n]*{target}\b"
)  # d[k] = d.get(k, 0) + 1


# Django and Django REST framework views take the request as their first argument (after `self` in a class).
_PY_DJANGO = re.compile(r"^\s*(?:from|import)\s+(?:django|rest_framework)\b", re.MULTILINE)


def _python_handlers(ctx: Context) -> list[Block]:
    """Synchronous functions registered as web request handlers (route decorators, Django views)."""
    django = bool(_PY_DJANGO.search(ctx.all_code))
    handlers = []
    for function in ctx.outline.of_kind("function", "method"):
        if function.is_async:
            continue
        if django and function.params[:1] == ("request",):
            handlers.append(function)
            continue
        if function.kind != "function" or function.decorator_start >= function.start:
            continue
        decorators = ctx.source.span(function.decorator_start, function.start - 1)
        if any(_PY_ROUTE.search(line.code) for line in decorators):
            handlers.append(function)
    return handlers


def _handler_check_then_act(ctx: Context, function: Block, name: str) -> tuple[int, int] | None:
    """A test of module state (`if key not in seen:`, `if cache.get(key) is None:`) whose branch then changes it
    (`seen.append(key)`, `cache[key] = ...`), in a handler, without a lock: the first and the acting line."""
    target = rf"(?<![\w.]){re.escape(name)}"
    test = re.compile(rf"^\s*(?:el)?if\b.*(?:\bin\s+{target}\b|{target}\s*\.\s*get\s*\()")
    act = re.compile(rf"{target}\s*(?:\.\s*(?:append|add|insert|setdefault|update|extend)\s*\(|\[[^\]]+\]\s*=(?!=))")
    for line in ctx.source.span(function.start + 1, function.end):
        if not test.search(line.masked) or ctx.outline.locked(line.number):
            continue
        for following in ctx.source.span(line.number + 1, _branch_end(ctx, line.number)):
            if act.search(following.masked):
                return line.number, following.number
    return None


def _handler_races(ctx: Context, handlers: list[Block]) -> Iterator[Hit]:
    """Read-modify-writes of module state inside request handlers, without a lock."""
    names = [s for s in _python_shared(ctx) if not s.name.startswith("self.")]
    for function in handlers:
        for item in names:
            body = ctx.source.masked_text(function.start, function.end)
            subscripted = re.search(
                rf"(?<![\w.]){re.escape(item.name)}\s*(?:\[|\.\s*(?:append|add|insert|setdefault|"
                rf"update|extend)\s*\()",
                body,
            )
            if not subscripted and not _writes_global(ctx, function, item.name):
                continue  # `n += 1` without `global n` makes a local; `d[k] += 1` updates the module's dict
            target = rf"(?<![\w.]){re.escape(item.name)}"
            acted = _handler_check_then_act(ctx, function, item.name)
            if acted is not None:
                yield Hit(
                    "concurrency/check-then-act",
                    acted[0],
                    acted[1],
                    related=(item.declared_at,),
                    confidence=0.65,
                    detail=f"`{function.name}`, a request handler that runs on several server threads at once, tests "
                    f"`{item.name}` and then changes it without a lock: two requests can both pass the test.",
                )
                continue
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
            if re.search(
                rf"(?<![\w.])(?:this\.)?{name}\.(?:format|parse\w*|digest|update|set\w*|add|roll)\s*\(", use.masked
            ):
                yield Hit(
                    "concurrency/unsynchronized-shared-state",
                    use.number,
                    related=(line.number,),
                    confidence=0.75,
                    detail=f"`{match.group(3)}` is a {match.group(2)} shared by every caller; it keeps state "
                    "between calls and is not thread-safe.",
                )
                break


_BRANCH_LINES = 40  # how far a check's branch is followed


def _branch_end(ctx: Context, number: int) -> int:
    """The last line of the block a check on `number` opens (braces, or a Python suite by its indentation)."""
    first = ctx.source.line(number)
    if first is None:
        return number
    if ctx.source.is_python:
        indent = len(first.masked.expandtabs(4)) - len(first.masked.expandtabs(4).lstrip())
        last = number
        for line in ctx.source.span(number + 1, number + _BRANCH_LINES):
            if line.masked.strip():
                if len(line.masked.expandtabs(4)) - len(line.masked.expandtabs(4).lstrip()) <= indent:
                    break
                last = line.number
        return last
    depth, opened = 0, False
    for line in ctx.source.span(number, number + _BRANCH_LINES):
        for ch in line.masked:
            if ch == "{":
                depth, opened = depth + 1, True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return line.number
    return number


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
    handlers = _python_handlers(ctx) if source.is_python else []
    # module state some code updates under a lock: the lock says threads share it
    guarded = (
        {
            item.name
            for item in shared
            for line in ctx.lines
            if ctx.outline.locked(line.number) and _mutation(item.name, line.masked, False)
        }
        if source.is_python
        else set()
    )
    # A concurrent map makes each call atomic, not a check and the update after it.
    atomic_calls = _java_concurrent_maps(ctx) + _java_lazy_statics(ctx) if source.is_java else []
    for hit in _check_then_act(ctx, shared + atomic_calls):
        # the act's own writes (`if (map == null) { map = new HashMap<>(); map.put(k, v); }`) are this race
        covered.update(range(hit.line, max(hit.last, _branch_end(ctx, hit.line)) + 1))
        yield hit
    # One finding a piece of state, at its first unguarded read-modify-write (`n++`, `d[k] += 1`), else at its
    # first unguarded write: a lost update is the clearer evidence.
    candidates: dict[str, list[tuple[bool, int]]] = {}
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if function is None or line.number in covered or _is_initializer(ctx, function):
            continue
        if ctx.outline.locked(line.number) or _held(ctx, function, line.number):
            continue
        if _before_hand_off(ctx, function, line.number):
            continue
        for item in shared:
            if item.declared_at == line.number and not item.name.startswith("self."):
                continue
            owner = ctx.outline.class_at(line.number)
            if (
                source.is_python
                and item.name.startswith("self.")
                and (not _runs_on_threads(ctx, function) or _per_thread_instance(ctx, owner))
            ):
                continue  # an object's own state, and nothing shows this object used by two threads
            if (
                source.is_python
                and not item.name.startswith("self.")
                and not _runs_on_threads(ctx, function)
                and function not in handlers
                and item.name not in guarded
            ):
                continue  # module state, but nothing shows this function on a thread or the state under a lock
            split = source.is_python and _split_read_modify_write(ctx, function, item.name, line.number)
            if not (split or _mutation(item.name, line.masked, source.is_java)):
                continue
            if source.is_java and (
                _java_local_named(item.name, line.masked)
                or (
                    not re.search(rf"\bthis\.{re.escape(item.name)}\b", line.masked)
                    and _declared_in(ctx, item.name, line.number)
                )
            ):
                continue  # a local variable or parameter of the same name, declared on this line or above it
            if item.volatile and not _read_modify_write(item.name, line.masked):
                continue  # a plain store to a volatile field is seen by every thread at once: no lost update
            if item.reference and (re.match(r"set[A-Z_]", function.name) or _read_only_store(item.name, line.masked)):
                continue  # a setter (configuration, setter injection) or `x.field.call()` style use
            if (
                source.is_java
                and re.match(r"set[A-Z_]", function.name)
                and len(function.params) == 1
                and re.search(
                    rf"^\s*(?:this\.)?{re.escape(item.name)}\s*=\s*{re.escape(function.params[0])}\s*;", line.masked
                )
            ):
                continue  # a bean setter replacing the whole value (setter injection, configuration)
            if (
                source.is_python
                and "." not in item.name
                and not _writes_global(ctx, function, item.name)
                and re.search(rf"(?<![\w.]){re.escape(item.name)}\s*([+\-*/]=|=(?!=))", line.masked)
            ):
                continue  # a local variable that shadows the global
            rmw = split or _read_modify_write(item.name, line.masked)
            candidates.setdefault(item.name, []).append((not rmw, line.number))
    chosen = sorted((min(found)[1], name) for name, found in candidates.items())
    declared = {item.name: item.declared_at for item in shared}
    for number, name in chosen:
        yield Hit(
            "concurrency/unsynchronized-shared-state",
            number,
            related=(declared[name],) if declared.get(name) else (),
            confidence=0.8 if source.is_python or ctx.uses_threads else 0.7,
            detail=f"`{name}` is updated without holding a lock.",
        )
    if source.is_java:
        yield from _java_inconsistent_locking(ctx, {item.name for item in shared} | set(candidates), covered)


_JAVA_STORE = re.compile(
    r"(?<![\w.])(?:this\.)?([A-Za-z_]\w*)\s*(?:\+\+|--|[+\-*/|&]=|=(?!=))|"
    r"(?:\+\+|--)\s*(?:this\.)?([A-Za-z_]\w*)"
)


def _declared_in(ctx: Context, name: str, number: int) -> bool:
    """Whether `name` on line `number` is a local or a parameter of a function around it (else it is a field:
    Java lets a method write no other name)."""
    for function in ctx.outline.enclosing(number, *FUNCTION_KINDS):
        if name in function.params:
            return True
        if any(_java_local_named(name, line.masked) for line in ctx.source.span(function.start, number)):
            return True
    return False


def _java_inconsistent_locking(ctx: Context, known: set[str], covered: set[int]) -> Iterator[Hit]:
    """A field written under a lock in one method and without one in another: the lock says threads share it,
    the other write ignores it. Works without the field's declaration in view (a window of a longer file)."""
    writes: dict[str, list[tuple[bool, bool, int]]] = {}  # name -> (locked, read-modify-write, line)
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if function is None or line.number in covered or _is_initializer(ctx, function):
            continue
        for match in _JAVA_STORE.finditer(line.masked):
            name = match.group(1) or match.group(2)
            if name in known or name in _KEYWORDS_JAVA or _declared_in(ctx, name, line.number):
                continue
            locked = ctx.outline.locked(line.number) or _held(ctx, function, line.number)
            writes.setdefault(name, []).append((locked, _read_modify_write(name, line.masked), line.number))
    for name, found in sorted(writes.items()):
        if not any(locked for locked, _, _ in found):
            continue
        bare = [
            (not rmw, number)
            for locked, rmw, number in found
            if not locked and not _before_hand_off(ctx, ctx.outline.function_at(number), number)  # type: ignore[arg-type]
        ]
        if bare:
            yield Hit(
                "concurrency/unsynchronized-shared-state",
                min(bare)[1],
                related=tuple(number for locked, _, number in found if locked)[:1],
                confidence=0.7,
                detail=f"`{name}` is written under a lock elsewhere, so threads share it; here it is written "
                "without one.",
            )


_KEYWORDS_JAVA = frozenset({"return", "new", "this", "super", "true", "false", "null", "if", "for", "while"})


# Calls that hand work to other threads. What the submitting thread wrote before them, the tasks see (Java's
# executors and Thread.start guarantee it, and so do Python's Thread.start and executor.submit): a reset before
# the tasks start (`count = 0;` then `executor.submit(...)`) is no race.
_HAND_OFF = re.compile(
    r"\.\s*(?:submit|execute|invokeAll|invokeAny|schedule\w*|apply_async)\s*\(|"
    r"\b\w*(?:pool|executor)\w*\s*\.\s*map\s*\(|\bCompletableFuture\s*\.\s*\w+Async\s*\(|"
    r"\brun_in_executor\s*\(|\bto_thread\s*\(|\.parallelStream\s*\(",
    re.IGNORECASE,
)


def _before_hand_off(ctx: Context, function: Block, number: int) -> bool:
    """Whether line `number` is a set-up step of a function that then hands work to threads: it comes before the
    function's first hand-off, not inside a loop that hands work off too, and no thread runs the function itself."""
    if function.name in ctx.thread_run_names or function.name in ("run", "call"):
        return False
    if ctx.source.is_java and re.search(rf"::\s*{re.escape(function.name)}\b", ctx.all_masked):
        return False  # a method reference handed to an executor: the function is a task
    if any(
        re.search(rf"(?<![\w.]){re.escape(function.name)}\s*\(", line.masked)
        and (caller := ctx.outline.function_at(line.number)) is not None
        and not caller.name
        for line in ctx.lines
    ):
        return False  # called from a lambda (a thread's body, a task): it may run on another thread
    threads = set(re.findall(r"(\w+)\s*=\s*(?:new\s+Thread\s*\(|(?:threading\s*\.\s*)?Thread\s*\()", ctx.all_masked))
    started = re.compile(
        rf"\b(?:{'|'.join(map(re.escape, sorted(threads)))})\s*\.\s*start\s*\("
        if threads
        else r"\bThread\s*\(.*\)\s*\.\s*start\s*\("
    )
    hand_offs = [
        line.number
        for line in ctx.source.span(function.start, function.end)
        if _HAND_OFF.search(line.masked)
        or started.search(line.masked)
        or re.search(r"\bThread\s*\(.*\)\s*\.\s*start\s*\(", line.masked)
    ]
    if not hand_offs or hand_offs[0] <= number:
        return False
    loop = ctx.outline.in_loop(number)
    return loop is None or not any(loop.start <= n <= loop.end for n in hand_offs)


def _runs_on_threads(ctx: Context, function: Block) -> bool:
    """Whether a Python method is seen running on a thread: handed to one (or called by such a method), or a
    method of a threading.Thread subclass. An object's fields race only where its methods run on two threads."""
    if function.name in ctx.thread_run_names:
        return True
    owner = ctx.outline.class_at(function.start)
    return owner is not None and any(re.search(r"\bThread$", base) for base in owner.bases)


_TAKE_LOCK = re.compile(r"\.\s*(?:lock|lockInterruptibly|acquire)\s*\(\s*\)|\.\s*tryLock\s*\(")
_RELEASE_LOCK = re.compile(r"\.\s*(?:unlock|release)\s*\(\s*\)")


def _held(ctx: Context, function: Block | None, number: int) -> bool:
    """Whether an explicit lock (`lock.lock(); try { ... } finally { lock.unlock(); }`, `lock.acquire()` ...
    `lock.release()`) taken earlier in the function is still held on line `number`."""
    if function is None:
        return False
    depth = 0
    for line in ctx.source.span(function.start, number - 1):
        depth += len(_TAKE_LOCK.findall(line.masked)) - len(_RELEASE_LOCK.findall(line.masked))
    return depth > 0


def _split_read_modify_write(ctx: Context, function: Block, name: str, number: int) -> bool:
    """Whether line `number` writes `name` back from a local copy read earlier in the same function, outside a lock
    (`local = self.value`, `local += 1`, then `self.value = local`): a lost update spread over statements."""
    target = rf"(?<![\w.]){re.escape(name)}\b"
    line = ctx.source.line(number)
    store = re.match(rf"\s*{target}\s*=(?!=)\s*(.+)$", line.masked) if line else None
    if store is None:
        return False
    copies: dict[str, int] = {}
    for earlier in ctx.source.span(function.start + 1, number - 1):
        read = re.match(r"\s*(\w+)\s*=(?!=)\s*(.+)$", earlier.masked)
        if read and re.search(target, read.group(2)) and not ctx.outline.locked(earlier.number):
            copies[read.group(1)] = earlier.number
    for copy, read_at in copies.items():
        mention = rf"(?<![\w.]){re.escape(copy)}\b"
        if not re.search(mention, store.group(1)):
            continue
        if store.group(1).strip() != copy:
            return True  # `self.value = copy + 1`
        # `self.value = copy` writes back a changed copy (`copy += 1` between), not a saved value restored
        between = ctx.source.masked_text(read_at + 1, number - 1)
        if re.search(rf"{mention}\s*([+\-*/|&]=|=(?!=))", between):
            return True
    return False


def _java_local_named(name: str, masked: str) -> bool:
    """Whether `masked` declares a local variable called `name` (`int count = 0;`, `for (String name : names)`)."""
    declared = re.search(
        rf"(?:^|[(;{{,]|\bfinal)\s*([A-Za-z_][\w.]*(?:<[^=;()]*>)?(?:\[\])*)\s+{re.escape(name)}\s*[=:;]", masked
    )
    return declared is not None and declared.group(1) not in ("return", "throw", "new", "else", "case")


def _read_only_store(name: str, masked: str) -> bool:
    """Whether the only match of `name` in `masked` is a use, not a store (`this.client.send(x)`)."""
    return not re.search(
        rf"(?<![\w.])(?:this\.)?{re.escape(name)}\s*(=(?!=)|\+\+|--|[+\-*/|&]=)|"
        rf"(\+\+|--)(?:this\.)?{re.escape(name)}\b",
        masked,
    )


def _read_modify_write(name: str, masked: str) -> bool:
    """Whether `masked` reads `name` and writes it back in one statement (`n++`, `n += 1`, `n = n + 1`)."""
    target = rf"(?<![\w.])(?:this\.)?{re.escape(name)}\b" if "." not in name else rf"(?<![\w.]){re.escape(name)}"
    return bool(
        re.search(
            rf"{target}\s*(?:\[[^\]]+\]\s*)?(\+\+|--|[+\-*/|&]=)|(\+\+|--){target}|"
            rf"{target}\s*=\s*{target}\s*[+\-*/]",
            masked,
        )
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
        if match and (
            re.match(r"Concurrent\w*Map\b", match.group(2)) or re.search(r"=\s*new\s+Concurrent\w*Map\b", line.masked)
        ):
            shared_field = "static" in match.group(1).split() or bool(_SHARED_JAVA_CLASS.search(ctx.all_code))
            if shared_field or ctx.uses_threads:
                found.append(_Shared(match.group(3), line.number))
    return found


def _java_lazy_statics(ctx: Context) -> list[_Shared]:
    """Static, non-final reference fields: set lazily (`if (instance == null) instance = new ...`) they are a
    check-then-act whoever calls first; SpotBugs reports the same (LI_LAZY_INIT_STATIC, DC_DOUBLECHECK). Instance
    fields too in a class that synchronizes elsewhere: its author shares its objects between threads, so a lazy
    `if (worker == null) worker = new Thread(...)` outside the lock can run twice (SpotBugs' IS2_INCONSISTENT_SYNC)."""
    guarded = bool(re.search(r"\bsynchronized\b", ctx.all_masked))
    found = []
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if match is None:
            continue
        modifiers, type_name = match.group(1).split(), match.group(2)
        if ("static" not in modifiers and not guarded) or "final" in modifiers or _JAVA_PRIMITIVE.match(type_name):
            continue
        if _JAVA_SAFE_TYPE.match(type_name) or type_name in ("return", "throw", "package", "String"):
            continue
        found.append(_Shared(match.group(3), line.number, volatile="volatile" in modifiers))
    return found


def _writes_global(ctx: Context, function: Block, name: str) -> bool:
    body = ctx.source.masked_text(function.start, function.end)
    return bool(re.search(rf"\bglobal\b[^\n]*\b{re.escape(name)}\b", body))


def _java_map_lookup(ctx: Context, local: str, number: int) -> str | None:
    """The field a local checked for null on line `number` was just read from (`V v = cache.get(k);` up to two
    lines before), as `cache`; None when it was not."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(local)}\s*=\s*(?:this\.)?(\w+)\.get\s*\(")
    for earlier in ctx.source.span(max(1, number - 2), number - 1):
        found = pattern.search(earlier.masked)
        if found:
            return found.group(1)
    return None


def _checked_again(ctx: Context, container: str, first: int, last: int) -> bool:
    """Whether lines `first`..`last` (inside the lock) test `container` again before setting it."""
    attribute = container.rsplit(".", 1)[-1]
    return any(
        re.search(rf"\b(?:if|while)\b[^\n]*\b{re.escape(attribute)}\b", line.masked)
        or re.search(rf"\bif\b[^\n]*\bhasattr\s*\([^)]*['\"]{re.escape(attribute)}['\"]", line.code)
        for line in ctx.source.span(first, last)
    )


def _singleton_class(ctx: Context, owner: Block | None) -> bool:
    """A Python class that hands every caller one shared instance (`_instance`, or a `__new__` that keeps one)."""
    if owner is None:
        return False
    body = ctx.source.masked_text(owner.start, owner.end)
    return bool(re.search(r"\b_instance\b|\bdef\s+__new__\b", body))


def _python_lazy_check(ctx: Context, line: Line, function: Block) -> str | None:
    """The attribute a Python test of absence checks (`if not cls._instance:`, `if not hasattr(Singleton,
    "_instance"):`), as `cls._instance` / `Singleton._instance`; an instance's own attribute (`self.cache`) only in a
    class whose one instance every caller shares (a singleton) or in a method seen running on threads."""
    match = re.search(r"\bif\s+not\s+((?:self|cls|[A-Z]\w*)\.\w+)\s*:", line.masked)
    container = match.group(1) if match else None
    if container is None:
        found = re.search(r"\bif\s+not\s+hasattr\s*\(\s*(self|cls|[A-Z]\w*)\s*,\s*['\"](\w+)['\"]\s*\)\s*:", line.code)
        container = f"{found.group(1)}.{found.group(2)}" if found else None
    if container is None:
        return None
    if container.startswith("self.") and not (
        _singleton_class(ctx, ctx.outline.class_at(line.number)) or _runs_on_threads(ctx, function)
    ):
        return None
    return container


def _per_thread_instance(ctx: Context, owner: Block | None) -> bool:
    """Whether every instance of a Python class the shown code makes is a local of a function that a thread runs
    (`db = Database()` inside the target): each thread then has its own, and its attributes are not shared."""
    if owner is None or not owner.name or _singleton_class(ctx, owner):
        return False
    made = [
        line
        for line in ctx.lines
        if re.search(rf"(?<![\w.]){re.escape(owner.name)}\s*\(", line.masked) and line.number != owner.start
    ]
    if not made:
        return False
    for line in made:
        function = ctx.outline.function_at(line.number)
        local = re.match(rf"^\s*\w+\s*=\s*{re.escape(owner.name)}\s*\(", line.masked)
        if function is None or not local or function.name not in ctx.thread_run_names or owner.contains(line.number):
            return False
    return True


def _check_then_act(ctx: Context, shared: list[_Shared]) -> Iterator[Hit]:
    names = [s.name for s in shared]
    volatile = {s.name for s in shared if s.volatile}
    source = ctx.source
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if ctx.outline.locked(line.number) or function is None or _held(ctx, function, line.number):
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
        elif source.is_python:
            container = _python_lazy_check(ctx, line, function)
        if container is None:
            continue
        if container.startswith("self.") and _per_thread_instance(ctx, ctx.outline.class_at(line.number)):
            continue  # each thread makes its own instance: its attributes are not shared
        # `V v = map.get(k); if (v == null) { ...; map.put(k, v); }`: the check reads the map through a local
        looked_up = source.is_java and _java_map_lookup(ctx, container, line.number)
        if looked_up:
            container = looked_up
        bare = container.removeprefix("this.")
        if (
            container not in names
            and bare not in names
            and not container.startswith("cls.")
            and not (source.is_python and container.split(".")[0] in {c.name for c in ctx.outline.of_kind("class")})
        ):
            continue
        for later in source.span(line.number + 1, line.number + 4):
            act = re.search(
                rf"(?<![\w]){re.escape(container)}\s*(\[[^\]]+\]\s*)?=(?!=)|"
                rf"(?<![\w]){re.escape(container)}\.(put|add|append|setdefault)\s*\(",
                later.masked,
            )
            if act:
                rechecked = ctx.outline.locked(later.number)
                if rechecked and looked_up:
                    break  # looked up again and put under the lock: the usual, correct idiom for a map
                checked_again = rechecked and _checked_again(ctx, container, line.number + 1, later.number - 1)
                if checked_again and (bare in volatile or source.is_python):
                    # double-checked locking: correct on a volatile field since Java 5, and in Python, where a name
                    # is bound only to a finished object
                    break
                if rechecked and not checked_again:
                    detail = (
                        f"`{bare}` is checked outside the lock and set inside it without checking again: two "
                        "threads can both pass the check, then each create and set it in turn."
                    )
                elif rechecked:
                    detail = (
                        f"`{bare}` is checked outside the lock and set inside it: double-checked locking on a "
                        "field that is not volatile, so another thread can see a half-built object."
                    )
                else:
                    detail = f"`{container}` is checked and then updated as two separate steps."
                yield Hit("concurrency/check-then-act", line.number, later.number, confidence=0.8, detail=detail)
                break


_PY_BLOCKING = re.compile(
    r"\btime\.sleep\s*\(|\brequests\.(get|post|put|delete|patch|head|request)\s*\(|"
    r"\bhttpx\.(get|post|put|delete|patch|head|request|stream)\s*\(|"
    r"\burlopen\s*\(|\bsubprocess\.(run|call|check_output|check_call|Popen)\s*\(|\bos\.(system|popen)\s*\(|"
    r"\bsocket\.create_connection\s*\("
)
_JS_BLOCKING = re.compile(r"\b\w+Sync\s*\(|\bAtomics\.wait\s*\(")
# Calls that run their argument on a worker thread instead of the event loop.
_OFF_LOOP = re.compile(r"\b(run_in_executor|to_thread|run_sync|sync_to_async|run_in_threadpool|submit)\s*\(")
# Route handlers by their exported name (Next.js app router, SvelteKit, Astro endpoints): `export function GET()`.
_JS_SERVING = re.compile(
    r"\b(?:express|koa|fastify|hapi|restify|socket\.io|ws|discord\.js|telegraf|next/server|electron)\b|"
    r"\bcreateServer\s*\(|\b(?:app|router|server|api|fastify)\.(?:get|post|put|patch|delete|use|all|route|on)\s*\(|"
    r"\baddEventListener\s*\(|\.on\s*\(\s*[\"'](?:message|request|connection|data|interactionCreate)[\"']|"
    r"\bexport\s+(?:async\s+)?function\s+(?:GET|POST|PUT|PATCH|DELETE)\b|\bself\.onmessage\b|\bonmessage\s*="
)
_JS_VERB_HANDLER = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$")


def _js_request_handler(function: Block) -> bool:
    """Whether a JS/TS function serves requests: `(req, res)` handlers and exported HTTP-verb route handlers."""
    if {"req", "res"} <= set(function.params) or {"request", "response"} <= set(function.params):
        return True
    return bool(_JS_VERB_HANDLER.match(function.name)) and function.header.lstrip().startswith("export")


# Blocking calls in Java reactive code (Reactor's event-loop threads, as BlockHound reports them).
_JAVA_BLOCKING = re.compile(
    r"\bThread\.sleep\s*\(|\.block(?:First|Last)?\s*\(\s*\)|\.toFuture\s*\(\s*\)\.get\s*\(|"
    r"\brestTemplate\.\w+\s*\(|\bnew\s+RestTemplate\s*\(|\.execute(?:Query|Update)?\s*\(|"
    r"\bFiles\.(?:readAll\w*|write\w*|lines)\s*\("
)
_JAVA_REACTIVE = re.compile(r"\b(?:Mono|Flux)\s*<")


def _java_blocking_in_reactive(ctx: Context) -> Iterator[Hit]:
    """A method that returns a Mono/Flux (so it runs on Reactor's few event-loop threads) and blocks inside."""
    for function in ctx.outline.of_kind(*FUNCTION_KINDS):
        if not _JAVA_REACTIVE.search(function.header.split("(")[0]):
            continue
        for line in ctx.source.span(function.start + 1, function.end):
            if (
                _JAVA_BLOCKING.search(line.masked)
                and "subscribeOn" not in ctx.source.masked_text(function.start, function.end)
                and "publishOn" not in line.masked
            ):
                yield Hit(
                    "concurrency/blocking-call-in-async",
                    line.number,
                    confidence=0.75,
                    detail=f"`{function.name}` returns a reactive type, so it runs on an event-loop thread; "
                    "this call blocks that thread and every request queued on it.",
                )
                break


def detect_blocking_in_async(ctx: Context) -> Iterator[Hit]:
    """Blocking calls that freeze an event loop: made directly, or through a synchronous helper defined here."""
    source = ctx.source
    if source.is_java:
        yield from _java_blocking_in_reactive(ctx)
        return
    if not (source.is_python or source.is_js):
        return
    pattern = _PY_BLOCKING if source.is_python else _JS_BLOCKING
    # JS: an event loop that serves others (a server, a bot, a page) in view of the code; one-shot tooling blocks
    # nobody but itself
    serving = source.is_js and bool(_JS_SERVING.search(ctx.all_code))
    functions = ctx.outline.of_kind(*FUNCTION_KINDS)
    blocking_helpers = ctx.helpers_matching(pattern) - {f.name for f in functions if f.is_async}
    helper_lines = {f.name: f.start for f in functions if f.name in blocking_helpers}
    # where each helper blocks: its own first blocking call, reported once for all the handlers that call it
    blocks_at = {
        f.name: next((line.number for line in ctx.body_lines(f) if pattern.search(line.masked)), f.start)
        for f in functions
        if f.name in blocking_helpers
    }
    callers: dict[str, list[tuple[int, str]]] = {}
    for line in ctx.lines:
        direct = bool(pattern.search(line.masked))
        helper = None if direct else ctx.calls_any(line.masked, blocking_helpers)
        if not direct and helper is None:
            continue
        if _OFF_LOOP.search(line.masked):
            continue  # handed to a worker thread: the loop goes on
        function = ctx.outline.function_at(line.number)
        if function is None or function.kind not in FUNCTION_KINDS or function.name == helper:
            continue
        handler = source.is_js and _js_request_handler(function)
        if not (function.is_async or handler):
            continue
        if source.is_js and not handler and not serving:
            continue  # an async step of a build script or CLI: nothing else waits on its event loop
        name = function.name or "this callback"
        if helper is not None:
            callers.setdefault(helper, []).append((line.number, name))
        elif function.is_async:
            yield Hit(
                "concurrency/blocking-call-in-async",
                line.number,
                confidence=0.9,
                detail=f"`{name}` is async but blocks here.",
            )
        else:
            yield Hit(
                "concurrency/blocking-call-in-async",
                line.number,
                confidence=0.7,
                detail="A request handler blocks the event loop with synchronous I/O.",
            )
    for helper, calls in callers.items():
        if len(calls) == 1:  # one caller: the finding is where it calls the helper
            ((number, name),) = calls
            yield Hit(
                "concurrency/blocking-call-in-async",
                number,
                related=(helper_lines[helper],),
                confidence=0.75,
                detail=f"`{name}` runs on the event loop and calls `{helper}`, which blocks "
                f"(line {helper_lines[helper]}).",
            )
        else:  # a helper many handlers share: the fix is in the helper, reported once where it blocks
            yield Hit(
                "concurrency/blocking-call-in-async",
                blocks_at[helper],
                related=tuple(number for number, _ in calls[:5]),
                confidence=0.75,
                detail=f"`{helper}` blocks here, and {len(calls)} callers run it on the event loop "
                f"(lines {', '.join(str(number) for number, _ in calls[:5])}).",
            )


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
            yield Hit(
                "concurrency/useless-lock",
                line.number,
                confidence=0.9,
                detail="The lock is created on this line, so each call holds a different one.",
            )
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
            yield Hit(
                "concurrency/useless-lock",
                line.number,
                confidence=0.85,
                detail=f"`{local.group(1)}` is a new lock on every call of `{function.name}`.",
            )


def detect_replaced_lock(ctx: Context) -> Iterator[Hit]:
    """Locks on an object the code replaces while running (`synchronized (count) { count++; }` on an Integer,
    `self._lock = Lock()` in a method): threads that arrive before and after the swap hold different locks."""
    if not (ctx.source.is_python or ctx.source.is_java):
        return
    if ctx.source.is_java:
        taken_at = re.compile(r"\bsynchronized\s*\(\s*(?:this\.)?(\w+)\s*\)")
    else:
        taken_at = re.compile(
            r"^\s*(?:async\s+)?with\s+((?:self\.|cls\.)?\w+)\s*:|"
            r"\b((?:self\.|cls\.)?\w+)\.acquire\s*\("
        )
    fields = _java_field_names(ctx) if ctx.source.is_java else set()
    reported: set[str] = set()
    for line in ctx.lines:
        match = taken_at.search(line.masked)
        if match is None:
            continue
        name = match.group(1) or (match.group(2) if match.lastindex and match.lastindex >= 2 else None)
        if not name or name in reported or name in ("this", "self", "cls"):
            continue
        if ctx.source.is_java and name not in fields:
            continue  # a local or a parameter: the useless-lock detector judges those
        if ctx.source.is_python and "." not in name and not _python_global_lock(ctx, name):
            continue
        replaced = _replaced_at(ctx, name, java=ctx.source.is_java)
        if replaced is None:
            continue
        reported.add(name)
        yield Hit(
            "concurrency/useless-lock",
            line.number,
            related=(replaced,),
            confidence=0.8,
            detail=f"`{name}` is replaced by another object on line {replaced} while threads lock it, so "
            "threads can hold different locks at once.",
        )


def _java_field_names(ctx: Context) -> set[str]:
    names = set()
    for line in ctx.lines:
        if ctx.outline.function_at(line.number) or not ctx.outline.class_at(line.number):
            continue
        match = _JAVA_FIELD.match(line.masked)
        if match and "final" not in match.group(1).split():
            names.add(match.group(3))
    return names


def _python_global_lock(ctx: Context, name: str) -> bool:
    """Whether `name` is a module-level variable (so a function's `global name` rebinds the shared one)."""
    return name in module_globals(ctx.source)


def _replaced_at(ctx: Context, name: str, *, java: bool) -> int | None:
    """The first line, in a method that is not an initializer, that stores a new object in `name`."""
    target = rf"(?<![\w.])(?:this\.)?{re.escape(name)}\b" if java else rf"(?<![\w.]){re.escape(name)}\b"
    store = re.compile(rf"{target}\s*(=(?!=)|\+\+|--|[+\-*/|&]=)|(\+\+|--){target}")
    for line in ctx.lines:
        function = ctx.outline.function_at(line.number)
        if function is None or _is_initializer(ctx, function) or not store.search(line.masked):
            continue
        if not java and "." not in name and not _writes_global(ctx, function, name):
            continue  # a local of the same name
        return line.number
    return None


# Whole-file reads and writes, with the path as their first argument.
_JS_FILE_READ = re.compile(r"\breadFile(Sync)?\s*\(\s*([^,()]+(?:\([^()]*\))?[^,()]*)")
_JS_FILE_WRITE = re.compile(r"\bwriteFile(Sync)?\s*\(\s*([^,()]+(?:\([^()]*\))?[^,()]*)")
_PY_FILE_OPEN = re.compile(r"(?<![\w.])open\s*\(\s*([^,()]+(?:\([^()]*\))?[^,()]*)")


def detect_file_lost_update(ctx: Context) -> Iterator[Hit]:
    """A request handler (or threaded code) that reads a whole file, changes it and writes it back: two requests
    that interleave both read the old content, and the second write drops the first one's change."""
    source = ctx.source
    if source.is_js:
        handlers = [f for f in ctx.outline.of_kind(*FUNCTION_KINDS) if _js_request_handler(f)]
    elif source.is_python:
        handlers = _python_handlers(ctx)
        if ctx.uses_threads:
            handlers += [f for f in ctx.outline.of_kind(*FUNCTION_KINDS) if f not in handlers]
    else:
        return
    reported: set[int] = set()
    for handler in handlers:
        reads: list[tuple[int, str, bool]] = []  # line, path expression, synchronous (JS) / always True (Python)
        for line in ctx.source.span(handler.start, handler.end):
            if line.number in reported or ctx.outline.locked(line.number):
                continue
            for path, sync, writes in _file_calls(line.masked, line.code, js=source.is_js):
                if not writes:
                    reads.append((line.number, path, sync))
                    continue
                for number, read_path, read_sync in reads:
                    interleaves = (
                        not source.is_js or not (read_sync and sync) or _awaits_between(ctx, number, line.number)
                    )
                    if read_path == path and interleaves and number not in reported:
                        reported.add(number)
                        yield Hit(
                            "concurrency/check-then-act",
                            number,
                            line.number,
                            confidence=0.7,
                            detail=f"`{handler.name or 'this handler'}` reads `{path}` and writes it back "
                            f"on line {line.number}: requests that overlap both read the old "
                            "content, and the last write drops the other's change.",
                        )
                        break


def _file_calls(masked: str, code: str, *, js: bool) -> list[tuple[str, bool, bool]]:
    """(path expression, synchronous, writes) for each whole-file read or write on the line."""
    calls = []
    if js:
        for pattern, writes in ((_JS_FILE_READ, False), (_JS_FILE_WRITE, True)):
            for match in pattern.finditer(masked):
                path = code[match.start(2) : match.end(2)].strip()
                calls.append((re.sub(r"\s+", "", path), bool(match.group(1)), writes))
        return calls
    for match in _PY_FILE_OPEN.finditer(masked):
        path = re.sub(r"\s+", "", code[match.start(1) : match.end(1)])
        rest = code[match.end(1) :]
        mode = re.match(r"\s*,\s*(?:mode\s*=\s*)?['\"]([rwab+xt]+)['\"]", rest)
        writes = mode is not None and any(c in mode.group(1) for c in "wa")
        calls.append((path, True, writes))
    return calls


def _awaits_between(ctx: Context, first: int, last: int) -> bool:
    text = ctx.source.masked_text(first, last)
    return bool(re.search(r"\bawait\b|\.then\s*\(", text))


# A value read into a local: `const v = await loadX(...)`, `v = self.x`.
_JS_LOCAL_READ = re.compile(r"^\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(await\s+)?(.+?);?\s*$")
_PY_LOCAL_READ = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*(await\s+)?(.+?)\s*$")
# A call that reads a named piece of stored state (`loadBalance(`, `db.get_stock(`): its noun names the state.
_LOAD_CALL = re.compile(r"^(?:[\w$.]+\.)?(?:get|load|read|fetch|find)_?([A-Za-z]\w*)\s*\(")
_SAVE_VERBS = r"(?:set|save|update|write|put|store|persist)"
# Code that serializes its callers: an async mutex or semaphore, a lock flag, a queue of jobs.
_SERIALIZED = re.compile(r"(?i)mutex|lock|semaphore|\bqueue\b|runExclusive|\bacquire\s*\(")
_JS_OUTER_STATE = re.compile(r"^\s*(?:export\s+)?(?:let|var)\s+([A-Za-z_$][\w$]*)\s*=")


def _uses(names: set[str], text: str) -> bool:
    return any(re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", text) for name in names)


def _only_awaited_one_by_one(ctx: Context, function: Block) -> bool:
    """Whether the shown code calls `function` and every call waits for it before the next (`await f()` as a
    statement): callers then never overlap. A function no shown code calls (a handler, an export) may overlap."""
    if not function.name:
        return False
    calls = [
        line.masked[: match.start()]
        for line in ctx.lines
        if not function.contains(line.number)
        for match in re.finditer(rf"(?<![\w$.]){re.escape(function.name)}\s*\(", line.masked)
    ]
    return bool(calls) and all(re.search(r"^\s*(?:return\s+)?await\s+(?:[\w$]+\.)?$", before) for before in calls)


def detect_async_lost_update(ctx: Context) -> Iterator[Hit]:
    """A lost update across an await (ESLint's require-atomic-updates, in this project's terms): an async function
    reads shared state into a local (`const b = await loadBalance()`, `v = self.count`), awaits, and writes back a
    value computed from the old one (`await saveBalance(b + 50)`, `self.count = v + 1`). Calls of it that overlap
    both read the old value, and the last write drops the other's change: the event loop is single-threaded, but
    an await lets another call run in the middle. Not when the function serializes its callers (a mutex, a lock
    flag, a queue) or the shown code only ever awaits it one call after another."""
    source = ctx.source
    if not (source.is_js or source.is_python):
        return
    local_read = _PY_LOCAL_READ if source.is_python else _JS_LOCAL_READ
    functions = [f for f in ctx.outline.of_kind(*FUNCTION_KINDS) if f.is_async]
    for function in functions:
        body = source.masked_text(function.start, function.end)
        if _SERIALIZED.search(body) or _only_awaited_one_by_one(ctx, function):
            continue
        if source.is_python:
            outer = set(module_globals(source)) | {f"self.{m}" for m in re.findall(r"\bself\.(\w+)\s*=(?!=)", body)}
        else:
            outer = {
                m.group(1)
                for line in ctx.lines
                if not function.contains(line.number)
                for m in [_JS_OUTER_STATE.match(line.masked)]
                if m
            }
        lines = source.span(function.start + 1, function.end)
        for index, line in enumerate(lines):
            read = local_read.match(line.masked)
            if read is None:
                continue
            local, awaited, expression = read.group(1), bool(read.group(2)), read.group(3).strip()
            load = _LOAD_CALL.match(expression) if awaited else None
            state = expression if not awaited and expression in outer and expression != local else None
            if load is None and state is None:
                continue
            write = (
                re.compile(rf"(?i)(?:await\s+)?(?:[\w$.]+\.)?{_SAVE_VERBS}_?{re.escape(load.group(1))}\s*\((.*)")
                if load
                else re.compile(rf"^\s*{re.escape(state or '')}\s*=(?!=)\s*(.+)")
            )
            derived = {local}
            for later in lines[index + 1 :]:
                found = write.search(later.masked)
                # `updateUserById(user.id, {...})` names the record by the old read's key: only a value built
                # from the old read (`b + 50`, the object itself) writes the stale state back
                written = re.sub(r"(?<=[\w$])\.(?:_?id|Id|ID|uuid|key|pk)\b", ".", found.group(1)) if found else ""
                if found and re.fullmatch(rf"\s*{re.escape(local)}\s*[);]*\s*", found.group(1)):
                    break  # the old value put back as it was (`self.state = saved` in a finally): a restore
                if (
                    found
                    and _uses(derived, re.sub(r"(?<![\w$.])[A-Za-z_$][\w$]*\.(?=[^\w$]|$)", "", written))
                    and (load is not None or _awaits_between(ctx, line.number, later.number - 1))
                ):
                    what = f"`{load.group(0).rstrip('(').strip()}`" if load else f"`{state}`"
                    yield Hit(
                        "concurrency/check-then-act",
                        line.number,
                        later.number,
                        confidence=0.7,
                        detail=f"{what} is read into `{local}` and written back from it after an await: two "
                        "calls that overlap both read the old value, and the last write drops the "
                        "other's update.",
                    )
                    break
                step = local_read.match(later.masked)
                if step and _uses(derived, step.group(3)):
                    derived.add(step.group(1))


DETECTORS = (
    detect_shared_state,
    detect_useless_lock,
    detect_replaced_lock,
    detect_blocking_in_async,
    detect_file_lost_update,
    detect_async_lost_update,
)
