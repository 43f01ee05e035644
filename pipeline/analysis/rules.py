"""The rules catalogue: every finding the analyzer can emit, with a stable id.

Ids have the form `<category>/<slug>` and never change meaning; a detector
refers to its rule by id, and `docs/RULES.md` is generated from this module
(`render_catalogue_markdown`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

from archreview.schemas import CATEGORIES, Category, ReportLanguage, Severity

ALL_LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "java")
PYTHON: tuple[str, ...] = ("python",)
JS_TS: tuple[str, ...] = ("javascript", "typescript")
JAVA: tuple[str, ...] = ("java",)


@dataclass(frozen=True)
class Rule:
    """One kind of finding."""

    id: str  # `<category>/<slug>`, stable across releases
    category: Category  # report category the finding is filed under
    severity: Severity  # default severity of a finding of this rule
    title: str  # short title a finding carries
    detects: str  # what the detector looks for, in one sentence
    why: str  # why it matters: becomes the finding's rationale
    fix: str  # what to do instead: becomes the finding's recommendation
    languages: tuple[str, ...]  # languages the detector understands


_RULE_LIST: tuple[Rule, ...] = (
    # -- coupling -------------------------------------------------------
    Rule(
        "coupling/constructor-instantiation",
        "coupling",
        "medium",
        "Collaborator instantiated inside a constructor",
        "A constructor creates a concrete collaborator (`self.x = Foo()`, `this.x = new Foo()`) "
        "instead of receiving it.",
        "The class is welded to one concrete implementation: it cannot be tested with a fake "
        "or reconfigured without editing it.",
        "Inject the collaborator through the constructor (or a factory) and depend on an "
        "interface/Protocol rather than a concrete class.",
        ALL_LANGUAGES,
    ),
    Rule(
        "coupling/law-of-demeter",
        "coupling",
        "low",
        "Reaching through a chain of objects",
        "Attribute or getter chains four or more deep (`a.b.c.d`, `a.getB().getC().getD()`).",
        "The caller depends on the internal structure of several objects it does not own; "
        "any of them changing breaks it.",
        "Ask the nearest collaborator for what you need (tell, don't ask), or add a method "
        "that hides the navigation.",
        ALL_LANGUAGES,
    ),
    Rule(
        "coupling/god-class",
        "coupling",
        "medium",
        "Class depends on many other classes",
        "A class that references six or more distinct collaborator types.",
        "A hub class changes whenever any of its many collaborators change and is hard to "
        "test in isolation.",
        "Split the class along its responsibilities and let a thin coordinator compose the "
        "parts through injected interfaces.",
        ALL_LANGUAGES,
    ),
    # -- layering -------------------------------------------------------
    Rule(
        "layering/data-access-in-presentation",
        "layering",
        "high",
        "Presentation code talks to the database directly",
        "SQL text or raw database calls inside a controller, handler, view or route function.",
        "The web layer now owns persistence details: queries cannot be reused or tested "
        "without HTTP, and schema changes ripple into the UI.",
        "Move the query into a repository/data-access class and call it through a service "
        "from the handler.",
        ALL_LANGUAGES,
    ),
    Rule(
        "layering/framework-in-domain",
        "layering",
        "medium",
        "Domain/service code depends on the web framework",
        "A service, model or domain class reads HTTP request/response objects or imports a "
        "web framework.",
        "Business rules become tied to one delivery mechanism and cannot run from a job, CLI "
        "or test without faking HTTP.",
        "Have the controller translate the request into plain arguments or a DTO and pass "
        "those to the domain layer.",
        ALL_LANGUAGES,
    ),
    # -- cohesion -------------------------------------------------------
    Rule(
        "cohesion/mixed-responsibilities",
        "cohesion",
        "medium",
        "Class mixes unrelated responsibilities",
        "One class combines three or more unrelated concerns (persistence, HTTP, e-mail, "
        "rendering, files, payment, ...).",
        "Low cohesion: every concern changes for a different reason, so the class changes "
        "constantly and is hard to understand and test.",
        "Extract each concern into its own class (repository, notifier, renderer, ...) and "
        "keep this class focused on one job.",
        ALL_LANGUAGES,
    ),
    Rule(
        "cohesion/long-function",
        "cohesion",
        "low",
        "Function is very long",
        "A function or method with 30 or more lines of code.",
        "Long functions usually do several things; they are hard to read, test and reuse.",
        "Extract the steps into well-named helper functions.",
        ALL_LANGUAGES,
    ),
    Rule(
        "cohesion/large-class",
        "cohesion",
        "low",
        "Class has too many members",
        "A class with 15 or more methods or 12 or more fields.",
        "Many members usually means several responsibilities in one place.",
        "Split the class by responsibility; group related fields into their own objects.",
        ALL_LANGUAGES,
    ),
    Rule(
        "cohesion/long-parameter-list",
        "cohesion",
        "low",
        "Function takes many parameters",
        "A function or method with seven or more parameters (excluding self/this).",
        "Long parameter lists are easy to call wrongly and usually signal a missing "
        "abstraction.",
        "Group related parameters into a value object or split the function.",
        ALL_LANGUAGES,
    ),
    # -- concurrency ----------------------------------------------------
    Rule(
        "concurrency/unsynchronized-shared-state",
        "concurrency",
        "high",
        "Shared mutable state modified without a lock",
        "Module-level, static or instance state updated (`+=`, `++`, item assignment, "
        "append/put) in threaded code or request handlers outside any lock or synchronized block, "
        "or per-request data stored in a field of a singleton bean or servlet.",
        "Read-modify-write on shared state is not atomic: concurrent updates are lost or "
        "leave the structure corrupt.",
        "Guard the update with a lock (`with self._lock:`, `synchronized`), or use an "
        "atomic/concurrent type (AtomicInteger, ConcurrentHashMap, queue.Queue).",
        ALL_LANGUAGES,
    ),
    Rule(
        "concurrency/check-then-act",
        "concurrency",
        "high",
        "Check-then-act race on shared state",
        "A check followed by the update it decides, on shared state and without a lock: a "
        "membership test then an insert, a lazily created static (double-checked locking on a "
        "non-volatile field too), a request handler that reads a whole file and writes it back, or an "
        "async function that reads state, awaits, and writes back a value computed from the old one.",
        "Two threads can both pass the check and both act, creating duplicates or "
        "overwriting each other's work.",
        "Use an atomic operation (`setdefault`, `computeIfAbsent`, `putIfAbsent`) or hold a "
        "lock across the check and the update.",
        ALL_LANGUAGES,
    ),
    Rule(
        "concurrency/useless-lock",
        "concurrency",
        "high",
        "Lock created where it is taken",
        "A lock made inside the function that acquires it (`with threading.Lock():`, "
        "`synchronized (new Object())`, a local `ReentrantLock`), so every call gets its own; or a "
        "lock object the code replaces while threads hold it (`synchronized (count)` on an Integer "
        "that `count++` swaps).",
        "No other thread ever holds the same lock, so nothing is excluded: the code looks guarded "
        "and races all the same.",
        "Create the lock once beside the state it guards (module level, a field, a static) and "
        "take that one lock everywhere the state changes.",
        ("python", "java"),
    ),
    Rule(
        "concurrency/blocking-call-in-async",
        "concurrency",
        "high",
        "Blocking call inside async code",
        "`time.sleep`, `requests.*`, synchronous file/process I/O or `*Sync` calls inside an "
        "async function, a Node request handler or a Java method returning Mono/Flux, directly or "
        "through a synchronous helper.",
        "A blocking call freezes the event loop: every other coroutine or request waits "
        "until it returns.",
        "Use the async counterpart (`await asyncio.sleep`, an async HTTP client, "
        "`fs.promises`), or run the call in an executor/worker.",
        ALL_LANGUAGES,
    ),
    # -- caching --------------------------------------------------------
    Rule(
        "caching/unbounded-cache",
        "caching",
        "medium",
        "Cache grows without bound",
        "A dict/Map used as a cache that is written but never evicted, or "
        "`lru_cache(maxsize=None)`.",
        "Without a size limit or expiry the cache grows for the life of the process "
        "(a memory leak) and serves stale data forever.",
        "Use a bounded cache with eviction and a TTL (`functools.lru_cache(maxsize=...)`, "
        "cachetools.TTLCache, Caffeine, lru-cache).",
        ALL_LANGUAGES,
    ),
    Rule(
        "caching/lru-cache-on-method",
        "caching",
        "medium",
        "`lru_cache` on a method keeps instances alive",
        "`@functools.lru_cache`/`@cache` applied to an instance method.",
        "The cache holds a strong reference to `self` in its keys, so instances are never "
        "freed and entries are shared across instances.",
        "Cache a module-level function keyed by plain values, or use "
        "`functools.cached_property` / a per-instance cache.",
        PYTHON,
    ),
    Rule(
        "caching/missing-invalidation",
        "caching",
        "medium",
        "Cache is not invalidated on writes",
        "A class caches reads but a method that updates or deletes the underlying data never "
        "touches the cache.",
        "After an update, readers keep getting the stale cached value.",
        "Invalidate (or update) the cache entry in every write path, or give entries a TTL.",
        ALL_LANGUAGES,
    ),
    # -- error handling -------------------------------------------------
    Rule(
        "error-handling/swallowed-exception",
        "error-handling",
        "high",
        "Exception silently swallowed",
        "An except/catch block that is empty, only `pass`es, only prints a stack trace, or "
        "catches everything without logging or re-raising.",
        "Failures disappear: the program continues in a bad state and nobody can find out "
        "why.",
        "Catch only the exceptions you can handle, log them with context, and re-raise or "
        "return an explicit error otherwise.",
        ALL_LANGUAGES,
    ),
    Rule(
        "error-handling/bare-except",
        "error-handling",
        "medium",
        "Bare `except:` catches everything",
        "`except:` without an exception type (or `except BaseException`).",
        "It also catches KeyboardInterrupt, SystemExit and programming errors, hiding bugs "
        "and making the process hard to stop.",
        "Catch the specific exceptions the block can handle (at most `Exception`), and log "
        "or re-raise.",
        PYTHON,
    ),
    Rule(
        "error-handling/catch-throwable",
        "error-handling",
        "medium",
        "Catching Throwable/Error",
        "`catch (Throwable ...)` or `catch (Error ...)` in Java.",
        "It intercepts OutOfMemoryError, StackOverflowError and other JVM errors that the "
        "code cannot recover from.",
        "Catch the specific checked/runtime exceptions you can handle and let Errors "
        "propagate.",
        JAVA,
    ),
    Rule(
        "error-handling/unhandled-promise",
        "error-handling",
        "medium",
        "Promise chain without a rejection handler",
        "A `.then(...)` chain that is neither awaited, returned nor ended with `.catch(...)`.",
        "A rejected promise becomes an unhandled rejection: the error is lost or crashes the "
        "Node process.",
        "Add `.catch(...)` to the chain, or `await` it inside try/catch.",
        JS_TS,
    ),
    # -- security -------------------------------------------------------
    Rule(
        "security/sql-injection",
        "security",
        "critical",
        "SQL built from untrusted strings",
        "SQL text assembled with f-strings, `%`/`.format`, template literals or `+` "
        "concatenation.",
        "Input that reaches the query text can change its meaning: data theft, deletion or "
        "authentication bypass.",
        "Use parameterized queries / prepared statements (`?`/`%s` placeholders with bound "
        "parameters) or the ORM's query builder.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/code-injection",
        "security",
        "critical",
        "Dynamic code execution",
        "`eval`, `exec`, `new Function(...)` or a script engine evaluating a runtime string.",
        "Anyone who controls the string can run arbitrary code in the process.",
        "Parse the data instead (`json.loads`, `ast.literal_eval`, a lookup table of allowed "
        "operations); never evaluate input.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/command-injection",
        "security",
        "critical",
        "Shell command built from strings",
        "`shell=True`, `os.system`/`os.popen`, `child_process.exec` or `Runtime.exec` with a "
        "concatenated/interpolated command.",
        "Shell metacharacters in the input run arbitrary commands on the host.",
        "Pass an argument list without a shell (`subprocess.run([...])`, `execFile`, "
        "`ProcessBuilder(List)`) and validate the arguments.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/insecure-deserialization",
        "security",
        "high",
        "Deserializing untrusted data",
        "`pickle.load(s)`, `yaml.load` without a safe loader, `marshal.loads` or Java "
        "`ObjectInputStream.readObject`.",
        "Deserializing attacker-controlled bytes can execute arbitrary code.",
        "Use a data-only format (JSON, `yaml.safe_load`) or sign and verify the payload "
        "before loading it.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/hardcoded-secret",
        "security",
        "high",
        "Hard-coded secret",
        "A password, token, API key or private key written as a literal in the code.",
        "Secrets in source end up in version control, logs and screenshots and cannot be "
        "rotated without a release.",
        "Load secrets from the environment or a secrets manager at runtime and rotate the "
        "exposed one.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/tls-verification-disabled",
        "security",
        "high",
        "TLS certificate verification disabled",
        "`verify=False`, `rejectUnauthorized: false`, trust-all managers or hostname "
        "verifiers that accept everything.",
        "Any machine in the network path can impersonate the server and read or alter the "
        "traffic.",
        "Keep verification on; trust a private CA through a CA bundle instead of turning "
        "checks off.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/weak-password-hash",
        "security",
        "high",
        "Weak hash used for passwords or secrets",
        "MD5 or SHA-1 applied to passwords, tokens or other credentials.",
        "Fast, broken hashes let leaked password hashes be cracked in seconds.",
        "Use a password hashing function (bcrypt, scrypt, Argon2, PBKDF2) with a per-user "
        "salt.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/plaintext-password",
        "security",
        "high",
        "Password stored or compared in clear",
        "A stored password compared with the one typed (`user.password == password`), or a password column "
        "queried or written with the value as typed (`filter_by(password=password)`, `WHERE password = '...'`, "
        "`find({username, password})`), with no hash in the function.",
        "Whoever reads the database, a backup or a log of its queries has every user's password, and users "
        "reuse them elsewhere (CWE-256, CWE-916).",
        "Store a slow salted hash (bcrypt, scrypt, Argon2, PBKDF2: `generate_password_hash`, "
        "`BCryptPasswordEncoder`, `bcrypt.hash`), look the user up by name only and check the password with "
        "the hash's verify function.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/xss-html-injection",
        "security",
        "high",
        "HTML built from data (XSS)",
        "`innerHTML`/`outerHTML` assignment, `document.write` or `dangerouslySetInnerHTML` "
        "with non-constant content.",
        "Data containing markup or script runs in the user's browser (cross-site "
        "scripting).",
        "Set `textContent`, build nodes with the DOM API, or sanitize with a vetted library "
        "(DOMPurify).",
        JS_TS,
    ),
    Rule(
        "security/weak-hash",
        "security",
        "medium",
        "Broken hash algorithm",
        "MD2, MD4, MD5 or SHA-1 through hashlib, PyCryptodome, `cryptography`, Node's `createHash`, "
        "`MessageDigest` or DigestUtils (not marked `usedforsecurity=False`).",
        "Collisions for these algorithms are cheap: signatures, integrity checks and identifiers built "
        "on them can be forged.",
        "Use SHA-256 or better (SHA-3, BLAKE2); for passwords a password hash (Argon2, bcrypt, scrypt); "
        "for a non-security checksum say so (`usedforsecurity=False`).",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/weak-cipher",
        "security",
        "high",
        "Broken cipher or cipher mode",
        "DES, 3DES, RC2, RC4, Blowfish, CAST5, IDEA, SEED, XOR or the null cipher; ECB mode (also Java's "
        "bare `\"AES\"`); Node's IV-less `createCipher` or an empty IV.",
        "Data encrypted this way can be decrypted or its patterns read without the key.",
        "Use an authenticated modern cipher: AES-GCM or ChaCha20-Poly1305 with a random nonce a message.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/insecure-randomness",
        "security",
        "medium",
        "Predictable random numbers for a security value",
        "`random.*`, `Math.random()`, `java.util.Random` or `pseudoRandomBytes` whose value becomes a "
        "token, password, key, session id, nonce, salt or cookie.",
        "These generators are predictable from a few outputs, so an attacker can guess the value.",
        "Use the platform's CSPRNG: `secrets`, `crypto.randomBytes`/`crypto.randomUUID`, `SecureRandom`.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/path-traversal",
        "security",
        "high",
        "File path from request data (path traversal)",
        "A value read from the request reaches `open`, `send_file`, `fs.readFile`, `new File`, "
        "`Paths.get` or similar without being reduced to a safe file name.",
        "`../` in the value lets a caller read or overwrite any file the process can reach.",
        "Keep only a base name (or look the name up in an allow-list), resolve it under a fixed "
        "directory and check the result stays inside it.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/zip-slip",
        "security",
        "high",
        "Archive entries extracted under their own names (zip slip)",
        "A zip, jar or tar archive extracted whole by a library that keeps entry names as given (adm-zip's "
        "`extractAllTo`, unzipper's `Extract`, `tarfile.extractall` without a filter), or an entry's own name "
        "(`ZipEntry.getName()`, `entry.entryName`, `member.filename`) joined to a folder and written, with no "
        "check that the result stays inside the folder.",
        "An entry named `../../home/app/.ssh/authorized_keys` or `/etc/cron.d/job` is written outside the target "
        "folder: whoever sends the archive overwrites files the process can write, often to run code (CWE-22).",
        "Resolve each entry's path under the target folder (`getCanonicalPath`/`normalize`, `path.resolve`, "
        "`os.path.realpath`) and refuse it unless it starts with the folder; in Python 3.12+ pass "
        "`filter='data'` to `tarfile` extraction.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/reflected-xss",
        "security",
        "high",
        "Request data written into the response (reflected XSS)",
        "A request value reaches `res.send`/`res.write`, `make_response`, `HttpResponse`, "
        "`response.getWriter().print` or a trust-bypassing sanitizer call without encoding.",
        "A crafted link makes the page run the attacker's script in the victim's session.",
        "Render through an auto-escaping template, or encode for the output context (HTML, attribute, "
        "JavaScript) before writing.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/open-redirect",
        "security",
        "medium",
        "Redirect target from request data",
        "A request value reaches `redirect`, `sendRedirect` or a `Location` header.",
        "Attackers use the trusted domain to forward victims to phishing pages.",
        "Redirect only to relative paths or to targets from an allow-list.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/user-enumeration",
        "security",
        "medium",
        "Login answers reveal which accounts exist",
        "One login or reset function answers an unknown account and a wrong password with different messages "
        "(`User not registered`, then `Invalid password`).",
        "A caller learns which user names and e-mail addresses have accounts, then guesses passwords for those "
        "only (CWE-204).",
        "Answer every failed login the same way (`Invalid user name or password`), with the same status and about "
        "the same delay; log the exact reason on the server.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/unsafe-forward",
        "security",
        "high",
        "Server-side forward or view chosen by the request",
        "A request value reaches `getRequestDispatcher`, a Spring view name (`setViewName`, `new ModelAndView`) "
        "or the view of Express's `res.render`.",
        "The server itself opens the resource, so the caller reaches what no URL serves: `WEB-INF/web.xml`, admin "
        "pages behind the filter, any template, or (`../`) a file outside the views.",
        "Map the request value to a fixed set of views (a switch or an allow-list) and forward to the chosen "
        "constant; never pass the value itself as a path or view name.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/ldap-injection",
        "security",
        "high",
        "LDAP filter built from request data",
        "A request value reaches an LDAP `search` filter in code that uses LDAP.",
        "Filter metacharacters in the value change the query: authentication bypass or directory "
        "disclosure.",
        "Escape the value for LDAP filters (RFC 4515) or use the library's filter builder with "
        "arguments.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/xpath-injection",
        "security",
        "high",
        "XPath expression built from request data",
        "A request value reaches `XPath.evaluate`/`compile`, lxml's `.xpath` or `xpath.select`.",
        "Quotes in the value rewrite the expression and expose other nodes of the document.",
        "Use XPath variables (`XPathVariableResolver`, lxml `$var` arguments) instead of splicing text.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/trust-boundary",
        "security",
        "medium",
        "Request data stored as trusted session state",
        "A request value is put into the HTTP session (`setAttribute`, `putValue`) unchecked.",
        "Later code trusts session attributes; mixing in raw request data crosses the trust boundary.",
        "Validate the value against what the session may hold before storing it, or keep it apart.",
        JAVA,
    ),
    Rule(
        "security/auth-check-not-enforced",
        "security",
        "high",
        "Login check that does not stop the handler",
        "A login or role check (`check_logged(req, res)`, `requireLogin(request, response)`) called as a "
        "plain statement: its result is not read and nothing returns after it.",
        "When the check answers (a redirect, a 401) the handler still runs: the data or action it guards is "
        "served to anyone, logged in or not.",
        "Make the check a middleware/filter that ends the request, or `return` when it fails "
        "(`if (!isLogged(req)) return res.redirect(...)`).",
        JS_TS + JAVA,
    ),
    Rule(
        "security/missing-authorization",
        "security",
        "high",
        "Handler changes data without checking the user",
        "A request handler that writes what the request sent (create, update, delete) and checks no user, "
        "in a file whose other handlers do check one.",
        "Anyone who can reach the URL, logged in or not, can create, change or delete the data: broken access "
        "control (CWE-862).",
        "Apply the same authorization as the sibling handlers (decorator, middleware, role check) before "
        "the write.",
        PYTHON,
    ),
    Rule(
        "security/missing-ownership-check",
        "security",
        "high",
        "Record fetched by the request's id with no owner check",
        "A handler that knows its user (a principal, `req.user`, `current_user`, a token's subject) fetches, "
        "changes or deletes a record by an id, number or name the request sent, with no owner in the lookup and "
        "no ownership or role test after it.",
        "Any logged-in user reads or changes any other user's records by changing the id in the URL or the form: "
        "broken object-level authorization (IDOR, CWE-639).",
        "Look the record up together with its owner (`findByIdAndOwner(id, principal.getName())`, "
        "`filter_by(id=id, owner=current_user)`, `where: {id, userId: req.user.id}`), or check the owner and "
        "answer 403/404 before using it.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/identity-from-request",
        "security",
        "high",
        "Sender, owner, role or price taken from the request",
        "A request parameter named as something the server must decide (`sender`, `author`, `owner`, "
        "`created_by`, `role`, `is_admin`, `price`) is read and used, or the request's whole body is merged "
        "over the fields the server filled.",
        "The caller chooses it: they act in another user's name, give themselves a role or set their own price "
        "(CWE-639, CWE-602, CWE-915).",
        "Take who acts from the authenticated session, and prices and totals from the server's own data.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/forgeable-session-token",
        "security",
        "high",
        "Session token anyone can forge",
        "A session or remember-me cookie that is the user's name (or a JSON of it) Base64-encoded, or a cookie "
        "decoded to the user it names, with nothing signed, encrypted or verified in the function.",
        "Base64 is an encoding, not a secret: anyone writes a cookie naming another user and is logged in as "
        "them (CWE-565, CWE-639).",
        "Keep sessions on the server behind a random id, or sign the token (the framework's signed session, "
        "`itsdangerous`, a JWT with a verified signature) and check the signature before trusting it.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/session-fixation",
        "security",
        "medium",
        "Session not renewed at login",
        "A login (a password checked) writes the user into the session the request arrived with, and no "
        "new session is started (`new_session`, `invalidate()`, `req.session.regenerate`).",
        "Whoever planted that session id before the login (a crafted link, a shared machine) is logged in "
        "with the victim (CWE-384).",
        "Start a new session when the user logs in: invalidate the old one and create a fresh id, then "
        "store the user in it.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/insecure-cookie",
        "security",
        "medium",
        "Cookie without Secure or HttpOnly",
        "A cookie created or set without the Secure flag, or with Secure/HttpOnly explicitly off "
        "(`httponly=False`, `setHttpOnly(false)`, `secure: false`).",
        "Without Secure the cookie travels over plain HTTP where it can be read; without HttpOnly a script "
        "injected into the page can steal it: CWE-614, CWE-1004.",
        "Set `Secure` and `HttpOnly` (and `SameSite`) on every cookie that carries a session or other "
        "secret.",
        ALL_LANGUAGES,
    ),
    Rule(
        "security/exception-in-response",
        "security",
        "medium",
        "Exception written into the response",
        "A caught exception, its message or its stack trace is written to the caller (`out.print(e)`, "
        "`sendRedirect(... + ex)`, `res.send(err)`, `return Response(str(e))`).",
        "The caller reads the server's internals (SQL text, file paths, class names, versions), which helps "
        "the next attack (CWE-209).",
        "Log the exception on the server and answer with a generic message (and an error id to quote).",
        ALL_LANGUAGES,
    ),
    # -- performance ----------------------------------------------------
    Rule(
        "performance/query-in-loop",
        "performance",
        "high",
        "Query or remote call inside a loop (N+1)",
        "A database query, repository lookup, HTTP request or whole-file write issued once per loop "
        "iteration, directly or through a helper function that makes it.",
        "N round trips instead of one: latency and database load grow with the data.",
        "Fetch everything in one batched query (`WHERE id IN (...)`, a join, bulk API) "
        "before the loop, or issue the calls concurrently.",
        ALL_LANGUAGES,
    ),
    Rule(
        "performance/load-all-then-filter",
        "performance",
        "medium",
        "Every row loaded, then filtered in memory",
        "A query that returns a whole table or collection (`findAll()`, `.objects.all()`, `find({})`) whose "
        "result is then filtered, searched or matched in application code.",
        "Every row crosses the network and is built into an object to keep a few: the cost grows with the "
        "table, not with the answer, and the database's indexes go unused.",
        "Put the condition in the query (a derived query such as `findByEmail`, `.filter(...)` on the queryset, "
        "`find({ email })`) so the database returns only the rows wanted.",
        ALL_LANGUAGES,
    ),
    Rule(
        "performance/string-concat-in-loop",
        "performance",
        "low",
        "String built by concatenation in a loop",
        "`s += ...` / `s = s + ...` on a string inside a loop.",
        "Strings are immutable: every iteration copies the whole string, so building it is "
        "quadratic.",
        "Collect the parts in a list and `''.join(...)` them (StringBuilder in Java, "
        "`Array.join` in JS).",
        ALL_LANGUAGES,
    ),
    Rule(
        "performance/linear-search-in-loop",
        "performance",
        "medium",
        "Linear search on a list inside a loop",
        "`x in some_list`, `list.index`, `.includes`/`.indexOf`/`.contains` on a list inside "
        "a loop.",
        "Each lookup scans the list, so the loop is quadratic in the data size.",
        "Build a set or dict (HashSet/Map) once and look items up in constant time.",
        ALL_LANGUAGES,
    ),
    Rule(
        "performance/nested-loop-lookup",
        "performance",
        "medium",
        "Nested loops over collections (quadratic)",
        "An inner loop over the same collection as the outer loop, or an inner loop that "
        "searches for a matching element.",
        "The work grows with the square of the input size.",
        "Index one collection in a dict/Map keyed by the join field and look up instead "
        "of scanning.",
        ALL_LANGUAGES,
    ),
    Rule(
        "performance/whole-file-read",
        "performance",
        "low",
        "Whole file read into memory",
        "`readlines()`, `read().split...`, `readFileSync(...).split`, `Files.readAllLines` "
        "followed by line-by-line processing.",
        "Memory use grows with the file size and nothing is processed until all of it is "
        "read.",
        "Stream the file: iterate over the file object / a line reader / "
        "`Files.lines` / `readline`.",
        ALL_LANGUAGES,
    ),
    # -- resilience -----------------------------------------------------
    Rule(
        "resilience/missing-timeout",
        "resilience",
        "medium",
        "Network call without a timeout",
        "`requests`/`httpx`/`urlopen` calls without `timeout=`, `fetch` without an abort "
        "signal, Java URL connections or HTTP requests without timeouts.",
        "A slow or dead peer blocks the caller indefinitely, exhausting threads or "
        "connections and cascading the outage.",
        "Always pass connect/read timeouts (`timeout=(3, 10)`, `AbortSignal.timeout(ms)`, "
        "`setConnectTimeout`/`setReadTimeout`).",
        ALL_LANGUAGES,
    ),
    Rule(
        "resilience/retry-without-backoff",
        "resilience",
        "medium",
        "Retry loop without backoff",
        "A loop that retries a failing operation immediately or after a fixed delay.",
        "Immediate retries hammer a struggling dependency (retry storm) and make the outage "
        "worse.",
        "Retry a bounded number of times with exponential backoff and jitter "
        "(tenacity, resilience4j, p-retry); add a circuit breaker for repeated failures.",
        ALL_LANGUAGES,
    ),
    Rule(
        "resilience/unbounded-retry",
        "resilience",
        "high",
        "Retry loop without an attempt limit",
        "`while True` / `while (true)` retrying an operation until it succeeds.",
        "When the dependency is down the caller spins forever instead of failing fast, and "
        "there is no circuit breaking.",
        "Bound the number of attempts, back off exponentially, and surface the failure (or "
        "open a circuit breaker) when attempts are exhausted.",
        ALL_LANGUAGES,
    ),
    # -- configuration --------------------------------------------------
    Rule(
        "configuration/hardcoded-endpoint",
        "configuration",
        "low",
        "Hard-coded URL, host or port",
        "A literal URL, connection string, IP address, host name or port in the code.",
        "Each environment (dev, staging, prod) needs a code change, and internal addresses "
        "leak into the source.",
        "Read endpoints from configuration (environment variables / settings object) with "
        "the literal at most as a documented default.",
        ALL_LANGUAGES,
    ),
    Rule(
        "configuration/hardcoded-path",
        "configuration",
        "low",
        "Hard-coded file-system path",
        "An absolute file path literal (`/var/...`, `/etc/...`, `C:\\...`).",
        "The code only runs on machines laid out exactly like the author's.",
        "Take the path from configuration or derive it from a configurable base directory.",
        ALL_LANGUAGES,
    ),
    Rule(
        "configuration/debug-enabled",
        "configuration",
        "medium",
        "Debug mode hard-coded on",
        "`debug=True`, `DEBUG = True` or `debug: true` set in code.",
        "Debug modes expose stack traces, interactive consoles and secrets in production.",
        "Drive debug mode from an environment setting that defaults to off.",
        ALL_LANGUAGES,
    ),
    Rule(
        "configuration/magic-config-constant",
        "configuration",
        "low",
        "Operational setting hard-coded as a magic number",
        "Pool sizes, thread counts, limits or timeouts passed as bare numeric literals in "
        "setup code.",
        "Tuning for load or environment requires a code change and redeploy.",
        "Name the value and read it from settings/environment with a sensible default.",
        ALL_LANGUAGES,
    ),
)

EXTERNAL_RULES_RESOURCE = "external_rules.json"  # under archreview/pipeline/data/: external tools' rules mapped here


def _external_only_rules(known: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Catalogue entries for findings only external analyzers (ruff, semgrep) make; ids above are not redefined."""
    path = resources.files("archreview.pipeline") / "data" / EXTERNAL_RULES_RESOURCE
    entries = json.loads(path.read_text(encoding="utf-8"))["catalogue"]
    ids = {rule.id for rule in known}
    return tuple(
        Rule(e["id"], e["category"], e["severity"], e["title"], e["detects"], e["why"], e["fix"], tuple(e["languages"]))
        for e in entries
        if e["id"] not in ids
    )


_EXTERNAL_ONLY = _external_only_rules(_RULE_LIST)
EXTERNAL_ONLY_IDS: frozenset[str] = frozenset(rule.id for rule in _EXTERNAL_ONLY)  # no archreview detector of its own
_RULE_LIST = _RULE_LIST + _EXTERNAL_ONLY
RULES: dict[str, Rule] = {rule.id: rule for rule in _RULE_LIST}


def _check_catalogue() -> None:
    """Fail at import when the catalogue is inconsistent (ids unique and well-formed)."""
    if len(RULES) != len(_RULE_LIST):
        raise ValueError("duplicate rule ids in the catalogue")
    for rule in _RULE_LIST:
        category, _, slug = rule.id.partition("/")
        if category != rule.category or not slug or category not in CATEGORIES:
            raise ValueError(f"rule id {rule.id!r} does not match its category {rule.category!r}")


_check_catalogue()


@dataclass(frozen=True)
class RuleText:
    """What a finding of a rule says, in one language."""

    title: str
    why: str  # the finding's rationale
    fix: str  # the finding's recommendation


CATALOGUE_ZH_RESOURCE = "catalogue_zh.json"  # under archreview/pipeline/data/: the Chinese text, keyed by rule id


@functools.cache
def translations(language: ReportLanguage) -> dict[str, RuleText]:
    """The catalogue's text in `language`, by rule id (English: the rules' own text).

    Raises:
        ValueError: the Chinese data file has an entry without title, why, fix or source.
    """
    if language == "en":
        return {rule.id: RuleText(rule.title, rule.why, rule.fix) for rule in _RULE_LIST}
    path = resources.files("archreview.pipeline") / "data" / CATALOGUE_ZH_RESOURCE
    entries = json.loads(path.read_text(encoding="utf-8"))["rules"]
    texts = {}
    for rule_id, entry in entries.items():
        if not all(str(entry.get(key, "")).strip() for key in ("title", "why", "fix", "source")):
            raise ValueError(f"{CATALOGUE_ZH_RESOURCE}: {rule_id!r} needs a title, why, fix and source")
        texts[rule_id] = RuleText(entry["title"], entry["why"], entry["fix"])
    return texts


def rule_text(rule: Rule, language: ReportLanguage) -> RuleText:
    """A rule's title, why and fix in `language`; English where the rule has no translation yet."""
    return translations(language).get(rule.id) or RuleText(rule.title, rule.why, rule.fix)


def render_catalogue_markdown() -> str:
    """The catalogue as Markdown, the content of `docs/RULES.md`.

    Returns:
        A Markdown document: one section a category, one entry a rule.
    """
    out = [
        "# Analyzer rules",
        "",
        "Generated from `pipeline/analysis/rules.py` by `render_catalogue_markdown()`;",
        "do not edit by hand (regenerate with `ARCHREVIEW_REGEN=1 pytest "
        "tests/test_rules_catalogue.py`).",
        "",
        f"{len(RULES)} rules in {len(CATEGORIES)} categories.",
        "",
    ]
    for category in CATEGORIES:
        rules = [rule for rule in _RULE_LIST if rule.category == category]
        if not rules:
            continue
        out += [f"## {category}", ""]
        for rule in rules:
            out += [
                f"### `{rule.id}` — {rule.title}",
                "",
                f"- **Severity:** {rule.severity}",
                f"- **Languages:** {', '.join(rule.languages)}",
                f"- **Detects:** {rule.detects}",
                f"- **Why it matters:** {rule.why}",
                f"- **Fix:** {rule.fix}",
                "",
            ]
    return "\n".join(out).rstrip("\n") + "\n"
