"""Layering detectors: presentation code doing data access, domain code knowing HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.detectors.security import SQL_STATEMENT
from archreview.pipeline.analysis.outline import Block

_PRESENTATION_CLASS = re.compile(
    r"(Controller|Handler|View|Resource|Endpoint|Route|Router|Page|Component|Screen|Servlet|"
    r"ViewModel|Api|API)$"
)
_ROUTE_DECORATOR = re.compile(
    r"@\s*(?:\w+\.)?(?:route|get|post|put|delete|patch)\s*\(|"
    r"@(?:Get|Post|Put|Delete|Patch|Request)Mapping\b|@(?:GET|POST|PUT|DELETE|Path)\b"
)
_PRESENTATION_FUNCTION = re.compile(r"^(handle[A-Z_]\w*|on[A-Z]\w*|\w+_view|\w*(Handler|Controller|View))$")
_DATA_ACCESS = re.compile(
    r"\.(execute|executeQuery|executeUpdate|prepareStatement|createStatement|cursor|raw)\s*\(|"
    r"\b(?:sqlite3|psycopg2?|pymysql|MySQLdb|mysql\.connector|cx_Oracle)\.connect\s*\(|"
    r"DriverManager\.getConnection|\b(?:db|pool|conn|connection|client|knex)\.(?:query|collection|execute)\s*\(|"
    r"new\s+MongoClient\s*\(|\bjdbcTemplate\.\w+\s*\("
)
_DOMAIN_CLASS = re.compile(
    r"(Service|Repository|Model|Entity|Domain|Policy|Calculator|UseCase|Interactor|Aggregate|"
    r"Rules?|Engine)$"
)
_WEB_IN_DOMAIN = re.compile(
    r"\brequest\.(args|form|json|get_json|values|files|cookies|headers|POST|GET|data)\b|"
    r"HttpServletRequest|HttpServletResponse|HttpSession|\breq\.(body|params|query|headers)\b|"
    r"\bres\.(status|send|json|render)\s*\(|\bjsonify\s*\(|\brender_template\s*\(|ResponseEntity|"
    r"\babort\s*\(\s*\d{3}|HTTPException|\bHttpResponse\w*\s*\(|\bflask\.request\b"
)
_WEB_IMPORT = re.compile(
    r"^\s*(?:from\s+(?:flask|django\.http|fastapi|starlette|werkzeug)\b|import\s+(?:flask|fastapi)\b|"
    r"import\s+javax\.servlet|import\s+jakarta\.servlet|import\s+org\.springframework\.web\b|"
    r".*require\(\s*['\"]express['\"]\s*\)|import\s+.*\bfrom\s+['\"]express['\"])"
)


def _presentation_blocks(ctx: Context) -> list[Block]:
    blocks: list[Block] = []
    for block in ctx.outline.of_kind("class", "function", "method"):
        decorators = ctx.source.masked_text(block.decorator_start, block.start)
        if block.kind == "class" and _PRESENTATION_CLASS.search(block.name) or block.kind != "class" and (
            _ROUTE_DECORATOR.search(decorators)
            or _PRESENTATION_FUNCTION.match(block.name)
            or {"req", "res"} <= set(block.params)
            or ("request" in block.params and ctx.source.is_python and "django" in ctx.all_code)
        ):
            blocks.append(block)
    return blocks


def detect_data_access_in_presentation(ctx: Context) -> Iterator[Hit]:
    """SQL and raw database calls inside controllers, handlers and views."""
    reported: set[int] = set()
    for block in _presentation_blocks(ctx):
        lines = [
            line for line in ctx.source.span(block.start, block.end)
            if line.number not in reported
            and (_DATA_ACCESS.search(line.masked) or SQL_STATEMENT.search(" ".join(line.strings)))
        ]
        if not lines:
            continue
        reported.update(line.number for line in ctx.source.span(block.start, block.end))
        yield Hit(
            "layering/data-access-in-presentation",
            lines[0].number,
            related=tuple(line.number for line in lines[1:3]),
            confidence=0.8,
            detail=f"`{block.name or 'this handler'}` belongs to the presentation layer but "
            "queries the database itself.",
        )


def detect_framework_in_domain(ctx: Context) -> Iterator[Hit]:
    """Domain and service classes that read HTTP requests or build HTTP responses."""
    domain = [
        b for b in ctx.outline.of_kind("class")
        if _DOMAIN_CLASS.search(b.name) and not _PRESENTATION_CLASS.search(b.name)
    ]
    used = False
    for klass in domain:
        for line in ctx.source.span(klass.start, klass.end):
            if _WEB_IN_DOMAIN.search(line.masked):
                used = True
                yield Hit("layering/framework-in-domain", line.number, confidence=0.75,
                          detail=f"`{klass.name}` is domain logic but handles HTTP objects.")
                break
    if domain and not used and not _presentation_blocks(ctx):
        for line in ctx.lines:
            if _WEB_IMPORT.match(line.code):
                yield Hit("layering/framework-in-domain", line.number, confidence=0.6,
                          detail="A domain/service module imports the web framework.")


DETECTORS = (detect_data_access_in_presentation, detect_framework_in_domain)
