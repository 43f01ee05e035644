"""Access-control and session detectors: authorization that does not hold, identity taken from the request, the
session kept across a login, session cookies readable by scripts, and errors written into the response.

These judge handlers (functions that receive a request), so they read the outline's functions and the lines of
each; they never need the whole program: a screenshot of one handler file is enough."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit
from archreview.pipeline.analysis.outline import FUNCTION_KINDS, Block

# A call that checks the caller is logged in or allowed (`check_logged`, `requireLogin`, `ensureAuthenticated`,
# `verify_user`, `isAdmin`): the words of a check and of who is checked.
_CHECK_NAME = re.compile(
    r"^(?:check|require|ensure|verify|assert|validate|is|has|must)_?(?:\w*_)?"
    r"(?:log(?:ged|in)?|auth\w*|session|user|admin|role|permission|access|signed)\w*$",
    re.IGNORECASE,
)
# A bare call statement `name(req, res);` / `name(request, response);`: the check is handed the response (so it
# can only answer, not stop the caller) and its result is not read.
_BARE_CHECK_CALL = re.compile(
    r"^\s*(?:this\.)?(\w+)\s*\(\s*(?:req|request)\s*,\s*(?:res|response|resp)\s*(?:,\s*\w+\s*)?\)\s*;?\s*$"
)
_RESPONDS = re.compile(
    r"\bres\.(?:render|send|json|write|end|redirect|sendFile|status)\s*\(|\b(?:response|resp)\.(?:getWriter|"
    r"sendRedirect|getOutputStream)\s*\(|\bout\.print|\bgetRequestDispatcher\s*\("
)


def detect_auth_check_not_enforced(ctx: Context) -> Iterator[Hit]:
    """A login or role check called as a plain statement that is handed the response: when it answers (a redirect,
    a 401), nothing stops the handler, which goes on to do and answer what the check meant to refuse."""
    if ctx.source.is_python:
        return  # a Python check refuses by raising, which does stop the handler
    for line in ctx.lines:
        match = _BARE_CHECK_CALL.match(line.masked)
        if not match or not _CHECK_NAME.match(match.group(1)):
            continue
        function = ctx.outline.function_at(line.number)
        if function is None or function.name == match.group(1):
            continue
        after = ctx.source.masked_text(line.number + 1, function.end)
        if _RESPONDS.search(after) or re.search(r"\.\w+\s*\(", after):
            yield Hit(
                "security/auth-check-not-enforced",
                line.number,
                confidence=0.75,
                detail=f"`{match.group(1)}(...)` is called for its effect and the handler goes on after it.",
            )


# Python request handlers: an aiohttp/Django/Flask view taking the request, or a function under a route decorator.
_PY_HANDLER_PARAMS = frozenset({"request", "req"})
_PY_READS_FORM = re.compile(
    r"\brequest\.(?:post|json|form|data|POST|get_json|body)\b|\bawait\s+request\.(?:post|json|text)\s*\("
)
_WRITE_CALL = re.compile(
    r"\.(?:create|insert\w*|update\w*|delete\w*|remove\w*|save|add|set_\w+|put|bulk_create|destroy|"
    r"execute|executemany|commit)\s*\(|(?<![\w.])(?:create|insert|update|delete|remove)_\w+\s*\("
)
# Signs that a handler checks who calls it: an auth decorator, a current-user lookup, a login/role check.
_USER_CHECK = re.compile(
    r"@\w*(?:authori[sz]e|login_required|permission\w*|requires?_\w+|auth\w*|roles?_required|protected)\b|"
    r"\b(?:get_)?(?:auth_?user|current_user|logged_in_user|request\.user|g\.user|session_user)\b|"
    r"\b(?:is_authenticated|has_perm\w*|check_\w*(?:auth|login|perm|role)\w*|require_\w+|authori[sz]e\w*)\b|"
    r"\bsession\s*(?:\[\s*[\"']user\w*[\"']\s*\]|\.get\s*\(\s*[\"']user\w*[\"'])",
    re.IGNORECASE,
)


def _decorated_text(ctx: Context, block: Block) -> str:
    return ctx.source.code_text(block.decorator_start or block.start, block.end)


# Express routes: `router.post("/path", mw1, mw2, function (req, res) {...})`; the arguments between the path and
# the handler are its middlewares.
_JS_ROUTE = re.compile(
    r"\b(?:app|router|api|routes?)\s*\.\s*(get|post|put|patch|delete|all)\s*\(\s*([\"'`][^\"'`]*[\"'`])\s*,(.*)$"
)
# Routes that are public by design: they make the identity or session (or take a provider's callback).
_PUBLIC_ENDPOINT = re.compile(
    r"(?i)log_?in|sign_?(?:in|up|on)|register|logout|sign_?out|password|reset|forgot|auth|session|token|oauth|"
    r"callback|webhook|verify|confirm|activate|health|public"
)
_JS_AUTH_WORDS = (
    r"\b(?:\w*auth\w*|\w*login\w*|\w*logged\w*|ensure\w*|require\w*|is\w*(?:admin|user|signed)\w*|"
    r"passport\.authenticate|verify\w*|protect\w*|guard\w*|jwt\w*|checkRole\w*|has\w*Role\w*)\b"
)
_JS_AUTH_MIDDLEWARE = re.compile(_JS_AUTH_WORDS, re.IGNORECASE)
_JS_ROUTER_GUARD = re.compile(
    r"\b(?:app|router)\.use\s*\(\s*(?:[\"'`][^\"'`]*[\"'`]\s*,\s*)?" + _JS_AUTH_WORDS, re.IGNORECASE
)
# Spring controllers: a write mapping without a security annotation where sibling mappings carry one.
_JAVA_WRITE_MAPPING = re.compile(
    r"@(?:Post|Put|Delete|Patch)Mapping\b|@RequestMapping\s*\([^)]*RequestMethod\.(?:POST|PUT|DELETE|PATCH)"
)
_JAVA_MAPPING = re.compile(r"@(?:Get|Post|Put|Delete|Patch|Request)Mapping\b")
_JAVA_SECURED = re.compile(r"@(?:PreAuthorize|Secured|RolesAllowed|PostAuthorize)\b")


def _js_missing_authorization(ctx: Context) -> Iterator[Hit]:
    routes: list[tuple[int, str, bool]] = []
    for line in ctx.lines:
        match = _JS_ROUTE.search(line.masked)
        if match is None:
            continue
        middlewares = re.split(r"\b(?:async\s+)?function\b|\(\s*(?:req|request)\b|\basync\s*\(", match.group(3))[0]
        path = " ".join(line.strings) or match.group(2)
        public = bool(_PUBLIC_ENDPOINT.search(path) or _PUBLIC_ENDPOINT.search(match.group(3)))
        routes.append(
            (line.number, "public" if public else match.group(1), bool(_JS_AUTH_MIDDLEWARE.search(middlewares)))
        )
    if not any(guarded for _, _, guarded in routes) or _JS_ROUTER_GUARD.search(ctx.all_masked):
        return  # no route here is guarded (the guard is elsewhere), or one guard covers the router
    for number, verb, guarded in routes:
        if verb in ("post", "put", "patch", "delete") and not guarded:
            yield Hit(
                "security/missing-authorization",
                number,
                confidence=0.6,
                detail=f"This `{verb}` route has no login or role middleware, where other routes here have one.",
            )


def _java_missing_authorization(ctx: Context) -> Iterator[Hit]:
    methods = [
        b
        for b in ctx.outline.of_kind("method")
        if _JAVA_MAPPING.search(ctx.source.code_text(b.decorator_start or b.start, b.start))
    ]
    guarded = [m for m in methods if _JAVA_SECURED.search(ctx.source.code_text(m.decorator_start or m.start, m.start))]
    if not guarded or _JAVA_SECURED.search(
        ctx.source.code_text(1, min(m.decorator_start or m.start for m in methods) - 1)
    ):
        return  # nothing here is guarded, or the class's own annotation guards every method
    for method in methods:
        head = ctx.source.code_text(method.decorator_start or method.start, method.start)
        paths = " ".join(
            text
            for line in ctx.source.span(method.decorator_start or method.start, method.start - 1)
            for text in line.strings
        )
        if (
            method not in guarded
            and _JAVA_WRITE_MAPPING.search(head)
            and not _PUBLIC_ENDPOINT.search(f"{paths} {method.name}")
        ):
            yield Hit(
                "security/missing-authorization",
                method.start,
                confidence=0.6,
                detail=f"`{method.name}` changes data and carries no security annotation, where "
                f"{', '.join('`' + m.name + '`' for m in guarded[:3])} do.",
            )


# A handler parameter that carries the caller's credential (`@RequestHeader("x-auth-token") String token`).
_AUTH_PARAM = re.compile(r"(?i)^(?:auth\w*|\w*_?token|authorization|api_?key|x_?auth\w*|credentials?|jwt)$")


def _unused_credential(ctx: Context) -> Iterator[Hit]:
    """A request handler that receives the caller's token and never reads it: the check was meant and is missing."""
    for method in ctx.outline.of_kind(*FUNCTION_KINDS):
        head = ctx.source.code_text(method.decorator_start or method.start, method.start)
        if not (_JAVA_MAPPING.search(head) or re.search(r"@\w+\.(?:route|get|post|put|delete|patch)\s*\(", head)):
            continue
        body = ctx.source.masked_text(method.start + 1, method.end)
        for name in method.params:
            if _AUTH_PARAM.match(name) and not re.search(rf"(?<![\w.]){re.escape(name)}\b", body):
                yield Hit(
                    "security/missing-authorization",
                    method.start,
                    confidence=0.7,
                    detail=f"`{method.name}` receives the caller's `{name}` and never checks it.",
                )
                break


def detect_missing_authorization(ctx: Context) -> Iterator[Hit]:
    """A request handler that writes what the request sent (a create, update or delete) and checks no user, in a
    file whose other handlers do check one: the check was meant, and this handler lacks it. Python views, Express
    routes (their middlewares) and Spring mappings (their security annotations)."""
    yield from _unused_credential(ctx)
    if ctx.source.is_js:
        yield from _js_missing_authorization(ctx)
        return
    if ctx.source.is_java:
        yield from _java_missing_authorization(ctx)
        return
    if not ctx.source.is_python:
        return
    handlers = [
        b
        for b in ctx.outline.of_kind(*FUNCTION_KINDS)
        if b.params and b.params[0] in _PY_HANDLER_PARAMS and not b.owner
    ]
    if len(handlers) < 2:
        return
    checked = [h for h in handlers if _USER_CHECK.search(_decorated_text(ctx, h))]
    if not checked:
        return  # no handler here checks a user: the check lives elsewhere (a middleware), or nowhere to compare
    for handler in handlers:
        if handler in checked or _PUBLIC_ENDPOINT.search(
            _decorated_text(ctx, handler).split("\n", 1)[0] + handler.name
        ):
            continue
        body = ctx.body_lines(handler)
        if not _PY_READS_FORM.search("\n".join(line.masked for line in body)):
            continue
        write = next(
            (
                line
                for line in body
                if _WRITE_CALL.search(line.masked)
                and not re.search(r"\b(?:dict|list|set|self\.\w+|errors)\.(?:add|update)\b", line.masked)
            ),
            None,
        )
        if write is not None:
            yield Hit(
                "security/missing-authorization",
                write.number,
                confidence=0.65,
                related=(handler.start,),
                detail=f"`{handler.name}` changes stored data from the request and checks no user, "
                f"where {', '.join('`' + h.name + '`' for h in checked[:3])} check one.",
            )


# Request fields the server should decide, never the client: who acts (the sender, author, owner), with what rights
# (the role, an admin flag) and what it costs (the price). A value taken from the request under one of these names
# lets a caller act as someone else, raise their own rights or set their own price.
_TRUSTED_FIELD = (
    r"(?:sender|sender_?id|from_?user\w*|author|author_?id|owner|owner_?id|created_?by|posted_?by|"
    r"price|unit_?price|total_?price|item_?price|role|roles|user_?role|is_?admin)"
)
_JAVA_PARAM = re.compile(rf"\bget(?:Parameter|Header)\s*\(\s*\"({_TRUSTED_FIELD})\"\s*\)", re.IGNORECASE)
_PY_PARAM = re.compile(
    rf"\brequest\.(?:form|args|values|json|POST|GET|data)\s*(?:\.get\s*\(\s*|\[\s*)[\"']({_TRUSTED_FIELD})[\"']",
    re.IGNORECASE,
)
_JS_REQUEST = re.compile(r"\breq\.(?:body|query|params)\b|\burl\.parse\s*\(\s*req\.url")
# a use of the field, not a test of it (`params.price == undefined` checks that it came)
_JS_FIELD = re.compile(rf"(?<![\w$])([\w$]+(?:\.[\w$]+)*)\.({_TRUSTED_FIELD})\b(?!\s*[=!]=|\s*=[^=])", re.IGNORECASE)


def detect_identity_from_request(ctx: Context) -> Iterator[Hit]:
    """The sender, author, owner or price of an action read from the request's parameters."""
    source = ctx.source
    # Java's getParameter and Python's request.form / args: the field is the pattern's one group.
    parameter_reads = [_JAVA_PARAM] if source.is_java or source.language == "unknown" else []
    parameter_reads += [_PY_PARAM] if source.is_python else []
    for pattern in parameter_reads:
        for line in ctx.lines:
            match = pattern.search(line.code)
            if match:
                yield Hit(
                    "security/identity-from-request",
                    line.number,
                    confidence=0.7,
                    detail=f"`{match.group(1)}` comes from the request: the caller chooses it.",
                )
    if source.is_js:
        request_names = {"req.body", "req.query", "req.params"}
        for line in ctx.lines:
            assign = re.match(r"\s*(?:(?:var|let|const)\s+)?([\w$]+)\s*=\s*(.+)$", line.masked)
            if assign and _JS_REQUEST.search(assign.group(2)):
                request_names.add(assign.group(1))
        for line in ctx.lines:
            if re.match(r"\s*(?:\}\s*else\s+)?(?:if|while)\b", line.masked):
                continue  # a condition tests the field; the use that matters comes after
            for match in _JS_FIELD.finditer(line.masked):
                if match.group(1) in request_names:
                    yield Hit(
                        "security/identity-from-request",
                        line.number,
                        confidence=0.7,
                        detail=f"`{match.group(0)}` comes from the request: the caller chooses it.",
                    )
                    break


# A login: a password is checked, then the user is written into the session.
_PASSWORD_CHECK = re.compile(r"(?i)\bcheck_password\b|\bverify\w*\s*\(|password|passwd|\bpass\b|\bpwd\b")
_SESSION_LOGIN_WRITE = re.compile(
    r"\bsession\s*\[\s*[\"'](?:user\w*|uid|logged\w*|auth\w*|is_?logged\w*)[\"']\s*\]\s*=(?!=)|"
    r"\bsession\.(?:user\w*|logged\w*|auth\w*|uid)\s*=(?!=)|"
    r"\bsession\.setAttribute\s*\(\s*\"(?:user\w*|uid|is_?logged\w*|logged\w*|auth\w*)\"",
    re.IGNORECASE,
)
_SESSION_RENEWED = re.compile(
    r"\bnew_session\s*\(|\bsession\.(?:regenerate|invalidate|clear|cycle_key|flush|rotate)\s*\(|"
    r"\bchangeSessionId\s*\(|\.invalidate\s*\(\s*\)|\bsession\.new\s*\(|\bregenerate\s*\(|\brotate_token\s*\(|"
    r"(?<![\w.])login_user\s*\(|(?<![\w.])login\s*\(\s*request|\bsession\.clear\b|session_regenerate_id",
)


def detect_session_fixation(ctx: Context) -> Iterator[Hit]:
    """A login that writes the user into the existing session without starting a new one: whoever planted the
    session id before the login (a link, a shared machine) is logged in with the victim."""
    for function in ctx.outline.of_kind(*FUNCTION_KINDS):
        lines = ctx.body_lines(function)
        text = "\n".join(line.code for line in lines)
        if not _PASSWORD_CHECK.search(text) or _SESSION_RENEWED.search(text):
            continue
        inner = [
            f
            for f in ctx.outline.of_kind(*FUNCTION_KINDS)
            if f is not function and function.start < f.start and f.end <= function.end
        ]
        for line in lines:
            if any(f.contains(line.number) for f in inner):
                continue  # a nested function is judged on its own
            if _SESSION_LOGIN_WRITE.search(line.code):
                # Java: the session is fetched just before (`request.getSession()`): report there, where the new
                # one should be made
                start = line.number
                for back in range(line.number - 1, max(function.start, line.number - 4), -1):
                    previous = ctx.source.line(back)
                    if previous and re.search(r"\bgetSession\s*\(", previous.code):
                        start = back
                        break
                yield Hit(
                    "security/session-fixation",
                    start,
                    line.number,
                    confidence=0.65,
                    detail="The user is written into the session the login arrived with; no new session is started.",
                )
                break


_COOKIE_FLAG_OFF = re.compile(
    r"\b(?:httponly|http_only|httpOnly|HttpOnly|secure)\s*[=:]\s*(?:False|false)\b|"
    r"\bSESSION_COOKIE_(?:HTTPONLY|SECURE)\s*=\s*False\b|\bCSRF_COOKIE_(?:HTTPONLY|SECURE)\s*=\s*False\b|"
    r"\bsetHttpOnly\s*\(\s*false\s*\)|\bsetSecure\s*\(\s*false\s*\)"
)
_COOKIE_CONTEXT = re.compile(r"(?i)cookie|session|storage")


# Python's `set_cookie("session", token)`: Flask, Werkzeug and Django leave HttpOnly and Secure off unless asked
_PY_SESSION_COOKIE_SET = re.compile(
    r"\.set_cookie\s*\(\s*(?:key\s*=\s*)?[\"'](?![\w-]*(?:csrf|xsrf))[\w-]*(?:session|sess|sid|auth|token|jwt|remember|login)"
    r"[\w-]*[\"']",
    re.IGNORECASE,
)


def detect_cookie_flags_off(ctx: Context) -> Iterator[Hit]:
    """A session or cookie setting that turns HttpOnly or Secure off in Python or Java (the pack's Semgrep rule
    judges Express's cookie options), or a Python session cookie set without them."""
    if ctx.source.is_js:
        return
    for line in ctx.lines:
        if ctx.source.is_python and _PY_SESSION_COOKIE_SET.search(line.code):
            last, statement = ctx.statement(line.number)
            if not re.search(r"\bhttponly\s*=\s*True\b", statement) or not re.search(
                r"\bsecure\s*=\s*True\b", statement
            ):
                if re.search(r"\bexpires\s*=\s*0\b|,\s*[\"']{2}\s*[,)]", statement):
                    continue  # the cookie is being cleared (logout)
                yield Hit(
                    "security/insecure-cookie",
                    line.number,
                    last,
                    confidence=0.7,
                    detail="A session cookie is set without httponly=True and secure=True: scripts read it and "
                    "plain HTTP carries it.",
                )
                continue
        if not _COOKIE_FLAG_OFF.search(line.masked):
            continue
        last, statement = ctx.statement(line.number)
        function = ctx.outline.function_at(line.number)
        around = ctx.source.code_text(max(1, line.number - 3), last)
        if (
            _COOKIE_CONTEXT.search(statement)
            or _COOKIE_CONTEXT.search(around)
            or (function is not None and _COOKIE_CONTEXT.search(function.name))
        ):
            yield Hit(
                "security/insecure-cookie",
                line.number,
                confidence=0.75,
                detail="A cookie flag is switched off: HttpOnly lets scripts read the cookie when off, "
                "Secure sends it over plain HTTP when off.",
            )


def _call_text(ctx: Context, number: int, column: int) -> tuple[int, str]:
    """The masked text of the call whose `(` is at `column` of line `number`, to its closing bracket (40 lines at most),
    and its last line."""
    depth = 0
    parts: list[str] = []
    for line in ctx.source.span(number, number + 40):
        text = line.masked[column:] if line.number == number else line.masked
        for index, ch in enumerate(text):
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    parts.append(text[: index + 1])
                    return line.number, "\n".join(parts)
        parts.append(text)
    return number, "\n".join(parts)


_SESSION_MIDDLEWARE = re.compile(r"(?<![\w.$])(?:session|expressSession|cookieSession)\s*\(\s*\{")


def detect_session_cookie_defaults(ctx: Context) -> Iterator[Hit]:
    """express-session (or cookie-session) set up without `cookie` options: the session cookie has no Secure flag
    and, for express-session, no expiry."""
    if not ctx.source.is_js or not re.search(r"express-session|cookie-session", ctx.all_code):
        return
    for line in ctx.lines:
        match = _SESSION_MIDDLEWARE.search(line.masked)
        if match is None:
            continue
        last, call = _call_text(ctx, line.number, match.end() - 2)
        if not re.search(r"\b(?:cookie|secure)\s*:", call):
            yield Hit(
                "security/insecure-cookie",
                line.number,
                last,
                confidence=0.7,
                detail="The session middleware sets no cookie options: no Secure flag, no expiry.",
            )


_TEMPLATE_SETUP = re.compile(r"\b(?:setup|setup_jinja\w*|Environment|aiohttp_jinja2\.setup|TemplateLookup)\s*\(")


def detect_autoescape_off(ctx: Context) -> Iterator[Hit]:
    """A template engine set up with `autoescape=False` (aiohttp_jinja2.setup, jinja2.Environment, Mako): every
    value a template prints is written as markup."""
    if not ctx.source.is_python:
        return
    for line in ctx.lines:
        if not re.search(r"\bautoescape\s*=\s*False\b", line.masked):
            continue
        for back in range(line.number, max(0, line.number - _LOOKBACK_LINES), -1):
            previous = ctx.source.line(back)
            if previous and _TEMPLATE_SETUP.search(previous.masked):
                yield Hit(
                    "security/xss-html-injection",
                    line.number,
                    confidence=0.8,
                    detail="Templates are set up with autoescape off.",
                )
                break


_LOOKBACK_LINES = 6

# A caught exception: Java/JS `catch (Type e)`, Python `except Type as e`, a promise's `.catch(err => ...)`.
_CATCH_NAME = re.compile(
    r"\bcatch\s*\(\s*(?:final\s+)?(?:[\w.|\s]+\s+)?(\w+)\s*\)|\bexcept\b[^:]*\bas\s+(\w+)\s*:|"
    r"\.catch\s*\(\s*(?:async\s+)?(?:function\s*\w*\s*)?\(?\s*(\w+)"
)
# Writing to the caller: a servlet's writer or redirect, Express's response, a Python response body.
_RESPONSE_WRITE = re.compile(
    r"(?<![\w.])out\.(?:print|println|write|printf|append)\s*\(|\bgetWriter\s*\(\s*\)\s*\.\s*\w+\s*\(|"
    r"\b(?:response|resp)\.(?:sendRedirect|sendError)\s*\(|"
    r"\bres\.(?:send|json|write|end|render|redirect)\s*\(|\bres\.status\s*\([^)]*\)\s*\.\s*(?:send|json|end)\s*\(|"
    r"\breturn\s+(?:web\.)?(?:json_response|Response|HttpResponse|JsonResponse|jsonify|make_response|"
    r"render_template|render)\s*\(|"
    r"\b(?:HttpResponse|JsonResponse|jsonify|make_response|json_response)\s*\("
)


def _exception_names(ctx: Context, block: Block) -> tuple[str | None, int, int]:
    """The caught exception's name for a handler (or promise catch) block, and the lines of its body."""
    match = _CATCH_NAME.search(block.header) or _CATCH_NAME.search(ctx.source.masked_text(block.start, block.start))
    if match is None:
        return None, 0, 0
    return next(g for g in match.groups() if g), block.start, block.end


def _error_middleware(ctx: Context, seen: set[int]) -> Iterator[Hit]:
    """Express's error middleware `(err, req, res, next)`: the error's message or stack sent to the client; a branch
    that tests the error's type first (`err.name === "UnauthorizedError"`) answers a known error and is left."""
    if not ctx.source.is_js:
        return
    for block in ctx.outline.of_kind(*FUNCTION_KINDS):
        if len(block.params) != 4 or not re.fullmatch(r"e|err|error|ex|exception", block.params[0]):
            continue
        name = block.params[0]
        used = re.compile(rf"(?<![\w.$]){re.escape(name)}\b(?:\s*\.\s*(?:message|stack|toString)\b)?(?!\s*\.\s*\w)")
        typed: set[int] = set()  # lines inside `if (err.name === ...) {...}` / `if (err instanceof X) {...}`
        for line in ctx.source.span(block.start + 1, block.end):
            if re.search(rf"\bif\s*\(.*\b{re.escape(name)}\s*(?:\.\s*(?:name|code|type)\b|instanceof\b)", line.masked):
                brace = line.masked.find("{")
                last = _call_text(ctx, line.number, brace)[0] if brace >= 0 else line.number + 1
                typed.update(range(line.number, last + 1))
        for line in ctx.source.span(block.start + 1, block.end):
            if line.number in seen or line.number in typed:
                continue
            # not `res.render`: an error page's template decides what it shows (Express's generated one prints the
            # stack only in development)
            if not re.search(r"\bres\.(?:send|json|write|end)\s*\(|^\s*\.(?:send|json)\s*\(", line.masked):
                continue
            last, _ = _call_text(ctx, line.number, line.masked.index("("))
            masked = ctx.source.masked_text(line.number, last)
            if re.search(rf"(?<![\w.$]){re.escape(name)}\s*\.\s*(?:message|stack)\b", masked) or used.search(masked):
                seen.add(line.number)
                yield Hit(
                    "security/exception-in-response",
                    line.number,
                    last,
                    confidence=0.75,
                    detail=f"The error middleware sends `{name}`'s text to the client.",
                )


# A Spring method whose return value is the response body: a mapping in a @RestController, or @ResponseBody.
_SPRING_MAPPING = re.compile(r"@(?:Get|Post|Put|Delete|Patch|Request)Mapping\b")
_BODY_RETURNING = re.compile(r"@RestController\b|@ResponseBody\b")
# A caught type whose message is written for the caller (a failed validation says what was wrong with the input).
_VALIDATION_ERROR = re.compile(r"\bexcept\b[^:]*\b\w*Validation\w*\b|\bcatch\s*\([^)]*\b\w*Validation\w*\b")
# A Node callback's error parameter (`(err, stdout) => {`, `function (err) {`), not error middleware's four.
_CALLBACK_ERROR = re.compile(r"e|err|error")


def _returns_body(ctx: Context, line: int) -> bool:
    """Whether a Java `return` on `line` answers the caller: the method is a Spring mapping whose return value is
    the body (@ResponseBody, or any mapping of a @RestController); a plain @Controller's string is a view name."""
    method = ctx.outline.innermost(line, *FUNCTION_KINDS)
    if method is None:
        return False
    if _answers_body(ctx, method):
        return True
    # a helper whose result a body-returning mapping returns (`return injectableQuery(account);`)
    return any(
        _answers_body(ctx, mapping)
        and re.search(
            rf"\breturn\s+(?:this\.)?{re.escape(method.name)}\s*\(", ctx.source.masked_text(mapping.start, mapping.end)
        )
        for mapping in ctx.outline.of_kind(*FUNCTION_KINDS)
        if method.name and mapping is not method
    )


def _answers_body(ctx: Context, method: Block) -> bool:
    """Whether `method` is a Spring mapping whose return value is the response body."""
    annotations = ctx.source.code_text(method.decorator_start, method.start)
    if not _SPRING_MAPPING.search(annotations):
        return False
    owner = ctx.outline.class_at(method.start)
    owner_annotations = ctx.source.code_text(owner.decorator_start, owner.start) if owner is not None else ""
    return bool(_BODY_RETURNING.search(annotations) or _BODY_RETURNING.search(owner_annotations))


def _callback_errors_sent(ctx: Context, seen: set[int]) -> Iterator[Hit]:
    """A Node callback's error (`exec(cmd, (err, out) => { if (err) res.json(err) })`) sent to the caller."""
    if not ctx.source.is_js:
        return
    for block in ctx.outline.of_kind(*FUNCTION_KINDS):
        if not 1 <= len(block.params) <= 3 or not _CALLBACK_ERROR.fullmatch(block.params[0]):
            continue
        name = block.params[0]
        used = re.compile(rf"(?<![\w.$]){re.escape(name)}\b(?!\s*\.\s*(?:code|name|status|statusCode)\b)")
        for line in ctx.source.span(block.start, block.end):
            if line.number in seen or not re.search(
                r"\bres\.(?:send|json|write|end)\s*\(|"
                r"\bres\.status\s*\([^)]*\)\s*\.\s*(?:send|json|end)\s*\(",
                line.masked,
            ):
                continue
            inner = ctx.outline.innermost(line.number, *FUNCTION_KINDS)
            if (
                inner is not None
                and inner is not block
                and inner.params[:1] != block.params[:1]
                and name in inner.params
            ):
                continue  # a nested callback's own parameter of the same name
            last, _ = ctx.statement(line.number)
            masked = ctx.source.masked_text(line.number, last)
            call = masked[masked.index("res") :]
            if used.search(call):
                seen.add(line.number)
                yield Hit(
                    "security/exception-in-response",
                    line.number,
                    confidence=0.75,
                    detail=f"The callback's error `{name}` is sent to the caller.",
                )


def detect_exception_in_response(ctx: Context) -> Iterator[Hit]:
    """A caught exception (the object, its message or its stack trace) written into the response: the caller
    reads the server's internals (SQL, paths, class names, versions) that help an attack."""
    seen: set[int] = set()
    blocks = list(ctx.outline.of_kind("handler"))
    blocks += [b for b in ctx.outline.of_kind(*FUNCTION_KINDS) if ".catch" in b.header]
    for line in ctx.lines:  # promise catches the outline did not make a block of
        if re.search(r"\.catch\s*\(", line.masked):
            function = ctx.outline.innermost(line.number + 1, *FUNCTION_KINDS)
            if function is not None and function.start == line.number and function not in blocks:
                blocks.append(function)
    yield from _error_middleware(ctx, seen)
    yield from _callback_errors_sent(ctx, seen)
    for block in blocks:
        name, start, end = _exception_names(ctx, block)
        if name is None or name in ("_",):
            continue
        if _VALIDATION_ERROR.search(ctx.source.masked_text(block.start, block.start)):
            continue  # a failed validation's message tells the caller what was wrong with the input
        own_errors = False
        tries = [t for t in ctx.outline.of_kind("try") if t.end >= block.start - 1 and t.start < block.start]
        if tries:
            tried = ctx.source.masked_text(tries[-1].start, block.start - 1)
            own_errors = bool(re.search(r"\bthrow\s+new\s+\w*Error\s*\(|\braise\s+\w*(?:Validation|Value)Error", tried))
        used = re.compile(rf"(?<![\w.$]){re.escape(name)}\b(?!\s*\.\s*(?:getClass|name|code|status)\b)")
        for line in ctx.source.span(start, end):
            if line.number in seen:
                continue
            if not _RESPONSE_WRITE.search(line.masked) and not (
                ctx.source.is_java and re.match(r"\s*return\b", line.masked) and _returns_body(ctx, line.number)
            ):
                continue
            last, statement = ctx.statement(line.number)
            following = ctx.source.line(last + 1)
            while following is not None and following.code.lstrip().startswith(".") and last < end:
                last, more = ctx.statement(last + 1)  # a builder chain continued on the next lines
                statement += "\n" + more
                following = ctx.source.line(last + 1)
            masked = ctx.source.masked_text(line.number, last)
            # an f-string's or template literal's placeholders are code, though masking blanks them
            placeholders = (
                " ".join(re.findall(r"\{([^{}]*)\}", statement))
                if re.search(r"(?<![\w])[rRbB]?[fF][rR]?[\"']|`", statement)
                else ""
            )
            if not used.search(masked) and not used.search(placeholders):
                continue
            if own_errors and re.search(rf"\b{re.escape(name)}\.message\b", masked):
                continue  # the try throws its own errors (validation messages meant for the caller)
            seen.add(line.number)
            yield Hit(
                "security/exception-in-response",
                line.number,
                confidence=0.8,
                detail=f"The caught `{name}` is written into what the caller receives.",
            )


# -- session tokens anyone can forge: the user's name encoded, not signed ----------------------------------------
_ENCODED = re.compile(
    r"\b(?:base64\.(?:urlsafe_)?b64encode|b64encode|btoa|Base64\.getEncoder\(\)\.encodeToString)\s*\("
)
_DECODED = re.compile(r"\b(?:base64\.(?:urlsafe_)?b64decode|b64decode|atob|Base64\.getDecoder\(\)\.decode)\s*\(")
_IDENTITY_WORDS = re.compile(r"(?i)\buser(?:_?name)?\b|\busername\b|\bemail\b|\buser_?id\b|\blogin\b")
_SESSION_WORDS = re.compile(r"(?i)session|set_cookie|\.cookies?\b|addCookie|res\.cookie|remember")
_SIGNED = re.compile(r"(?i)hmac|\bsign\w*|jwt|itsdangerous|fernet|encrypt|serializer|signature|verify|digest")


def detect_forgeable_session(ctx: Context) -> Iterator[Hit]:
    """A session or remember-me token that is the user's name (or a JSON of it) encoded with Base64, or a cookie
    decoded to the user it names, with nothing signed or verified: anyone writes a token for any user."""
    for line in ctx.lines:
        encoded, decoded = _ENCODED.search(line.code), _DECODED.search(line.code)
        if not (encoded or decoded):
            continue
        last, statement = ctx.statement(line.number)
        function = ctx.outline.function_at(line.number)
        scope = (
            ctx.source.code_text(function.start, function.end)
            if function is not None
            else ctx.source.code_text(line.number - 5, line.number + 5)
        )
        if _SIGNED.search(scope) or not _SESSION_WORDS.search(scope):
            continue
        if encoded and _IDENTITY_WORDS.search(statement[encoded.start() :]):
            detail = "The session token is the user's name encoded, not signed: anyone can write one for any user."
        elif (
            decoded
            and re.search(r"(?i)cookie|session|token", statement)
            and _IDENTITY_WORDS.search(ctx.source.code_text(line.number, last))
        ):
            detail = "The user is read from a cookie by decoding it, with no signature checked: sessions are forged."
        else:
            continue
        yield Hit("security/forgeable-session-token", line.number, last, confidence=0.7, detail=detail)


# -- records fetched by a request-chosen id with no owner check (IDOR, CWE-639) --------------------------------
# The handler knows who calls it (a principal, `req.user`, `current_user`, a validated token's subject) ...
_KNOWS_USER = re.compile(
    r"\bPrincipal\b|\bAuthentication\b|@AuthenticationPrincipal|SecurityContextHolder|getRemoteUser|"
    r"getUserPrincipal|\breq(?:uest)?\.user\b|\breq\.session\.user\w*|\bres\.locals\.user\b|\bcurrent_user\b|"
    r"\bg\.user\b|\bget_jwt_identity\b|\btoken_validator\b|\bdecode_auth_token\b|\bverify_token\b|"
    r"\bget_identity\b|\[\s*[\"']sub[\"']\s*\]|\bsession\s*(?:\[\s*[\"']user\w*[\"']|\.get\s*\(\s*[\"']user\w*)"
)
# ... and fetches, changes or deletes a record by a value the request chose, without that user in the lookup
_JAVA_LOOKUP = re.compile(
    r"\b(\w*(?:[Dd]ao|DAO|[Rr]epo\w*|[Ss]ervice|[Mm]apper|[Mm]anager|[Ff]acade))\s*\.\s*"
    r"((?:find|get|load|select|query|read|delete|remove|update|fetch)\w*)\s*\("
)
_JS_LOOKUP = re.compile(
    r"\b([A-Z]\w*|\w*(?:[Rr]epo\w*|[Cc]ol\w*|[Mm]odel|[Dd]ao))\s*\.\s*"
    r"((?:find|findAll|findOne|findById\w*|findByPk|update\w*|destroy|delete\w*|remove)\b)\s*\("
)
_PY_LOOKUP = re.compile(
    r"\b([A-Z]\w*)\s*\.\s*(?:query\s*\.\s*(?:filter_by|filter|get|get_or_404)|objects\s*\.\s*(?:get|filter)|"
    r"get_or_none|get_by_id)\s*\(|\bget_object_or_404\s*\("
)
# the handler tests ownership or a role itself after the lookup, or is a login or an admin page
_OWNERSHIP_TEST = re.compile(
    r"(?i)forbidden|\b403\b|abort\s*\(|permission|access_?denied|unauthori[sz]ed|not allowed|hasRole|is_?admin|"
    r"@PreAuthorize|@Secured|@RolesAllowed|ROLE_|\badmin"
)
# an owner compared in a condition (`if (note.userId !== req.user.id)`), not only named in the answer
_OWNER_COMPARED = re.compile(
    r"(?i)^\s*(?:\}?\s*else\s+)?(?:if|elif|unless|assert|while)\b.*(?:owner|user_?id|\bauthor|belongs|\buser\b)|"
    r"(?:owner|user_?id|\bauthor|\.user\b)\w*\s*(?:[!=]==?|\.equals)"
)
# a lookup by a token, key or code the caller holds is how it proves access (an API key, a share or invite link)
_SECRET_LOOKUP = re.compile(r"(?i)token|api_?key|secret|invite|share|hash|\bcode\b|\bkey\b")
_JAVA_REQUEST_PARAM = re.compile(
    r"@(?:PathVariable|RequestParam)\b(?:\s*\([^)]*\))?\s+(?:final\s+)?[\w<>\[\],.?]+\s+(\w+)"
)
_JAVA_BOUND_BEAN = re.compile(
    r"(?:@(?:ModelAttribute|RequestBody|Valid)\b(?:\s*\([^)]*\))?\s+)+(?:final\s+)?([A-Z]\w*)\s+(\w+)|"
    r"[(,]\s*(?:final\s+)?([A-Z]\w*)\s+(\w+)\s*(?=[,)])"
)
_FRAMEWORK_TYPES = frozenset(
    {
        "Model",
        "ModelMap",
        "Principal",
        "Authentication",
        "HttpServletRequest",
        "HttpServletResponse",
        "HttpSession",
        "BindingResult",
        "RedirectAttributes",
        "String",
        "Integer",
        "Long",
        "Locale",
        "Errors",
        "MultipartFile",
        "Map",
        "List",
        "Pageable",
        "ServletRequest",
        "ServletResponse",
        "WebRequest",
        "SessionStatus",
    }
)


def _call_arguments(statement: str, start: int) -> str:
    """The text of the call whose `(` is at or after `start`, up to its closing bracket."""
    open_at = statement.find("(", start)
    depth = 0
    for index in range(open_at, len(statement)):
        if statement[index] == "(":
            depth += 1
        elif statement[index] == ")":
            depth -= 1
            if depth == 0:
                return statement[open_at + 1 : index]
    return statement[open_at + 1 :]


def _handlers(ctx: Context) -> Iterator[tuple[Block, set[str]]]:
    """Request handlers shown and the names holding what their request chose (path/query/body values)."""
    source = ctx.source
    for block in ctx.outline.of_kind(*FUNCTION_KINDS):
        head = source.code_text(block.decorator_start or block.start, block.start + 2)
        body = source.code_text(block.start + 1, block.end)
        names: set[str] = set()
        if source.is_java:
            if not _JAVA_MAPPING.search(head):
                continue
            signature = source.masked_text(block.start, block.start + 2).split("{", 1)[0]
            names.update(_JAVA_REQUEST_PARAM.findall(signature))
            beans = [(m.group(1) or m.group(3), m.group(2) or m.group(4)) for m in _JAVA_BOUND_BEAN.finditer(signature)]
            names.update(f"{name}.get" for kind, name in beans if kind and kind not in _FRAMEWORK_TYPES)
        elif source.is_js:
            if not block.params or block.params[0] not in ("req", "request"):
                continue
            names.update({"req.params", "req.query", "req.body"})
        elif source.is_python:
            decorated = source.code_text(block.decorator_start or block.start, block.start)
            params = [p for p in block.params if p not in ("self", "cls", "info", "root", "request", "args", "kwargs")]
            graphql = block.name == "mutate" or block.name.startswith("resolve_")
            route = bool(re.search(r"\.(?:route|get|post|put|patch|delete)\s*\(", decorated))
            if not (graphql or route or (not block.owner and re.search(r"\brequest\.", body))):
                continue
            names.update(params)
            names.update({"request.args", "request.json", "request.form", "request.values", "request_data"})
        else:
            continue
        # locals that take a request value: `String n = account.getNumber();`, `const userid = req.params.userid`
        for line in source.span(block.start + 1, block.end):
            assign = re.match(r"\s*(?:(?:const|let|var|final)\s+)?(?:[\w<>\[\]]+\s+)?(\w+)\s*=(?!=)\s*(.+)$", line.code)
            if assign and _mentions(assign.group(2), names):
                names.add(assign.group(1))
        yield block, names


def _mentions(text: str, names: set[str]) -> bool:
    """Whether `text` uses one of `names` (`account.get` stands for any getter of `account`)."""
    return any(
        re.search(rf"(?<![\w$.]){re.escape(name)}" + ("" if name.endswith(".get") else r"\b"), text) for name in names
    )


def detect_missing_ownership_check(ctx: Context) -> Iterator[Hit]:
    """A handler that knows its user and still fetches, changes or deletes a record by an id the request chose,
    with no owner in the lookup and no ownership test after it: any user reaches any user's record."""
    source = ctx.source
    pattern = _JAVA_LOOKUP if source.is_java else _JS_LOOKUP if source.is_js else _PY_LOOKUP
    for block, request_names in _handlers(ctx):
        text = source.code_text(block.decorator_start or block.start, block.end)
        if not _KNOWS_USER.search(text) or re.search(r"(?i)passw|\blog_?in\b|sign_?(?:in|up)|register", text):
            continue  # no user known here (nothing to own a record), or a login, whose lookup is by the name typed
        user_names = {"principal", "req.user", "current_user", "g.user"}
        for line in source.span(block.start + 1, block.end):
            assign = re.match(r"\s*(?:(?:const|let|var|final)\s+)?(?:[\w<>\[\]]+\s+)?(\w+)\s*=(?!=)\s*(.+)$", line.code)
            if assign and (_KNOWS_USER.search(assign.group(2)) or _mentions(assign.group(2), user_names)):
                user_names.add(assign.group(1))
        for line in source.span(block.start + 1, block.end):
            match = pattern.search(line.code)
            if match is None:
                continue
            _, statement = ctx.statement(line.number)
            offset = statement.find(match.group(0))
            arguments = _call_arguments(statement, max(offset, 0) + len(match.group(0)) - 1)
            if (
                not _mentions(arguments, request_names)
                or _KNOWS_USER.search(arguments)
                or _mentions(arguments, user_names)
                or _SECRET_LOOKUP.search(arguments)
            ):
                continue
            after = source.code_text(line.number, block.end)
            if (
                _OWNERSHIP_TEST.search(after)
                or any(_OWNER_COMPARED.search(later.code) for later in source.span(line.number + 1, block.end))
                or _OWNERSHIP_TEST.search(source.code_text(block.decorator_start or block.start, block.start))
            ):
                continue
            yield Hit(
                "security/missing-ownership-check",
                line.number,
                end=ctx.statement(line.number)[0],
                confidence=0.6,
                related=(block.start,),
                detail=f"`{block.name}` knows its user, but looks the record up by what the request sent only.",
            )
            break


DETECTORS = (
    detect_missing_ownership_check,
    detect_forgeable_session,
    detect_auth_check_not_enforced,
    detect_missing_authorization,
    detect_identity_from_request,
    detect_session_fixation,
    detect_cookie_flags_off,
    detect_session_cookie_defaults,
    detect_autoescape_off,
    detect_exception_in_response,
)
