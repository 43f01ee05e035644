"""Cohesion detectors: classes with unrelated concerns, oversized functions and classes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit

LONG_FUNCTION_LINES = 30  # non-blank code lines that make a function "long"
MANY_METHODS = 15
MANY_FIELDS = 12
MANY_PARAMETERS = 7

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
        if len(function.params) >= MANY_PARAMETERS:
            yield Hit("cohesion/long-parameter-list", function.start, confidence=0.7,
                      detail=f"`{function.name}` takes {len(function.params)} parameters.")
    for klass in ctx.outline.of_kind("class"):
        methods = [m for m in ctx.outline.of_kind("method") if m.owner == klass.name]
        fields = set()
        for line in ctx.source.span(klass.start, klass.end):
            fields.update(re.findall(r"\b(?:self|this)\.(\w+)\s*=(?!=)", line.masked))
        if len(methods) >= MANY_METHODS or len(fields) >= MANY_FIELDS:
            yield Hit("cohesion/large-class", klass.start, confidence=0.6,
                      detail=f"`{klass.name}` has {len(methods)} methods and {len(fields)} fields.")


DETECTORS = (detect_mixed_responsibilities, detect_oversized)
