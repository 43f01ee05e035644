"""Caching detectors: unbounded caches, `lru_cache` on methods, caches never invalidated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import Block

_CACHE_NAME = r"\w*(?:cache|memo|Cache|Memo|CACHE|MEMO)\w*"
_PY_CACHE_DECL = re.compile(
    rf"^\s*((?:self\.|cls\.)?{_CACHE_NAME})\s*(?::[^=]+)?=\s*(\{{\s*\}}|dict\(\s*\)|OrderedDict\(\s*\)|"
    r"defaultdict\([^)]*\))\s*$"
)
_JS_CACHE_DECL = re.compile(
    rf"^\s*(?:(?:const|let|var|static|private|readonly|public)\s+)*((?:this\.)?{_CACHE_NAME})\s*"
    r"(?::[^=]+)?=\s*(new\s+Map\s*(?:<[^>]*>)?\s*\(\s*\)|\{\s*\}|Object\.create\(null\))\s*;?\s*$"
)
_JAVA_CACHE_DECL = re.compile(
    rf"\b(?:Map|HashMap|ConcurrentHashMap|ConcurrentMap)\s*<[^;=]*>\s+({_CACHE_NAME})\s*="
    r"\s*new\s+(?:Concurrent)?HashMap\s*<"
)
_BOUNDED_HINTS = re.compile(
    r"maxsize|max_size|maxSize|MAX_\w*(SIZE|ENTRIES|ITEMS)|\bttl\b|TTL|expire|evict|"
    r"removeEldestEntry|LRU|lru",
)


# Any container, whatever its name: it is judged a cache by how it is used (a read-through memo).
_PY_MAP_DECL = re.compile(_PY_CACHE_DECL.pattern.replace(_CACHE_NAME, r"\w+"))
_JS_MAP_DECL = re.compile(_JS_CACHE_DECL.pattern.replace(_CACHE_NAME, r"\w+"))
_JAVA_MAP_DECL = re.compile(
    r"\b(?:Map|HashMap|ConcurrentHashMap|ConcurrentMap)\s*<[^;=]*>\s+(\w+)\s*(?:=\s*new\s+(?:Concurrent)?HashMap\s*<|;)"
)


@dataclass(frozen=True)
class _Cache:
    name: str  # as written at its uses (`self._cache`, `cache`, `this.cache`)
    bare: str  # without self./this./cls.
    declared_at: int
    owner: str  # enclosing class name, "" at module level
    by_use: bool = False  # not named like a cache: one only if it is used as a memo


def _caches(ctx: Context) -> list[_Cache]:
    found: list[_Cache] = []
    for line in ctx.lines:
        by_use = False
        if ctx.source.is_python:
            named, generic = _PY_CACHE_DECL, _PY_MAP_DECL
        elif ctx.source.is_java:
            named, generic = _JAVA_CACHE_DECL, _JAVA_MAP_DECL
        else:
            named, generic = _JS_CACHE_DECL, _JS_MAP_DECL
        finder = named.search if ctx.source.is_java else named.match
        match = finder(line.masked)
        if match is None:
            match = (generic.search if ctx.source.is_java else generic.match)(line.masked)
            by_use = match is not None
        if not match:
            continue
        name = match.group(1)
        bare = re.sub(r"^(self|this|cls)\.", "", name)
        klass = ctx.outline.class_at(line.number)
        if any(c.bare == bare and c.owner == (klass.name if klass else "") for c in found):
            continue
        cache = _Cache(name, bare, line.number, klass.name if klass else "", by_use)
        if by_use and not (_long_lived(ctx, cache) and _memoizes(ctx, cache)):
            continue
        found.append(cache)
    return found


def _long_lived(ctx: Context, cache: _Cache) -> bool:
    """Whether the container outlives one call: module level, a field, or captured by a closure that writes it."""
    function = ctx.outline.function_at(cache.declared_at)
    if function is None or cache.name != cache.bare or function.is_constructor:
        return True
    ref = re.compile(_ref(cache))
    inner = [b for b in ctx.outline.of_kind("function", "method") if b is not function and function.contains(b.start)]
    return any(ref.search(ctx.source.masked_text(b.start, b.end)) for b in inner)


def _memoizes(ctx: Context, cache: _Cache) -> bool:
    """Whether a missing key is computed and stored: a miss check on the container, then a write to it."""
    ref = _ref(cache)
    miss = re.compile(
        rf"\bnot\s+in\s+{ref}|!\s*{ref}\.(has|containsKey)\s*\(|{ref}\.get\([^)]*\)\s*(is\s+None|===?\s*"
        rf"(null|undefined))|\bexcept\s+KeyError|{ref}\.computeIfAbsent\s*\([^,]+,\s*(?!\w+\s*->\s*new\b)"
    )
    writes = set(_writes(ctx, cache))
    for line in ctx.lines:
        if miss.search(line.masked) and (
            "computeIfAbsent" in line.masked or writes & set(range(line.number, line.number + 5))
        ):
            return True
    return False


def _ref(cache: _Cache) -> str:
    prefix = r"(?:self\.|this\.|cls\.)?" if cache.owner else r"(?<![.])"
    return rf"(?<![\w]){prefix}{re.escape(cache.bare)}\b"


def _writes(ctx: Context, cache: _Cache) -> list[int]:
    ref = _ref(cache)
    pattern = re.compile(rf"{ref}\s*\[[^\]]+\]\s*=(?!=)|{ref}\.(set|put|setdefault|putIfAbsent|computeIfAbsent)\s*\(")
    return [line.number for line in ctx.lines if pattern.search(line.masked)]


def _evicts(ctx: Context, cache: _Cache) -> bool:
    ref = _ref(cache)
    pattern = re.compile(
        rf"\bdel\s+{ref}|\bdelete\s+{ref}\s*\[|{ref}\.(pop|popitem|delete|remove|clear|evict\w*|invalidate\w*)\s*\(|"
        rf"len\(\s*{ref}\s*\)|{ref}\.(size|length)\b|{ref}\s*=\s*(\{{\}}|new\s)"
    )
    constructors = [b for b in ctx.outline.of_kind("function", "method") if b.is_constructor]
    masked = [
        line.masked
        for line in ctx.lines
        if line.number != cache.declared_at and not any(b.contains(line.number) for b in constructors)
    ]
    return any(pattern.search(text) for text in masked)


def detect_unbounded_cache(ctx: Context) -> Iterator[Hit]:
    """Caches that only ever grow."""
    java_lru = "removeEldestEntry" in ctx.all_masked
    for cache in _caches(ctx):
        writes = _writes(ctx, cache)
        declaration = ctx.source.line(cache.declared_at)
        bounded = declaration is not None and _BOUNDED_HINTS.search(declaration.code)
        if not writes or _evicts(ctx, cache) or bounded or java_lru:
            continue
        yield Hit(
            "caching/unbounded-cache",
            cache.declared_at,
            related=(writes[0],),
            confidence=0.8,
            detail=f"`{cache.bare}` gains an entry per key and nothing ever removes one.",
        )
    for line in ctx.lines:
        if re.search(r"@(functools\.)?lru_cache\s*\(\s*(maxsize\s*=\s*)?None\s*\)", line.masked):
            function = _decorated_function(ctx, line.number)
            if function is not None and function.kind == "function":
                yield Hit(
                    "caching/unbounded-cache",
                    line.number,
                    confidence=0.6,
                    detail="`lru_cache(maxsize=None)` never evicts.",
                )


def _decorated_function(ctx: Context, decorator_line: int) -> Block | None:
    for block in ctx.outline.of_kind("function", "method"):
        if block.decorator_start <= decorator_line < block.start or (
            block.start > decorator_line
            and block.start - decorator_line <= 3
            and all(ln.masked.lstrip().startswith("@") for ln in ctx.source.span(decorator_line, block.start - 1))
        ):
            return block
    return None


def detect_lru_cache_on_method(ctx: Context) -> Iterator[Hit]:
    """`functools.lru_cache`/`cache` on instance methods."""
    if not ctx.source.is_python:
        return
    for line in ctx.lines:
        if not re.search(r"^\s*@(functools\.)?(lru_cache|cache)\b", line.masked):
            continue
        function = _decorated_function(ctx, line.number)
        if function is None:
            continue
        is_method = function.kind == "method" or re.search(r"\(\s*self\b", function.header)
        if is_method and "static" not in function.modifiers:
            yield Hit(
                "caching/lru-cache-on-method",
                line.number,
                function.start,
                confidence=0.85,
                detail=f"`{function.name}` is an instance method; `self` becomes part of every key.",
            )


_WRITER_NAME = re.compile(
    r"^_?(update|save|delete|remove|set|put|write|modify|rename|change|edit|insert|upsert|"
    r"deactivate|activate|patch|store)(_|[A-Z]|$)"
)


def _read_through(ctx: Context, cache: _Cache) -> bool:
    """Whether some function looks the key up and fills it on a miss (`if key in cache: ... cache[key] = load()`,
    `cache.get(k) || cache.set(k, ...)`): a cache of data kept elsewhere, which a write can leave stale. A registry
    of callbacks or handles (`pending[id] = callback`, later called and deleted) caches nothing."""
    ref = _ref(cache)
    lookup = re.compile(
        rf"\b(?:not\s+)?in\s+{ref}|{ref}\.(?:get|has|containsKey|hasOwnProperty)\s*\(|"
        rf"\bif\b[^\n]*{ref}\s*\[|{ref}\s*\[[^\]]+\]\s*(?:\|\||\?\?)"
    )
    written = set(_writes(ctx, cache))
    for function in ctx.outline.of_kind("function", "method"):
        lines = range(function.start, function.end + 1)
        if any(n in written for n in lines) and any(
            lookup.search(line.masked) for line in ctx.source.span(function.start, function.end)
        ):
            return True
    return False


def detect_missing_invalidation(ctx: Context) -> Iterator[Hit]:
    """Write paths that leave a read-through cache stale."""
    functions = ctx.outline.of_kind("function", "method")
    for cache in _caches(ctx):
        if cache.by_use or not _writes(ctx, cache) or not _read_through(ctx, cache):
            continue
        ref = re.compile(_ref(cache))
        for function in functions:
            if cache.owner and function.owner != cache.owner:
                continue
            if function.is_constructor or not _WRITER_NAME.match(function.name):
                continue
            body = ctx.source.masked_text(function.start, function.end)
            if ref.search(body):
                continue
            if not re.search(r"\w\s*\(", ctx.source.masked_text(function.start + 1, function.end)):
                continue  # an empty or abstract writer
            yield Hit(
                "caching/missing-invalidation",
                function.start,
                related=(cache.declared_at,),
                confidence=0.7,
                detail=f"`{function.name}` changes data that `{cache.bare}` caches, "
                "but leaves the cached copy in place.",
            )


DETECTORS = (detect_unbounded_cache, detect_lru_cache_on_method, detect_missing_invalidation)
