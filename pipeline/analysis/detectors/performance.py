"""Performance detectors: N+1 queries, quadratic loops, string building, whole-file reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import Block

_QUERY_CALL = re.compile(
    r"\.(executeQuery|executeUpdate|query|raw|find_one|findOne|findById|find_by_id|"
    r"findBy\w+|get_by_id|getById)\s*\(|"
    # `execute` runs SQL on a cursor or statement; on an executor, a rule, a command or a use case it runs code
    # (`executorService.execute(task)`, `rule.execute(context)`), and a lambda or method reference is code too
    r"(?<!xecutor)(?<!Service)(?<![pP]ool)(?<![uU]seCase)(?<![rR]ule)(?<![cC]ommand)(?<![tT]ask)(?<![hH]andler)"
    r"\.execute\s*\((?![^)]*(?:->|::))|"
    r"\.objects\.(get|filter|exclude)\s*\(|\bsession\.(query|get)\s*\(|"
    r"\brequests\.(get|post|put|delete|patch|request)\s*\(|\bhttpx\.(get|post|put|delete)\s*\(|"
    r"(?<![.\w#])fetch\s*\(|\baxios\.(get|post|put|delete|request)\s*\(|\burlopen\s*\(|"
    r"(?<![.\w])(?:db|knex)\s*\(\s*[\"'`]|"
    r"\b(?:db|conn|connection|cursor|repo|repository|dao|\w+Repository|\w+Repo|\w+_repo|\w+Dao|"
    r"\w+_dao|\w+Client|\w+_client|api|client)\.(?:get|find\w*|load\w*|select\w*|fetch\w*|"
    r"query\w*)\s*\(|"
    # Data-access objects by their role (MyBatis mappers, DAOs, repositories, JPA/JDBC handles), reads and writes.
    r"\b(?:\w*(?:Mapper|mapper|Dao|DAO|Repository|repository|Repo)|em|entityManager|jdbcTemplate|"
    r"(?<![\w.])(?:repo|rep|dao|mapper))\.(?:select|find|get|query|load|fetch|insert|update|delete|save|"
    r"remove|count|exists|upsert|persist|merge|batch)\w*\s*\(|"
    # ORM model and collection calls (Mongoose, TypeORM, Prisma, Sequelize) that each go to the database.
    r"\.(?:findOne\w*|findById\w*|findByPk|findAll|findUnique\w*|findFirst\w*(?=\s*\(\s*[^)\s])|findMany|updateOne|"
    r"updateMany|deleteOne|deleteMany|insertOne|insertMany|countDocuments|findOneAnd\w+)\s*\(|"
    # Redis clients: every command is a network round trip.
    r"\b\w*(?:redis|Redis|jedis|Jedis)\w*\.\w+\s*\("
)
# Service methods named after the data access they wrap (`userService.selectUserById`): a query one step removed.
# Only lookups by an identifier count (`selectMenuPermsByRoleId(role.getRoleId())`): other service methods
# may be plain conversions.
_SERVICE_QUERY_CALL = re.compile(
    r"\b\w+Service\.(?:select|insert|update|delete|count|query|save|remove|find|get|load)\w*By\w*Id\w*\s*\("
)
# Django: a related manager's query on the loop variable (`order.items.filter(...)`) runs once per item;
# `.all()` does too unless the queryset prefetches the relation.
_RELATED_QUERY = r"\.\w+\.(?:filter|exclude|get|count|exists|aggregate|annotate|order_by|values|values_list|" \
                 r"first|last|latest|earliest)\s*\("
_DJANGO_ORM = re.compile(r"\bdjango\b|\.objects\.|\bmodels\.Model\b|\b(?:select|prefetch)_related\b|"
                         r"\bQuerySet\b|\brest_framework\b")
_LOOP_VARIABLE = re.compile(r"^\s*(?:async\s+)?for\s+(\w+)\s+in\s")


# Synchronous writes that open, write and close a file on every call (one system round trip each).
_FILE_WRITE_CALL = re.compile(r"\bfs\.(appendFileSync|writeFileSync)\s*\(|\bFiles\.(write|writeString)\s*\(")


def detect_query_in_loop(ctx: Context) -> Iterator[Hit]:
    """Queries, remote calls and whole-file writes issued once per iteration (N+1), directly or through a
    helper defined in the same code whose body makes them."""
    covered_until = 0
    helpers = ctx.helpers_matching(_QUERY_CALL)
    # `item.relation.get(...)` is a query only in Django's ORM; elsewhere it is a dict's get
    orm = bool(_DJANGO_ORM.search(ctx.all_code))
    for line in ctx.lines:
        if line.number <= covered_until:
            continue  # the rest of a statement already reported
        direct = bool(_QUERY_CALL.search(line.masked)) and "executemany" not in line.masked
        service = not direct and bool(_SERVICE_QUERY_CALL.search(line.masked))
        related = (not direct and not service and ctx.source.is_python and orm
                   and _related_query(ctx, line.number))
        direct = direct or related
        helper = None if direct or service else ctx.calls_any(line.masked, helpers)
        file_write = not direct and not service and helper is None and bool(_FILE_WRITE_CALL.search(line.masked))
        if not (direct or service or helper or file_write):
            continue
        function = ctx.outline.function_at(line.number)
        if helper is not None and function is not None and function.name == helper:
            continue  # recursion, not a loop of calls
        loop = ctx.outline.in_loop(line.number)
        if loop is None or ctx.is_retry_loop(loop):
            continue  # a retry repeats one call; resilience rules judge it
        if "inline" in loop.modifiers and loop.start == line.number and not _inside_inline_loop(
            ctx, line.masked, _call_position(line.masked, helper)
        ):
            continue  # the call builds what the inline loop iterates over (`repo.findAll().stream().map(...)`)
        covered_until = ctx.statement(line.number)[0]
        if "inline" in loop.modifiers and re.search(r"Promise\.(all|allSettled)|gather\(", loop.header):
            continue  # issued concurrently, not one round trip after another
        if helper is not None:
            detail = f"`{helper}` queries or calls a remote service, and runs once for every item of the loop."
        elif service:
            detail = "A data-access service method runs once for every item of the loop."
        elif related:
            detail = "The related objects are queried again for every item of the loop."
        elif file_write:
            detail = "The file is opened, written and closed again for every item of the loop."
        else:
            detail = "This call runs once for every item of the loop."
        yield Hit(
            "performance/query-in-loop",
            line.number,
            related=(loop.start,),
            confidence=0.85 if direct else 0.7,
            detail=detail,
        )


_ITERATION_CALL = re.compile(r"\.(?:map|forEach|flatMap|filter|reduce|some|every|find|each)\s*\(")


def _call_position(masked: str, helper: str | None) -> int:
    """Where on the line the query (or the call of the helper that makes it) starts; -1 when not found."""
    pattern = re.compile(rf"(?<![\w.]){re.escape(helper)}\s*\(") if helper else None
    for candidate in (pattern, _QUERY_CALL, _SERVICE_QUERY_CALL, _FILE_WRITE_CALL):
        found = candidate.search(masked) if candidate is not None else None
        if found:
            return found.start()
    return -1


def _inside_inline_loop(ctx: Context, masked: str, position: int) -> bool:
    """Whether a call at `position` on the first line of an inline loop runs once per item, not once for the
    iterable.

    `ids.map(id => repo.findById(id))` runs it per item; `repo.findAll().stream()` (the `.map` on a later line)
    and `[f(x) for x in db.query()]` run it once.
    """
    if position < 0:
        return True
    if ctx.source.is_python:
        marker = re.search(r"\bfor\b", masked)
        return marker is None or position < marker.start()
    marker = _ITERATION_CALL.search(masked)
    return marker is not None and position > marker.start()


def _related_query(ctx: Context, number: int) -> bool:
    """Whether line `number` queries a relation of the variable its enclosing `for` binds (Django's N+1)."""
    shown = ctx.source.line(number)
    if shown is None or ctx.outline.in_loop(number) is None:
        return False
    names = [m.group(1) for loop in ctx.outline.enclosing(number, "loop") if loop.start < number
             for m in [_LOOP_VARIABLE.match(loop.header)] if m]
    if not names:
        return False
    name = "|".join(re.escape(n) for n in names)
    if re.search(rf"(?<![\w.])(?:{name}){_RELATED_QUERY}", shown.masked):
        return True
    if not re.search(rf"(?<![\w.])(?:{name})\.\w+\.all\s*\(\s*\)", shown.masked):
        return False
    function = ctx.outline.function_at(number)
    scope = ctx.source.masked_text(function.start, function.end) if function else ctx.all_masked
    return "prefetch_related" not in scope and ".objects." in scope


def _string_variables(ctx: Context) -> set[str]:
    names: set[str] = set()
    for line in ctx.lines:
        for match in re.finditer(
            r"(?:\bString\s+|\b(?:let|var)\s+|^\s*)(\w+)\s*(?::\s*str\s*)?=\s*(?:[fFrR]?[\"'`]|str\()",
            line.code,
        ):
            names.add(match.group(1))
        for match in re.finditer(r"\bString\s+(\w+)\s*[=;]", line.code):
            names.add(match.group(1))
    return names


_STRING_EXPRESSION = re.compile(r"^[fF]?[\"'`]|[\"'`]\s*$|\+\s*[fF]?[\"'`]|\bstr\(|String\.valueOf|toString\(\)")


def _numeric_variables(ctx: Context) -> set[str]:
    """Names given a number (`size = 0`, `let n: number`, `int total`): `+=` on them adds, it does not concatenate."""
    names: set[str] = set()
    for line in ctx.lines:
        for match in re.finditer(r"(?<![\w.])(\w+)\s*(?::\s*(?:int|float|number)\s*)?=\s*-?\d[\d_.]*\s*[;,)]?\s*$",
                                 line.code):
            names.add(match.group(1))
        for match in re.finditer(r"\b(?:int|long|short|double|float)\s+(\w+)\s*[=;]|(\w+)\s*:\s*number\b", line.code):
            names.add(match.group(1) or match.group(2))
    return names


def detect_string_concat_in_loop(ctx: Context) -> Iterator[Hit]:
    """Quadratic string building with `+=` in a loop."""
    strings = _string_variables(ctx)
    numbers = _numeric_variables(ctx) - strings
    for line in ctx.lines:
        match = re.search(r"(?<![\w.])(\w+)\s*\+=\s*(.+)$", line.code) or re.search(
            r"(?<![\w.])(\w+)\s*=\s*(\1\s*\+.+)$", line.code
        )
        if not match or ctx.outline.in_loop(line.number) is None:
            continue
        target, rhs = match.group(1), match.group(2)
        if target in numbers:
            continue
        stringy_rhs = bool(_STRING_EXPRESSION.search(re.sub(r"[=!]==?\s*[\"'`][^\"'`]*[\"'`]", "", rhs)))
        if target in strings or stringy_rhs:
            yield Hit("performance/string-concat-in-loop", line.number, confidence=0.75 if target in strings else 0.6,
                      detail=f"`{target}` is copied on every iteration.")


def _list_variables(ctx: Context) -> set[str]:
    names: set[str] = set()
    for line in ctx.lines:
        for match in re.finditer(
            r"(?:self\.|this\.)?(\w+)\s*(?::\s*(?:list|List)\b[^=]*)?=\s*(?:\[|list\(|new\s+ArrayList|Arrays\.asList|"
            r"List\.of|new\s+LinkedList|Array\.from|\w+\.split\()",
            line.code,
        ):
            names.add(match.group(1))
        for match in re.finditer(r"\b(?:List|ArrayList|Collection)<[^>]*>\s+(\w+)", line.code):
            names.add(match.group(1))
        for match in re.finditer(r"(\w+)\s*:\s*(?:list|List|Sequence)\b", line.code):
            names.add(match.group(1))
        for match in re.finditer(r"(\w+)\s*:\s*\w+\[\]", line.code):
            names.add(match.group(1))
    return names


def detect_linear_search_in_loop(ctx: Context) -> Iterator[Hit]:
    """Membership tests and index lookups on lists inside loops."""
    lists = _list_variables(ctx)
    if not lists:
        return
    for line in ctx.lines:
        if ctx.outline.in_loop(line.number) is None:
            continue
        text = re.sub(r"\bfor\s*\(?[\w\s,()\[\]]+?\s+(in|of)\s+", " ", line.masked)
        text = re.sub(r"^\s*(async\s+)?for\b.*$", " ", text)
        found = None
        for match in re.finditer(r"\b(?:not\s+)?in\s+(?:self\.|this\.)?(\w+)\b(?!\s*[.(\[])", text):
            if match.group(1) in lists:
                found = match.group(1)
        for match in re.finditer(r"(?:self\.|this\.)?(\w+)\.(index|indexOf|includes|contains|count)\s*\(", text):
            if match.group(1) in lists:
                found = match.group(1)
        if found:
            yield Hit("performance/linear-search-in-loop", line.number, confidence=0.75,
                      detail=f"`{found}` is a list, scanned from the start on every iteration.")


_LOOP_HEADERS = (
    re.compile(r"\bfor\s+(\(?[\w\s,]+?\)?)\s+in\s+(.+?):?\s*$"),
    re.compile(r"\bfor\s*\(\s*(?:final\s+)?[\w<>\[\],?. ]+\s+(\w+)\s*:\s*(.+?)\s*\)\s*\{?\s*$"),
    re.compile(r"\bfor\s*\(\s*(?:const|let|var)?\s*(\w+)\s+of\s+(.+?)\s*\)\s*\{?\s*$"),
    re.compile(r"([\w.]+(?:\(\))?)\.forEach\s*\(\s*\(?\s*(\w+)"),
)


def _loop_variable_and_iterable(header: str) -> tuple[str, str] | None:
    for index, pattern in enumerate(_LOOP_HEADERS):
        match = pattern.search(header)
        if match:
            if index == 3:
                return match.group(2), match.group(1)
            variable, iterable = match.group(1), match.group(2)
            return variable.strip("() "), re.sub(r"^(self|this)\.", "", iterable.strip())
    return None


def detect_nested_loop_lookup(ctx: Context) -> Iterator[Hit]:
    """Inner loops over the same collection, or scanning for a match (quadratic joins)."""
    loops = [loop for loop in ctx.outline.of_kind("loop") if "inline" not in loop.modifiers]
    for inner in loops:
        outer = next(
            (o for o in ctx.outline.enclosing(inner.start, "loop")
             if o.start < inner.start and "inline" not in o.modifiers),
            None,
        )
        if outer is None or not _same_function(ctx, outer, inner):
            continue
        outer_parts = _loop_variable_and_iterable(outer.header)
        inner_parts = _loop_variable_and_iterable(inner.header)
        if outer_parts is None or inner_parts is None:
            continue
        (outer_var, outer_iter), (inner_var, inner_iter) = outer_parts, inner_parts
        same = outer_iter == inner_iter and not re.fullmatch(r"range\(\s*\w+\s*\)", inner_iter)
        body = ctx.source.masked_text(inner.start + 1, inner.end) or inner.header
        first_var = re.split(r"[\s,]+", inner_var)[0]
        outer_first = re.split(r"[\s,]+", outer_var)[0]
        join = bool(first_var and outer_first and re.search(
            rf"\b{re.escape(first_var)}\b[\w.()\[\]'\"]*\s*(==|===|\.equals\()\s*[\w.(]*\b{re.escape(outer_first)}\b|"
            rf"\b{re.escape(outer_first)}\b[\w.()\[\]'\"]*\s*(==|===|\.equals\()\s*[\w.(]*\b{re.escape(first_var)}\b",
            body,
        ))
        if same or join:
            yield Hit(
                "performance/nested-loop-lookup",
                inner.start,
                related=(outer.start,),
                confidence=0.75 if join else 0.7,
                detail="The inner loop scans a collection once per outer item.",
            )


def _same_function(ctx: Context, outer: Block, inner: Block) -> bool:
    return ctx.outline.function_at(outer.start) == ctx.outline.function_at(inner.start)


_READ_ALL = re.compile(
    r"\.readlines\s*\(\s*\)|\.read\s*\(\s*\)\s*\.\s*(split|splitlines)\s*\(|"
    r"readFileSync\s*\([^)]*\)\s*(\.toString\([^)]*\))?\s*\.split\s*\(|"
    r"Files\.readAllLines\s*\(|readAllBytes\s*\([^)]*\)\s*\)\s*\.split"
)
_READ_ASSIGN = re.compile(
    r"(\w+)\s*=\s*(?:await\s+)?[\w.]*(?:\.read\s*\(\s*\)|readFileSync\s*\(|readFile\s*\(|readAllBytes\s*\()"
)


def detect_whole_file_read(ctx: Context) -> Iterator[Hit]:
    """Files slurped into memory and then processed line by line."""
    for line in ctx.lines:
        if _READ_ALL.search(line.masked):
            yield Hit("performance/whole-file-read", line.number, confidence=0.7)
            continue
        match = _READ_ASSIGN.search(line.masked)
        if match is None:
            continue
        name = re.escape(match.group(1))
        later = ctx.source.masked_text(line.number + 1, line.number + 12)
        if re.search(rf"\b{name}(\.toString\([^)]*\))?\.(split|splitlines|lines)\s*\(|\bin\s+{name}\b", later):
            yield Hit("performance/whole-file-read", line.number, confidence=0.65)


# A query for every row: a repository's findAll(), a queryset's .all(), a Mongo/Sequelize find without a filter.
_LOAD_ALL = (
    r"(?:\bfindAll\(\s*\)|\.objects\.all\(\s*\)|\.find\(\s*\{\s*\}\s*\)|\b[A-Z]\w*\.find\(\s*\)|"
    r"\.query\([^()]*\)\.all\(\s*\))"
)
_LOAD_ALL_CALL = re.compile(_LOAD_ALL)
_ASSIGNED_LOAD = re.compile(r"(\w+)\s*=\s*(?:await\s+)?\(?\s*[\w.]*" + _LOAD_ALL)


def detect_load_all_then_filter(ctx: Context) -> Iterator[Hit]:
    """Whole tables fetched and then filtered in memory instead of in the query."""
    for line in ctx.lines:
        if not _LOAD_ALL_CALL.search(line.masked):
            continue
        # the call's own chain: `repo.findAll().stream()` then `.filter(...)` lines, or a comprehension's `if`
        chain = [line.masked]
        for later in ctx.source.span(line.number + 1, line.number + 4):
            if not re.match(r"\s*\.", later.masked):
                break
            chain.append(later.masked)
        text = "\n".join(chain)
        after = text[_LOAD_ALL_CALL.search(text).end():]  # type: ignore[union-attr]
        comprehension = ctx.source.is_python and re.search(
            r"\bfor\s+\w+\s+in\s+[\w.]*" + _LOAD_ALL + r"\s+if\b", line.masked)
        if comprehension or re.search(r"\.stream\(\)\s*\.(?:filter|anyMatch|noneMatch|allMatch)\s*\(|"
                                      r"^\s*\)?\s*\)?\s*\.(?:filter|find|some|every)\s*\(", after, re.MULTILINE):
            yield Hit("performance/load-all-then-filter", line.number, line.number + len(chain) - 1, confidence=0.75,
                      detail="Every row is loaded, then all but a few are thrown away in memory.")
            continue
        assigned = _ASSIGNED_LOAD.search(line.masked)
        if assigned is None:
            continue
        kept = re.compile(rf"(?<![\w.]){re.escape(assigned.group(1))}\s*\.\s*(?:stream\(\)\s*\.\s*)?"
                          r"(?:filter|find|findFirst|some|anyMatch)\s*\(")
        for later in ctx.source.span(line.number + 1, line.number + 5):
            if kept.search(later.masked):
                yield Hit("performance/load-all-then-filter", line.number, later.number, confidence=0.7,
                          detail=f"`{assigned.group(1)}` holds every row, then only a few are kept in memory.")
                break


DETECTORS = (
    detect_load_all_then_filter,
    detect_query_in_loop,
    detect_string_concat_in_loop,
    detect_linear_search_in_loop,
    detect_nested_loop_lookup,
    detect_whole_file_read,
)
