"""Configuration detectors: hard-coded endpoints, paths, debug switches and pool sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.source import Line

_FROM_SETTINGS = re.compile(
    r"getenv|environ|process\.env|System\.getProperty|getProperty\s*\(|@Value|config\.get|"
    r"settings\.|Settings\(|argparse|add_argument|\.env\b",
)
_URL = re.compile(r"\b(?:https?|wss?|ftp)://[^\s/\"'`]+")
_CONNECTION = re.compile(
    r"\bjdbc:\w+:|\b(?:mongodb(?:\+srv)?|redis|rediss|postgres(?:ql)?|mysql|amqp|mssql|"
    r"sqlserver)://"
)
_HOST_PORT = re.compile(r"^(?:[\w-]+\.)*[\w-]+:\d{2,5}(?:/.*)?$")
_IP = re.compile(r"\b(?!0\.0\.0\.0\b)(?:\d{1,3}\.){3}\d{1,3}\b")
_PORT_ASSIGN = re.compile(r"(?<![\w.])(?:port|PORT|Port|\w+_PORT|\w+Port)\s*[=:]\s*\d{2,5}\b|\.listen\s*\(\s*\d{2,5}\b")
# Names that are written as URLs but never fetched: XML namespaces and parser feature ids, schema ids, licences.
_IGNORED_URLS = re.compile(r"www\.w3\.org|schemas\.|xmlns|json-schema\.org|purl\.org|apache\.org/licenses|"
                           r"apache\.org/xml/(?:features|properties)/|xml\.org/sax/|javax\.xml\.XMLConstants/")
_PATH = re.compile(
    r"^(?:/(?:var|etc|home|tmp|opt|usr|srv|mnt|data|Users|root|private|Library|media|run)/|"
    r"[A-Za-z]:[\\/]|~/)"
)


def _documentation(line: Line, python: bool) -> bool:
    """Docstrings and other bare string statements, which document rather than configure."""
    stripped = line.code.strip()
    if python and stripped.startswith(('"""', "'''", 'r"""', "r'''")):
        return True
    return bool(stripped) and not line.masked.strip()


def detect_hardcoded_endpoint(ctx: Context) -> Iterator[Hit]:
    """URLs, connection strings, IP addresses and ports written as literals."""
    for line in ctx.lines:
        if _documentation(line, ctx.source.is_python) or _FROM_SETTINGS.search(line.code):
            continue
        literal = False
        for text in line.strings:
            if _IGNORED_URLS.search(text):
                continue
            stripped = text.strip()
            host_port = bool(_HOST_PORT.match(stripped)) and not stripped[:1].isdigit()
            if _URL.search(text) or _CONNECTION.search(text) or _IP.search(text) or host_port:
                literal = True
        if literal or _PORT_ASSIGN.search(line.masked):
            yield Hit("configuration/hardcoded-endpoint", line.number, confidence=0.75)


def detect_hardcoded_path(ctx: Context) -> Iterator[Hit]:
    """Absolute file-system paths written as literals."""
    for line in ctx.lines:
        if _documentation(line, ctx.source.is_python) or _FROM_SETTINGS.search(line.code):
            continue
        if any(_PATH.match(text.strip()) for text in line.strings):
            yield Hit("configuration/hardcoded-path", line.number, confidence=0.7)


_DEBUG = re.compile(
    r"(?<![\w.])(?:\w+\.)?(?:debug|DEBUG|Debug)\s*[=:]\s*(?:True|true|1)\b(?!\s*[=.])|"
    r"[\"']debug[\"']\s*:\s*(?:True|true)\b|\.setDebug\s*\(\s*true\s*\)|"
    r"\bdebug\s*=\s*True\b"
)


def detect_debug_enabled(ctx: Context) -> Iterator[Hit]:
    """Debug mode switched on in code."""
    for line in ctx.lines:
        if _FROM_SETTINGS.search(line.code):
            continue
        if _DEBUG.search(line.masked) and "==" not in line.masked:
            yield Hit("configuration/debug-enabled", line.number, confidence=0.85)


_MAGIC_SETTING = re.compile(
    r"\b(?:pool_size|max_overflow|maxPoolSize|poolSize|connectionLimit|"
    r"max_connections|maxConnections|maxTotal|minIdle|maxIdle)\s*[=:]\s*\d+\b|"
    r"\bnew(?:Fixed|Scheduled)ThreadPool\s*\(\s*\d+|\bset(?:Maximum|Core)PoolSize\s*\(\s*\d+|"
    r"\bsetMax(?:Total|Idle)\s*\(\s*\d+"
)


def detect_magic_config_constant(ctx: Context) -> Iterator[Hit]:
    """Pool and worker sizes written as bare numbers in calls."""
    for line in ctx.lines:
        if _FROM_SETTINGS.search(line.code) or re.match(r"^\s*[A-Z][A-Z0-9_]*\s*=", line.masked):
            continue
        if _MAGIC_SETTING.search(line.masked):
            yield Hit("configuration/magic-config-constant", line.number, confidence=0.6)


DETECTORS = (
    detect_hardcoded_endpoint,
    detect_hardcoded_path,
    detect_debug_enabled,
    detect_magic_config_constant,
)
