"""Coupling detectors: hard-wired collaborators, Law-of-Demeter chains, hub classes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit

# Classes whose instantiation is construction of a value or primitive, not a collaborator.
_NEUTRAL_CLASSES = re.compile(
    r"^(?:\w*(?:Map|Set|List|Array|Error|Exception|Lock|Atomic\w*|Builder|Date|DateTime|Random|"
    r"Logger|Pattern|Mapper|Semaphore|Queue|Deque|Event|EventEmitter|Emitter|URL|URLSearchParams|"
    r"Promise|RegExp|Object|Buffer|AbortController|Subject|BehaviorSubject|Condition|Counter|"
    r"OrderedDict|Path|Decimal|UUID|Dict|Tuple|Vector|Stack|Thread|ThreadLocal|Timer|Timestamp|"
    r"Duration|Instant|Properties|StringBuilder|StringBuffer|Gson|Optional|Lazy|WeakRef|"
    r"Namespace|Struct|Config|Options|Settings|Params|Metrics|Stats|Clock|Mutex|Barrier|"
    r"Enum|Type|Key|Value|Id|Name|Point|Money|Amount|Color|Size|Rect|Image|Font)|[A-Z0-9_]+)$"
)
_COLLABORATOR = re.compile(
    r"(Service|Repository|Repo|Client|Gateway|Dao|DAO|Manager|Sender|Notifier|Mailer|Provider|"
    r"Store|Adapter|Connection|Processor|Api|API|Engine|Validator|Factory|Calculator|Generator|"
    r"Exporter|Importer|Publisher|Cache|Auditor|Formatter|Renderer|Parser|Scheduler|Controller|"
    r"Handler|Writer|Reader|Loader|Database|Db|DB|Session|Producer|Consumer|Storage|Bus|Queue)$"
)
_NEUTRAL_MODULES = frozenset(
    {"threading", "collections", "queue", "logging", "datetime", "decimal", "pathlib", "uuid",
     "random", "asyncio", "typing", "dataclasses", "enum", "re", "time", "itertools", "functools"}
)
_PY_CTOR_NEW = re.compile(r"\bself\.\w+\s*(?::[^=]+)?=\s*(?:(\w+)\.)?([A-Z]\w*)\s*\(")
_PY_CTOR_CONNECT = re.compile(r"\bself\.\w+\s*=\s*(\w+)\.(connect|client|Session|create_engine)\s*\(")
_BRACE_NEW = re.compile(r"(?:\bthis\.\w+|\b\w+)\s*=\s*new\s+([A-Z]\w*)\s*[(<]")
_JAVA_FIELD_NEW = re.compile(
    r"^\s*(?:(?:private|protected|public|final)\s+)+([A-Z]\w*)(?:<[^>]*>)?\s+\w+\s*=\s*new\s+([A-Z]\w*)\s*[(<]"
)


def detect_constructor_instantiation(ctx: Context) -> Iterator[Hit]:
    """Constructors (and Java field initializers) that build their own collaborators."""
    lines: list[tuple[int, str]] = []
    for ctor in ctx.outline.of_kind("method"):
        if not ctor.is_constructor:
            continue
        for line in ctx.body_lines(ctor):
            if " or " in line.masked or "??" in line.masked or "||" in line.masked:
                continue  # an injectable default, not a hard-wired dependency
            if ctx.source.is_python:
                match = _PY_CTOR_NEW.search(line.masked)
                if match and (match.group(1) or "") not in _NEUTRAL_MODULES:
                    lines.append((line.number, match.group(2)))
                elif (connect := _PY_CTOR_CONNECT.search(line.masked)) and connect.group(1) not in _NEUTRAL_MODULES:
                    lines.append((line.number, f"{connect.group(1)}.{connect.group(2)}"))
            else:
                match = _BRACE_NEW.search(line.masked)
                if match:
                    lines.append((line.number, match.group(1)))
    if ctx.source.is_java:
        for line in ctx.lines:
            if ctx.outline.function_at(line.number) is not None:
                continue
            match = _JAVA_FIELD_NEW.match(line.masked)
            if match and "static" not in line.masked:
                lines.append((line.number, match.group(2)))
    for number, name in lines:
        short = name.rsplit(".", 1)[-1]
        if _NEUTRAL_CLASSES.match(short) and not _COLLABORATOR.search(short):
            continue
        confidence = 0.8 if _COLLABORATOR.search(short) or "." in name else 0.6
        yield Hit("coupling/constructor-instantiation", number, confidence=confidence,
                  detail=f"`{name}` is created here instead of being passed in.")


_CHAIN = re.compile(r"(?<![\w.)\]])([A-Za-z_$][\w$]*)((?:\s*\.\s*[A-Za-z_$][\w$]*){3,})")
_CHAIN_ROOTS = frozenset(
    {"os", "sys", "java", "javax", "org", "com", "net", "io", "System", "Math", "np", "pd", "torch",
     "tf", "django", "settings", "config", "process", "window", "document", "module", "exports",
     "console", "logging", "datetime", "collections", "concurrent", "xml", "email", "urllib",
     "http", "importlib", "json", "event", "e", "evt", "req", "request", "res", "response", "ctx",
     "context", "props", "state", "args", "options", "opts", "cfg", "err", "error", "Object",
     "Array", "Promise", "Files", "Paths", "Collectors", "Stream", "Arrays", "Collections",
     "super", "cls", "app", "router", "React", "self.__class__", "Thread", "TimeUnit", "android",
     "kotlin", "scala", "jakarta", "lombok", "springframework", "it", "expect", "assert",
     "mock", "jest", "pytest", "unittest", "string", "String", "Integer", "Long", "locale"}
)
_TRAILING_BUILTINS = frozenset(
    {"trim", "length", "lower", "upper", "strip", "split", "toString", "size", "isEmpty", "equals",
     "toUpperCase", "toLowerCase", "get", "format", "append", "add", "join", "items", "keys",
     "values", "count", "map", "filter", "then", "catch", "stream", "forEach", "push", "name",
     "id", "value", "isPresent", "orElse", "startswith", "endswith", "replace", "encode", "decode"}
)


def detect_law_of_demeter(ctx: Context) -> Iterator[Hit]:
    """Navigation through four or more objects in one expression."""
    for line in ctx.lines:
        masked = line.masked
        if re.match(r"^\s*(import|from|package|using|#include|@)", masked):
            continue
        flattened = re.sub(r"\(\s*\)", "", masked)  # getters: a.getB().getC() -> a.getB.getC
        for match in _CHAIN.finditer(flattened):
            root = match.group(1)
            segments = [s.strip() for s in match.group(2).split(".") if s.strip()]
            if root in _CHAIN_ROOTS:
                continue
            if root in ("self", "this") and segments:
                segments = segments[1:]
                root = "self"
            while segments and segments[-1] in _TRAILING_BUILTINS:
                segments.pop()
            if len(segments) >= 3 and not all(s.isupper() for s in segments):
                yield Hit("coupling/law-of-demeter", line.number, confidence=0.6,
                          detail=f"`{match.group(0).strip()}` reaches through {len(segments)} objects.")
                break


def detect_god_class(ctx: Context) -> Iterator[Hit]:
    """Classes that depend on many distinct collaborator types."""
    for klass in ctx.outline.of_kind("class"):
        text = ctx.source.masked_text(klass.start, klass.end)
        names = {
            name for name in re.findall(r"\b([A-Z]\w+)\b", text)
            if name != klass.name and _COLLABORATOR.search(name) and not name.isupper()
        }
        if len(names) >= 6:
            yield Hit("coupling/god-class", klass.start, confidence=0.65,
                      detail=f"`{klass.name}` works with {len(names)} collaborator types: "
                      + ", ".join(sorted(names)[:8]) + ".")


DETECTORS = (detect_constructor_instantiation, detect_law_of_demeter, detect_god_class)
