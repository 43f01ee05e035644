"""Security detectors: injection, unsafe deserialization, secrets, TLS, DOM XSS.

Cryptography is in `crypto.py`; request data flowing into sinks in `dataflow.py`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit

SQL_STATEMENT = re.compile(  # also used by the layering detectors
    r"\b(select\s+[\w*,.\s()]+?\s+from\b|insert\s+into\b|update\s+\w+\s+set\b|delete\s+from\b)",
    re.IGNORECASE,
)
_SQL_WEAK = re.compile(r"\b(WHERE|AND|OR|VALUES|ORDER BY|LIMIT)\b")
_PY_FSTRING = re.compile(r"(?<![\w])[rRbB]?[fF][rR]?[\"']")
_PERCENT_FORMAT = re.compile(r"[\"']\s*%\s*[\w(\[]")
_CONCAT = re.compile(r"[\"'`]\s*\+\s*[\w(\[$]|[\w)\]]\s*\+\s*[\"'`]|\+=\s*[\w(]")
_DOT_FORMAT = re.compile(r"[\"']\s*\.format\s*\(|String\.format\s*\(|\.formatted\s*\(")


def _interpolates(statement: str, strings: str) -> bool:
    """Whether a statement splices values into its string literals."""
    return bool(
        _PY_FSTRING.search(statement)
        and "{" in strings
        or "${" in strings
        or _PERCENT_FORMAT.search(statement)
        or _CONCAT.search(statement)
        or _DOT_FORMAT.search(statement)
    )


def detect_sql_injection(ctx: Context) -> Iterator[Hit]:
    """SQL text assembled by formatting or concatenation."""
    for line in ctx.lines:
        joined = " ".join(line.strings)
        strong = SQL_STATEMENT.search(joined)
        if not strong and not (
            _SQL_WEAK.search(joined) and line.code.lstrip().startswith(("sql", "query", "q ", "stmt"))
        ):
            continue
        last, statement = ctx.statement(line.number)
        strings = " ".join(s for ln in ctx.source.span(line.number, last) for s in ln.strings)
        if not _interpolates(statement, strings):
            continue
        yield Hit(
            "security/sql-injection",
            line.number,
            min(last, line.number + 2),
            confidence=0.9 if strong else 0.7,
            detail="The query text is built from values at runtime.",
        )


_EVAL = re.compile(r"(?<![.\w])(eval|exec)\s*\(")
_NEW_FUNCTION = re.compile(r"\bnew\s+Function\s*\(")
_CONSTANT_ARG = re.compile(r"(?<![.\w])(?:eval|exec)\s*\(\s*[\"'][^\"'{}$]*[\"']\s*\)")


def detect_code_injection(ctx: Context) -> Iterator[Hit]:
    """`eval`/`exec`/`new Function`/script engines evaluating strings."""
    java_engine = ctx.source.is_java and "ScriptEngine" in ctx.all_masked
    child_process = "child_process" in ctx.all_code
    for line in ctx.lines:
        masked = line.masked
        if java_engine and re.search(r"\.eval\s*\(", masked):
            yield Hit("security/code-injection", line.number, confidence=0.75)
            continue
        match = _EVAL.search(masked)
        if match and not (ctx.source.is_java or (match.group(1) == "exec" and child_process)):
            if _CONSTANT_ARG.search(line.code):
                continue
            if ctx.source.is_python and match.group(1) == "exec" and "def exec" in masked:
                continue
            yield Hit(
                "security/code-injection",
                line.number,
                confidence=0.9,
                detail=f"`{match.group(1)}` runs a string as code.",
            )
        elif ctx.source.is_js and _NEW_FUNCTION.search(masked):
            yield Hit("security/code-injection", line.number, confidence=0.8)


_SHELL_TRUE = re.compile(r"\bshell\s*=\s*True\b")
_OS_SYSTEM = re.compile(r"\bos\.(system|popen)\s*\(|\bcommands\.getoutput\s*\(")
_JS_EXEC = re.compile(r"(?<![\w])(?:\w+\.)?(exec|execSync|spawn)\s*\(")
_JAVA_EXEC = re.compile(r"\.exec\s*\(|new\s+ProcessBuilder\s*\(")


# What a process call's first argument is not: a callback or nothing (`.exec(function (err, docs)`, `.exec()`).
_EXEC_CALLBACK = re.compile(r"\s*(?:\)|function\b|async\b|\(?[\w$,\s]*\)?\s*=>)")


def _query_exec(ctx: Context, number: int, masked: str, match: re.Match[str]) -> bool:
    """Whether a JS `exec(` is a query's or a regex's method, not a process: Mongoose's `Model.find(...).exec(cb)`
    (a method chain: a `.` before it on this line or ending the line above, its argument a callback or none)."""
    if _EXEC_CALLBACK.match(masked, match.end()):
        return True
    before = masked[: match.start()].rstrip()
    if before.endswith(").") and not re.search(r"\brequire\s*\(\s*['\"][^'\"]*['\"]\s*\)\.$", before):
        return True  # called on a call's result (`find({}).exec(`): child_process is a module, not a result
    if not before.strip():
        previous = ctx.source.line(number - 1)
        return previous is not None and previous.masked.rstrip().endswith(").")
    return False


def detect_command_injection(ctx: Context) -> Iterator[Hit]:
    """Shell commands built from strings."""
    source = ctx.source
    child_process = "child_process" in ctx.all_code or "shelljs" in ctx.all_code
    for line in ctx.lines:
        masked = line.masked
        if source.is_python or not source.uses_braces:
            if _SHELL_TRUE.search(masked):
                last, statement = ctx.statement(line.number)
                if re.search(r"\(\s*[\"'][^\"'{}%]*[\"']\s*,", statement) and not _interpolates(
                    statement, " ".join(s for ln in source.span(line.number, last) for s in ln.strings)
                ):
                    continue  # a constant command: a shell, but nothing of the caller's reaches it
                start = line.number
                for back in range(line.number, line.number - 4, -1):
                    previous = source.line(back)
                    if previous and re.search(r"\b(subprocess|Popen|check_output|run|call)\b", previous.masked):
                        start = back
                        break
                yield Hit(
                    "security/command-injection",
                    start,
                    line.number,
                    confidence=0.85,
                    detail="The command runs through a shell (`shell=True`).",
                )
                continue
            if _OS_SYSTEM.search(masked):
                _, statement = ctx.statement(line.number)
                constant = re.search(r"\(\s*[\"'][^\"'{}%]*[\"']\s*\)", statement)
                if not constant or _interpolates(statement, " ".join(line.strings)):
                    yield Hit("security/command-injection", line.number, confidence=0.85)
        elif source.is_js:
            match = _JS_EXEC.search(masked)
            if match and child_process and not re.search(r"\b(regex|re|pattern|rx)\.exec", masked):
                if _query_exec(ctx, line.number, masked, match):
                    continue
                last, statement = ctx.statement(line.number)
                strings = " ".join(s for ln in source.span(line.number, last) for s in ln.strings)
                if _interpolates(statement, strings) or re.search(r"(?:exec|execSync)\s*\(\s*[A-Za-z_$]", masked):
                    yield Hit("security/command-injection", line.number, confidence=0.85)
        elif source.is_java and _JAVA_EXEC.search(masked):
            last, statement = ctx.statement(line.number)
            strings = " ".join(s for ln in source.span(line.number, last) for s in ln.strings)
            if _interpolates(statement, strings) or ('"sh"' in statement and "+" in statement):
                yield Hit("security/command-injection", line.number, confidence=0.85)


_DESERIALIZE = re.compile(
    r"\b(c?[Pp]ickle\.loads?|marshal\.loads?|jsonpickle\.decode|dill\.loads?|"
    r"shelve\.open|\w*[Ss]eriali[sz]e\.unserialize)\s*\("
    # a free `unserialize(...)` (node-serialize's, PHP's); `Message.unserialize(data)` is a class's own parser
    r"|(?<![\w.$])unserialize\s*\("
)
_YAML_LOAD = re.compile(r"\byaml\.(load|load_all)\s*\(")


def detect_insecure_deserialization(ctx: Context) -> Iterator[Hit]:
    """pickle/marshal/unsafe yaml/Java object streams."""
    for line in ctx.lines:
        masked = line.masked
        if _DESERIALIZE.search(masked):
            yield Hit("security/insecure-deserialization", line.number, confidence=0.85)
        elif _YAML_LOAD.search(masked):
            _, statement = ctx.statement(line.number)
            if "SafeLoader" not in statement and "CSafeLoader" not in statement:
                yield Hit("security/insecure-deserialization", line.number, confidence=0.8)
        elif (
            ctx.source.is_java
            and re.search(r"\.readObject\s*\(\s*\)", masked)
            and "ObjectInputStream" in ctx.all_masked
            and not _filtering_stream(ctx, line.number, masked)
        ):
            yield Hit("security/insecure-deserialization", line.number, confidence=0.8)


def _filtering_stream(ctx: Context, number: int, masked: str) -> bool:
    """Whether `x.readObject()` reads from a project's own ObjectInputStream subclass (`AntObjectInputStream in =
    new AntObjectInputStream(bytes)`): such a class exists to check each class in `resolveClass` (a look-ahead
    allow or deny list, OWASP's deserialization cheat sheet), unlike the plain java.io stream."""
    receiver = re.search(r"(\w+)\s*\.\s*readObject\s*\(", masked)
    if receiver is None:
        return False
    function = ctx.outline.function_at(number)
    before = ctx.source.masked_text(function.start if function is not None else 1, number)
    made = re.findall(rf"\b{re.escape(receiver.group(1))}\s*=\s*new\s+([\w.]*)ObjectInputStream\s*\(", before)
    return bool(made) and made[-1] not in ("", "java.io.")


_SECRET_NAME = (
    r"[\w$]*(?:password|passwd|passwort|pwd|secret|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|auth[_-]?token|access[_-]?token|token|credentials?|client[_-]?secret)[\w$]*"
)
_SECRET_ASSIGN = re.compile(
    rf"(?<![\w$])({_SECRET_NAME})[\"']?\s*(?::\s*[\w\[\]<>]+\s*=|[:=])\s*[\"']([^\"']*)[\"']"
    rf"|[\"']({_SECRET_NAME})[\"']\s*,\s*[\"']([^\"']*)[\"']",
    re.IGNORECASE,
)
_SECRET_SETTER = re.compile(r"\.set(?:Password|Secret|ApiKey|Token)\s*\(\s*\"([^\"]+)\"", re.IGNORECASE)
_SECRET_FORMAT = re.compile(
    r"AKIA[0-9A-Z]{16}|sk_(?:live|test)_\w{8,}|ghp_\w{20,}|xox[bap]-[\w-]{10,}|"
    r"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY|AIza[\w-]{30,}"
)
_CREDENTIAL_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@")
# Hosts reserved for documentation (RFC 2606, RFC 6761): a URL with credentials for them is an example.
_DOCUMENTATION_HOST = re.compile(r"^[\w.-]*\b(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|invalid))\b")
_NOT_SECRET_NAME = re.compile(
    r"(field|label|prompt|placeholder|message|msg|error|param|header|name|pattern|regex|"
    r"url|uri|path|file|type|length|len|min|max|policy|hint|column|input|selector|"
    r"endpoint|route|key_?id|format|mode|prefix|suffix|env|var|attr|hash_?alg|_id)$",
    re.IGNORECASE,
)


def _split_token(value: str) -> bool:
    """A key or token OCR cut in two with one space (`tk_live9 f8a7b6c5d4`, a dropped `_` read as a gap): both
    pieces mix letters and digits, as words of prose do not."""
    pieces = value.split()
    return len(pieces) == 2 and all(re.search(r"\d", p) and re.search(r"[A-Za-z]", p) for p in pieces)


def _looks_like_secret(name: str, value: str) -> bool:
    if len(value) < 4 or (any(ch.isspace() for ch in value) and not _split_token(value)):
        return False
    if _NOT_SECRET_NAME.search(name):
        return False
    if value.startswith(("$", "{", "<", "%", "process.env", "os.environ", "/", "http")):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", value) and "_" in value:
        return False  # an environment variable's name, not its value
    lowered = value.lower()
    if lowered in (
        "password",
        "secret",
        "token",
        "api_key",
        "apikey",
        "none",
        "null",
        "bearer",
        # flags and modes named like credentials (`'Access-Control-Allow-Credentials': 'true'`,
        # fetch's `credentials: 'include'`)
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "include",
        "omit",
        "same-origin",
        "required",
    ):
        return False
    if re.fullmatch(r"[A-Z][a-z]+[.!]", value):
        return False  # a word of a message (`'Password': 'Updated.'`), punctuated as prose is
    return not (re.fullmatch(r"[*x.]+", lowered) or "example" in lowered)


# A secret read from the environment with a literal fallback (`os.environ.get("SECRET_KEY") or "dev"`,
# `process.env.JWT_SECRET || "superSecret"`, `getenv("API_TOKEN", "abc")`): when the variable is unset, as on a
# forgotten deployment, the literal signs or authenticates for real and anyone who reads the code knows it.
_ENV_LOOKUP = (
    rf"(?:os\.environ\.get|os\.getenv|getenv|environ\.get|System\.getenv)\s*\(\s*[\"']({_SECRET_NAME})[\"']\s*\)|"
    rf"process\.env\.({_SECRET_NAME})\b|process\.env\[\s*[\"']({_SECRET_NAME})[\"']\s*\]|"
    rf"(?:config|settings|env)\s*(?:\.get\s*\(|\[)\s*[\"']({_SECRET_NAME})[\"']\s*[\])]"
)
_SECRET_FALLBACK = re.compile(
    rf"(?:{_ENV_LOOKUP})\s*(?:\bor\b|\|\||\?\?)\s*[\"']([^\"']*)[\"']|"
    rf"(?:os\.environ\.get|os\.getenv|getenv|environ\.get)\s*\(\s*[\"']({_SECRET_NAME})[\"']\s*,\s*[\"']([^\"']*)[\"']\s*\)",
    re.IGNORECASE,
)


def _fallback_secret(code: str) -> bool:
    for match in _SECRET_FALLBACK.finditer(code):
        groups = match.groups()
        name = next((g for g in groups[:4] if g), None) or groups[5] or ""
        value = groups[4] if groups[4] is not None else (groups[6] or "")
        # a fallback may be a phrase (`|| 'keyboard cat'`): the name already says it is a secret
        if name and _looks_like_secret(name, value.replace(" ", "")):
            return True
    return False


# A name assigned from the request (`secret = request.getParameter("secret")`): a literal assigned to it elsewhere is
# the default for a value the caller did not send, not a credential of the program.
_FROM_REQUEST = re.compile(
    r"(?<![\w.$])([A-Za-z_$][\w$]*)\s*=\s*[^;\n]*?(?:\brequest\.get(?:Parameter|Header)\s*\(|\breq\.(?:body|query|params)\b|"
    r"\brequest\.(?:form|args|values|json|POST|GET|data)\b)"
)


def detect_hardcoded_secret(ctx: Context) -> Iterator[Hit]:
    """Passwords, tokens and keys written as literals (a literal fallback for a secret from the environment too)."""
    from_request = {m.group(1) for m in _FROM_REQUEST.finditer(ctx.all_code)}
    for line in ctx.lines:
        code = line.code
        hit = bool(_SECRET_FORMAT.search(code)) or _fallback_secret(code)
        for match in _SECRET_ASSIGN.finditer(code):
            name, value = match.group(1, 2) if match.group(1) else match.group(3, 4)
            before = code[: match.start()]
            if not match.group(1) and before.count("[") > before.count("]"):
                continue  # `["user", "password", "dbname"]`: field names listed, not a key and its value
            if re.match(r"\s*\+\s*[^\s\"'`]", code[match.end() :]):
                continue  # `token = "token::" + user_id`: a prefix of a value built at run time, not a secret
            if name in from_request and code[max(match.start() - 1, 0) : match.start()] not in ("'", '"'):
                continue  # the variable's default; a quoted key (`'password': 'admin123'`) is a record's value
            if _looks_like_secret(name, value):
                hit = True
        setter = _SECRET_SETTER.search(code)
        if setter and _looks_like_secret("password", setter.group(1)):
            hit = True
        credential = _CREDENTIAL_URL.search(code)
        if (
            credential
            and not credential.group(1).startswith(("$", "{", "<", "%"))
            and not (_DOCUMENTATION_HOST.search(code[credential.end() :]) or not line.masked.strip())
        ):
            hit = True
        if hit:
            yield Hit("security/hardcoded-secret", line.number, confidence=0.85)


_TLS_OFF = re.compile(
    r"\bverify\s*=\s*False\b|rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED|"
    r"_create_unverified_context|\bCERT_NONE\b|check_hostname\s*=\s*False|"
    r"ALLOW_ALL_HOSTNAME_VERIFIER|NoopHostnameVerifier|InsecureSkipVerify\s*:\s*true|"
    r"strictSSL\s*:\s*false|setHostnameVerifier\s*\(\s*\(?\s*\w+\s*,\s*\w+\s*\)?\s*->\s*true|"
    r"\.trustAll|TrustAll\w*|"
    # downloaders' and clients' option names (youtube-dl/yt-dlp, aiohttp's connector, pip-style flags)
    r"[\"']?\bno_?check_?certificates?[\"']?\s*[:=]\s*True\b|\bverify_ssl\s*=\s*False\b|"
    r"\bssl_verify\s*[:=]\s*False\b|--no-check-certificate\b|--insecure\b"
)


def detect_tls_disabled(ctx: Context) -> Iterator[Hit]:
    """Certificate or host-name verification turned off."""
    for line in ctx.lines:
        if _TLS_OFF.search(line.code):
            yield Hit("security/tls-verification-disabled", line.number, confidence=0.9)


_HTML_SINK = re.compile(r"\.(innerHTML|outerHTML)\s*\+?=\s*(.*)$")
_HTML_CALL = re.compile(r"\bdocument\.write(?:ln)?\s*\(|\.insertAdjacentHTML\s*\(|dangerouslySetInnerHTML")


def detect_xss(ctx: Context) -> Iterator[Hit]:
    """HTML sinks fed with non-constant content."""
    if not (ctx.source.is_js or ctx.source.language == "unknown"):
        return
    for line in ctx.lines:
        match = _HTML_SINK.search(line.masked)
        if match:
            rhs = match.group(2).strip().rstrip(";")
            raw_rhs = line.code[match.start(2) :].strip().rstrip(";")
            constant = re.fullmatch(r"[\"'`][^\"'`]*[\"'`]", rhs) and "${" not in raw_rhs
            if not constant:
                yield Hit("security/xss-html-injection", line.number, confidence=0.85)
        elif _HTML_CALL.search(line.masked):
            yield Hit("security/xss-html-injection", line.number, confidence=0.7)


_JINJA_TEMPLATE = re.compile(r"(?<![\w.])(?:jinja2\.)?Template\s*\(")
_JINJA_IMPORT = re.compile(r"^\s*(?:from\s+jinja2\s+import\b[^\n]*\bTemplate\b|import\s+jinja2\b)", re.MULTILINE)
_HTML_USE = re.compile(r"html|\.htm\b|<[a-zA-Z/!]", re.IGNORECASE)


def detect_unescaped_template(ctx: Context) -> Iterator[Hit]:
    """jinja2's `Template(...)` renders HTML with autoescape off (its default): every value put into the page is
    written as markup. Ruff's S701 judges `Environment(...)`; a bare Template built and rendered is the same flaw."""
    if not ctx.source.is_python or not _JINJA_IMPORT.search(ctx.all_code):
        return
    for line in ctx.lines:
        if not _JINJA_TEMPLATE.search(line.masked):
            continue
        _, statement = ctx.statement(line.number)
        if re.search(r"autoescape\s*=\s*(?!False)", statement):
            continue
        function = ctx.outline.function_at(line.number)
        scope = ctx.source.code_text(function.start, function.end) if function else statement
        if _HTML_USE.search(scope):
            yield Hit(
                "security/xss-html-injection",
                line.number,
                confidence=0.6,
                detail="jinja2.Template renders without autoescaping, and the output is HTML.",
            )


# Login answers that tell which part was wrong: an unknown account, then a wrong password (CWE-204).
_NO_SUCH_ACCOUNT = re.compile(
    r"(?i)\b(?:user(?:\s*name)?|account|e-?mail|login)\b[^.]{0,20}?\b(?:not\s+(?:found|registered|exists?)|"
    r"does\s*(?:not|n[o']?t)\s+exist|unknown|non[- ]?existe?a?nt)\b|"
    r"\b(?:invalid|unknown|incorrect|wrong|no\s+such|non[- ]?existe?a?nt)\s+(?:login\s+)?"
    r"(?:user(?:\s*name)?|account|e-?mail)\b"
)
_WRONG_PASSWORD = re.compile(
    r"(?i)\b(?:invalid|wrong|incorrect|bad)\s+password\b|\bpassword\s+(?:is\s+)?(?:invalid|wrong|incorrect|"
    r"not\s+(?:correct|valid|right))\b|"
    r"\bpassword\s+(?:does\s*(?:not|n[o']?t)|did\s*(?:not|n[o']?t))\s+match"
)
_EITHER = re.compile(r"(?i)(?:user\w*|account|e-?mail)\s*(?:or|and|/|and/or)\s*password|password\s*(?:or|and|/)\s*user")
_DECLARED = re.compile(
    r"^\s*(?:(?:const|let|var|final|private|static|public)\s+)*(?:[\w<>]+\s+)?([A-Za-z_$][\w$]*)\s*="
)


def _message_lines(ctx: Context, first: int, last: int, pattern: re.Pattern[str]) -> list[int]:
    """Lines between `first` and `last` that answer with a message matching `pattern`: where the literal is written,
    or, for a literal given a name (`const invalidUser = "Invalid username"`), where the name is used."""
    found = []
    for line in ctx.source.span(first, last):
        if not any(pattern.search(s) and not _EITHER.search(s) for s in line.strings):
            continue
        if re.match(r"\s*(?:it|test|describe|context)\s*\(", line.masked) or re.search(
            r"\b(?:expect|assert\w*|contains|toBe|toEqual|toContain|toHaveText|should)\s*\(", line.masked
        ):
            continue  # a test's name or expectation says what it checks: it is no answer
        declared = _DECLARED.match(line.masked)
        if declared:
            name = declared.group(1)
            use = next(
                (
                    later.number
                    for later in ctx.source.span(line.number + 1, last)
                    if re.search(rf"(?<![\w$.]){re.escape(name)}(?![\w$])", later.masked)
                ),
                None,
            )
            if use is not None:
                found.append(use)
                continue
        found.append(line.number)
    return found


def detect_user_enumeration(ctx: Context) -> Iterator[Hit]:
    """A login that answers an unknown account and a wrong password differently ('User not registered', then
    'Invalid password'): the difference tells a caller which accounts exist (CWE-204)."""
    functions = [
        f
        for f in ctx.outline.of_kind("function", "method")
        if not any(
            o is not f and o.contains(f.start) and o.end >= f.end for o in ctx.outline.of_kind("function", "method")
        )
    ]
    for function in functions:
        unknown = _message_lines(ctx, function.start, function.end, _NO_SUCH_ACCOUNT)
        wrong = _message_lines(ctx, function.start, function.end, _WRONG_PASSWORD)
        if not unknown or not wrong:
            continue
        first, other = unknown[0], wrong[0]
        close = abs(other - first) <= 12
        yield Hit(
            "security/user-enumeration",
            min(first, other) if close else first,
            max(first, other) if close else 0,
            related=() if close else (other,),
            confidence=0.7,
            detail="An unknown account and a wrong password get different answers, so a caller can test "
            "which accounts exist before guessing passwords.",
        )


# -- regular expressions open to catastrophic backtracking (ReDoS, CWE-1333) ----------------------------------
_PY_REGEX_CALL = re.compile(r"\bre\.(?:compile|match|search|fullmatch|findall|finditer|sub|subn|split)\s*\(")
_JAVA_REGEX_CALL = re.compile(r"\bPattern\.(?:compile|matches)\s*\(|\.(?:matches|replaceAll|replaceFirst|split)\s*\(")
_JS_REGEX_LITERAL = re.compile(
    r"(?:^|[=(,:!&|?;{}>\[]|\breturn|\bmatch|\btest)\s*/((?:\\.|\[(?:\\.|[^\]\n])*\]|[^/\n\\\[])+)/[dgimsuy]*"
)
_PRINTABLE = [chr(code) for code in range(32, 127)]
_UNBOUNDED = frozenset({"*", "+", "{,}"})
_OPTIONAL = frozenset({"*", "?", "{0}"})


def _regex_items(pattern: str, index: int = 0) -> tuple[list[list[tuple[object, str]]], int]:
    """Parse `pattern` from `index` to the closing bracket of its group: its alternatives, each a list of
    (atom, quantifier), where an atom is a character-class string or a nested (alternatives) list."""
    alternatives: list[list[tuple[object, str]]] = [[]]
    while index < len(pattern):
        char = pattern[index]
        if char == ")":
            return alternatives, index + 1
        if char == "|":
            alternatives.append([])
            index += 1
            continue
        atom: object
        if char == "(":
            index += 1
            if pattern.startswith("?", index):  # (?:...), (?=...), (?P<name>...): skip the group's flag
                match = re.match(r"\?(?:P?<[^>]*>|[:=!]|<[=!])?", pattern[index:])
                index += len(match.group(0)) if match else 1
            atom, index = _regex_items(pattern, index)
        elif char == "[":
            end = index + 1
            if pattern.startswith("^", end):
                end += 1
            if pattern.startswith("]", end):
                end += 1
            while end < len(pattern) and pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            atom, index = pattern[index : end + 1], end + 1
        elif char == "\\":
            atom, index = pattern[index : index + 2], index + 2
        elif char in "^$":
            index += 1
            continue
        else:
            atom, index = re.escape(char) if char != "." else ".", index + 1
        quantifier = ""
        match = re.match(r"[*+?]|\{(\d*)(,?)(\d*)\}", pattern[index:])
        if match:
            text = match.group(0)
            if text.startswith("{"):
                low, comma, high = match.groups()
                text = "{,}" if comma and not high else "{0}" if low in ("", "0") else "{n}"
            quantifier = text
            index += len(match.group(0))
            if pattern.startswith(("?", "+"), index):  # lazy or possessive
                index += 1
        if isinstance(atom, str) and atom in ("\\b", "\\B", "\\A", "\\Z", "\\z", "\\G"):
            continue
        alternatives[-1].append((atom, quantifier))
    return alternatives, index


def _charset(atom: object) -> frozenset[str]:
    if isinstance(atom, list):
        return frozenset().union(*(_charset(a) for alternative in atom for a, _ in alternative))
    try:
        compiled = re.compile(str(atom))
    except re.error:
        return frozenset()
    return frozenset(char for char in _PRINTABLE if compiled.fullmatch(char))


def _backtracks(alternatives: list[list[tuple[object, str]]]) -> bool:
    """Whether a repeated group can split the same text in many ways: inside it an unbounded item is followed,
    through optional items only (the group's next pass included), by an item that matches the same characters."""
    for alternative in alternatives:
        for atom, quantifier in alternative:
            if isinstance(atom, list) and _backtracks(atom):
                return True
            if not (isinstance(atom, list) and quantifier in _UNBOUNDED and len(atom) == 1):
                continue
            items = atom[0]
            for position, (inner, inner_quantifier) in enumerate(items):
                if inner_quantifier not in _UNBOUNDED:
                    continue
                chars = _charset(inner)
                for step in range(1, len(items) + 1):
                    other, other_quantifier = items[(position + step) % len(items)]
                    if _charset(other) & chars:
                        return True
                    if other_quantifier not in _OPTIONAL:
                        break
    return False


def _regex_literals(ctx: Context, code: str, strings: tuple[str, ...]) -> list[str]:
    source = ctx.source
    if source.is_js:
        found = [m.group(1) for m in _JS_REGEX_LITERAL.finditer(code)]
        return found + (list(strings) if re.search(r"\bnew\s+RegExp\s*\(", code) else [])
    if source.is_python and _PY_REGEX_CALL.search(code) or source.is_java and _JAVA_REGEX_CALL.search(code):
        return [text.replace("\\\\", "\\") if source.is_java else text for text in strings]
    return []


def detect_regex_dos(ctx: Context) -> Iterator[Hit]:
    """A repeated group whose inner repetition can match the same characters as what follows it (`(a+)+`,
    `([\\w.]*[a-z])*`): on a near-match the engine tries exponentially many splits."""
    for line in ctx.lines:
        last = ctx.statement(line.number)[0]
        strings = tuple(text for shown in ctx.source.span(line.number, last) for text in shown.strings)
        for literal in _regex_literals(ctx, line.code, strings):
            if len(literal) > 400 or not re.search(r"[*+}]\s*\)\s*[*+{]|\)[*+]|\)\{\d*,\}", literal):
                continue
            alternatives, _ = _regex_items(literal)
            if _backtracks(alternatives):
                yield Hit(
                    "security/regex-dos",
                    line.number,
                    end=last,
                    confidence=0.75,
                    detail="A repeated group holds a repetition that can match the same text as what follows it.",
                )
                break


DETECTORS = (
    detect_sql_injection,
    detect_code_injection,
    detect_command_injection,
    detect_insecure_deserialization,
    detect_hardcoded_secret,
    detect_tls_disabled,
    detect_xss,
    detect_unescaped_template,
    detect_user_enumeration,
    detect_regex_dos,
)
