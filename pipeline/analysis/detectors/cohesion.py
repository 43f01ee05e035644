"""Cohesion detectors: classes with unrelated concerns, oversized functions and classes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import Block

SIZE_THRESHOLDS_RESOURCE = "size_thresholds.json"  # under archreview/pipeline/data/: each limit with its source


def _thresholds() -> dict[str, int]:
    path = resources.files("archreview.pipeline") / "data" / SIZE_THRESHOLDS_RESOURCE
    entries = json.loads(path.read_text(encoding="utf-8"))["thresholds"]
    return {name: int(entry["value"]) for name, entry in entries.items()}


_LIMITS = _thresholds()
LONG_FUNCTION_LINES = _LIMITS["long_function_lines"]  # non-blank code lines that make a function "long"
MANY_METHODS = _LIMITS["many_methods"]
MANY_FIELDS = _LIMITS["many_fields"]
MANY_PARAMETERS = _LIMITS["many_parameters"]  # positional parameters

# Low-level APIs that show a class *doing* a concern itself (not delegating it).
_CONCERNS: dict[str, re.Pattern[str]] = {
    "persistence": re.compile(
        r"\.(execute|executeQuery|executeUpdate|cursor|commit|prepareStatement)\s*\(|"
        r"\b(sqlite3|psycopg2|pymysql|DriverManager|jdbc|MongoClient|knex)\b"
    ),
    "e-mail": re.compile(r"\b(smtplib|SMTP\w*|MIMEText|MimeMessage|nodemailer|sendmail|JavaMailSender)\b"),
    "http": re.compile(
        r"\brequests\.\w+\(|\burlopen\(|(?<![.\w])fetch\(|\baxios\b|\bHttpClient\b|HttpURLConnection|"
        r"\bhttpx\.\w+\("
    ),
    "rendering": re.compile(r"render_template|innerHTML|\bJinja|<\s*(html|div|table|tr|td|h1|ul|li|body|p)\b"),
    "files": re.compile(
        r"(?<![.\w])open\(|\bcsv\.\w+|FileWriter|FileReader|BufferedWriter|\bfs\.\w+|writeFile|"
        r"\bjson\.dump\(|Files\.\w+\("
    ),
    "payment": re.compile(r"\bstripe\b|\bpaypal\b|\.charge\s*\(|\bbraintree\b", re.IGNORECASE),
    "crypto": re.compile(r"\bhashlib\b|\bbcrypt\b|MessageDigest|createHash|\bjwt\b"),
    "pdf": re.compile(r"reportlab|PdfWriter|FPDF|pdfkit|PDDocument"),
}


def detect_mixed_responsibilities(ctx: Context) -> Iterator[Hit]:
    """Classes that do three or more unrelated kinds of work themselves."""
    for klass in ctx.outline.of_kind("class"):
        methods = [m for m in ctx.outline.of_kind("method") if m.owner == klass.name]
        if len(methods) < 3:
            continue
        text = ctx.source.code_text(klass.start, klass.end)
        concerns = sorted(name for name, pattern in _CONCERNS.items() if pattern.search(text))
        if len(concerns) >= 3:
            yield Hit("cohesion/mixed-responsibilities", klass.start, confidence=0.7,
                      detail=f"`{klass.name}` handles {', '.join(concerns)} itself.")


def detect_oversized(ctx: Context) -> Iterator[Hit]:
    """Long functions, long parameter lists and classes with too many members."""
    for function in ctx.outline.of_kind("function", "method"):
        body = [line for line in ctx.source.span(function.start, function.end) if line.code.strip()]
        if len(body) >= LONG_FUNCTION_LINES:
            yield Hit("cohesion/long-function", function.start, confidence=0.65,
                      detail=f"`{function.name}` spans {len(body)} lines of code.")
        positional = _positional_count(function)
        if positional >= MANY_PARAMETERS:
            yield Hit("cohesion/long-parameter-list", function.start, confidence=0.7,
                      detail=f"`{function.name}` takes {positional} positional parameters.")
    for klass in ctx.outline.of_kind("class"):
        methods = [m for m in ctx.outline.of_kind("method") if m.owner == klass.name]
        fields = set()
        for line in ctx.source.span(klass.start, klass.end):
            fields.update(re.findall(r"\b(?:self|this)\.(\w+)\s*=(?!=)", line.masked))
        if len(methods) >= MANY_METHODS or len(fields) >= MANY_FIELDS:
            yield Hit("cohesion/large-class", klass.start, confidence=0.6,
                      detail=f"`{klass.name}` has {len(methods)} methods and {len(fields)} fields.")


def _positional_count(function: Block) -> int:
    """Parameters a caller passes by position: in Python those before a bare `*` (keyword-only ones are named at
    every call, so their number does not invite mix-ups)."""
    header = function.header
    opening = header.find("(")
    if opening < 0 or not re.match(r"\s*(async\s+)?def\b", header):
        return len(function.params)
    depth, parts, current = 0, [], ""
    for ch in header[opening + 1:]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    names = [part.split(":")[0].split("=")[0].strip() for part in parts if part.strip()]
    if "*" in names or any(name.startswith("*") and not name.startswith("**") for name in names):
        cut = next(i for i, name in enumerate(names) if name.startswith("*") and not name.startswith("**"))
        names = names[:cut]
    return len([name for name in names if name not in ("self", "cls", "/") and not name.startswith("**")])


DETECTORS = (detect_mixed_responsibilities, detect_oversized)
