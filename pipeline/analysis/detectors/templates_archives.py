"""Two injections that live between a value and a file or a template: a server-side template assembled from data
at runtime (SSTI), and archive entries written under their own names (zip slip)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.detectors.security import _interpolates

# Calls that compile or render their first argument as a template (EJS, Nunjucks, Pug, Handlebars, Mustache,
# lodash/underscore, doT, Swig; Flask, Jinja2, Django, Mako): group 1 is what follows the `(`.
_JS_TEMPLATE_SINK = re.compile(
    r"\b(?:ejs|nunjucks|pug|jade|handlebars|Handlebars|hbs|mustache|Mustache|swig|doT|dot|_|lodash|underscore)\s*"
    r"\.\s*(?:render|renderString|compile|template|to_html)\s*\(\s*(.)"
)
_PY_TEMPLATE_SINK = re.compile(
    r"(?:\brender_template_string|(?<![\w.])(?:jinja2\.)?Template|\bmako\.template\.Template|"
    r"\.from_string|\bengines\[[^\]]*\]\.from_string)\s*\(\s*(.)"
)
_NAME_ARGUMENT = re.compile(r"([A-Za-z_$][\w$]*)\s*[,)]")
_TEMPLATE_REACH = 30  # lines between the template's assembly and its rendering


def _assignment_of(ctx: Context, name: str, before: int) -> int | None:
    """The line, within `_TEMPLATE_REACH` lines above `before`, that last gives `name` a value."""
    assigns = re.compile(rf"\s*(?:(?:const|let|var|final)\s+)?(?:[\w$<>\[\]]+\s+)?{re.escape(name)}\s*\+?=(?!=)")
    for number in range(before, max(ctx.source.first_line, before - _TEMPLATE_REACH) - 1, -1):
        line = ctx.source.line(number)
        if line is not None and assigns.match(line.masked):
            return number
    return None


def _built(ctx: Context, number: int, stop: int | None = None) -> bool:
    """Whether the statement at `number` splices runtime values into its string literals. A JS statement runs to
    its `;` (a template literal may span lines), not past line `stop`."""
    last, statement = ctx.statement(number)
    if ctx.source.is_js:
        lines = []
        for line in ctx.source.span(number, min(number + 8, stop if stop is not None else number + 8)):
            lines.append(line)
            if line.masked.rstrip().endswith(";"):
                break
        last, statement = lines[-1].number if lines else number, "\n".join(line.code for line in lines)
    strings = " ".join(s for ln in ctx.source.span(number, last) for s in ln.strings)
    return bool(strings) and _interpolates(statement, strings)


def detect_template_built(ctx: Context) -> Iterator[Hit]:
    """A template compiled or rendered from text assembled at runtime: a value concatenated, interpolated or
    formatted into the template itself (`ejs.render('<p>' + input + '</p>')`, `render_template_string(page)`
    after `page = "<h1>%s</h1>" % name`). A value put into a template becomes template code, run on the server
    with its rights (server-side template injection, CWE-1336); data belongs in the context argument."""
    source = ctx.source
    sink = _JS_TEMPLATE_SINK if source.is_js else _PY_TEMPLATE_SINK if source.is_python else None
    if sink is None:
        return
    for line in ctx.lines:
        match = sink.search(line.masked)
        if match is None:
            continue
        if match.group(1) in "\"'`":
            if _built(ctx, line.number):
                yield Hit(
                    "security/template-injection",
                    line.number,
                    ctx.statement(line.number)[0],
                    confidence=0.75,
                    detail="The template text is assembled from values before it is rendered.",
                )
            continue
        name = _NAME_ARGUMENT.match(line.masked, match.start(1))
        if name is None:
            continue
        start = _assignment_of(ctx, name.group(1), line.number - 1)
        if start is None or not _built(ctx, start, line.number - 1):
            continue
        yield Hit(
            "security/template-injection",
            start,
            line.number,
            confidence=0.7,
            detail=f"`{name.group(1)}` is assembled from values, then rendered as a template.",
        )


# Archive readers whose entries carry their own names (zip, tar, jar).
_JS_EXTRACT_ALL = re.compile(
    r"\.\s*(?:extractAllTo|extractAllToAsync|extractEntryTo)\s*\(|\bunzipper\s*\.\s*Extract\s*\("
)
_JS_ENTRY_NAME = re.compile(r"\b(?:entry|file|header|zipEntry|item)\s*\.\s*(?:entryName|path|fileName|name)\b")
_PY_TAR_EXTRACT = re.compile(r"\.\s*extractall\s*\(|\.\s*extract\s*\(")
_PY_ENTRY_NAME = re.compile(r"\b\w+\s*\.\s*(?:filename|name)\b")
_JAVA_ENTRY_NAME = re.compile(r"\b\w*(?:entry|Entry)\w*\s*\.\s*getName\s*\(\s*\)")
# A file made from a path (the name joined to a directory and written).
_JOINED_PATH = re.compile(
    r"\bnew\s+File(?:OutputStream)?\s*\(|\bPaths\s*\.\s*get\s*\(|\.\s*resolve\s*\(|\bos\.path\.join\s*\(|"
    r"\bpath\s*\.\s*(?:join|resolve)\s*\(|\bopen\s*\(|\bcreateWriteStream\s*\(|\bwriteFile(?:Sync)?\s*\("
)
# What keeps a name inside the target folder: a canonical/normalised path compared with the folder, a base name,
# or an explicit `..` refusal; tarfile's extraction filters (Python 3.12, PEP 706).
_CONTAINED = re.compile(
    r"getCanonicalPath|toRealPath|\.normalize\s*\(|\bstartsWith\s*\(|\.startswith\s*\(|\bbasename\s*\(|"
    r"\brealpath\s*\(|\babspath\s*\(|\bis_relative_to\s*\(|\bcommonpath\s*\(|['\"]\.\.['\"]|\.\.[/\\\\]|"
    r"\bfilter\s*=|\bextraction_filter\b|\bdata_filter\b|\bgetFileName\s*\(\s*\)|\bsanitize",
)
_ARCHIVE_MARKERS = re.compile(
    r"\b(?:ZipInputStream|ZipFile|JarFile|JarInputStream|TarArchiveInputStream|ArchiveEntry|ZipEntry|AdmZip|"
    r"adm-zip|unzipper|yauzl|jszip|JSZip|tar-fs|zipfile|tarfile|shutil\.unpack_archive)\b"
)


def detect_zip_slip(ctx: Context) -> Iterator[Hit]:
    """Archive entries written under the names the archive gives them (zip slip, CWE-22): a name such as
    `../../etc/cron.d/x` in a zip or tar writes outside the target folder. Flags an extraction of a whole archive
    by a library that keeps entry names as given (adm-zip's `extractAllTo`, unzipper's `Extract`, Python's
    `tarfile` `extractall` without an extraction filter), and an entry's own name joined to a directory and
    written (Java's `ZipEntry.getName()`, a zip entry's `entryName`/`path`, Python's `member.filename`), unless
    the function keeps the path inside the folder (a canonical or normalised path checked with `startsWith`, a
    base name, a `..` refusal). Python's `zipfile` `extractall` cleans names itself and is not flagged."""
    source = ctx.source
    if not _ARCHIVE_MARKERS.search(ctx.all_code):
        return
    for line in ctx.lines:
        masked = line.masked
        function = ctx.outline.function_at(line.number)
        scope_start, scope_end = (function.start, function.end) if function else (line.number, line.number)
        scope = source.code_text(scope_start, scope_end)
        detail = None
        if source.is_js and _JS_EXTRACT_ALL.search(masked):
            detail = "The whole archive is extracted under the names its entries give."
        elif source.is_python and _PY_TAR_EXTRACT.search(masked) and re.search(r"\btarfile\b", ctx.all_code):
            if re.search(r"\bzipfile\b", scope) and not re.search(r"\btarfile\b", scope):
                continue  # zipfile drops `..` and absolute parts itself
            detail = "tarfile extracts members under their own names, `../` and absolute paths included."
        elif _JOINED_PATH.search(masked):
            names = {
                "java": _JAVA_ENTRY_NAME,
                "javascript": _JS_ENTRY_NAME,
                "typescript": _JS_ENTRY_NAME,
                "python": _PY_ENTRY_NAME,
            }
            pattern = names.get(source.language)
            if pattern is None or not pattern.search(masked):
                continue
            if source.is_python and not re.search(r"\b(?:zipfile|tarfile|infolist|getmembers|namelist)\b", scope):
                continue
            if source.is_js and not re.search(r"(?i)zip|unzip|tar\b|archive|entries", scope):
                continue
            detail = "An archive entry's own name is joined to the target folder and written."
        if detail is None or _CONTAINED.search(scope):
            continue
        yield Hit("security/zip-slip", line.number, confidence=0.75, detail=detail)


DETECTORS = (detect_template_built, detect_zip_slip)
