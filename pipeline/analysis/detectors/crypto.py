"""Cryptography detectors: broken hashes (for passwords or at all), broken ciphers and modes, predictable
random numbers used as secrets. One pattern set a language family, matched on comment-free code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from archreview.pipeline.analysis.detectors.base import Context, Hit

# Inside an algorithm-name argument no other name is this close, so OCR's digit slips (`shal`, `SHAI`, `MDS` for
# sha1, SHA1, MD5) still name the weak digest.
_WEAK_DIGESTS = r"md2|md4|md[5s]|sha[1li]?|sha-[1li]"
_WEAK_HASH = re.compile(
    rf"\bhashlib\.(?:md5|sha[1l]|md4)\s*\(|\bhashlib\.new\s*\(\s*(?:name\s*=\s*)?[\"'](?:{_WEAK_DIGESTS})[\"']|"
    r"\bhashes\.(?:MD5|SHA1)\s*\(|\b(?:MD2|MD4|MD5|SHA|SHA1)\.new\s*\(|\bcrypt\.METHOD_(?:CRYPT|MD5)\b|"
    rf"\bcreateHash\s*\(\s*[\"'](?:{_WEAK_DIGESTS})[\"']|"
    rf"\bgetInstance\s*\(\s*\"(?:{_WEAK_DIGESTS})\"|\bDigestUtils\.(?:md2|md5|sha1?|getMd5|getSha1)\w*\s*\(|"
    r"\bHashing\.(?:md5|sha1)\s*\(|(?<![\w.])(?:md5|sha1|MD5|SHA1)\s*\(",
    re.IGNORECASE,
)
_NOT_FOR_SECURITY = re.compile(r"usedforsecurity\s*=\s*False")
# A digest that only names content (an ETag, a cache key, a checksum) is not a security use: the line says so.
# So does an identifier a service defines as an MD5 (Gravatar's avatar URL is the MD5 of the e-mail address).
_NON_SECURITY_USE = re.compile(r"etag|checksum|cache|fingerprint|dedup|shard|partition|bucket|content.?hash|"
                               r"gravatar|avatar|identicon", re.IGNORECASE)
_CREDENTIAL_WORDS = re.compile(r"passw|pwd|secret|credential|\bpin\b|token|api_?key", re.IGNORECASE)
# `from Crypto.Hash import MD5 as md5_hash`: the alias is the algorithm.
_HASH_ALIAS = re.compile(r"\bimport\s+(MD2|MD4|MD5|SHA1?)\s+as\s+(\w+)")


def detect_weak_hash(ctx: Context) -> Iterator[Hit]:
    """MD5/SHA-1 and older: for credentials (high), or at all (medium)."""
    aliases = [alias for _, alias in _HASH_ALIAS.findall(ctx.all_code)]
    alias_call = re.compile(rf"\b(?:{'|'.join(map(re.escape, aliases))})\.new\s*\(") if aliases else None
    for line in ctx.lines:
        code = line.code
        if re.match(r"\s*(?:from|import)\s", code) or re.match(r"\s*(?:def|function)\s", code):
            continue
        if not (_WEAK_HASH.search(code) or (alias_call and alias_call.search(code))):
            continue
        declared = ctx.outline.function_at(line.number)
        if declared is not None and declared.start == line.number and declared.name and not (
                _WEAK_HASH.search(code.replace(f"{declared.name}(", "(")) or (alias_call and alias_call.search(code))):
            continue  # `public static String SHA1(String text)`: the method's own name, declared here
        _, statement = ctx.statement(line.number)
        if _NOT_FOR_SECURITY.search(statement):
            continue
        if _NON_SECURITY_USE.search(line.raw) and not _CREDENTIAL_WORDS.search(line.raw):
            continue
        function = ctx.outline.function_at(line.number)
        lo, hi = (function.start, function.end) if function else (line.number - 2, line.number + 2)
        near = ctx.source.code_text(max(lo, line.number - 4), min(hi, line.number + 4))
        # the digest's use is on the next lines (`digest = md5(email)`, then the Gravatar URL built from it)
        use = ctx.source.code_text(line.number, min(hi, line.number + 2)) + "\n" + (function.name if function else "")
        if _NON_SECURITY_USE.search(use) and not _CREDENTIAL_WORDS.search(near):
            continue
        if _CREDENTIAL_WORDS.search(code) or (function and _CREDENTIAL_WORDS.search(function.name)):
            yield Hit("security/weak-password-hash", line.number, confidence=0.85)
        elif _CREDENTIAL_WORDS.search(near):
            yield Hit("security/weak-password-hash", line.number, confidence=0.7)
        else:
            yield Hit("security/weak-hash", line.number, confidence=0.7)


_WEAK_CIPHER_NAMES = r"DES|DES3|DESede|TripleDES|3DES|RC2|RC4|ARC2|ARC4|ARCFOUR|Blowfish|CAST5?|IDEA|SEED|XOR"
_WEAK_CIPHER = re.compile(
    rf"\balgorithms\.(?:ARC4|Blowfish|CAST5|IDEA|SEED|TripleDES)\s*\(|\bmodes\.ECB\s*\(|\bMODE_ECB\b|"
    rf"\b(?:{_WEAK_CIPHER_NAMES})\.new\s*\(|"
    r"\bCipher\.getInstance\s*\(\s*\"(?:DES|DESede|TripleDES|RC2|RC4|ARCFOUR|Blowfish|AES\"|[^\"]*/ECB/)|"
    r"\bnew\s+NullCipher\s*\(|\bKeyGenerator\.getInstance\s*\(\s*\"(?:DES|DESede|RC2|RC4)\"|"
    r"\bcreate(?:De)?[Cc]ipher(?:iv)?\s*\(\s*[\"'](?:des|des3|des-ede\w*|rc2|rc4|bf|blowfish|cast|idea|seed|"
    r"[\w-]*-ecb)\b|\bcreate(?:De)?[Cc]ipher\s*\(",
    re.IGNORECASE,
)
_EMPTY_IV = re.compile(r"\bcreate(?:De)?[Cc]ipheriv\s*\([^,]+,[^,]+,\s*(?:[\"']{2}|null|Buffer\.alloc\(0\))")
_CIPHER_ALIAS = re.compile(rf"\bimport\s+({_WEAK_CIPHER_NAMES})\s+as\s+(\w+)", re.IGNORECASE)


def detect_weak_cipher(ctx: Context) -> Iterator[Hit]:
    """Broken ciphers, ECB mode, IV-less or empty-IV encryption."""
    aliases = [alias for _, alias in _CIPHER_ALIAS.findall(ctx.all_code)]
    alias_call = re.compile(rf"\b(?:{'|'.join(map(re.escape, aliases))})\.new\s*\(") if aliases else None
    for line in ctx.lines:
        code = line.code
        if re.match(r"\s*(?:from|import)\s", code):
            continue
        if _WEAK_CIPHER.search(code) or _EMPTY_IV.search(code) or (alias_call and alias_call.search(code)):
            yield Hit("security/weak-cipher", line.number, confidence=0.8)


_PREDICTABLE = re.compile(
    r"\brandom\.(?:random|randint|randrange|choice|choices|sample|getrandbits|randbytes|uniform|shuffle)\s*\(|"
    r"\bMath\.random\s*\(|\bnew\s+(?:java\.util\.)?Random\s*\(|\bThreadLocalRandom\.current\s*\(|"
    r"\bRandomStringUtils\.random\w*\s*\(|\bnew\s+Random\s*\("
)
_ALWAYS_WEAK = re.compile(r"\bpseudoRandomBytes\s*\(")
_SECRET_USE = re.compile(
    r"token|passw|secret|\bkey\b|_key\b|Key\b|nonce|salt|session|sessid|\botp\b|csrf|xsrf|cookie|remember|"
    r"auth(?!or)|reset|verif|captcha|\bpin\b|api_?key|credential|invite|voucher|coupon|sms|one.?time|\b2fa\b|\bmfa\b",
    re.IGNORECASE,
)


_SCOPE_LINES = 40  # a function longer than this is judged by the lines around the call, not by all its text


def detect_insecure_randomness(ctx: Context) -> Iterator[Hit]:
    """Non-cryptographic random numbers whose value is used as a secret."""
    for line in ctx.lines:
        code = line.code
        if _ALWAYS_WEAK.search(code):
            yield Hit("security/insecure-randomness", line.number, confidence=0.85)
            continue
        if not _PREDICTABLE.search(code):
            continue
        function = ctx.outline.function_at(line.number)
        if function is not None and function.end - function.start <= _SCOPE_LINES:
            scope = function.name + "\n" + ctx.source.code_text(function.start, function.end)
        else:
            # no function, or one too large to say what this value is for (a JS module's wrapper function, a
            # `SessionHandler` holding every route, whose arrow-function members the outline does not list)
            scope = ctx.source.code_text(line.number - 3, line.number + 3)
        owner = ctx.outline.class_at(line.number)
        if owner is not None:
            scope += "\n" + owner.name  # `RandomVerificationCodeGenerator.generate()`: the class says what for
        if _SECRET_USE.search(scope):
            yield Hit("security/insecure-randomness", line.number, confidence=0.7,
                      detail="The value feeds a security decision or secret.")




# -- passwords kept or compared in clear ----------------------------------------------------------------------
_PW = r"(?:pass(?:word|wd)?|pwd)"
_PW_NAME = re.compile(rf"(?i){_PW}")
# a hashed value, a hash function, a presence or length test: no clear-text password is handled there
_HASHED = re.compile(
    r"(?i)hash|digest|bcrypt|scrypt|argon|pbkdf|\bcrypt\b|encrypt|encoder|sha\d|md5|hmac|salt|check_?password|"
    r"verify|\.matches\s*\(|PasswordEncoder|passlib"
)
# a second copy typed to confirm, an old or new password checked against the other, a field's name or rule
_NOT_STORED = re.compile(
    r"(?i)confirm|again|repeat|retype|re_?enter|\w2\b|old|new|length|len\s*\(|policy|\bmin|\bmax|field|label|input|"
    r"placeholder|regex|pattern|strength|empty|blank|null|none|undefined|expir|reset|change"
)
_OPERAND = r"[\w$.]+(?:\s*\[\s*['\"]?[\w$]+['\"]?\s*\])*(?:\s*\(\s*(?:['\"][\w-]*['\"])?\s*\))?"
_COMPARISON = re.compile(rf"(?<![\w$.])({_OPERAND})\s*(?:===?|!==?)\s*({_OPERAND})")
_JAVA_EQUALS = re.compile(rf"(?<![\w$.])({_OPERAND})\.equals(?:IgnoreCase)?\s*\(\s*({_OPERAND})\s*\)")
# SQL that matches or writes a password column with a value put in (a placeholder, a format slot, concatenation)
_SQL_PASSWORD = re.compile(
    rf"(?i)\b{_PW}\b\s*=\s*(?:'\s*)?(?:\?|%s|%\(\w+\)s|\{{\w*\}}|:\w+|\$\d+|[\"'`]\s*\+|\$\{{)|"
    rf"\binsert\s+into\s+\w+\s*\([^)]*\b{_PW}\b[^)]*\)\s*values"
)
_SQL_VERB = re.compile(r"(?i)\b(?:select|update|insert|delete)\b")
# an ORM or document query, or a record created, by a password field: `filter_by(..., password=password)`,
# `find({username, password})`, `create({..., password: req.body.password})`
_QUERY_CALL = re.compile(
    r"(?:\.|\b)(?:find\w*|filter\w*|where|get_or_none|select\w*|count\w*|exists|create|insert\w*|save|"
    r"update\w*|first_or_404|one_or_none)\s*\("
)
_FIELD_VALUE = re.compile(
    rf"[({{,]\s*['\"]?{_PW}['\"]?\s*[=:]\s*(?![=>])([\w$.\[\]'\"()]+)|[{{,]\s*{_PW}\s*(?=[,}}])"
)
_DESTRUCTURING = re.compile(r"^\s*(?:(?:const|let|var)\s*)?\{[^}]*\}\s*=(?!=)")
_RECORD = re.compile(r"(?<![\w.])[A-Z]\w*\s*\(|\{")
# `user.password = request_data.get('password')` then a commit: the record keeps what was typed
_ATTRIBUTE_SET = re.compile(rf"\s*[\w$]+(?:\.[\w$]+)*\.{_PW}\s*=(?!=)\s*(.+?);?\s*$")
_REQUEST_VALUE = re.compile(r"\b(?:req|request|request_data|data|body|form|params|args)\b")
# one member of a literal spread over lines: `password,`, `'password': password,`, `password: req.body.password`
_MEMBER_LINE = re.compile(rf"^\s*['\"]?{_PW}['\"]?\s*(?::\s*([\w$.\[\]'\"()]+))?\s*,?\s*$")
_STORED_LITERAL = re.compile(r"(?<![\w$.])[\w$]+\s*\[[^\]]+\]\s*=\s*\{\s*$")
_OPENED_LITERAL = re.compile(r"=\s*\{\s*$|\(\s*\{\s*$")
_STORE_CALL = re.compile(
    r"\.(?:save|insert\w*|create|persist|commit|bulk_create)\s*\(|\b(?:session|db|em|entityManager)\.(?:add|persist|merge)\s*\("
)
_MODEL_CLASS = re.compile(
    r"^\s*class\s+\w+\s*\((?:[\w.]*\b(?:Model|Base|Document|db\.Model|models\.Model))\b|"
    r"^\s*class\s+(?:\w*User|\w*Account|\w*Customer|\w*Member)\b"
)
# Django's and similar helpers hash the password themselves
_HASHING_HELPERS = re.compile(r"\bcreate_(?:super)?user\s*\(|\bset_password\s*\(")


def _scope(ctx: Context, number: int) -> str:
    """The code of the function holding line `number` (a few lines either side outside functions)."""
    function = ctx.outline.function_at(number)
    if function is not None:
        return ctx.source.code_text(function.start, function.end)
    return ctx.source.code_text(number - 8, number + 8)


def _as_typed(value: str) -> bool:
    """Whether `value` is what the user typed: no string literal, no hash, no confirmation copy or field rule."""
    literal = bool(value) and value[0] in "'\"`"
    return not literal and not _HASHED.search(value) and not _NOT_STORED.search(value)


def _clear_operand(text: str) -> bool:
    """Whether `text` names a password that is not hashed, confirmed or merely tested."""
    return bool(_PW_NAME.search(text)) and _as_typed(text)


def detect_plaintext_password(ctx: Context) -> Iterator[Hit]:
    """Passwords compared with a stored one, looked up, or stored, as the user typed them: no password hash."""
    seen: set[int] = set()
    for line in ctx.lines:
        code = line.code
        if not _PW_NAME.search(code) or re.match(r"\s*(?:def|function|import|from|@|#|//|\*)", code):
            continue
        scope = _scope(ctx, line.number)
        if _HASHING_HELPERS.search(code) or any(
                _PW_NAME.search(text) and _HASHED.search(text) for text in scope.splitlines()):
            continue  # the function hashes or verifies a password: its password use is the hash's
        detail = ""
        comparisons = [*_COMPARISON.findall(code), *(_JAVA_EQUALS.findall(code) if ctx.source.is_java else [])]
        if any(_clear_operand(left) and _clear_operand(right) for left, right in comparisons):
            detail = "A stored password is compared with the one the user typed: passwords are kept in clear."
        elif _SQL_VERB.search(code) and _SQL_PASSWORD.search(code):
            detail = "The password column is matched or written with the value as typed: passwords are kept in clear."
        elif not (_DESTRUCTURING.match(line.masked) or _declares_function(ctx, line.number)) and (
                _QUERY_CALL.search(line.masked) or (_RECORD.search(line.masked) and _store_follows(ctx, line.number))):
            for match in _FIELD_VALUE.finditer(code):
                value = match.group(1)
                if value is None or _as_typed(value) and (
                        _PW_NAME.search(value) or re.search(r"\b(?:req|request)\.", value)):
                    detail = "The password is queried or stored as the user typed it: passwords are kept in clear."
                    break
        member = _MEMBER_LINE.match(code)
        if not detail and member and _member_of_stored_record(ctx, line.number):
            value = member.group(1) or ""
            named = not value or _PW_NAME.search(value) or _REQUEST_VALUE.search(value)
            if named and _as_typed(value):
                detail = "The record is stored with the password as typed: passwords are kept in clear."
        assigned = _ATTRIBUTE_SET.match(code)
        value = assigned.group(1) if assigned else ""
        if not detail and assigned and not code.lstrip().startswith(("self.", "this.")) and _as_typed(value) \
                and (_PW_NAME.search(value) or _REQUEST_VALUE.search(value)) and _store_follows(ctx, line.number):
            detail = "The password is saved as the user typed it: passwords are stored in clear."
        if not detail and ctx.source.is_python and re.match(rf"\s*self\.{_PW}\s*=\s*{_PW}\s*$", code):
            owner = ctx.outline.class_at(line.number)
            header = ctx.source.code_text(owner.start, owner.start) if owner else ""
            if _MODEL_CLASS.search(header):
                detail = "The model keeps the password as given: passwords are stored in clear."
        if detail and line.number not in seen:
            seen.add(line.number)
            yield Hit("security/plaintext-password", line.number, confidence=0.7, detail=detail)


def _member_of_stored_record(ctx: Context, number: int) -> bool:
    """Whether line `number` is a member of an object or dict literal opened just above that is stored: kept in a
    collection (`users[name] = {`) or saved a few lines below (`usersCol.insert(user)`)."""
    for above in range(number - 1, max(number - 8, 0), -1):
        shown = ctx.source.line(above)
        if shown is None:
            break
        if _STORED_LITERAL.search(shown.masked):
            return True
        if _OPENED_LITERAL.search(shown.masked):
            return bool(_STORE_CALL.search(ctx.source.masked_text(number, number + 20)))
    return False


def _declares_function(ctx: Context, number: int) -> bool:
    """Whether a function whose parameters name a password starts on line `number`: the list stores nothing."""
    return any(
        block.start == number and any(_PW_NAME.search(param) for param in block.params)
        for block in ctx.outline.of_kind("function", "method")
    )


def _store_follows(ctx: Context, number: int) -> bool:
    """Whether a record built on line `number` is saved within the next lines (`db.session.add(user)`)."""
    return bool(_STORE_CALL.search(ctx.source.masked_text(number, number + 12)))


DETECTORS = (detect_weak_hash, detect_weak_cipher, detect_insecure_randomness, detect_plaintext_password)
