"""The detectors judge code by what it does, not by names: memos, N+1 through helpers, retry hooks, lost promises.

Snippets written for these tests (not taken from the findings corpus); each flawed one has a twin that is fine.
The last tests check that a review whose focus finds nothing says what looked for it, for every category.
"""

from __future__ import annotations

import pytest

from archreview.pipeline.analysis import run_analysis
from archreview.pipeline.analysis.detectors import ALL_DETECTORS, Context
from archreview.pipeline.analysis.parsing import parse_outline
from archreview.pipeline.analysis.ranking import merge_hits
from archreview.pipeline.analysis.rules import RULES
from archreview.pipeline.analysis.source import build_source
from archreview.pipeline.checks import describe_checks, rules_by_category
from archreview.schemas import Analysis, Code, Instruction


def _hits(text: str, language: str) -> set[tuple[str, int]]:
    """(rule, line) of every line archreview's own detectors flag in `text`."""
    source = build_source(Code(text=text, language=language, first_line=1, ocr_confidence=1.0))
    context = Context(source=source, outline=parse_outline(source))
    hits = merge_hits(hit for detector in ALL_DETECTORS for hit in detector(context))
    return {(hit.rule_id, line) for hit in hits for line in range(hit.line, hit.last + 1)}


def _rules(text: str, language: str) -> set[str]:
    return {rule for rule, _ in _hits(text, language)}


PY_MEMO = """
_profiles = {}

def profile(user_id):
    if user_id not in _profiles:
        _profiles[user_id] = load_profile(user_id)
    return _profiles[user_id]
"""
PY_REGISTRY = """
_handlers = {}

def handler(name):
    def register(function):
        _handlers[name] = function
        return function
    return register
"""
JS_CLOSURE_MEMO = """
function remember(compute) {
  const seen = new Map();
  return (key) => {
    if (!seen.has(key)) {
      seen.set(key, compute(key));
    }
    return seen.get(key);
  };
}
"""


def test_a_memo_is_an_unbounded_cache_whatever_its_name() -> None:
    assert ("caching/unbounded-cache", 2) in _hits(PY_MEMO, "python")
    assert "caching/unbounded-cache" in _rules(JS_CLOSURE_MEMO, "javascript")


def test_a_registry_written_once_a_key_is_not_a_cache() -> None:
    assert "caching/unbounded-cache" not in _rules(PY_REGISTRY, "python")
    evicting = PY_MEMO + "\ndef forget(user_id):\n    _profiles.pop(user_id, None)\n"
    assert "caching/unbounded-cache" not in _rules(evicting, "python")


TS_HELPER_N_PLUS_ONE = """
export async function ordersOf(ids: number[]) {
  const out = [];
  for (const id of ids) {
    out.push(await orderById(id));
  }
  return out;
}

async function orderById(id: number) {
  return db("orders").where("id", id).first();
}
"""


def test_a_query_through_a_local_helper_in_a_loop_is_n_plus_one() -> None:
    assert ("performance/query-in-loop", 5) in _hits(TS_HELPER_N_PLUS_ONE, "typescript")
    batched = TS_HELPER_N_PLUS_ONE.replace(
        "for (const id of ids) {\n    out.push(await orderById(id));\n  }",
        "out.push(...await Promise.all(ids.map(orderById)));",
    )
    assert "performance/query-in-loop" not in _rules(batched, "typescript")


def test_a_whole_file_write_per_item_is_flagged() -> None:
    text = "function save(rows) {\n  for (const row of rows) {\n    fs.appendFileSync(OUT, row + '\\n');\n  }\n}\n"
    assert ("performance/query-in-loop", 3) in _hits(text, "javascript")
    once = "function save(rows) {\n  fs.writeFileSync(OUT, rows.join('\\n'));\n}\n"
    assert "performance/query-in-loop" not in _rules(once, "javascript")


JAVA_RETRY_HOOK = """
public class Retrying implements RetryPolicy {
    public boolean retryRequest(IOException error, int count) {
        if (count < 3) {
            try {
                Thread.sleep(DELAY);
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
            return true;
        }
        return false;
    }
}
"""


def test_a_retry_hook_with_a_fixed_wait_has_no_backoff() -> None:
    assert ("resilience/retry-without-backoff", 3) in _hits(JAVA_RETRY_HOOK, "java")
    growing = JAVA_RETRY_HOOK.replace("Thread.sleep(DELAY);", "Thread.sleep(DELAY * (1L << count));")
    assert "resilience/retry-without-backoff" not in _rules(growing, "java")


def test_a_local_function_named_like_urlopen_is_not_urllib() -> None:
    text = (
        "def urlopen(url, data=None):\n    return pool.request(url, data)\n\ndef fetch(url):\n    return urlopen(url)\n"
    )
    assert "resilience/missing-timeout" not in _rules(text, "python")
    real = "from urllib.request import urlopen\n\ndef fetch(url):\n    return urlopen(url).read()\n"
    assert ("resilience/missing-timeout", 4) in _hits(real, "python")


def test_a_broad_handler_that_reraises_or_exits_hides_nothing() -> None:
    reraises = "try:\n    run()\nexcept BaseException:\n    cleanup()\n    raise\n"
    assert not {r for r in _rules(reraises, "python") if r.startswith("error-handling/")}
    exits = "try:\n    run()\nexcept BaseException as error:\n    print(error)\n    sys.exit(1)\n"
    assert "error-handling/bare-except" not in _rules(exits, "python")
    keeps_going = "try:\n    run()\nexcept:\n    log.warning('run failed')\n"
    assert "error-handling/bare-except" in _rules(keeps_going, "python")


JS_CHAIN = """
read(source, "utf-8").then((text) => {
  return text.split(" ");
}).then((words) => {
  return words.sort();
});
"""


def test_a_promise_chain_without_catch_is_reported_once_at_its_head() -> None:
    hits = {line for rule, line in _hits(JS_CHAIN, "javascript") if rule == "error-handling/unhandled-promise"}
    assert 2 in hits and 4 not in hits and 5 not in hits
    caught = JS_CHAIN.replace("});\n", "}).catch(report);\n")
    assert "error-handling/unhandled-promise" not in _rules(caught, "javascript")


def test_a_promisified_call_as_a_bare_statement_loses_its_failure() -> None:
    text = "const write = util.promisify(fs.writeFile);\n\nfunction save(path, data) {\n  write(path, data);\n}\n"
    assert ("error-handling/unhandled-promise", 4) in _hits(text, "javascript")
    awaited = text.replace("function save", "async function save").replace("  write(", "  await write(")
    assert "error-handling/unhandled-promise" not in _rules(awaited, "javascript")


def test_a_field_wrapped_in_a_synchronized_list_is_not_unguarded() -> None:
    text = """
public class Names {
    private static List<String> names = new ArrayList<>();
    public static void main(String[] args) {
        names = Collections.synchronizedList(names);
        new Thread(new Adder()).start();
    }
    static class Adder implements Runnable {
        public void run() {
            names.add("x");
        }
    }
}
"""
    assert "concurrency/unsynchronized-shared-state" not in _rules(text, "java")
    assert "concurrency/unsynchronized-shared-state" in _rules(
        text.replace("        names = Collections.synchronizedList(names);\n", ""), "java"
    )


def test_keyword_only_parameters_do_not_make_a_long_parameter_list() -> None:
    named = "def send(url, *, method='GET', headers=None, params=None, data=None, files=None, auth=None):\n    pass\n"
    assert "cohesion/long-parameter-list" not in _rules(named, "python")
    positional = "def send(url, method, headers, params, data, files, auth):\n    pass\n"
    assert ("cohesion/long-parameter-list", 1) in _hits(positional, "python")


# -- say what was checked ------------------------------------------------------------------------------------
CLEAN = {
    "python": "def total(prices):\n    return sum(prices)\n",
    "javascript": "function total(prices) {\n  return prices.reduce((a, b) => a + b, 0);\n}\n",
    "java": "class Sum {\n    int total(int[] prices) {\n        int t = 0;\n        for (int p : prices) t += p;\n"
    "        return t;\n    }\n}\n",
}
CATEGORIES = (
    "concurrency",
    "caching",
    "resilience",
    "error-handling",
    "performance",
    "cohesion",
    "coupling",
    "layering",
)


@pytest.fixture(scope="module")
def clean_analyses() -> dict[str, tuple[Code, Analysis]]:
    general = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])
    out = {}
    for language, text in CLEAN.items():
        code = Code(text=text, language=language, first_line=1, ocr_confidence=1.0)
        out[language] = (code, run_analysis(code, general))
    return out


@pytest.mark.parametrize("language", sorted(CLEAN))
@pytest.mark.parametrize("category", CATEGORIES)
def test_a_focus_that_finds_nothing_says_what_looked_for_it(
    clean_analyses: dict[str, tuple[Code, Analysis]], language: str, category: str
) -> None:
    code, analysis = clean_analyses[language]
    assert not [f for f in analysis.findings if f.category == category]
    ask = Instruction(text=f"any {category} problems?", source="text", intent="general_review", focus=[category])
    text = describe_checks(ask, code, analysis.analyzers, analysis.findings)
    own = sum(1 for rule in RULES.values() if rule.category == category and language in rule.languages)
    assert own and rules_by_category(language)["archreview"][category] >= 1
    tail = text.split(f"Nothing was found in {category}:")[1].split(".")[0]
    assert f"{rules_by_category(language)['archreview'][category]} archreview" in tail
    assert "rules looked for it" in text


def test_a_parse_attempt_with_an_empty_catch_is_a_probe_not_a_swallowed_error() -> None:
    probe = "let url;\ntry {\n  url = new URL(input);\n} catch {}\nif (!url) {\n  url = new URL(input, base);\n}\n"
    assert "error-handling/swallowed-exception" not in _rules(probe, "typescript")
    action = "try {\n  await logout();\n} catch {}\nreset();\n"
    assert ("error-handling/swallowed-exception", 3) in _hits(action, "typescript")


def test_trying_alternatives_in_turn_is_not_a_retry() -> None:
    alternatives = (
        "def first_app(module):\n    for name in ('create_app', 'make_app'):\n        try:\n"
        "            return getattr(module, name)()\n        except TypeError:\n            continue\n"
    )
    assert not {r for r in _rules(alternatives, "python") if r.startswith("resilience/")}
    retry = (
        "def fetch(url):\n    for _ in range(5):\n        try:\n            return get(url, timeout=5)\n"
        "        except OSError:\n            time.sleep(1)\n"
    )
    assert "resilience/retry-without-backoff" in _rules(retry, "python")


def test_a_lock_made_where_it_is_taken_guards_nothing() -> None:
    py = (
        "import threading\n\ntotals = {}\n\ndef add(key, n):\n    lock = threading.Lock()\n    with lock:\n"
        "        totals[key] = totals.get(key, 0) + n\n"
    )
    assert ("concurrency/useless-lock", 6) in _hits(py, "python")
    shared = (
        "import threading\n\ntotals = {}\nlock = threading.Lock()\n\ndef add(key, n):\n    with lock:\n"
        "        totals[key] = totals.get(key, 0) + n\n"
    )
    assert "concurrency/useless-lock" not in _rules(shared, "python")
    java = (
        "class Counter {\n    private int n;\n    void inc() {\n        synchronized (new Object()) {\n"
        "            n++;\n        }\n    }\n}\n"
    )
    assert ("concurrency/useless-lock", 4) in _hits(java, "java")
    handed_on = (
        "def start(job):\n    lock = threading.Lock()\n    with lock:\n        prepare(job)\n"
        "    return Worker(job, lock)\n"
    )
    assert "concurrency/useless-lock" not in _rules(handed_on, "python")


def test_data_access_calls_inside_a_loop_are_n_plus_one_whatever_the_layer() -> None:
    java = (
        "class RoleService {\n    void remove(Long[] ids) {\n        for (Long id : ids) {\n"
        "            Role role = roleMapper.selectRoleById(id);\n            roleMapper.deleteRole(role);\n"
        "        }\n    }\n    void removeAll(Long[] ids) {\n        roleMapper.deleteRoleByIds(ids);\n    }\n}\n"
    )
    hits = _hits(java, "java")
    assert ("performance/query-in-loop", 4) in hits
    assert not any(rule == "performance/query-in-loop" and line >= 8 for rule, line in hits)
    perms = (
        "class Perms {\n    Set<String> of(List<Role> roles) {\n        for (Role role : roles) {\n"
        "            all.addAll(menuService.selectPermsByRoleId(role.getId()));\n"
        "            views.add(viewService.selectViewFor(role));\n        }\n    }\n}\n"
    )
    hits = _hits(perms, "java")
    assert ("performance/query-in-loop", 4) in hits
    assert ("performance/query-in-loop", 5) not in hits  # a conversion, not a lookup by id
    one_line = "async function drop(model, ids) {\n  for (const id of ids) await model.findByIdAndDelete(id)\n}\n"
    assert ("performance/query-in-loop", 2) in _hits(one_line, "javascript")
    batched = "async function drop(model, ids) {\n  await model.deleteMany({ _id: { $in: ids } })\n}\n"
    assert "performance/query-in-loop" not in _rules(batched, "javascript")
    callback = (
        "function load(ids, out) {\n  for (let i = 0; i < ids.length; i++) {\n"
        "    out.push(User.findById(ids[i], (err, user) => {\n      return user;\n    }));\n  }\n}\n"
    )
    assert ("performance/query-in-loop", 3) in _hits(callback, "javascript")


def test_a_related_query_on_the_loop_variable_is_one_query_an_item() -> None:
    n_plus_one = (
        "def report(request):\n    orders = Order.objects.all()\n    for order in orders:\n"
        "        cheap = [p.name for p in order.products.filter(price__lt=10)]\n"
    )
    assert ("performance/query-in-loop", 4) in _hits(n_plus_one, "python")
    prefetched = (
        "def report(request):\n    orders = Order.objects.prefetch_related('products')\n"
        "    for order in orders:\n        names = [p.name for p in order.products.all()]\n"
    )
    assert "performance/query-in-loop" not in _rules(prefetched, "python")
    lazy = prefetched.replace(".prefetch_related('products')", ".all()")
    assert ("performance/query-in-loop", 4) in _hits(lazy, "python")


def test_request_handlers_that_rewrite_module_state_race() -> None:
    flask = (
        "from flask import Flask\n\napp = Flask(__name__)\nhits = 0\n\n\n@app.route('/hit')\ndef hit():\n"
        "    global hits\n    hits += 1\n    return str(hits)\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 10) in _hits(flask, "python")
    locked = flask.replace("    hits += 1\n", "    with hits_lock:\n        hits += 1\n").replace(
        "hits = 0\n", "hits = 0\nhits_lock = threading.Lock()\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(locked, "python")
    on_loop = flask.replace("def hit", "async def hit")  # one event loop thread: += without an await is atomic
    assert "concurrency/unsynchronized-shared-state" not in _rules(on_loop, "python")
    seen = (
        "from flask import Flask\n\napp = Flask(__name__)\nseen = set()\n\n\n@app.route('/see/<name>')\n"
        "def see(name):\n    seen.add(name)\n    return 'ok'\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(seen, "python")  # one atomic call


def test_a_shared_date_format_is_not_thread_safe() -> None:
    shared = (
        "public class Dates {\n    private static final SimpleDateFormat FORMAT = "
        'new SimpleDateFormat("yyyy-MM-dd");\n\n    public static String format(Date date) {\n'
        "        return FORMAT.format(date);\n    }\n}\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 5) in _hits(shared, "java")
    local = (
        "public class Dates {\n    public static String format(Date date) {\n"
        '        return new SimpleDateFormat("yyyy-MM-dd").format(date);\n    }\n}\n'
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(local, "java")
    guarded = shared.replace("public static String", "public static synchronized String")
    assert "concurrency/unsynchronized-shared-state" not in _rules(guarded, "java")


def test_a_catch_that_drops_the_cause_or_returns_partial_results_hides_the_error() -> None:
    dropped = (
        "class Sorter {\n    void save(int[] ids) {\n        try {\n            store(ids);\n"
        '        } catch (Exception e) {\n            throw new ServiceException("save failed");\n'
        "        }\n    }\n}\n"
    )
    assert ("error-handling/swallowed-exception", 5) in _hits(dropped, "java")
    chained = dropped.replace('"save failed")', '"save failed", e)')
    assert "error-handling/swallowed-exception" not in _rules(chained, "java")
    partial = (
        "async function loadAll(ids, repo) {\n  const found = [];\n  try {\n    for (const id of ids) {\n"
        "      found.push(await repo.findOne(id));\n    }\n    return found;\n  } catch (error) {\n"
        "    return found;\n  }\n}\n"
    )
    assert ("error-handling/swallowed-exception", 8) in _hits(partial, "typescript")
    contract = (
        "function verify(token) {\n  try {\n    const claims = jwt.verify(token, KEY);\n"
        "    return claims.user;\n  } catch {\n    return null;\n  }\n}\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(contract, "typescript")


def test_a_recursive_retry_after_a_fixed_wait_has_no_backoff() -> None:
    fixed = (
        "def fetch(url, tries=3):\n    response = get(url, timeout=5)\n    if response.status >= 500 and tries:\n"
        "        time.sleep(1)\n        return fetch(url, tries - 1)\n    return response\n"
    )
    assert ("resilience/retry-without-backoff", 4) in _hits(fixed, "python")
    growing = fixed.replace("time.sleep(1)", "time.sleep(2 ** (3 - tries))")
    assert "resilience/retry-without-backoff" not in _rules(growing, "python")


def test_a_retry_by_recursion_from_a_callback_waits_the_same_time_each_pass() -> None:
    fixed = (
        "function load(url, tries = 2) {\n  function onError(error) {\n    if (tries > 0) {\n"
        "      return wait(1000).then(() => load(url, tries - 1));\n    }\n    throw error;\n  }\n"
        "  return fetch(url, { signal: AbortSignal.timeout(5000) }).catch(onError);\n}\n"
    )
    hits = _hits(fixed, "javascript")
    assert ("resilience/retry-without-backoff", 4) in hits
    assert ("resilience/retry-without-backoff", 1) not in hits  # one finding, where it waits
    growing = fixed.replace("wait(1000)", "wait(1000 * 2 ** (2 - tries))")
    assert "resilience/retry-without-backoff" not in _rules(growing, "javascript")


def test_an_unsynchronized_map_in_a_singleton_is_one_finding_whatever_the_field_syntax() -> None:
    service = (
        "@Service\npublic class Sessions {\n    private final Map<String, String> byToken = "
        "new LinkedHashMap<>() {\n        protected boolean removeEldestEntry(Map.Entry<String, String> e) {\n"
        "            return size() > 50;\n        }\n    };\n\n    public void put(String k, String v) {\n"
        "        byToken.put(k, v);\n    }\n\n    public void drop(String k) {\n        byToken.remove(k);\n"
        "    }\n}\n"
    )
    found = [line for rule, line in _hits(service, "java") if rule == "concurrency/unsynchronized-shared-state"]
    assert found == [10]
    safe = service.replace("new LinkedHashMap<>() {", "Collections.synchronizedMap(new LinkedHashMap<>() {")
    assert "concurrency/unsynchronized-shared-state" not in _rules(safe, "java")


def test_a_check_then_put_on_a_concurrent_map_is_still_a_race() -> None:
    racy = (
        "@Service\npublic class Tokens {\n"
        "    private final Map<String, Token> byUser = new ConcurrentHashMap<>();\n\n"
        "    public Token of(String user) {\n        if (!byUser.containsKey(user)) {\n"
        "            byUser.put(user, Token.issue(user));\n        }\n        return byUser.get(user);\n    }\n}\n"
    )
    assert ("concurrency/check-then-act", 6) in _hits(racy, "java")
    atomic = racy.replace(
        "        if (!byUser.containsKey(user)) {\n            byUser.put(user, Token.issue(user));\n        }\n",
        "        byUser.computeIfAbsent(user, Token::issue);\n",
    )
    assert not {r for r in _rules(atomic, "java") if r.startswith("concurrency/")}
    null_check = racy.replace("!byUser.containsKey(user)", "byUser.get(user) == null")
    assert ("concurrency/check-then-act", 6) in _hits(null_check, "java")


def test_standard_library_clients_and_session_blocks_need_a_timeout_too() -> None:
    mail = (
        "import smtplib\n\ndef notify(host, msg):\n    with smtplib.SMTP(host) as server:\n"
        "        server.send_message(msg)\n"
    )
    assert ("resilience/missing-timeout", 4) in _hits(mail, "python")
    assert "resilience/missing-timeout" not in _rules(mail.replace("SMTP(host)", "SMTP(host, timeout=10)"), "python")
    conn = (
        "from http.client import HTTPSConnection\n\ndef ping(host):\n    c = HTTPSConnection(host)\n"
        "    c.request('HEAD', '/')\n"
    )
    assert ("resilience/missing-timeout", 4) in _hits(conn, "python")
    session = (
        "import requests\n\ndef pages(urls):\n    with requests.Session() as s:\n"
        "        return [s.get(u) for u in urls]\n"
    )
    assert ("resilience/missing-timeout", 5) in _hits(session, "python")
    forwarded = "import requests\n\ndef get(url, **kwargs):\n    return requests.get(url, **kwargs)\n"
    assert "resilience/missing-timeout" not in _rules(forwarded, "python")  # the caller may pass timeout=


def test_java_clients_with_infinite_default_timeouts() -> None:
    apache = (
        "class Fetcher {\n    String fetch(String url) throws IOException {\n"
        "        try (CloseableHttpClient client = HttpClients.createDefault()) {\n"
        "            return client.execute(new HttpGet(url), new BasicHttpClientResponseHandler());\n"
        "        }\n    }\n}\n"
    )
    assert ("resilience/missing-timeout", 3) in _hits(apache, "java")
    configured = apache.replace(
        "HttpClients.createDefault()",
        "HttpClients.custom().setDefaultRequestConfig("
        "RequestConfig.custom().setResponseTimeout(Timeout.ofSeconds(5)).build()).build()",
    )
    assert "resilience/missing-timeout" not in _rules(configured, "java")
    socket = (
        "class Probe {\n    boolean up(String host) throws IOException {\n"
        "        try (Socket s = new Socket(host, 80)) {\n            return true;\n        }\n    }\n}\n"
    )
    assert ("resilience/missing-timeout", 3) in _hits(socket, "java")


def test_loading_every_row_to_keep_a_few_belongs_in_the_query() -> None:
    java = (
        "interface Users extends JpaRepository<User, Long> {\n    default Optional<User> byEmail(String email) {\n"
        "        return findAll().stream()\n                .filter(u -> email.equals(u.getEmail()))\n"
        "                .findFirst();\n    }\n}\n"
    )
    assert ("performance/load-all-then-filter", 3) in _hits(java, "java")
    listing = (
        "class Users {\n    List<Dto> all() {\n        return repo.findAll().stream()\n"
        "                .map(Dto::of)\n                .toList();\n    }\n}\n"
    )
    assert "performance/load-all-then-filter" not in _rules(listing, "java")  # every row is the answer
    py = "def cheap(request):\n    items = [p for p in Product.objects.all() if p.price < 10]\n    return items\n"
    assert ("performance/load-all-then-filter", 2) in _hits(py, "python")
    queried = "def cheap(request):\n    return list(Product.objects.filter(price__lt=10))\n"
    assert "performance/load-all-then-filter" not in _rules(queried, "python")
    js = (
        "async function byEmail(email) {\n  const users = await User.find({});\n"
        "  return users.find((u) => u.email === email);\n}\n"
    )
    assert ("performance/load-all-then-filter", 2) in _hits(js, "javascript")
    one = "async function byEmail(email) {\n  return User.findOne({ email });\n}\n"
    assert "performance/load-all-then-filter" not in _rules(one, "javascript")


def test_a_query_that_builds_the_iterable_runs_once() -> None:
    chain = (
        "class Users {\n    List<Dto> all() {\n        return userRepository.findAll().stream()\n"
        "                .map(u -> Dto.of(u))\n                .toList();\n    }\n}\n"
    )
    assert "performance/query-in-loop" not in _rules(chain, "java")
    per_item = "function load(ids) {\n  return ids.map((id) => userRepository.findById(id));\n}\n"
    assert ("performance/query-in-loop", 2) in _hits(per_item, "javascript")
    iterable = "def names(db):\n    return [row.name for row in db.query(User).limit(10)]\n"
    assert "performance/query-in-loop" not in _rules(iterable, "python")
    through_helper = (
        "def rows(db):\n    return db.query(User).all()\n\n\ndef names(db):\n"
        "    return [row.name for row in rows(db)]\n"
    )
    assert "performance/query-in-loop" not in _rules(through_helper, "python")
    helper_per_item = (
        "def user(db, i):\n    return db.query(User).get(i)\n\n\ndef names(db, ids):\n"
        "    return [user(db, i).name for i in ids]\n"
    )
    assert ("performance/query-in-loop", 6) in _hits(helper_per_item, "python")


def test_walking_alternatives_or_re_raising_is_not_a_retry_and_a_private_fetch_is_not_fetch() -> None:
    loaders = (
        "def source(loaders, name):\n    for _origin, loader in loaders:\n        try:\n"
        "            return loader.get(name)\n        except LookupError:\n            continue\n"
    )
    assert not {r for r in _rules(loaders, "python") if r.startswith("resilience/")}
    hooks = (
        "async function beforeRetry(hooks, request) {\n  for (const hook of hooks) {\n    try {\n"
        "      await hook(request);\n    } catch (error) {\n      log(error);\n    }\n  }\n}\n"
    )
    assert not {r for r in _rules(hooks, "typescript") if r.startswith("resilience/")}
    cleanup = (
        "def follow(send, request):\n    while True:\n        response = send(request)\n        try:\n"
        "            if not response.redirect:\n                return response\n"
        "            request = response.next\n        except BaseException:\n            response.close()\n"
        "            raise\n"
    )
    assert not {r for r in _rules(cleanup, "python") if r.startswith("resilience/")}
    private = (
        "class Client {\n  async #fetch() {\n    return globalThis.fetch(this.url, { signal: this.signal });\n"
        "  }\n  async get() {\n    return this.#fetch();\n  }\n}\n"
    )
    assert "resilience/missing-timeout" not in _rules(private, "typescript")


def test_expected_failures_are_not_swallowed_errors() -> None:
    optional = "def shell():\n    try:\n        import readline\n    except ImportError:\n        pass\n"
    assert "error-handling/swallowed-exception" not in _rules(optional, "python")
    parse = (
        "def load(value):\n    try:\n        value = json.loads(value)\n    except ValueError:\n        pass\n"
        "    return value\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(parse, "python")
    action = "def purge(path):\n    try:\n        os.remove(path)\n    except PermissionError:\n        pass\n"
    assert ("error-handling/swallowed-exception", 4) in _hits(action, "python")  # an action failed unseen
    bare = "def load(value):\n    try:\n        value = json.loads(value)\n    except:\n        pass\n"
    assert "error-handling/swallowed-exception" in _rules(bare, "python")  # bare catches Ctrl-C too
    named = (
        "class Probe {\n    static boolean kotlin() {\n        try {\n"
        '            Class.forName("kotlin.Unit");\n            return true;\n'
        "        } catch (ClassNotFoundException ignored) {\n        }\n"
        "        return false;\n    }\n}\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(named, "java")
    cleanup = "async function stop(reader) {\n  await reader.cancel().catch(() => undefined);\n}\n"
    assert "error-handling/swallowed-exception" not in _rules(cleanup, "typescript")
    lost = "async function save(db, row) {\n  await db.insert(row).catch(() => undefined);\n}\n"
    assert ("error-handling/swallowed-exception", 2) in _hits(lost, "typescript")


def test_adding_numbers_in_a_loop_is_not_string_building() -> None:
    sizes = (
        "function size(parts) {\n  let size = 0;\n  for (const part of parts) {\n"
        "    size += typeof part === 'string' ? part.length : part.size;\n  }\n  return size;\n}\n"
    )
    assert "performance/string-concat-in-loop" not in _rules(sizes, "typescript")
    text = (
        "function join(parts) {\n  let out = '';\n  for (const part of parts) {\n    out += part + ', ';\n"
        "  }\n  return out;\n}\n"
    )
    assert ("performance/string-concat-in-loop", 4) in _hits(text, "typescript")


def test_a_docstring_about_threads_does_not_make_code_threaded() -> None:
    lazy = (
        'class Context:\n    """Not shared: with threading, push a copy per thread."""\n\n    def session(self):\n'
        "        if self._session is None:\n            self._session = open_session()\n"
        "        return self._session\n"
    )
    assert not {r for r in _rules(lazy, "python") if r.startswith("concurrency/")}
    threaded = "import threading\n\n" + lazy.replace("Not shared: with threading, push a copy per thread.", "Shared.")
    assert ("concurrency/check-then-act", 7) in _hits(threaded, "python")


def test_a_static_switch_set_to_a_constant_is_not_a_race_but_a_counter_is() -> None:
    probe = (
        "final class Platform {\n    private static boolean tryKotlin = true;\n\n"
        "    static boolean isUnit(Type t) {\n"
        "        if (tryKotlin) {\n            try {\n                return t == Unit.class;\n"
        "            } catch (NoClassDefFoundError ignored) {\n                tryKotlin = false;\n            }\n"
        "        }\n        return false;\n    }\n}\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(probe, "java")
    counter = probe.replace("tryKotlin = false;", "misses++;").replace(
        "private static boolean tryKotlin = true;", "private static boolean tryKotlin = true;\n    static int misses;"
    )
    # a static counter races only where threads share it: the code must show them (h6: static alone is no evidence)
    assert "concurrency/unsynchronized-shared-state" not in _rules(counter, "java")
    threaded = counter.replace("final class Platform {", "final class Platform implements Runnable {")
    assert "concurrency/unsynchronized-shared-state" in _rules(threaded, "java")


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("const API_TOKEN = 'tk_live9 f8a7b6c5d4e3f2alb0c';", True),  # OCR read tk_live_9f8a... with a gap
        ("const API_TOKEN = 'tk_live_9f8a7b6c5d4e3f2a1b0c';", True),
        ("const API_TOKEN = 'change me';", False),  # prose, not a token
        ("const API_TOKEN = 'set in prod 2024';", False),  # words and a number, three pieces
        ("const API_TOKEN = 'token v2';", False),  # a piece without digits
    ],
)
def test_a_token_ocr_split_with_one_space_is_still_a_hardcoded_secret(line: str, flagged: bool) -> None:
    assert ("security/hardcoded-secret" in _rules(line + "\n", "javascript")) is flagged


def test_a_servlet_counter_is_reported_where_requests_update_it_not_where_init_sets_it() -> None:
    servlet = (
        "public class Hits extends HttpServlet {\n    private int hits;\n\n    public void init() {\n"
        "        hits = 0;\n    }\n\n    protected void doGet(HttpServletRequest rq, HttpServletResponse rs) {\n"
        "        hits++;\n        rs.getWriter().println(hits);\n    }\n}\n"
    )
    found = [line for rule, line in _hits(servlet, "java") if rule == "concurrency/unsynchronized-shared-state"]
    assert found == [9]
    atomic = (
        servlet.replace("private int hits;", "private final AtomicInteger hits = new AtomicInteger();")
        .replace("        hits = 0;\n", "")
        .replace("hits++;", "hits.incrementAndGet();")
    )
    assert not {r for r in _rules(atomic, "java") if r.startswith("concurrency/")}


def test_a_lock_on_an_object_the_code_replaces_guards_nothing() -> None:
    boxed = (
        "public class Tally extends HttpServlet {\n    private Integer total = 0;\n\n"
        "    protected void doPost(HttpServletRequest rq, HttpServletResponse rs) {\n"
        "        synchronized (total) {\n            total++;\n        }\n    }\n}\n"
    )
    assert ("concurrency/useless-lock", 5) in _hits(boxed, "java")
    fixed = boxed.replace(
        "private Integer total = 0;", "private final Object guard = new Object();\n    private int total;"
    ).replace("synchronized (total)", "synchronized (guard)")
    assert not {r for r in _rules(fixed, "java") if r.startswith("concurrency/")}
    python = (
        "import threading\n\nclass Jobs:\n    def __init__(self):\n        self.lock = threading.Lock()\n"
        "        self.done = 0\n\n    def reset(self):\n        self.lock = threading.Lock()\n\n"
        "    def finish(self):\n        with self.lock:\n            self.done += 1\n"
    )
    assert ("concurrency/useless-lock", 12) in _hits(python, "python")
    kept = python.replace("    def reset(self):\n        self.lock = threading.Lock()\n\n", "")
    assert "concurrency/useless-lock" not in _rules(kept, "python")


def test_an_async_handler_that_calls_a_blocking_helper_blocks_the_loop() -> None:
    bot = (
        "import requests\n\ndef quote():\n    return requests.get(URL, timeout=5).json()['text']\n\n"
        "async def on_message(message):\n    if message.content == '!quote':\n"
        "        await message.channel.send(quote())\n"
    )
    assert ("concurrency/blocking-call-in-async", 8) in _hits(bot, "python")
    threaded = bot.replace("send(quote())", "send(await asyncio.to_thread(quote))")
    assert "concurrency/blocking-call-in-async" not in _rules(threaded, "python")
    sync_caller = bot.replace("async def on_message", "def on_message").replace("await ", "")
    assert "concurrency/blocking-call-in-async" not in _rules(sync_caller, "python")
    js = (
        "const fs = require('fs');\n\nfunction loadUsers() {\n  return JSON.parse(fs.readFileSync(FILE, 'utf8'));\n"
        "}\n\napp.get('/users', (req, res) => {\n  res.json(loadUsers());\n});\n"
    )
    assert ("concurrency/blocking-call-in-async", 8) in _hits(js, "javascript")
    startup = js.replace(
        "app.get('/users', (req, res) => {\n  res.json(loadUsers());\n});\n", "const users = loadUsers();\n"
    )
    assert "concurrency/blocking-call-in-async" not in _rules(startup, "javascript")


def test_an_exported_route_handler_with_synchronous_file_io_blocks_every_request() -> None:
    route = (
        "import fs from 'node:fs';\n\nexport function GET() {\n"
        "  const text = fs.readFileSync(DATA, 'utf-8');\n  return Response.json(JSON.parse(text));\n}\n"
    )
    assert ("concurrency/blocking-call-in-async", 4) in _hits(route, "typescript")
    helper = route.replace("export function GET()", "function readAll()")
    assert "concurrency/blocking-call-in-async" not in _rules(helper, "typescript")
    promised = (
        route.replace("import fs from 'node:fs';", "import { promises as fs } from 'node:fs';")
        .replace("export function GET()", "export async function GET()")
        .replace("fs.readFileSync(", "await fs.readFile(")
    )
    assert "concurrency/blocking-call-in-async" not in _rules(promised, "typescript")


def test_a_lazily_created_static_is_a_check_then_act_unless_locked_or_volatile() -> None:
    lazy = (
        "public class Clock {\n    private static Clock instance;\n\n    public static Clock get() {\n"
        "        if (instance == null) {\n            instance = new Clock();\n        }\n"
        "        return instance;\n    }\n}\n"
    )
    assert ("concurrency/check-then-act", 5) in _hits(lazy, "java")
    locked = lazy.replace("public static Clock get()", "public static synchronized Clock get()")
    assert "concurrency/check-then-act" not in _rules(locked, "java")
    double_checked = lazy.replace(
        "        if (instance == null) {\n            instance = new Clock();\n        }\n",
        "        if (instance == null) {\n            synchronized (Clock.class) {\n"
        "                if (instance == null) {\n                    instance = new Clock();\n"
        "                }\n            }\n        }\n",
    )
    assert ("concurrency/check-then-act", 5) in _hits(double_checked, "java")
    volatile = double_checked.replace("private static Clock", "private static volatile Clock")
    assert "concurrency/check-then-act" not in _rules(volatile, "java")


def test_request_state_kept_in_a_singleton_bean_leaks_between_requests() -> None:
    bean = (
        "@RestController\npublic class Search {\n    @Autowired\n    private Index index;\n"
        "    private String lastQuery;\n\n    public Search(Index index) {\n        this.index = index;\n    }\n\n"
        '    @GetMapping("/find")\n    public List<Hit> find(@RequestParam String q) {\n'
        "        lastQuery = q;\n        return index.lookup(lastQuery);\n    }\n}\n"
    )
    found = [line for rule, line in _hits(bean, "java") if rule == "concurrency/unsynchronized-shared-state"]
    assert found == [13]
    local = bean.replace(
        "        lastQuery = q;\n        return index.lookup(lastQuery);",
        "        String lastQuery = q;\n        return index.lookup(lastQuery);",
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(local, "java")
    setter = bean.replace(
        '    @GetMapping("/find")\n    public List<Hit> find(@RequestParam String q) {\n'
        "        lastQuery = q;\n        return index.lookup(lastQuery);",
        "    public void setLastQuery(String q) {\n        lastQuery = q;",
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(setter, "java")
    plain = bean.replace("@RestController\n", "")
    assert "concurrency/unsynchronized-shared-state" not in _rules(plain, "java")


def test_put_if_absent_on_a_plain_map_in_a_service_is_an_unguarded_write() -> None:
    service = (
        "@Service\npublic class Users {\n    private Map<Integer, User> byId = new HashMap<>();\n\n"
        "    public User add(User u) {\n        byId.putIfAbsent(u.getId(), u);\n        return u;\n    }\n}\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 6) in _hits(service, "java")
    safe = service.replace("new HashMap<>()", "new ConcurrentHashMap<>()").replace("Map<", "ConcurrentMap<")
    assert "concurrency/unsynchronized-shared-state" not in _rules(safe, "java")


def test_a_handler_that_reads_a_file_and_writes_it_back_loses_concurrent_updates() -> None:
    route = (
        "const fs = require('fs/promises');\n\nrouter.post('/notes', async (req, res) => {\n"
        "  const notes = JSON.parse(await fs.readFile(NOTES, 'utf8'));\n  notes.push(req.body);\n"
        "  await fs.writeFile(NOTES, JSON.stringify(notes));\n  res.status(201).end();\n});\n"
    )
    assert ("concurrency/check-then-act", 4) in _hits(route, "javascript")
    other_file = route.replace("fs.writeFile(NOTES", "fs.writeFile(BACKUP")
    assert "concurrency/check-then-act" not in _rules(other_file, "javascript")
    # Synchronous read and write cannot interleave in Node (they only block, which is reported as such).
    sync = route.replace("await fs.readFile", "fsSync.readFileSync").replace(
        "await fs.writeFile", "fsSync.writeFileSync"
    )
    assert "concurrency/check-then-act" not in _rules(sync, "javascript")
    flask = (
        "import json\n\n@app.route('/notes', methods=['POST'])\ndef add_note():\n    with open(NOTES) as f:\n"
        "        notes = json.load(f)\n    notes.append(request.json)\n    with open(NOTES, 'w') as f:\n"
        "        json.dump(notes, f)\n    return 'ok'\n"
    )
    assert ("concurrency/check-then-act", 5) in _hits(flask, "python")
    script = flask.replace("@app.route('/notes', methods=['POST'])\n", "")
    assert "concurrency/check-then-act" not in _rules(script, "python")


def test_request_data_written_into_a_fixed_file_is_not_path_traversal() -> None:
    route = (
        "app.post('/notes', (req, res) => {\n  fs.writeFileSync(NOTES, JSON.stringify(req.body));\n"
        "  res.status(201).end();\n});\n"
    )
    assert "security/path-traversal" not in _rules(route, "javascript")
    chosen = route.replace("fs.writeFileSync(NOTES,", "fs.writeFileSync(path.join(DIR, req.body.name),")
    assert ("security/path-traversal", 2) in _hits(chosen, "javascript")


def test_xml_parser_feature_ids_are_not_endpoints() -> None:
    java = (
        "class Parser {\n    void harden(DocumentBuilderFactory f) throws Exception {\n"
        '        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);\n'
        '        f.setFeature("http://xml.org/sax/features/external-general-entities", false);\n    }\n}\n'
    )
    assert "configuration/hardcoded-endpoint" not in _rules(java, "java")
    endpoint = java.replace("http://xml.org/sax/features/external-general-entities", "http://billing.internal/api")
    assert ("configuration/hardcoded-endpoint", 4) in _hits(endpoint, "java")


def test_credentials_in_a_documentation_url_are_an_example_not_a_secret() -> None:
    doc = 'def parse(url):\n    """Parse `https://jo:a%20secret@www.example.com/path`."""\n    return urlsplit(url)\n'
    assert "security/hardcoded-secret" not in _rules(doc, "python")
    real = "DATABASE_URL = 'postgres://app:Kx82hd9@db.internal:5432/app'\n"
    assert ("security/hardcoded-secret", 1) in _hits(real, "python")


def test_a_path_from_the_environment_is_the_operators_choice_not_an_injection() -> None:
    startup = (
        "import os\n\ndef shell_context():\n    startup = os.environ.get('PYTHONSTARTUP')\n"
        "    with open(startup) as f:\n        return f.read()\n"
    )
    assert "security/path-traversal" not in _rules(startup, "python")
    route = startup.replace("def shell_context():", "@app.route('/read')\ndef read():").replace(
        "os.environ.get('PYTHONSTARTUP')", "request.args['file']"
    )
    assert "security/path-traversal" in _rules(route, "python")


def test_a_random_number_for_an_sms_code_is_predictable_unless_secure_random() -> None:
    java = (
        "public class SmsCodes {\n    public String next(String phone) {\n        Random random = new Random();\n"
        '        return phone + ":" + random.nextInt(1000000);\n    }\n}\n'
    )
    assert "security/insecure-randomness" in _rules(java, "java")
    weak_named = java.replace("SmsCodes", "Lottery").replace('phone + ":" + ', "")
    assert "security/insecure-randomness" not in _rules(weak_named, "java")


def test_a_reactive_handler_that_blocks_holds_up_the_event_loop() -> None:
    flux = (
        '@RestController\nclass Prices {\n    @GetMapping("/price")\n    public Mono<Price> price(String sku) {\n'
        "        Price p = restTemplate.getForObject(URL + sku, Price.class);\n        return Mono.just(p);\n"
        "    }\n}\n"
    )
    assert ("concurrency/blocking-call-in-async", 5) in _hits(flux, "java")
    plain = flux.replace("public Mono<Price> price", "public Price price").replace("return Mono.just(p);", "return p;")
    assert "concurrency/blocking-call-in-async" not in _rules(plain, "java")
    blocking = "        Price p = restTemplate.getForObject(URL + sku, Price.class);\n        return Mono.just(p);"
    offloaded = flux.replace(
        blocking,
        "        return Mono.fromCallable(\n"
        "            () -> restTemplate.getForObject(URL + sku, Price.class))\n"
        "                .subscribeOn(Schedulers.boundedElastic());",
    )
    assert offloaded != flux
    assert "concurrency/blocking-call-in-async" not in _rules(offloaded, "java")


def test_a_django_view_that_bumps_a_module_counter_races_with_other_requests() -> None:
    view = (
        "from django.http import JsonResponse\n\nhits = {}\n\ndef page(request, slug):\n"
        "    hits[slug] = hits.get(slug, 0) + 1\n    return JsonResponse({'hits': hits[slug]})\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 6) in _hits(view, "python")
    helper = view.replace("def page(request, slug):", "def page(counts, slug):")
    assert "concurrency/unsynchronized-shared-state" not in _rules(helper, "python")


# -- h6: precision and reach on code nobody here wrote (each flawed snippet with a twin that is fine) --------------


def _findings(text: str, language: str) -> set[tuple[str, int]]:
    """(rule, first line) of every finding of the whole analysis (own detectors, Ruff and Semgrep as wired in)."""
    code = Code(text=text, language=language, first_line=1, ocr_confidence=1.0)
    return {(f.rule_id, f.evidence[0].line_start) for f in run_analysis(code, GENERAL_REVIEW).findings}


GENERAL_REVIEW = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])


def test_a_literal_fallback_for_a_secret_from_the_environment_is_a_hardcoded_secret() -> None:
    py = 'import os\n\nSECRET_KEY = os.environ.get("SECRET_KEY") or "dev-secret-123"\n'
    assert ("security/hardcoded-secret", 3) in _hits(py, "python")
    assert "security/hardcoded-secret" not in _rules('import os\n\nSECRET_KEY = os.environ["SECRET_KEY"]\n', "python")
    js = "const key = process.env.SESSION_SECRET || 'keyboard cat';\nmodule.exports = { key };\n"
    assert ("security/hardcoded-secret", 1) in _hits(js, "javascript")
    assert "security/hardcoded-secret" not in _rules(js.replace(" || 'keyboard cat'", ""), "javascript")
    built = 'String token = "session::" + userId;\n'
    assert "security/hardcoded-secret" not in _rules(f"class A {{\n  void f() {{\n    {built}  }}\n}}\n", "java")


def test_md5_for_a_gravatar_url_is_no_security_use_but_for_a_password_it_is() -> None:
    avatar = (
        "import hashlib\n\ndef avatar_url(email, size):\n"
        "    digest = hashlib.md5(email.lower().encode()).hexdigest()\n"
        "    return f'https://www.gravatar.com/avatar/{digest}?s={size}'\n"
    )
    assert not {r for r in _rules(avatar, "python") if r.startswith("security/weak")}
    password = (
        "import hashlib\n\ndef store(user, password):\n    user.hash = hashlib.md5(password.encode()).hexdigest()\n"
    )
    assert ("security/weak-password-hash", 4) in _hits(password, "python")


def test_a_random_number_for_a_game_is_not_a_secret_whoever_asked() -> None:
    game = (
        "import random\n\nasync def on_message(message):\n    if message.author.bot:\n        return\n"
        "    answer = random.randint(1, 10)\n    await message.channel.send(str(answer))\n"
    )
    assert not {r for r, _ in _findings(game, "python") if r == "security/insecure-randomness"}
    token = (
        "import random\nimport string\n\ndef reset_token():\n"
        "    return ''.join(random.choice(string.ascii_letters) for _ in range(20))\n"
    )
    assert "security/insecure-randomness" in {r for r, _ in _findings(token, "python")}


JAVA_DO_RETRY = """
class Retry {
  String perform() throws Exception {
    do {
      try {
        return op.perform();
      } catch (BusinessException e) {
        if (attempts.incrementAndGet() >= maxAttempts) {
          throw e;
        }
        Thread.sleep(delay);
      }
    } while (true);
  }
}
"""


def test_a_do_while_retry_points_at_its_fixed_wait_and_a_computed_backoff_is_backoff() -> None:
    hits = _hits(JAVA_DO_RETRY, "java")
    assert ("resilience/retry-without-backoff", 4) in hits and ("resilience/retry-without-backoff", 11) in hits
    computed = JAVA_DO_RETRY.replace(
        "Thread.sleep(delay);",
        "var wait = (long) Math.pow(2, attempts.get()) * 1000;\n        var delay = Math.min(wait, maxDelay);\n"
        "        Thread.sleep(delay);",
    )
    assert "resilience/retry-without-backoff" not in _rules(computed, "java")


def test_gathered_failures_dropped_on_the_floor_are_swallowed() -> None:
    dropped = (
        "import asyncio\n\nasync def main(urls):\n"
        "    await asyncio.gather(*[fetch(u) for u in urls], return_exceptions=True)\n"
    )
    assert ("error-handling/swallowed-exception", 4) in _hits(dropped, "python")
    kept = dropped.replace("    await asyncio.gather", "    results = await asyncio.gather")
    assert "error-handling/swallowed-exception" not in _rules(kept, "python")
    js = "async function main(jobs) {\n  await Promise.allSettled(jobs.map(run));\n}\n"
    assert ("error-handling/swallowed-exception", 2) in _hits(js, "javascript")


def test_a_requests_session_handed_out_by_a_helper_still_needs_a_timeout() -> None:
    text = (
        "import threading\nimport requests\n\nlocal = threading.local()\n\ndef session_for_thread():\n"
        "    if not hasattr(local, 'session'):\n        local.session = requests.Session()\n"
        "    return local.session\n\ndef download(url):\n    session = session_for_thread()\n"
        "    return session.get(url).content\n"
    )
    assert ("resilience/missing-timeout", 13) in _hits(text, "python")
    assert "resilience/missing-timeout" not in _rules(text.replace("get(url)", "get(url, timeout=10)"), "python")


PY_COPY_BACK = """
import threading
from concurrent.futures import ThreadPoolExecutor


class Store:
    def __init__(self):
        self.value = 0

    def update(self):
        copy = self.value
        copy += 1
        self.value = copy


store = Store()
with ThreadPoolExecutor(max_workers=2) as pool:
    for _ in range(2):
        pool.submit(store.update)
"""


def test_a_field_copied_out_and_written_back_from_pool_threads_loses_updates() -> None:
    assert ("concurrency/unsynchronized-shared-state", 13) in _hits(PY_COPY_BACK, "python")
    locked = PY_COPY_BACK.replace(
        "        self.value = 0", "        self.value = 0\n        self.lock = threading.Lock()"
    )
    locked = locked.replace(
        "        copy = self.value\n        copy += 1\n        self.value = copy",
        "        with self.lock:\n            copy = self.value\n            copy += 1\n            self.value = copy",
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(locked, "python")


def test_java_shared_state_needs_threads_in_evidence_and_a_volatile_store_or_a_held_lock_is_safe() -> None:
    registry = (
        "public class Registry {\n  private static final Map<String, Integer> counts = new HashMap<>();\n"
        "  public static void add(String k) {\n    counts.put(k, 1);\n  }\n}\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(registry, "java")
    threaded = registry.replace("public class Registry {", "public class Registry implements Runnable {")
    assert ("concurrency/unsynchronized-shared-state", 4) in _hits(threaded, "java")
    waits = registry.replace("counts.put(k, 1);", "counts.put(k, 1);\n    Thread.sleep(10);")
    assert "concurrency/unsynchronized-shared-state" not in _rules(waits, "java")
    flag = (
        "public class Health implements Runnable {\n  private volatile boolean healthy = true;\n"
        "  public void run() {\n    healthy = check();\n  }\n}\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(flag, "java")
    counter = flag.replace("healthy = check();", "hits++;").replace("volatile boolean healthy = true", "int hits")
    assert ("concurrency/unsynchronized-shared-state", 4) in _hits(counter, "java")
    held = (
        "public class Inventory implements Runnable {\n  private final List<Item> items = new ArrayList<>();\n"
        "  private final Lock lock = new ReentrantLock();\n  public void add(Item item) {\n    lock.lock();\n"
        "    try {\n      items.add(item);\n    } finally {\n      lock.unlock();\n    }\n  }\n}\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(held, "java")
    unheld = held.replace("    lock.lock();\n", "").replace("      lock.unlock();\n", "")
    assert ("concurrency/unsynchronized-shared-state", 6) in _hits(unheld, "java")


def test_a_lazily_started_thread_outside_the_lock_of_a_synchronized_class_is_check_then_act() -> None:
    text = (
        "public class Player {\n  private volatile Thread worker = null;\n  public void start() {\n"
        "    if (worker == null) {\n      worker = new Thread(this::loop);\n    }\n    worker.start();\n  }\n"
        "  public synchronized void stop() {\n    worker.interrupt();\n  }\n}\n"
    )
    assert ("concurrency/check-then-act", 4) in _hits(text, "java")
    unshared = text.replace("public synchronized void stop()", "public void stop()")
    assert "concurrency/check-then-act" not in _rules(unshared, "java")


def test_an_interrupt_caught_and_logged_in_a_loop_is_lost() -> None:
    text = (
        "class Queue {\n  synchronized Integer get() {\n    while (items.isEmpty()) {\n      try {\n"
        '        wait();\n      } catch (InterruptedException e) {\n        LOGGER.error("interrupted", e);\n'
        "      }\n    }\n    return items.peek();\n  }\n}\n"
    )
    assert ("error-handling/swallowed-exception", 6) in _hits(text, "java")
    restored = text.replace(
        'LOGGER.error("interrupted", e);', "Thread.currentThread().interrupt();\n        return null;"
    )
    assert "error-handling/swallowed-exception" not in _rules(restored, "java")


def test_running_tasks_or_searching_a_list_in_a_loop_is_no_query() -> None:
    tasks = (
        "class App {\n  void run(List<Machine> machines) {\n    for (var m : machines) {\n"
        "      executorService.execute(m::wash);\n      rule.execute(context);\n"
        "      var found = all.stream().filter(x -> x.id == m.id).findFirst();\n    }\n  }\n}\n"
    )
    assert "performance/query-in-loop" not in _rules(tasks, "java")
    queries = (
        "def load(cursor, ids):\n    for i in ids:\n        cursor.execute('SELECT * FROM t WHERE id = %s', (i,))\n"
    )
    assert ("performance/query-in-loop", 3) in _hits(queries, "python")


def test_a_jinja2_template_rendering_html_without_autoescape_is_html_injection() -> None:
    text = (
        "from jinja2 import Template\n\ndef render_email(path, context):\n"
        "    html_content = Template(path.read_text()).render(context)\n    return html_content\n"
    )
    assert ("security/xss-html-injection", 4) in _hits(text, "python")
    escaped = text.replace("Template(path.read_text())", "Template(path.read_text(), autoescape=True)")
    assert "security/xss-html-injection" not in _rules(escaped, "python")


def test_a_downloader_told_not_to_check_certificates_disables_tls_verification() -> None:
    text = "options = {\n    'format': 'bestaudio',\n    'nocheckcertificate': True,\n}\n"
    assert ("security/tls-verification-disabled", 3) in _hits(text, "python")
    assert "security/tls-verification-disabled" not in _rules(text.replace("True", "False"), "python")


def test_an_exception_rebuilt_from_the_caught_one_keeps_its_cause() -> None:
    carried = (
        "def read(path):\n    try:\n        return load(path)\n    except OSError as e:\n"
        "        raise ConfigError(f'cannot read {path}: {e}')\n"
    )
    assert not {r for r, _ in _findings(carried, "python") if r == "error-handling/exception-chain-lost"}
    dropped = carried.replace(": {e}", "")
    assert "error-handling/exception-chain-lost" in {r for r, _ in _findings(dropped, "python")}


def test_a_named_exception_expected_and_said_so_is_control_flow_not_a_swallowed_error() -> None:
    silent = (
        "def lexer(body):\n    try:\n        json.loads(body)\n    except ValueError:\n        pass\n"
        "    return 'text'\n"
    )
    assert ("error-handling/swallowed-exception", 4) in _hits(silent, "python")
    commented = silent.replace("        pass\n", "        pass  # not JSON: plain text\n")
    assert "error-handling/swallowed-exception" not in _rules(commented, "python")
    with_else = silent.replace("    return 'text'\n", "    else:\n        return 'json'\n    return 'text'\n")
    assert "error-handling/swallowed-exception" not in _rules(with_else, "python")
    alternatives = (
        "def lexer(names):\n    for name in names:\n        try:\n            return get_lexer(name)\n"
        "        except ClassNotFound:\n            pass\n    return None\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(alternatives, "python")
    broad = commented.replace("except ValueError:", "except Exception:")
    assert ("error-handling/swallowed-exception", 4) in _hits(broad, "python")


def test_a_dict_get_on_the_loop_variable_is_a_query_only_in_django() -> None:
    plain = "def help(arguments):\n    for argument in arguments:\n        print(argument.configuration.get('nargs'))\n"
    assert "performance/query-in-loop" not in _rules(plain, "python")
    django = "from django.db import models\n\n" + plain.replace("configuration.get('nargs')", "items.filter(x=1)")
    assert ("performance/query-in-loop", 5) in _hits(django, "python")


def test_a_value_looked_up_by_a_request_key_is_not_the_request_text() -> None:
    lookup = "app.get('/users/:id', function (req, res) {\n  var user = users[req.params.id];\n  res.send(user);\n});\n"
    assert "security/reflected-xss" not in _rules(lookup, "javascript")
    echoed = lookup.replace("users[req.params.id]", "'<b>' + req.params.id + '</b>'")
    assert ("security/reflected-xss", 3) in _hits(echoed, "javascript")


def test_an_objects_state_races_only_where_its_methods_are_seen_on_threads() -> None:
    async_bot = (
        "import threading\nfrom .threads import Thread\n\nclass Guild:\n    def __init__(self):\n"
        "        self._members = {}\n        self._ready = threading.Event()\n\n"
        "    def add_member(self, member):\n        self._members[member.id] = member\n"
        "        self._ready.clear()\n"
    )
    assert not {r for r in _rules(async_bot, "python") if r.startswith("concurrency/")}
    threaded = async_bot + "\n\nguild = Guild()\nthreading.Thread(target=guild.add_member, args=(m,)).start()\n"
    assert ("concurrency/unsynchronized-shared-state", 10) in _hits(threaded, "python")
    assert ("concurrency/unsynchronized-shared-state", 11) not in _hits(threaded, "python")  # an Event


def test_a_download_confined_to_a_root_folder_is_no_path_traversal() -> None:
    confined = (
        "app.get('/files/:name', function (req, res, next) {\n"
        "  res.download(req.params.name, { root: FILES_DIR }, next);\n});\n"
    )
    assert "security/path-traversal" not in _rules(confined, "javascript")
    open_path = confined.replace(", { root: FILES_DIR }", "")
    assert ("security/path-traversal", 2) in _hits(open_path, "javascript")


def test_a_promise_handed_on_is_no_floating_promise_and_tooling_blocks_nobody() -> None:
    lazy = (
        "const components = {\n  Checkbox: defineAsyncComponent(() =>\n"
        "    import('ui/checkbox').then((res) => res.Checkbox),\n  ),\n};\n"
    )
    assert "error-handling/unhandled-promise" not in _rules(lazy, "typescript")
    typed = "async function icons() {\n  const r: Icons = await fetch(URL).then((res) => res.json());\n  return r;\n}\n"
    assert "error-handling/unhandled-promise" not in _rules(typed, "typescript")
    floating = "function start() {\n  load().then(render);\n}\n"
    assert ("error-handling/unhandled-promise", 2) in _hits(floating, "javascript")
    mapped = (
        "function refresh(ids, done) {\n  Promise.all(ids.map((id) => get(id)))\n"
        "    .then((items) => done(items));\n}\n"
    )
    assert ("error-handling/unhandled-promise", 2) in _hits(mapped, "javascript")  # an arrow inside, not around
    build = "import fs from 'node:fs';\n\nasync function loadEnv(path) {\n  return fs.readFileSync(path, 'utf8');\n}\n"
    assert "concurrency/blocking-call-in-async" not in _rules(build, "javascript")
    server = "import express from 'express';\n\n" + build.split("\n\n", 1)[1]
    assert ("concurrency/blocking-call-in-async", 4) in _hits(server, "javascript")
    flag = "app.use(cors({ origin: ORIGIN, headers: { 'Access-Control-Allow-Credentials': 'true' } }));\n"
    assert "security/hardcoded-secret" not in _rules(flag, "javascript")


COUNTER_JAVA = """import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

public class Counter {
    private static int count = 0;

    private static void countAll() {
        count = 0;
        ExecutorService executor = Executors.newFixedThreadPool(2);
        for (int i = 0; i < 100; i++) {
            executor.submit(Counter::increment);
        }
        executor.shutdown();
    }

    private static void increment() {
        count = count + 1;
    }
}
"""


def test_a_reset_before_the_tasks_start_is_no_race_but_their_unlocked_update_is() -> None:
    hits = _hits(COUNTER_JAVA, "java")
    assert ("concurrency/unsynchronized-shared-state", 17) in hits
    assert ("concurrency/unsynchronized-shared-state", 8) not in hits
    locked = COUNTER_JAVA.replace("private static void increment", "private static synchronized void increment")
    assert "concurrency/unsynchronized-shared-state" not in _rules(locked, "java")
    # a reset inside the loop that hands work off races with the tasks already started
    looped = locked.replace("        count = 0;\n", "").replace(
        "            executor.submit(Counter::increment);",
        "            count = 0;\n            executor.submit(Counter::increment);",
    )
    assert ("concurrency/unsynchronized-shared-state", 10) in _hits(looped, "java")


def test_a_floating_promise_reaches_a_process_wide_rejection_handler() -> None:
    text = "const app = require('./app');\n\nmongoose.connect(url).then(() => {\n  app.listen(3000);\n});\n"
    assert "error-handling/unhandled-promise" in _rules(text, "javascript")
    handled = text + (
        "\nprocess.on('unhandledRejection', (error) => {\n  logger.error(error);\n  process.exit(1);\n});\n"
    )
    assert "error-handling/unhandled-promise" not in _rules(handled, "javascript")


def test_a_class_of_its_own_named_unserialize_is_no_unsafe_deserializer() -> None:
    own = "def recv(self):\n    data = self.socket.recv()\n    return Message.unserialize(data)\n"
    assert "security/insecure-deserialization" not in _rules(own, "python")
    node = "var serialize = require('node-serialize');\nvar obj = serialize.unserialize(req.cookies.profile);\n"
    assert ("security/insecure-deserialization", 2) in _hits(node, "javascript")


STOP_JAVA = """public class Pools {
    public static void stop(ExecutorService executor) {
        try {
            executor.shutdown();
            executor.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            System.err.println("termination interrupted");
        } finally {
            executor.shutdownNow();
        }
    }
}
"""


def test_an_interrupt_printed_and_dropped_in_a_method_loses_the_callers_interrupt() -> None:
    assert ("error-handling/swallowed-exception", 6) in _hits(STOP_JAVA, "java")
    restored = STOP_JAVA.replace(
        'System.err.println("termination interrupted");', "Thread.currentThread().interrupt();"
    )
    assert "error-handling/swallowed-exception" not in _rules(restored, "java")
    task = (
        "public class Tasks {\n    public static void main(String[] args) {\n        Runnable r = () -> {\n"
        "            try {\n                TimeUnit.SECONDS.sleep(1);\n"
        "            } catch (InterruptedException e) {\n"
        '                System.out.println("stopped");\n            }\n        };\n'
        "        new Thread(r).start();\n    }\n}\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(task, "java")


def test_a_name_one_letter_from_a_tainted_one_is_that_name_only_when_nothing_else_holds_it() -> None:
    slipped = "app.get('/go', function (req, res) {\n  var target = req.param('target');\n  res.redirect(targt);\n});\n"
    assert ("security/open-redirect", 3) in _hits(slipped, "javascript")
    other = slipped.replace("  res.redirect(targt);", "  var targets = lookup();\n  res.redirect(targets);")
    assert "security/open-redirect" not in _rules(other, "javascript")


def test_a_field_written_under_a_lock_and_without_one_races_even_when_its_declaration_is_off_screen() -> None:
    window = (
        "    private static synchronized void incrementSync() {\n        count = count + 1;\n    }\n\n"
        "    private static void increment() {\n        count = count + 1;\n    }\n}\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 6) in _hits(window, "java")
    unlocked = window.replace("synchronized ", "")
    assert "concurrency/unsynchronized-shared-state" not in _rules(unlocked, "java")  # nothing shows threads
    local = window.replace(
        "    private static void increment() {\n        count = count + 1;",
        "    private static void increment() {\n        int count = 0;\n        count = count + 1;",
    )
    assert ("concurrency/unsynchronized-shared-state", 7) not in _hits(local, "java")


PY_WORKERS = """import threading

totals = {}


def record(name):
    totals[name] = totals.get(name, 0) + 1


def worker(names):
    for name in names:
        record(name)


def load(rows):
    for row in rows:
        totals[row] = 0


threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in CHUNKS]
"""


def test_module_state_races_where_a_thread_reaches_it_not_in_code_no_thread_runs() -> None:
    hits = _hits(PY_WORKERS, "python")
    assert ("concurrency/unsynchronized-shared-state", 7) in hits  # record() is called by the thread's worker
    assert ("concurrency/unsynchronized-shared-state", 17) not in hits  # load() runs on no thread shown
    lonely = PY_WORKERS.replace("        record(name)", "        print(name)")
    assert "concurrency/unsynchronized-shared-state" not in _rules(lonely, "python")


def test_a_cookies_value_is_request_data_even_when_the_window_does_not_show_where_the_cookie_came_from() -> None:
    window = (
        '            if (theCookie.getName().equals("id")) {\n'
        '                param = java.net.URLDecoder.decode(theCookie.getValue(), "UTF-8");\n'
        "            }\n        }\n"
        "        fis = new java.io.FileInputStream(new java.io.File(TESTFILES_DIR + param));\n"
    )
    assert ("security/path-traversal", 5) in _hits(window, "java")
    constant = window.replace("theCookie.getValue()", '"report.txt"')
    assert "security/path-traversal" not in _rules(constant, "java")


def test_a_window_cut_inside_a_method_is_still_read_as_that_method() -> None:
    window = (
        "public class Counter {\n    private static int count = 0;\n\n"
        "    public static void main(String[] args) {\n"
        "        ExecutorService executor = Executors.newFixedThreadPool(2);\n"
        "        executor.submit(Counter::increment);\n    }\n\n"
        "    private static void increment() {\n        boolean permit = false;\n        try {\n"
        "            permit = semaphore.tryAcquire(5, TimeUnit.SECONDS);\n            count++;\n        }\n"
    )
    assert ("concurrency/unsynchronized-shared-state", 13) in _hits(window, "java")


# -- issue 14: authorization, session and error disclosure in handlers (snippets written here; each with a twin) --

JS_CHECK_GOES_ON = """const requireLogin = require("./auth");
router.get("/orders", function (req, res) {
  requireLogin(req, res);
  orders.forUser(req.session.uid).then(function (rows) {
    res.render("orders", { rows: rows });
  });
});
"""


def test_a_login_check_that_only_answers_does_not_stop_the_handler() -> None:
    assert ("security/auth-check-not-enforced", 3) in _hits(JS_CHECK_GOES_ON, "javascript")
    stopped = JS_CHECK_GOES_ON.replace("  requireLogin(req, res);\n", "  if (!requireLogin(req, res)) { return; }\n")
    assert "security/auth-check-not-enforced" not in _rules(stopped, "javascript")
    middleware = JS_CHECK_GOES_ON.replace(
        'router.get("/orders", function', 'router.get("/orders", requireLogin, function'
    )
    middleware = middleware.replace("  requireLogin(req, res);\n", "")
    assert "security/auth-check-not-enforced" not in _rules(middleware, "javascript")


PY_VIEWS = """from aiohttp import web
from shop.auth import login_required

@login_required
async def delete_item(request):
    form = await request.post()
    await Item.delete(request.app["db"], form["id"])
    raise web.HTTPFound("/items")

async def add_item(request):
    form = await request.post()
    await Item.create(request.app["db"], form["title"])
    raise web.HTTPFound("/items")

async def list_items(request):
    return web.json_response(await Item.all(request.app["db"]))
"""


def test_a_handler_that_writes_without_the_user_check_its_siblings_make_is_flagged() -> None:
    hits = _hits(PY_VIEWS, "python")
    assert ("security/missing-authorization", 12) in hits
    assert not any(rule == "security/missing-authorization" and line != 12 for rule, line in hits)
    guarded = PY_VIEWS.replace("async def add_item", "@login_required\nasync def add_item")
    assert "security/missing-authorization" not in _rules(guarded, "python")
    nobody_checks = PY_VIEWS.replace("@login_required\n", "").replace("from shop.auth import login_required\n", "")
    assert "security/missing-authorization" not in _rules(nobody_checks, "python")


def test_the_sender_or_price_of_an_action_taken_from_the_request_is_flagged() -> None:
    java = (
        'String to = request.getParameter("to");\nString from = request.getParameter("sender");\nmail.send(from, to);\n'
    )
    assert ("security/identity-from-request", 2) in _hits(java, "java")
    from_session = java.replace('request.getParameter("sender")', 'session.getAttribute("user").toString()')
    assert "security/identity-from-request" not in _rules(from_session, "java")
    js = (
        "const order = req.body;\nif (order.price == null) { return res.sendStatus(400); }\n"
        "db.insert({ item: order.item, price: order.price });\n"
    )
    hits = _hits(js, "javascript")
    assert ("security/identity-from-request", 3) in hits and ("security/identity-from-request", 2) not in hits
    catalogue = js.replace("price: order.price", "price: catalogue.priceOf(order.item)")
    assert "security/identity-from-request" not in _rules(catalogue, "javascript")


PY_LOGIN = """async def login(request):
    session = await get_session(request)
    form = await request.post()
    user = await users.find(form["name"])
    if user and user.check_password(form["password"]):
        session["user_id"] = user.id
    return web.HTTPFound("/")
"""
JAVA_LOGIN = """protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String pass = request.getParameter("pass");
    if (accounts.matches(request.getParameter("name"), pass)) {
        HttpSession session = request.getSession();
        session.setAttribute("user", request.getParameter("name"));
    }
}
"""


def test_a_login_that_keeps_the_old_session_is_session_fixation() -> None:
    assert ("security/session-fixation", 6) in _hits(PY_LOGIN, "python")
    renewed = PY_LOGIN.replace("    session = await get_session(request)\n", "").replace(
        '        session["user_id"]', '        session = await new_session(request)\n        session["user_id"]'
    )
    assert "security/session-fixation" not in _rules(renewed, "python")
    assert ("security/session-fixation", 4) in _hits(JAVA_LOGIN, "java")
    invalidated = JAVA_LOGIN.replace(
        "        HttpSession session = request.getSession();",
        "        request.getSession().invalidate();\n        HttpSession session = request.getSession(true);",
    )
    assert "security/session-fixation" not in _rules(invalidated, "java")


def test_a_session_cookie_readable_by_scripts_and_templates_without_escaping_are_flagged() -> None:
    storage = (
        "def setup(app):\n    storage = EncryptedCookieStorage(key, httponly=False)\n"
        "    app.middlewares.append(session_middleware(storage))\n"
    )
    assert ("security/insecure-cookie", 2) in _hits(storage, "python")
    assert "security/insecure-cookie" not in _rules(storage.replace("httponly=False", "httponly=True"), "python")
    unrelated = "def plot(ax):\n    ax.grid(secure=False)\n"
    assert "security/insecure-cookie" not in _rules(unrelated, "python")
    jinja = (
        "import aiohttp_jinja2\n\naiohttp_jinja2.setup(app, loader=loader,\n                     autoescape=False)\n"
    )
    assert ("security/xss-html-injection", 4) in _hits(jinja, "python")
    assert "security/xss-html-injection" not in _rules(jinja.replace("False", "True"), "python")


def test_an_exception_written_into_the_response_is_flagged_and_a_logged_one_is_not() -> None:
    java = (
        'try {\n    report.render(out);\n} catch (IOException failure) {\n    out.println("Failed: " + failure);\n}\n'
    )
    assert ("security/exception-in-response", 4) in _hits(java, "java")
    logged = java.replace(
        'out.println("Failed: " + failure);', 'log.warn("render failed", failure);\n    out.println("Failed");'
    )
    assert "security/exception-in-response" not in _rules(logged, "java")
    stdout = java.replace("out.println", "System.out.println")
    assert "security/exception-in-response" not in _rules(stdout, "java")
    js = (
        'app.get("/a", (req, res) => {\n  load().catch((problem) => {\n'
        "    res.status(500).send(problem.stack);\n  });\n});\n"
    )
    assert ("security/exception-in-response", 3) in _hits(js, "javascript")
    own = (
        'try {\n  if (!req.body.mail) { throw new Error("mail is required"); }\n} catch (e) {\n'
        "  return res.status(400).json({ message: e.message });\n}\n"
    )
    assert "security/exception-in-response" not in _rules(own, "javascript")
    py = (
        "def view(request):\n    try:\n        return render(request)\n    except Exception as exc:\n"
        "        return HttpResponse(str(exc), status=500)\n"
    )
    assert ("security/exception-in-response", 5) in _hits(py, "python")


def test_a_redirect_to_a_path_of_this_site_with_the_request_in_its_query_is_no_open_redirect() -> None:
    local = 'function guard(req, res) {\n  res.redirect("/signin?back=" + req.originalUrl);\n}\n'
    assert "security/open-redirect" not in _rules(local, "javascript")
    anywhere = "function guard(req, res) {\n  res.redirect(req.query.back);\n}\n"
    assert ("security/open-redirect", 2) in _hits(anywhere, "javascript")
    protocol_relative = 'function guard(req, res) {\n  res.redirect("/" + req.query.back);\n}\n'
    assert ("security/open-redirect", 2) in _hits(protocol_relative, "javascript")


def test_values_read_back_from_a_query_are_not_request_data_in_the_session() -> None:
    java = (
        'ResultSet rows = st.executeQuery("select id from staff where login=\'"\n'
        '    + request.getParameter("l") + "\'");\n'
        'if (rows.next()) {\n    session.setAttribute("staff", rows.getString("id"));\n}\n'
    )
    hits = _hits(java, "java")
    assert ("security/sql-injection", 1) in hits
    assert "security/trust-boundary" not in _rules(java, "java")
    raw = 'String who = request.getParameter("l");\nsession.setAttribute("staff", who);\n'
    assert ("security/trust-boundary", 2) in _hits(raw, "java")


def test_a_default_for_a_missing_request_value_is_no_hardcoded_secret() -> None:
    java = 'String secret = request.getParameter("secret");\nif (secret == null) {\n    secret = "unset-value";\n}\n'
    assert "security/hardcoded-secret" not in {rule for rule, _ in _findings(java, "java")}
    constant = 'class Keys {\n    String secret = "s3cr3t-v4lue";\n}\n'
    assert "security/hardcoded-secret" in {rule for rule, _ in _findings(constant, "java")}


JS_ROUTES = """const { ensureSignedIn } = require("../middleware");
router.get("/notes", ensureSignedIn, notes.list);
router.post("/notes", ensureSignedIn, notes.create);
router.delete("/notes/:id", notes.remove);
router.post("/signin", accounts.signIn);
"""


def test_an_express_write_route_without_the_guard_its_siblings_have_is_flagged() -> None:
    hits = _hits(JS_ROUTES, "javascript")
    assert ("security/missing-authorization", 4) in hits
    assert ("security/missing-authorization", 5) not in hits  # signing in is public by design
    guarded = JS_ROUTES.replace(
        'router.delete("/notes/:id", notes', 'router.delete("/notes/:id", ensureSignedIn, notes'
    )
    assert "security/missing-authorization" not in _rules(guarded, "javascript")
    whole_router = "router.use(ensureSignedIn);\n" + JS_ROUTES
    assert "security/missing-authorization" not in _rules(whole_router, "javascript")


JAVA_CONTROLLER = """@RestController
public class InvoiceController {
    @PreAuthorize("hasRole('CLERK')")
    @PostMapping("/invoices")
    public Invoice create(@RequestBody Invoice invoice) {
        return repository.save(invoice);
    }

    @DeleteMapping("/invoices/{id}")
    public void delete(@PathVariable long id) {
        repository.deleteById(id);
    }
}
"""


def test_a_spring_write_mapping_without_the_annotation_its_siblings_carry_is_flagged() -> None:
    assert ("security/missing-authorization", 10) in _hits(JAVA_CONTROLLER, "java")
    annotated = JAVA_CONTROLLER.replace(
        "    @DeleteMapping", "    @PreAuthorize(\"hasRole('CLERK')\")\n    @DeleteMapping"
    )
    assert "security/missing-authorization" not in _rules(annotated, "java")


def test_a_handler_that_receives_the_callers_token_and_never_reads_it_is_flagged() -> None:
    java = (
        "@RestController\nclass Notes {\n"
        '  @PostMapping("/notes")\n  Note add(@RequestHeader("x-token") String token, @RequestBody Note n) {\n'
        "    return store.save(n);\n  }\n}\n"
    )
    assert ("security/missing-authorization", 4) in _hits(java, "java")
    checked = java.replace("    return store.save(n);", "    Auth.require(token);\n    return store.save(n);")
    assert "security/missing-authorization" not in _rules(checked, "java")


def test_express_session_without_cookie_options_is_an_insecure_cookie() -> None:
    js = (
        'const session = require("express-session");\napp.use(session({\n  secret: process.env.SESSION_KEY,\n'
        "  resave: false,\n}));\n"
    )
    assert ("security/insecure-cookie", 2) in _hits(js, "javascript")
    configured = js.replace("  resave: false,\n", "  resave: false,\n  cookie: { secure: true, maxAge: 3600000 },\n")
    assert "security/insecure-cookie" not in _rules(configured, "javascript")


def test_an_error_middleware_that_sends_the_errors_message_is_flagged_unless_it_answers_a_known_error() -> None:
    js = "app.use((err, req, res, next) => {\n  res.status(500);\n  res.json({ error: err.message });\n});\n"
    assert ("security/exception-in-response", 3) in _hits(js, "javascript")
    known = (
        'app.use((err, req, res, next) => {\n  if (err.name === "ValidationError") {\n'
        "    return res.status(400).json({ error: err.message });\n  }\n  next(err);\n});\n"
    )
    assert "security/exception-in-response" not in _rules(known, "javascript")
    generic = js.replace("err.message", '"internal error"')
    assert "security/exception-in-response" not in _rules(generic, "javascript")


JAVA_FORWARD = """public class PageServlet extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws Exception {
        String page = request.getParameter("page");
        if (page == null) {
            page = "index.jsp";
        }
        request.setAttribute("page", page);
        request.getRequestDispatcher(page).forward(request, response);
    }
}
"""


def test_a_forward_to_a_path_the_request_chose_is_flagged_and_a_constant_one_is_not() -> None:
    # the default set inside the branch replaces the value on that branch only: line 8 still forwards the request's
    assert ("security/unsafe-forward", 8) in _hits(JAVA_FORWARD, "java")
    # a request attribute lives for this request only: no trust boundary is crossed
    assert "security/trust-boundary" not in _rules(JAVA_FORWARD, "java")
    fixed = JAVA_FORWARD.replace("getRequestDispatcher(page)", 'getRequestDispatcher("/WEB-INF/" + "index.jsp")')
    assert "security/unsafe-forward" not in _rules(fixed, "java")
    # reassigned at the statement's own level, the name is clean again
    reset = JAVA_FORWARD.replace(
        '        if (page == null) {\n            page = "index.jsp";\n        }\n', '        page = "index.jsp";\n'
    )
    assert "security/unsafe-forward" not in _rules(reset, "java")


def test_a_spring_view_name_from_the_request_is_flagged() -> None:
    code = (
        '@Controller\npublic class Views {\n    @RequestMapping("/v")\n'
        "    public ModelAndView view(HttpServletRequest request) {\n"
        '        String path = request.getParameter("path");\n        ModelAndView mav = new ModelAndView();\n'
        "        mav.setViewName(path);\n        return mav;\n    }\n}\n"
    )
    assert ("security/unsafe-forward", 7) in _hits(code, "java")
    model = code.replace("mav.setViewName(path);", 'mav.setViewName("view"); mav.addObject("path", path);')
    assert "security/unsafe-forward" not in _rules(model, "java")


def test_an_express_view_named_by_the_request_is_flagged_but_request_data_in_its_locals_is_not() -> None:
    code = (
        "router.get('/:page', function (req, res) {\n  var page = req.params.page;\n"
        "  res.render(page, { title: 'Express' });\n});\n"
    )
    assert ("security/unsafe-forward", 3) in _hits(code, "javascript")
    locals_only = (
        "router.get('/:name', function (req, res) {\n"
        "  res.render('page', { title: 'Express', content: req.params.name });\n});\n"
    )
    assert "security/unsafe-forward" not in _rules(locals_only, "javascript")


JAVA_LOOKUP = """public class Registry {
    private static Map<String, Registry> map = new HashMap<>();

    public static Registry get(String key) {
        Registry found = map.get(key);
        if (found == null) {
            found = new Registry();
            map.put(key, found);
        }
        return found;
    }
}
"""


def test_a_lookup_through_a_local_then_a_put_on_a_static_map_is_a_check_then_act() -> None:
    assert ("concurrency/check-then-act", 6) in _hits(JAVA_LOOKUP, "java")
    locked = JAVA_LOOKUP.replace(
        "            found = new Registry();\n            map.put(key, found);\n",
        "            synchronized (map) {\n                found = map.get(key);\n"
        "                if (found == null) {\n                    found = new Registry();\n"
        "                    map.put(key, found);\n                }\n            }\n",
    )
    assert "concurrency/check-then-act" not in _rules(locked, "java")
    other = JAVA_LOOKUP.replace("Registry found = map.get(key);", "Registry found = build(key);")
    assert "concurrency/check-then-act" not in _rules(other, "java")


JS_LOST_UPDATE = """let balance = 0;

async function deposit(amount) {
  const current = balance;
  await audit(amount);
  balance = current + amount;
}

async function withdraw(account, amount) {
  const stock = await db.getBalance(account);
  const left = stock - amount;
  await db.setBalance(account, left);
}

Promise.all([deposit(10), deposit(20), withdraw('a', 5)]);
"""


def test_state_read_before_an_await_and_written_back_from_it_is_a_lost_update() -> None:
    assert ("concurrency/check-then-act", 4) in _hits(JS_LOST_UPDATE, "javascript")
    assert ("concurrency/check-then-act", 10) in _hits(JS_LOST_UPDATE, "javascript")
    # the same functions, each call awaited before the next: callers never overlap
    sequential = JS_LOST_UPDATE.replace(
        "Promise.all([deposit(10), deposit(20), withdraw('a', 5)]);", "await deposit(10);\nawait withdraw('a', 5);"
    )
    assert "concurrency/check-then-act" not in _rules(sequential, "javascript")
    # serialized by a mutex
    locked = JS_LOST_UPDATE.replace(
        "  const current = balance;", "  const release = await mutex.acquire();\n  const current = balance;"
    )
    assert all(line > 8 for rule, line in _hits(locked, "javascript") if rule == "concurrency/check-then-act")
    # no await between the read and the write: the event loop runs it in one piece
    atomic = JS_LOST_UPDATE.replace("  await audit(amount);\n", "")
    assert all(line > 7 for rule, line in _hits(atomic, "javascript") if rule == "concurrency/check-then-act")
    # the record named by the old read's key, written with a new value: nothing stale is written back
    keyed = (
        "async function verify(token) {\n  const user = await users.getUserById(token.user);\n"
        "  await users.updateUserById(user.id, { verified: true });\n}\n"
    )
    assert "concurrency/check-then-act" not in _rules(keyed, "javascript")


def test_a_python_coroutine_that_restores_an_attribute_is_not_a_lost_update() -> None:
    code = (
        "class Session:\n    async def run(self):\n        saved = self.state\n        await self.step()\n"
        "        self.state = saved\n\n    async def bump(self):\n        count = self.count\n"
        "        await self.flush()\n        self.count = count + 1\n"
    )
    assert ("concurrency/check-then-act", 8) in _hits(code, "python")
    assert ("concurrency/check-then-act", 3) not in _hits(code, "python")


def test_a_java_url_from_the_request_is_ssrf_when_opened_not_when_only_built() -> None:
    code = (
        "public class Proxy extends HttpServlet {\n"
        "    public void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {\n"
        '        URL url = new URL(request.getParameter("url"));\n'
        "        URLConnection connection = url.openConnection();\n"
        "        connection.getInputStream().transferTo(response.getOutputStream());\n    }\n}\n"
    )
    assert ("security/ssrf", 4) in _hits(code, "java")
    built = code.replace(
        "        URLConnection connection = url.openConnection();\n"
        "        connection.getInputStream().transferTo(response.getOutputStream());\n",
        "        response.getWriter().print(url.getHost().length());\n",
    )
    assert "security/ssrf" not in _rules(built, "java")
    fixed = code.replace('new URL(request.getParameter("url"))', 'new URL("https://api.example.com/status")')
    assert "security/ssrf" not in _rules(fixed, "java")


PY_SINGLETON = """import threading


class Config:
    _instance = None
    _lock = threading.Lock()

    def __new__(cls):
        if cls._instance is None:
            with cls._lock:
                if cls._instance is None:
                    cls._instance = super().__new__(cls)
        return cls._instance


def work():
    print(Config())


for _ in range(4):
    threading.Thread(target=work).start()
"""


def test_python_double_checked_locking_is_correct_and_a_single_check_outside_the_lock_is_not() -> None:
    # checked again under the lock: a Python name is bound only to a finished object, so this is the right idiom
    assert "concurrency/check-then-act" not in _rules(PY_SINGLETON, "python")
    single = PY_SINGLETON.replace(
        "                if cls._instance is None:\n                    cls._instance = super().__new__(cls)\n",
        "                cls._instance = super().__new__(cls)\n",
    )
    assert ("concurrency/check-then-act", 9) in _hits(single, "python")
    by_hasattr = single.replace("if cls._instance is None:", 'if not hasattr(cls, "_instance"):').replace(
        "    _instance = None\n", ""
    )
    assert ("concurrency/check-then-act", 8) in _hits(by_hasattr, "python")


PY_PER_THREAD = """from threading import Thread


class Store:
    def get(self, key):
        if not hasattr(self, "cache"):
            self.cache = {}
        if key not in self.cache:
            self.cache[key] = load(key)
        return self.cache[key]


def job():
    store = Store()
    store.get(1)


Thread(target=job).start()
Thread(target=job).start()
"""


def test_an_object_each_thread_makes_for_itself_is_not_shared_state() -> None:
    rules = _rules(PY_PER_THREAD, "python")
    assert "concurrency/check-then-act" not in rules and "concurrency/unsynchronized-shared-state" not in rules
    shared = PY_PER_THREAD.replace(
        "def job():\n    store = Store()\n    store.get(1)\n", "store = Store()\n\n\ndef job():\n    store.get(1)\n"
    )
    assert {"concurrency/check-then-act", "concurrency/unsynchronized-shared-state"} & _rules(shared, "python")


JAVA_GENERIC_ANSWER = """public class Login extends HttpServlet {
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            authenticate(request);
            response.sendRedirect("home.jsp");
        } catch (Exception ex) {
            response.sendRedirect("login.jsp?err=something went wrong");
        }
    }
}
"""


def test_a_broad_catch_that_answers_generically_and_drops_the_error_is_swallowed() -> None:
    assert ("error-handling/swallowed-exception", 6) in _hits(JAVA_GENERIC_ANSWER, "java")
    logged = JAVA_GENERIC_ANSWER.replace(
        '            response.sendRedirect("login.jsp?err=something went wrong");',
        '            log.error("login failed", ex);\n'
        '            response.sendRedirect("login.jsp?err=something went wrong");',
    )
    assert "error-handling/swallowed-exception" not in _rules(logged, "java")
    narrow = JAVA_GENERIC_ANSWER.replace("catch (Exception ex)", "catch (BadCredentialsException ex)")
    assert "error-handling/swallowed-exception" not in _rules(narrow, "java")


def test_logging_only_the_message_of_a_broad_catch_loses_the_trace() -> None:
    code = (
        "public class Jobs {\n    void run() {\n        try {\n            step();\n"
        "        } catch (Exception e) {\n            LOGGER.error(e.getMessage());\n        }\n    }\n}\n"
    )
    assert ("error-handling/traceback-not-logged", 5) in _hits(code, "java")
    with_trace = code.replace("LOGGER.error(e.getMessage());", 'LOGGER.error("step failed: {}", e.getMessage(), e);')
    assert "error-handling/traceback-not-logged" not in _rules(with_trace, "java")


PY_LOGIN_ANSWERS = """def login(username, password):
    user = users.find(username)
    if user is None:
        return "Unknown user name", 401
    if not check_password(user, password):
        return "Incorrect password", 401
    return start_session(user)
"""


def test_a_login_that_answers_unknown_user_and_wrong_password_differently_reveals_accounts() -> None:
    assert ("security/user-enumeration", 4) in _hits(PY_LOGIN_ANSWERS, "python")
    same = PY_LOGIN_ANSWERS.replace('"Unknown user name"', '"Invalid user name or password"').replace(
        '"Incorrect password"', '"Invalid user name or password"'
    )
    assert "security/user-enumeration" not in _rules(same, "python")
    named = (
        "function login(req, res) {\n  const unknownUser = 'Invalid username';\n"
        "  const badPassword = 'Invalid password';\n  users.find(req.body.user, (err, user) => {\n"
        "    if (!user) return res.render('login', { error: unknownUser });\n"
        "    if (!user.matches(req.body.password)) return res.render('login', { error: badPassword });\n"
        "  });\n}\n"
    )
    # a message given a name counts where it is answered
    assert ("security/user-enumeration", 5) in _hits(named, "javascript")
    spec = (
        "describe('login', () => {\n  it('rejects an unknown user', () => {\n"
        "    expect(page.error()).toBe('Invalid username');\n  });\n"
        "  it('rejects a wrong password', () => {\n"
        "    expect(page.error()).toBe('Invalid password');\n  });\n});\n"
    )
    assert "security/user-enumeration" not in _rules(spec, "javascript")


def test_a_window_that_starts_inside_a_try_still_sees_its_empty_catch() -> None:
    # a screenshot cut after the `try {` line: the catch's block is unmatched at the top of the window
    java = (
        '            session.invalidate();\n            response.sendRedirect("index.jsp");\n        }\n'
        "        catch(Exception e)\n        {\n\n        }\n    }\n"
    )
    assert ("error-handling/swallowed-exception", 4) in _hits(java, "java")
    js = "      if (user) {\n        await user.save();\n      }\n    } catch (err) {\n    }\n  });\n"
    assert ("error-handling/swallowed-exception", 4) in _hits(js, "javascript")
    handled = java.replace(
        "        {\n\n        }\n",
        '        {\n            log.error("logout failed", e);\n'
        "            throw new ServletException(e);\n        }\n",
    )
    assert "error-handling/swallowed-exception" not in _rules(handled, "java")


JAVA_REST_ERROR = """@RestController
@RequestMapping("/rce")
public class CommandController {
    @GetMapping("/run")
    public String run(String cmd) {
        try {
            return execute(cmd);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
"""


def test_a_rest_handler_returning_the_exception_text_discloses_it() -> None:
    assert ("security/exception-in-response", 9) in _hits(JAVA_REST_ERROR, "java")
    # a plain @Controller's string is a view name, not the body
    view = JAVA_REST_ERROR.replace("@RestController", "@Controller")
    assert "security/exception-in-response" not in _rules(view, "java")
    logged = JAVA_REST_ERROR.replace(
        "return e.toString();", 'log.error("run failed", e);\n            return "failed";'
    )
    assert "security/exception-in-response" not in _rules(logged, "java")


JS_CALLBACK_ERROR = """module.exports = {
  sysinfo: (req, res) => {
    exec('uname -a', (err, stdout) => {
      if (err) {
        res.json(err);
      } else {
        res.json({ host: stdout });
      }
    });
  },
  upload: (req, res) => {
    req.files.file.mv(target, function (err) {
      if (err) {
        return res.status(500).send('upload failed: ' + err);
      }
      res.json('uploaded');
    });
  },
};
"""


def test_a_node_callback_error_sent_to_the_caller_is_disclosed() -> None:
    hits = _hits(JS_CALLBACK_ERROR, "javascript")
    assert ("security/exception-in-response", 5) in hits
    assert ("security/exception-in-response", 14) in hits
    coded = JS_CALLBACK_ERROR.replace("res.json(err);", "res.status(500).json({ code: err.code });").replace(
        "'upload failed: ' + err", "'upload failed'"
    )
    assert "security/exception-in-response" not in _rules(coded, "javascript")


PY_VALIDATION_ANSWER = """def register_user():
    data = request.get_json()
    try:
        jsonschema.validate(data, schema)
    except jsonschema.exceptions.ValidationError as exc:
        return Response(error_message(exc.message), 400)
    try:
        save(data)
    except Exception as exc:
        return Response(str(exc), 500)
"""


def test_a_validation_error_message_is_meant_for_the_caller_other_errors_are_not() -> None:
    hits = _hits(PY_VALIDATION_ANSWER, "python")
    assert ("security/exception-in-response", 6) not in hits
    assert ("security/exception-in-response", 10) in hits


def test_returning_the_caught_exception_as_the_result_swallows_it() -> None:
    code = (
        "def encode_token(user_id):\n    try:\n        return jwt.encode({'sub': user_id}, KEY)\n"
        "    except Exception as e:\n        return e\n"
    )
    assert ("error-handling/swallowed-exception", 4) in _hits(code, "python")
    raised = code.replace("        return e\n", "        raise TokenError(user_id) from e\n")
    assert "error-handling/swallowed-exception" not in _rules(raised, "python")


def test_an_untyped_javascript_catch_that_answers_without_reading_the_error_swallows_it() -> None:
    code = (
        "async function release(req, res) {\n  try {\n    res.send(lookup(req.params.release));\n"
        "  } catch (e) {\n    res.status(500).send('Error processing request');\n  }\n}\n"
    )
    assert ("error-handling/swallowed-exception", 4) in _hits(code, "javascript")
    logged = code.replace("    res.status(500)", "    logger.error(e);\n    res.status(500)")
    assert "error-handling/swallowed-exception" not in _rules(logged, "javascript")


def test_an_sql_error_logged_by_its_text_only_loses_the_trace() -> None:
    code = (
        "class Users {\n    String find(String name) {\n        try {\n            return query(name);\n"
        "        } catch (SQLException e) {\n            logger.error(e.toString());\n        }\n"
        '        return "";\n    }\n}\n'
    )
    assert ("error-handling/traceback-not-logged", 5) in _hits(code, "java")
    kept = code.replace("logger.error(e.toString());", 'logger.error("query failed", e);')
    assert "error-handling/traceback-not-logged" not in _rules(kept, "java")


JAVA_FILTERED_STREAM = """public class Remember {
    public String plain(byte[] bytes) throws Exception {
        ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes));
        return String.valueOf(in.readObject());
    }

    public String checked(byte[] bytes) throws Exception {
        AntObjectInputStream in = new AntObjectInputStream(new ByteArrayInputStream(bytes));
        return String.valueOf(in.readObject());
    }
}
"""


def test_an_object_stream_subclass_that_checks_classes_is_not_the_plain_stream() -> None:
    hits = _hits(JAVA_FILTERED_STREAM, "java")
    assert ("security/insecure-deserialization", 4) in hits
    assert ("security/insecure-deserialization", 9) not in hits


def test_a_password_is_not_correct_message_counts_as_a_wrong_password_answer() -> None:
    code = (
        'def login_user(data):\n    user = User.query.filter_by(username=data["username"]).first()\n'
        '    if user and data["password"] != user.password:\n'
        '        return error("Password is not correct for the given username.")\n'
        '    elif not user:\n        return error("Username does not exist")\n'
    )
    assert ("security/user-enumeration", 4) in _hits(code, "python")
    same = code.replace("Password is not correct for the given username.", "Username or password incorrect").replace(
        '"Username does not exist"', '"Username or password incorrect"'
    )
    assert "security/user-enumeration" not in _rules(same, "python")
    assert "security/hardcoded-secret" not in _rules(
        "result = {'status': 'success', 'Password': 'Updated.'}\n", "python"
    )


JS_STORED_RESULTS = """module.exports = {
  search: async (req, res) => {
    const client = new MongoClient(uri);
    const query = { $where: `this.name == '${req.body.search}'` };
    const items = await client.db('notes').collection('notes').find(query).toArray();
    res.send(items);
  },
  upload: (req, res) => {
    const file = req.files.file;
    const target = __dirname + '/uploads/' + file.name;
    file.mv(target, () => res.json('ok'));
  },
};
"""


def test_a_query_result_is_stored_data_and_an_upload_name_is_a_path() -> None:
    hits = _hits(JS_STORED_RESULTS, "javascript")
    assert not any(rule == "security/reflected-xss" for rule, _ in hits)
    assert ("security/path-traversal", 11) in hits


JAVA_GUARDED_REDIRECT = """public class Redirects {
    @RequestMapping("/go")
    public void go(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String url = request.getParameter("url");
        if (SecurityUtil.checkURL(url) == null) {
            response.setStatus(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        response.sendRedirect(url);
    }

    @RequestMapping("/code")
    public String code(HttpServletRequest request) {
        GroovyShell shell = new GroovyShell();
        return String.valueOf(shell.evaluate(request.getParameter("content")));
    }
}
"""


def test_a_checked_url_is_let_through_and_groovy_evaluation_of_request_data_is_injection() -> None:
    hits = _hits(JAVA_GUARDED_REDIRECT, "java")
    assert ("security/open-redirect", 9) not in hits
    assert ("security/code-injection", 15) in hits
    unguarded = JAVA_GUARDED_REDIRECT.replace("if (SecurityUtil.checkURL(url) == null) {", "if (url == null) {")
    assert ("security/open-redirect", 9) in _hits(unguarded, "java")


JAVA_BEAN_STATE = """@Component
public class NotifyService {
    private List<Map<String, String>> smsTemplate = new ArrayList<>();
    private Map<String, String> permissions = null;

    public void setSmsTemplate(List<Map<String, String>> smsTemplate) {
        this.smsTemplate = smsTemplate;
    }

    public List<String> group(List<Spec> specs) {
        List<String> smsTemplate = new ArrayList<>();
        for (Spec spec : specs) {
            smsTemplate.add(spec.name());
        }
        return smsTemplate;
    }

    public Collection<String> toApi(Set<String> granted) {
        if (permissions == null) {
            permissions = new HashMap<>();
            for (Permission p : loadAll()) {
                permissions.put(p.name(), p.api());
            }
        }
        return permissions.values();
    }
}
"""


def test_bean_setters_and_locals_are_not_shared_state_a_lazy_field_is_one_race() -> None:
    hits = _hits(JAVA_BEAN_STATE, "java")
    assert not any(rule == "concurrency/unsynchronized-shared-state" for rule, _ in hits)
    assert ("concurrency/check-then-act", 19) in hits
    endpoint = (
        '@ServerEndpoint("/ws/{sid}")\n@Component\npublic class Socket {\n    private Session session;\n'
        "    @OnOpen\n    public void onOpen(Session session) {\n        this.session = session;\n    }\n}\n"
    )
    assert "concurrency/unsynchronized-shared-state" not in _rules(endpoint, "java")


PY_HANDLER_MEMBERSHIP = """from flask import Flask

app = Flask(__name__)
seen = []


@app.route("/track/<name>")
def track(name):
    if name not in seen:
        seen.append(name)
    return {"seen": len(seen)}
"""


def test_a_handler_that_tests_then_changes_module_state_races() -> None:
    assert ("concurrency/check-then-act", 9) in _hits(PY_HANDLER_MEMBERSHIP, "python")
    locked = (
        PY_HANDLER_MEMBERSHIP.replace("import Flask\n", "import Flask\nimport threading\n")
        .replace("seen = []\n", "seen = []\nlock = threading.Lock()\n")
        .replace(
            "    if name not in seen:\n        seen.append(name)\n",
            "    with lock:\n        if name not in seen:\n            seen.append(name)\n",
        )
    )
    assert "concurrency/check-then-act" not in _rules(locked, "python")


def test_field_names_listed_in_a_schema_are_not_secrets() -> None:
    schema = 'SCHEMA = {\n    "order": ["url", "user", "password", "dbname"],\n    "secret": ["password"],\n}\n'
    assert "security/hardcoded-secret" not in _rules(schema, "python")
    assert "security/hardcoded-secret" in _rules('connect("password", "hunter2-prod")\n', "python")


JS_SITE_REDIRECTS = """module.exports = function (app, config) {
  app.get('/n/:noteId', (req, res) => {
    res.redirect(config.serverURL + '/' + req.params.noteId)
  })
  app.get('/s/:id', (req, res) => {
    res.redirect('/notes/' + req.params.id)
  })
  app.get('/go', (req, res) => {
    res.redirect('/' + req.query.next)
  })
}
"""


def test_a_redirect_to_a_path_of_this_site_is_not_open_a_bare_slash_is() -> None:
    hits = _hits(JS_SITE_REDIRECTS, "javascript")
    assert ("security/open-redirect", 3) not in hits
    assert ("security/open-redirect", 6) not in hits
    assert ("security/open-redirect", 9) in hits


JS_CALLBACK_REGISTRY = """var pending = {}

function send (id, data, callback) {
  pending[id] = callback
  worker.postMessage({ id: id, data: data })
}

worker.on('message', function (msg) {
  pending[msg.id](null, msg.result)
  delete pending[msg.id]
})

function saveRevision (note) {
  return store.write(note)
}
"""


def test_a_callback_registry_is_no_cache_to_invalidate_or_bound() -> None:
    rules = _rules(JS_CALLBACK_REGISTRY.replace("pending", "callbackCache"), "javascript")
    assert "caching/missing-invalidation" not in rules
    assert "caching/unbounded-cache" not in rules
    memo = (
        "var noteCache = {}\n\nfunction getNote (id) {\n  if (!noteCache[id]) {\n"
        "    noteCache[id] = store.read(id)\n  }\n  return noteCache[id]\n}\n\n"
        "function saveNote (id, note) {\n  return store.write(id, note)\n}\n"
    )
    assert "caching/missing-invalidation" in _rules(memo, "javascript")


def test_a_type_probe_and_an_exception_returned_as_a_status_are_not_swallowed() -> None:
    probe = (
        "def guess_type(value):\n    try:\n        int(value)\n        return TYPE_INTEGER\n"
        "    except (ValueError, OverflowError):\n        pass\n    return TYPE_STRING\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(probe, "python")
    status = (
        "def test_connection(source):\n    try:\n        source.runner.test_connection()\n"
        "    except Exception as e:\n        return e\n    else:\n        return True\n"
    )
    assert "error-handling/swallowed-exception" not in _rules(status, "python")
    java = (
        'class Codec {\n    byte[] bytes(String s) {\n        try {\n            return s.getBytes("UTF-8");\n'
        "        } catch (UnsupportedEncodingException e) {\n"
        '            throw new AssertionError("UTF-8 is not supported");\n        }\n    }\n}\n'
    )
    assert "error-handling/swallowed-exception" not in _rules(java, "java")
    lost = java.replace('new AssertionError("UTF-8 is not supported")', 'new RuntimeException("encoding failed")')
    assert "error-handling/swallowed-exception" in _rules(lost, "java")


def test_a_digest_fed_request_bytes_is_no_query() -> None:
    code = (
        "router.get('/token', (req, res) => {\n"
        "  const hash = crypto.createHash('sha256').update(req.query.password).digest('hex');\n"
        "  db.query('SELECT * FROM users WHERE name = ' + req.query.name);\n  res.json({ hash });\n});\n"
    )
    hits = _hits(code, "javascript")
    assert ("security/sql-injection", 2) not in hits
    assert ("security/sql-injection", 3) in hits


def test_a_password_compared_or_queried_in_clear_is_flagged_a_hashed_one_is_not() -> None:
    clear = (
        "@app.route('/login', methods=['POST'])\ndef login():\n    data = request.get_json()\n"
        "    user = Account.query.filter_by(email=data['email']).first()\n"
        "    if user and data.get('password') == user.password:\n        return issue_token(user)\n"
        "    return error('bad credentials'), 401\n"
    )
    assert ("security/plaintext-password", 5) in _hits(clear, "python")
    hashed = clear.replace(
        "data.get('password') == user.password", "check_password_hash(user.password_hash, data.get('password'))"
    )
    assert "security/plaintext-password" not in _rules(hashed, "python")
    confirm = (
        "def change_password(request):\n    password = request.POST['password']\n"
        "    if password != request.POST['password_again']:\n        return render(request, 'form.html')\n"
    )
    assert "security/plaintext-password" not in _rules(confirm, "python")
    query = (
        "def authenticate(username, password):\n    cur = db.cursor()\n"
        '    cur.execute("SELECT id FROM users WHERE name = ? AND password = ?", (username, password))\n'
        "    return cur.fetchone()\n"
    )
    assert ("security/plaintext-password", 3) in _hits(query, "python")
    salted = query.replace("(username, password)", "(username, hashlib.pbkdf2_hmac('sha256', password, salt, 1))")
    assert "security/plaintext-password" not in _rules(salted, "python")
    mongo = (
        "exports.login = function (req, res) {\n"
        "  Member.findOne({ email: req.body.email, password: req.body.password }, function (err, member) {\n"
        "    if (!member) return res.status(401).end();\n    res.json(member);\n  });\n};\n"
    )
    assert ("security/plaintext-password", 2) in _hits(mongo, "javascript")
    client = (
        "def connect(host, password):\n    conn = psycopg2.connect(host=host, password=password)\n"
        "    conn.commit()\n    return conn\n"
    )
    assert "security/plaintext-password" not in _rules(client, "python")


def test_a_record_fetched_by_the_request_id_alone_is_unowned_one_with_its_owner_is_not() -> None:
    java = (
        "@Controller\npublic class InvoiceController {\n"
        '    @GetMapping("/invoices/{id}")\n'
        '    public String show(@PathVariable("id") final String id, final Model model, final Principal principal) {\n'
        "        Customer me = customerDao.findByLogin(principal.getName());\n"
        '        model.addAttribute("invoice", invoiceDao.findByNumber(id));\n'
        '        return "invoice";\n    }\n}\n'
    )
    assert ("security/missing-ownership-check", 6) in _hits(java, "java")
    owned = java.replace("invoiceDao.findByNumber(id)", "invoiceDao.findByNumberAndOwner(id, principal.getName())")
    assert "security/missing-ownership-check" not in _rules(owned, "java")
    js = (
        "const listNotes = (req, res) => {\n  const owner = req.params.owner;\n"
        "  Note.findAll({ where: { owner: owner } }).then((notes) => res.json(notes));\n};\n"
        "const myNotes = (req, res) => {\n"
        "  Note.findAll({ where: { owner: req.user.id } }).then((notes) => res.json(notes));\n};\n"
    )
    hits = _hits(js, "javascript")
    assert ("security/missing-ownership-check", 3) not in hits  # no user known in listNotes: nothing to own it
    known = js.replace("const owner = req.params.owner;", "const owner = req.params.owner;\n  audit(req.user);")
    assert ("security/missing-ownership-check", 4) in _hits(known, "javascript")
    assert ("security/missing-ownership-check", 7) not in _hits(known, "javascript")
    checked = (
        "@bp.route('/docs/<int:doc_id>')\n@login_required\ndef show(doc_id):\n"
        "    doc = Document.query.get_or_404(doc_id)\n"
        "    if doc.owner_id != current_user.id:\n        abort(403)\n    return render_template('doc.html', doc=doc)\n"
    )
    assert "security/missing-ownership-check" not in _rules(checked, "python")
    unchecked = checked.replace(
        "    if doc.owner_id != current_user.id:\n        abort(403)\n",
        "    log.info('shown to %s', current_user.name)\n",
    )
    assert ("security/missing-ownership-check", 4) in _hits(unchecked, "python")


def test_a_repeated_group_that_can_split_text_many_ways_is_regex_dos_a_separated_one_is_not() -> None:
    email = (
        "def valid_email(value):\n"
        '    return re.match(r"^([a-zA-Z0-9]([-.\\w]*[a-zA-Z0-9])*@([a-zA-Z0-9][-\\w]*\\.)+[a-z]{2,9})$", value)\n'
    )
    assert ("security/regex-dos", 2) in _hits(email, "python")
    listed = 'def names(value):\n    return re.fullmatch(r"\\w+(\\s*,\\s*\\w+)*", value)\n'
    assert "security/regex-dos" not in _rules(listed, "python")
    js = "const slug = (s) => /^(\\w+-?)+$/.test(s);\nconst host = (s) => /^([a-z0-9]+\\.)+[a-z]{2,}$/.test(s);\n"
    hits = _hits(js, "javascript")
    assert ("security/regex-dos", 1) in hits
    assert ("security/regex-dos", 2) not in hits
    java = 'class V {\n    static final Pattern P = Pattern.compile("^(\\\\d+)+$");\n}\n'
    assert ("security/regex-dos", 2) in _hits(java, "java")


def test_a_role_taken_from_the_request_body_is_chosen_by_the_caller() -> None:
    code = (
        "router.post('/', async (req, res) => {\n  const user = {}\n  user.name = req.body.name\n"
        "  user.role = req.body.role\n  await repo.save(user)\n  res.sendStatus(200)\n})\n"
    )
    hits = _hits(code, "javascript")
    assert ("security/identity-from-request", 4) in hits
    assert ("security/identity-from-request", 3) not in hits


def test_request_data_handed_to_a_helper_of_the_same_file_reaches_its_file_sink() -> None:
    code = (
        "@RestController\npublic class AvatarController {\n"
        '    @GetMapping("/avatar")\n'
        '    public String avatar(@RequestParam("name") String name) throws IOException {\n'
        "        return readImage(name);\n    }\n\n"
        '    @GetMapping("/logo")\n'
        "    public String logo() throws IOException {\n"
        '        return readImage("logo.png");\n    }\n\n'
        "    private String readImage(String file) throws IOException {\n"
        "        byte[] data = Files.readAllBytes(Paths.get(file));\n"
        "        return Base64.getEncoder().encodeToString(data);\n    }\n}\n"
    )
    assert ("security/path-traversal", 14) in _hits(code, "java")
    constant = code.replace("return readImage(name);", 'return readImage("default.png");')
    assert ("security/path-traversal", 14) not in _hits(constant, "java")


def test_a_new_error_raised_in_a_handler_without_its_cause_loses_the_chain() -> None:
    python = (
        "def load(path):\n    try:\n        return json.loads(read(path))\n    except ValueError as err:\n"
        "        raise ConfigError('bad config')\n"
    )
    assert ("error-handling/exception-chain-lost", 5) in _hits(python, "python")
    chained = python.replace("raise ConfigError('bad config')", "raise ConfigError('bad config') from err")
    assert "error-handling/exception-chain-lost" not in _rules(chained, "python")
    answer = python.replace("raise ConfigError('bad config')", "raise HTTPException(status_code=400)")
    assert "error-handling/exception-chain-lost" not in _rules(answer, "python")
    js = (
        "async function load(path) {\n  try {\n    return JSON.parse(await read(path));\n  } catch (err) {\n"
        "    throw new Error('bad config');\n  }\n}\n"
    )
    assert ("error-handling/exception-chain-lost", 5) in _hits(js, "javascript")
    kept = js.replace("throw new Error('bad config');", "throw new Error('bad config', { cause: err });")
    assert "error-handling/exception-chain-lost" not in _rules(kept, "javascript")


def test_a_blocking_helper_many_handlers_share_is_reported_once_where_it_blocks() -> None:
    code = (
        "const app = express();\n\nfunction readUsers() {\n"
        "  return JSON.parse(fs.readFileSync(USERS_FILE, 'utf8'));\n}\n\n"
        "app.get('/users', (req, res) => {\n  res.json(readUsers());\n});\n\n"
        "app.get('/users/:id', (req, res) => {\n  const users = readUsers();\n  res.json(users[req.params.id]);\n});\n"
    )
    hits = {(rule, line) for rule, line in _hits(code, "javascript") if rule == "concurrency/blocking-call-in-async"}
    assert hits == {("concurrency/blocking-call-in-async", 4)}
    single = code.split("\n\napp.get('/users/:id'")[0] + "\n"
    hits = {(rule, line) for rule, line in _hits(single, "javascript") if rule == "concurrency/blocking-call-in-async"}
    assert hits == {("concurrency/blocking-call-in-async", 8)}


def test_a_record_literal_stored_with_the_typed_password_keeps_it_in_clear() -> None:
    code = (
        "this.addUser = (userName, password, callback) => {\n  const user = {\n    userName,\n    password\n  };\n"
        "  usersCol.insertOne(user, callback);\n};\n"
    )
    assert ("security/plaintext-password", 4) in _hits(code, "javascript")
    hashed = code.replace("    password\n", "    password: bcrypt.hashSync(password, 10)\n")
    assert "security/plaintext-password" not in _rules(hashed, "javascript")
    request = code.replace("  usersCol.insertOne(user, callback);\n", "  return fetch(LOGIN_URL, { body: user });\n")
    assert "security/plaintext-password" not in _rules(request, "javascript")


def test_an_exception_rendered_into_the_page_or_returned_through_a_helper_reaches_the_caller() -> None:
    python = (
        "@app.route('/load', methods=['POST'])\ndef load():\n    try:\n"
        "        return render_template('result.html', data=parse(request.form['data']))\n"
        "    except Exception as e:\n        return render_template('result.html', message=f'Error: {str(e)}')\n"
    )
    assert ("security/exception-in-response", 6) in _hits(python, "python")
    generic = python.replace("message=f'Error: {str(e)}'", "message='Something went wrong'")
    assert "security/exception-in-response" not in _rules(generic, "python")
    java = (
        "@RestController\npublic class Lesson {\n"
        '    @PostMapping("/attack")\n'
        "    public AttackResult attack(@RequestParam String account) {\n"
        "        return query(account);\n    }\n\n"
        "    protected AttackResult query(String account) {\n"
        "        try {\n            return success(this).output(run(account)).build();\n"
        "        } catch (Exception e) {\n            return failed(this)\n"
        '                .output("error: " + e.getMessage())\n                .build();\n        }\n    }\n}\n'
    )
    assert ("security/exception-in-response", 12) in _hits(java, "java")
    logged = java.replace('.output("error: " + e.getMessage())', '.feedback("query.failed")')
    assert "security/exception-in-response" not in _rules(logged, "java")


def test_a_quoted_password_key_is_a_record_value_even_where_a_variable_of_that_name_comes_from_the_request() -> None:
    code = (
        "users = {\n    'admin': {\n        'password': 'admin123',\n        'role': 'admin',\n    },\n}\n\n"
        "@app.route('/login', methods=['POST'])\ndef login():\n    password = request.form.get('password')\n"
        "    return check(password)\n"
    )
    assert ("security/hardcoded-secret", 3) in _hits(code, "python")
    default = code.replace("        'password': 'admin123',\n", "        'note': 'x',\n") + "password = 'changeme'\n"
    assert "security/hardcoded-secret" not in _rules(default, "python")


def test_a_python_session_cookie_set_without_its_flags_is_insecure() -> None:
    code = (
        "@app.route('/login', methods=['POST'])\ndef login():\n    response = make_response(redirect('/'))\n"
        "    response.set_cookie('session', make_token(request.form['user']))\n    return response\n"
    )
    assert ("security/insecure-cookie", 4) in _hits(code, "python")
    flagged = code.replace(
        "make_token(request.form['user']))", "make_token(request.form['user']), httponly=True, secure=True)"
    )
    assert "security/insecure-cookie" not in _rules(flagged, "python")
    theme = code.replace("set_cookie('session',", "set_cookie('theme',")
    assert "security/insecure-cookie" not in _rules(theme, "python")
    cleared = code.replace("make_token(request.form['user']))", "'', expires=0)")
    assert "security/insecure-cookie" not in _rules(cleared, "python")


def test_a_session_cookie_that_is_the_encoded_user_name_is_forgeable_a_signed_one_is_not() -> None:
    code = (
        "def create(response, username):\n"
        "    session = base64.b64encode(json.dumps({'username': username}).encode())\n"
        "    response.set_cookie('app_session', session)\n    return response\n"
    )
    assert ("security/forgeable-session-token", 2) in _hits(code, "python")
    signed = code.replace(
        "base64.b64encode(json.dumps({'username': username}).encode())",
        "serializer.dumps({'username': username})",
    )
    assert "security/forgeable-session-token" not in _rules(signed, "python")
    avatar = (
        "def avatar(response, image):\n    data = base64.b64encode(image.read())\n"
        "    response.set_cookie('theme', 'dark')\n    return data\n"
    )
    assert "security/forgeable-session-token" not in _rules(avatar, "python")


def test_a_default_password_argument_a_csrf_cookie_and_a_lookup_by_api_key_are_not_the_flaws_they_resemble() -> None:
    helper = (
        'Cypress.Commands.add("login", (email = "admin@example.com", password = "password") => {\n'
        '  cy.request({ url: "/login", method: "POST", body: { email, password } });\n});\n'
    )
    assert "security/plaintext-password" not in _rules(helper, "javascript")
    csrf = "@app.after_request\ndef inject(response):\n    response.set_cookie('csrf_token', generate_csrf())\n"
    assert "security/insecure-cookie" not in _rules(csrf, "python")
    embed = (
        "@routes.route('/embed/query/<query_id>/visualization/<visualization_id>')\n@login_required\n"
        "def embed(query_id, visualization_id, token):\n"
        "    api_key = get_object_or_404(ApiKey.get_by_api_key, token)\n"
        "    record_event(current_user.org, current_user, {'action': 'view'})\n    return render(api_key)\n"
    )
    assert "security/missing-ownership-check" not in _rules(embed, "python")
