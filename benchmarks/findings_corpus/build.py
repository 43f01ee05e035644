"""Build the labelled findings corpus from fetched public repositories (run once; the output is committed).

.venv/bin/python benchmarks/findings_corpus/build.py [--mirrors /work/.mirror]

Each source is a git mirror (the `fetch` tool's `/work/.mirror/<owner>+<name>/repo`). Files are copied from the
commit named below into `benchmarks/findings_corpus/<part>/<source>/...`, with the source's own annotations
removed (they would give the answer away in a screenshot), and `labels.json` records for every file its
repository, commit, path, the categories it was judged on and the labelled lines.

Labels come from the source itself where it has them: OWASP Benchmark's expected-results file (one sink a test
case; its false cases are negatives), njsscan's `// ruleid:` markers, Juice Shop's `vuln-line` markers,
find-sec-bugs' tests (`atLine(N)`). Bandit's examples and PyT's examples carry no line labels: their lines are
labelled by hand here (lists below), by reading each file; the source's "bad"/"good" comments guided it.

Parts are split by repository: `tuned` (Bandit, njsscan, OWASP Benchmark) may guide rules; `held_apart`
(PyT, find-sec-bugs, Juice Shop) never does.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

# A label added after a rule flagged the line, once the line was read (round 14's plaintext-password rule)
ADDED_IN_ROUND_14 = " (added in round 14 after security/plaintext-password flagged it, on reading the line)"


HERE = Path(__file__).resolve().parent

SOURCES = {
    "bandit": ("PyCQA/bandit", "92080542688902ad1eb6af74cf16939fad767d29", "Apache-2.0", "tuned"),
    "njsscan": ("ajinabraham/njsscan", "b6ade853818a0c2a4fde36a1c5740b663e758ad2", "LGPL-3.0", "tuned"),
    "owasp_benchmark": ("OWASP-Benchmark/BenchmarkJava", "79b9bd6177e07991a9c11dc19e457c840e229931", "GPL-2.0",
                        "tuned"),
    "pyt": ("python-security/pyt", "f4ec9e127497a7ba7d08d68e8fca8b2f06756679", "GPL-2.0", "held_apart"),
    "find_sec_bugs": ("find-sec-bugs/find-sec-bugs", "e38542b3c810c548fc271a681881557d23e2088e", "LGPL-3.0",
                      "held_apart"),
    "juice_shop": ("juice-shop/juice-shop", "33518f5a0911e25d9df747b1e70fb7af279a755c", "MIT", "held_apart"),
}

SEC = "security"

# Bandit examples, labelled by hand: {file: (judged categories, {category: [lines or (first, last)]})}.
# Not labelled on purpose: shell=True with a constant command (no injection), httpx calls without a timeout
# argument (httpx has a 5 s default), random numbers with no security use shown.
BANDIT = {
    "examples/crypto-md5.py": ((SEC,), {SEC: [13, 14, 16, 18, 20, 24, 25, 26, 27, 29, 30, 31, 32, 34, 35, 37, 38]}),
    "examples/requests-missing-timeout.py": (
        ("resilience",),
        {"resilience": [*range(6, 20), 21, 23, 25, 27, 29, 31, 33, 35, 37, 40, 44]},
    ),
    # Bandit calls lines 27 and 34 good (no `pass`); a bare `except:` still swallows every error, KeyboardInterrupt
    # included, so they are labelled too (as is line 20).
    "examples/try_except_pass.py": (
        ("error-handling",),
        {"error-handling": [(4, 5), (11, 12), (18, 19), (20, 21), (27, 28), (34, 36)]},
    ),
    "examples/sql_statements.py": (
        (SEC,),
        {SEC: [4, 5, 6, 7, 8, (9, 10), 12, 13, 14, *range(17, 26), *range(28, 33), 47]},
    ),
    "examples/yaml_load.py": ((SEC,), {SEC: [9, 22]}),
    "examples/pickle_deserialize.py": ((SEC,), {SEC: [7, 12, 15]}),
    "examples/hashlib_new_insecure_functions.py": ((SEC,), {SEC: [3, 5, 7, 9, 11, 13, 15, 17, 19]}),
    "examples/hardcoded-passwords.py": (
        (SEC,),
        {SEC: [4, 8, 14, 26, 33, 38, 46, 50, 54, 58, 62, 66, 70, 94, 102]},
    ),
    "examples/requests-ssl-verify-disabled.py": (
        (SEC,),
        {SEC: [*range(6, 19, 2), *range(22, 39, 2), 40, 42]},
    ),
    "examples/jinja2_templating.py": ((SEC,), {SEC: [10, (11, 13), (15, 16)]}),
    "examples/flask_debug.py": (("configuration",), {"configuration": [10]}),
    "examples/ciphers.py": (
        (SEC,),
        {SEC: [20, 22, 24, 27, 30, 32, 36, 42, 45, 48, 52, 56, 59, 61, 63, 66, 70, 74, 78, 82, 86]},
    ),
    "examples/subprocess_shell.py": ((SEC,), {SEC: [41]}),
}

# PyT's vulnerable examples, labelled by hand (the taint path's sink; its tests name the same sink lines).
PYT = {
    "examples/vulnerable_code/command_injection.py": ((SEC, "configuration"), {SEC: [18], "configuration": [35]}),
    "examples/vulnerable_code/path_traversal.py": ((SEC, "configuration"), {SEC: [20], "configuration": [25]}),
    "examples/vulnerable_code/path_traversal_sanitised.py": ((SEC,), {}),
    "examples/vulnerable_code/sql/sqli.py": ((SEC, "configuration"), {SEC: [27, 36], "configuration": [50]}),
    "examples/vulnerable_code/XSS.py": ((SEC, "configuration"), {SEC: [9], "configuration": [13]}),
    "examples/vulnerable_code/XSS_sanitised.py": ((SEC,), {}),
    "examples/vulnerable_code/XSS_url.py": ((SEC,), None),
    "examples/vulnerable_code/inter_command_injection.py": ((SEC,), None),
    "examples/django.nV/taskManager/misc.py": ((SEC,), None),
    "examples/django.nV/taskManager/upload_controller.py": ((SEC,), None),
}

NJSSCAN_DIR = "tests/assets/node_source/"
NJSSCAN = [
    "true_positives/semantic_grep/crypto/crypto_node.js",
    "true_positives/semantic_grep/crypto/tls_node.js",
    "true_positives/semantic_grep/database/sql_injection.js",
    "true_positives/semantic_grep/eval/eval_node.js",
    "true_positives/semantic_grep/eval/eval_yaml_deserialize.js",
    "true_positives/semantic_grep/eval/eval_deserialize.js",
    "true_positives/semantic_grep/exec/exec_os_command.js",
    "true_positives/semantic_grep/exec/exec_shelljs.js",
    "true_positives/semantic_grep/generic/hardcoded_secrets.js",
    "true_positives/semantic_grep/jwt/jwt_hardcoded.js",
    "true_positives/semantic_grep/traversal/path_traversal.js",
    "true_positives/semantic_grep/xss/xss_dom.js",
    "true_positives/semantic_grep/xss/xss_node.js",
    "true_positives/semantic_grep/redirect/open_redirect.js",
    "true_negatives/safe_crypto.js",
    "true_negatives/safe_sql.js",
    "true_negatives/safe_shelljs.js",
    "true_negatives/hardcoded_evals.js",
    "true_negatives/hardcoded_os_command.js",
    "true_negatives/safe_path_join_resolve.js",
    "true_negatives/safe_creds_node.js",
]
# njsscan rules that are not flaws in archreview's sense (a user name is not a secret).
NJSSCAN_IGNORED_RULES = frozenset({"node_username"})

OWASP_CASES = 20  # the first N true and the first N false test cases of the Benchmark (its expected results)
OWASP_SINK = {
    "sqli": r"executeQuery|executeUpdate|\.execute\(|prepareStatement\(|prepareCall\(|\.query\w*\(|"
            r"\.update\(|batchUpdate|addBatch",
    "cmdi": r"\.exec\(|new ProcessBuilder",
    "pathtraver": r"new java\.io\.File\(|FileInputStream\(|FileOutputStream\(|Paths\.get\(|new File\(",
    "hash": r"MessageDigest\.getInstance",
    "crypto": r"Cipher\.getInstance",
    "weakrand": r"new java\.util\.Random\(|Math\.random\(|\.nextInt\(|\.nextLong\(|\.nextDouble\(|\.nextFloat\(|"
                r"\.nextBytes\(|\.nextGaussian\(|\.nextBoolean\(",
    "xss": r"getWriter\(\)|\.printf\(|\.format\(",
    "ldapi": r"\.search\(",
    "xpathi": r"\.evaluate\(",
    "trustbound": r"\.setAttribute\(|\.putValue\(",
    "securecookie": r"new javax\.servlet\.http\.Cookie\(",
}

FSB_TESTS = "findsecbugs-plugin/src/test/java/com/h3xstream/findsecbugs/"
FSB_SAMPLES = "findsecbugs-samples-java/src/test/java/"
FSB = [  # test file -> the sample it checks (tests that check one sample only)
    "crypto/WeakMessageDigestDetectorTest.java",
    "crypto/DesUsageDetectorTest.java",
    "crypto/NullCipherDetectorTest.java",
    "crypto/UnencryptedSocketDetectorTest.java",
    "crypto/InsufficientKeySizeRsaDetectorTest.java",
    "PredictableRandomDetectorTest.java",
    "cookie/CookieFlagsDetectorTest.java",
    "injection/command/CommandInjectionDetectorTest.java",
    "injection/sql/JdbcInjectionSourceTest.java",
    "injection/ldap/JndiLdapInjectionSourceTest.java",
    "file/PathTraversalDetectorTest.java",
    "injection/script/ScriptEngineInjectionTest.java",
]

JUICE = ["lib/insecurity.ts", "routes/login.ts", "routes/search.ts", "routes/updateProductReviews.ts",
         "routes/chat.ts", "models/user.ts"]


@dataclass
class Label:
    """One labelled flaw: its category and the lines it spans (inclusive)."""

    category: str
    line: int
    end: int
    note: str = ""


@dataclass
class CorpusFile:
    """One corpus file: where it came from and what is known about it."""

    path: str  # relative to benchmarks/findings_corpus/
    part: str  # tuned | held_apart
    source: str
    repo: str
    commit: str
    source_path: str
    licence: str
    language: str
    judged: list[str]  # categories this file's labels are complete for
    labels: list[Label] = field(default_factory=list)


def _git_show(mirrors: Path, repo: str, commit: str, path: str) -> str:
    directory = mirrors / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "-C", str(directory), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def _language(path: str) -> str:
    return {".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java"}[Path(path).suffix]


def _hand_labels(spec: dict[str, list[int | tuple[int, int]]]) -> list[Label]:
    labels = []
    for category, items in spec.items():
        for item in items:
            first, last = item if isinstance(item, tuple) else (item, item)
            labels.append(Label(category, first, last, "hand"))
    return labels


def _strip_markers(text: str, marker: re.Pattern[str]) -> tuple[list[str], list[tuple[int, str]]]:
    """Drop whole-line marker comments; return the kept lines and (new line, marker text) for the next line."""
    kept: list[str] = []
    pending: list[str] = []
    marks: list[tuple[int, str]] = []
    for line in text.splitlines():
        found = marker.search(line)
        if found and not line[: found.start()].strip():
            pending.append(found.group(1))
            continue
        kept.append(line)
        marks += [(len(kept), m) for m in pending]
        pending = []
    return kept, marks


def _statement_end(lines: list[str], first: int) -> int:
    """The last line (1-based) of the statement starting at `first`, by bracket depth."""
    depth = 0
    for number in range(first, min(len(lines), first + 12) + 1):
        text = re.sub(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', lines[number - 1])
        depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
        if depth <= 0 and (text.rstrip().endswith((";", "{", ")")) or depth < 0 or number > first):
            return number
    return first


def _write(out: Path, text: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text if text.endswith("\n") else text + "\n")


def build(mirrors: Path) -> list[CorpusFile]:
    files: list[CorpusFile] = []

    def add(source: str, source_path: str, lines: list[str], judged: tuple[str, ...], labels: list[Label]) -> None:
        repo, commit, licence, part = SOURCES[source]
        rel = f"{part}/{source}/{source_path}"
        _write(HERE / rel, "\n".join(lines))
        files.append(CorpusFile(rel, part, source, repo, commit, source_path, licence, _language(source_path),
                                list(judged), sorted(labels, key=lambda x: (x.line, x.category))))

    for name, (judged, spec) in {**BANDIT}.items():
        repo, commit = SOURCES["bandit"][:2]
        add("bandit", name, _git_show(mirrors, repo, commit, name).splitlines(), judged, _hand_labels(spec))
    for name, (judged, spec) in PYT.items():
        repo, commit = SOURCES["pyt"][:2]
        if spec is None:
            continue  # listed, not labelled yet: left out rather than judged with missing labels
        add("pyt", name, _git_show(mirrors, repo, commit, name).splitlines(), judged, _hand_labels(spec))

    repo, commit = SOURCES["njsscan"][:2]
    ruleid = re.compile(r"//\s*(?:ruleid|ok|todoruleid)\s*:\s*([\w-]+)")
    for name in NJSSCAN:
        lines, marks = _strip_markers(_git_show(mirrors, repo, commit, NJSSCAN_DIR + name), ruleid)
        labels = []
        starts = sorted({number for number, _ in marks})
        for number, rule in marks:
            if rule in NJSSCAN_IGNORED_RULES:
                continue
            # A semgrep match starts on the marked line and may run on (a tainted value, then its sink):
            # the label runs to the statement's end, or on to a blank line or the next marker (6 lines at most).
            # the label runs to the statement's end, or on through the enclosing block (a value read, then its
            # sink a few lines on) up to the next marker, 8 lines at most.
            end = _statement_end(lines, number)
            limit = min([n - 1 for n in starts if n > number] + [number + 8, len(lines)])
            indent = len(lines[number - 1]) - len(lines[number - 1].lstrip())
            probe = end
            while probe < limit:
                following = lines[probe]
                if following.strip() and len(following) - len(following.lstrip()) < indent:
                    break  # the enclosing block ends
                probe += 1
                if following.strip():
                    end = probe
            labels.append(Label(SEC, number, end, f"njsscan {rule}"))
        add("njsscan", NJSSCAN_DIR + name, lines, (SEC,), labels)

    repo, commit = SOURCES["owasp_benchmark"][:2]
    expected = csv.reader(io.StringIO(_git_show(mirrors, repo, commit, "expectedresults-1.2.csv")))
    for row in expected:
        if not row or row[0].startswith("#"):
            continue
        test, category, truth, cwe = row[0], row[1], row[2] == "true", row[3]
        taken = sum(1 for f in files if f.source == "owasp_benchmark" and bool(f.labels) == truth)
        if taken >= OWASP_CASES:
            continue
        path = f"src/main/java/org/owasp/benchmark/testcode/{test}.java"
        text = _git_show(mirrors, repo, commit, path)
        text = re.sub(r"\A/\*\*.*?\*/\n", "", text, flags=re.DOTALL)  # the licence header
        lines = text.splitlines()
        labels = []
        if truth:
            # The Benchmark judges a test case as a whole: one flaw, somewhere on the way from the request
            # (read in doPost) to the sink. The label spans doPost to the end of the file (helpers included);
            # `sink` names the line OWASP's sink pattern points at, for reading.
            sink = re.compile(OWASP_SINK[category])
            post = next((n for n, line in enumerate(lines, 1) if re.search(r"void\s+doPost", line)), 1)
            hits = [n for n, line in enumerate(lines, 1)
                    if n > post and sink.search(line) and not line.strip().startswith("//")]
            at = hits[-1] if category in ("xss", "securecookie") else (hits[0] if hits else post)
            labels = [Label(SEC, post, len(lines), f"OWASP Benchmark {category} CWE-{cwe}, sink line {at}")]
        add("owasp_benchmark", path, lines, (SEC,), labels)

    repo, commit = SOURCES["find_sec_bugs"][:2]
    for test in FSB:
        body = _git_show(mirrors, repo, commit, FSB_TESTS + test)
        samples = sorted(set(re.findall(r"getClassFilePath\(\"(testcode/[\w/]+)\"\)", body)))
        if len(samples) != 1:
            continue
        numbers = {int(n) for n in re.findall(r"atLine\((\d+)\)", body)}
        for listed in re.findall(r"Arrays\.asList\(([\d,\s]+)\)", body):
            numbers |= {int(n) for n in listed.split(",") if n.strip()}
        path = FSB_SAMPLES + samples[0] + ".java"
        lines = _git_show(mirrors, repo, commit, path).splitlines()
        labels = [Label(SEC, n, n, f"find-sec-bugs {Path(test).stem}") for n in sorted(numbers) if n <= len(lines)]
        if not labels:
            continue  # its test names no lines we could read: not a negative, just unlabelled
        add("find_sec_bugs", path, lines, (SEC,), labels)

    repo, commit = SOURCES["juice_shop"][:2]
    snippet = re.compile(r"\s*//\s*vuln-code-snippet\b(.*)$")
    for name in JUICE:
        kept, labels = [], []
        for line in _git_show(mirrors, repo, commit, name).splitlines():
            found = snippet.search(line)
            if found and not line[: found.start()].strip():
                continue  # a whole-line marker (start/end of a snippet)
            if found:
                line = line[: found.start()].rstrip()
                if "vuln-line" in found.group(1):
                    labels.append(Label(SEC, len(kept) + 1, len(kept) + 1, "juice-shop" + found.group(1)))
            kept.append(line)
        add("juice_shop", name, kept, (SEC,), labels)
    return files

# Non-security categories, labelled by hand (h8): real public code read line by line; each label says why.
# The source text is NOT committed (its repositories' code stays out of this repository): build() writes it under
# `<part>/labelled/` (git-ignored) from the fetched mirrors; labels.json keeps repository, commit, path, window, labels.
# Split by repository. held_apart was labelled before any detector ran on it and is never edited after.
HAND_SOURCES = {  # key: (repo, commit, licence as stated by the repository, part)
    "data_relay": ("qntnet/data-relay", "0c65b822c2eb4ed4b9950d549fadbb79e7fc58b5", "not stated", "tuned"),
    "decorators": ("sbecker11/decorators", "8af4c0f80d0cd748499c580c1f57ea7395f2e862", "not stated", "tuned"),
    "javascprit": ("Tarekrahman5500/Javascprit", "8d4f5df55b1a615ef3c0a0065c88cb831a54f4d1", "not stated", "tuned"),
    "budclient": ("Green524/budclient", "a570975ff9d819c0e4d7934dea3a9a8a36d8875e", "not stated", "tuned"),
    "dsa_python": ("maruf3684/DSA_PYTHON", "fd1872eb40bdf7c02c65c594af365f2c37a20cd1", "not stated", "tuned"),
    "toolbox": ("KrisCheng/toolbox", "e2c524c2434424f5f414f364ea0f207489b7bc50", "not stated", "tuned"),
    "python_concurrency": ("zsu58/python_concurrency", "bf30a06cd582b00daec62a0a08e2d61f6ac6ead1", "not stated",
                           "tuned"),
    "homework_node": ("ManvelmManucharyan/Homework-node", "1b0d63b9192368d515285eb25241e889a4535249", "not stated",
                      "tuned"),
    "devops_k8s": ("LofhJann/devops-with-kubernetes", "0a5399e4da96455576ad343607da98bd512c2447", "not stated",
                   "tuned"),
    "fc4_patterns": ("mattatito/fc4-design-patterns", "a527146e7041498df62c49017c61d5272ec7cbad", "not stated",
                     "tuned"),
    "pyhanlp": ("hankcs/pyhanlp", "3b97e4d0596d43bfa9ea9982f57c3288ae330203", "Apache-2.0", "tuned"),
    "growthspace": ("growthspace-engineering/fullstack-engineer-interview", "9721f331f666691739bd802ead78d43eba8d69c5",
                    "not stated", "tuned"),
    "lctl": ("LCTL/lawrence0819.github.com", "a663e237ebecffcbb8ba0636edd5024b6cc13ec3", "not stated", "tuned"),
    "vben": ("vbenjs/vue-vben-admin", "e3369bd63523831abb24a604da7721ba4f8c8db6", "MIT", "tuned"),
    "discord_bot": ("roman800/Discord-bot", "ca849487b49eeb003b00d9cc737b98688c5adbd2", "not stated", "tuned"),
    "chat_jme": ("riccardobl/chat-jme", "4b4e9826659807a2811ada564fa9c6920e13e3bd", "not stated", "tuned"),
    "sistemas": ("leticiamn/sistemas-distribuidos", "a56bf79edebce69eef1569f0c62d684344ac4963", "not stated", "tuned"),
    # tuned, second round (h3): found by searching public code for loops, retries, handlers and shared state;
    # labelled by reading, before any detector was changed for them
    "ruoyi": ("yangzongzhuan/RuoYi-Vue", "a6ea55ecf74ae6cdb063f2b413d66a33f29bf828", "MIT", "tuned"),
    "scythe": ("DarkEden-coding/Scythe-Spaghetti-detection", "c093b0f88f993584f0abe6e13b86a270131283cd", "not stated",
               "tuned"),
    "hbooker": ("hang333/HbookerAppNovelDownloader", "0cf8925cde842f31c2bb47ac4c6241518bbe5f72", "not stated",
                "tuned"),
    "shuziren": ("naisongwen/shuziren_1g", "49f23c2a7ea15275116fa13f407207f10ea3b19c", "not stated", "tuned"),
    "msq_store": ("msq990321/Store", "c9b3f37fb4707e5169d5d64d60cce7c067da2482", "not stated", "tuned"),
    "rasa_connector": ("ppporanczyk/PracowniaJezykowSkryptowych", "42157c6482ade57db782e3f63aa32efe442c6472",
                       "not stated", "tuned"),
    "django_queries": ("thesaintraphael/django-queries", "e1dc58d04d3b23a7269881beaefe6b64052bbaec", "not stated",
                       "tuned"),
    "persones": ("MoldsaMalikhain/persones-rest", "d045fb6f5b019d1fd1e0052024628c1ed4eb98fb", "not stated", "tuned"),
    "cric": ("Tima99/cric-scoring-api", "fcbad279bd39c576acfa71e2017c242b62e2a297", "not stated", "tuned"),
    "lecture4u": ("YairLevi/Lecture4U", "1bc79ea4e42c05d41e410f19ebe1eb92e6ca3bfc", "Apache-2.0", "tuned"),
    "tech_team": ("kriskuiper/project-tech-team", "cee8d59a954e6a36db6a36eae796377757c3bbdf", "MIT", "tuned"),
    "data2hdfs": ("carvechris/data2hdfs", "8750e0605c99c405bce4522cc079d702cc243856", "not stated", "tuned"),
    "guazi": ("xiaowangc/guazi", "f8cf40ca3f1c6012b1683e7a5d41c688355aa30f", "Apache-2.0", "tuned"),
    "sample_web_app": ("srlm-io/sample-web-app", "227d7f691c3531e13c2d9d0a08c85fe0b80fb1a0", "not stated", "tuned"),
    "distribution_test": ("tz01x/distribution_test", "de50ade8df6d4fc37515562f55a30570b5281603", "not stated",
                          "tuned"),
    "pc_2021": ("npj6/PC-2021", "3b55804c0528f3409089644022193654ddc21639", "not stated", "tuned"),
    # tuned, third round (h3): labelled before the detectors were run on them (their first scores are in the log)
    "promise_practice": ("tel2suman/Advance-JavaScript-TypeScript", "c50ac3ab07165eebbc57f10dc7a730221449c7c3",
                         "not stated", "tuned"),
    "self_challenges": ("MiguelCSVanzela/self-challenges", "8664a3d8f21430fa2a2bf6f5af82fd689fdc67e5", "not stated",
                        "tuned"),
    "liwo": ("Deltares-research/liwo-static", "88263f2959ae763d02b142ac6e937c90b69e6db4", "not stated", "tuned"),
    "jav5": ("IWTDPLZZZ/Jav5version2", "15849dde6c7ae85402a7a57c898ede0fa818f71b", "not stated", "tuned"),
    "faq_chatbot": ("1Coder-Shivam/faq-chatbot-app", "6ff87286bfc1852a720d94b907a74e2d2236f834", "not stated",
                    "tuned"),
    "jvm_test_case": ("nxllxn/JavaJvmTestCase", "6d301842f158171c8f3846480f3c1c7c27e52990", "not stated", "tuned"),
    # tuned, fourth round (h3): labelled before the detectors were run on them
    "multicampus": ("moonhanna/multicampus_Java", "f1f45c4c96e36c68e6a8618900ad2c6fe60ab6c8", "not stated", "tuned"),
    "pluto_tv": ("rafaelmf3/pluto-tv", "39b5d340a2c9b7b7bec54fb016098203819b293d", "not stated", "tuned"),
    "ingkoon_til": ("ingkoon/TIL", "6d85dbfe5181a9ecfe6c2beef2b000f629c524db", "not stated", "tuned"),
    "l3s_retreat": ("Sandipan99/L3SRetreat_code_LLM", "e0c26af62bed3d8eddb04715b37d272b879e2c86", "not stated",
                    "tuned"),
    "pr_laborator": ("VirlanIon/PR_LABORATOR_2", "7149ff2ab1c2505a51b3ddc1807d7a56aca82eda", "not stated", "tuned"),
    # tuned, fifth round (h3): whole tables loaded to keep a few rows (found by searching for the pattern)
    "pilleasychat": ("PillEasyChat/PillEasyChat", "b401ed8d7d86a0510f4dd89adb9f1ca42c747f3b", "not stated", "tuned"),
    "fitness_tracker": ("Fiporex/CapWSB-FitnessTracker", "857853d5a61c146556217c80f5f0f59b432c8f3b", "not stated",
                        "tuned"),
    "login_register": ("MarwaBelal/springboot-login-register", "a60c973c6cd6cc21dbdd282aed2615b48dafbe4e",
                       "not stated", "tuned"),
    # tuned, sixth round (h5): concurrency in Java, Python, JS/TS, found by searching public code for shared
    # counters, servlets, singletons, event-loop handlers and their fixed forms; labelled by reading, before any
    # detector was run on them
    "adlister_counter": ("5T0P5331N6M3/java-adlister", "fe79a60d88ad69c959c61873d45ce741574e4f91", "not stated",
                         "tuned"),
    "adlister_count": ("dereknoblej/java-adlister", "ef6380e7e9d2f4f76e5ae9363b03e743495e96a3", "not stated",
                       "tuned"),
    "first_web": ("vpshulga/firstWeb", "e5140a44551a4b5e83130922bd1eba80f17a6dc0", "not stated", "tuned"),
    "thewall": ("harryprogramer/thewall", "f340e1b7c059fafba79ace53879fd2d8b30cb986", "not stated", "tuned"),
    "anya_spring": ("anya-builds/spring", "771f2da61175af06c1e614fe08b1a20da3ea6eeb", "not stated", "tuned"),
    "git_study": ("Xeniia-droid/git_study", "3678af43da761845f6c5d3316b7a3c500e294364", "not stated", "tuned"),
    "zaragoza_concurrent": ("zaragozar83/concurrent", "a416a7c59407f41d459c6809f14e93ff11c2b50c", "Apache-2.0",
                            "tuned"),
    "tap_unidad4": ("ErnestoGonAr/TAP-Unidad-4", "896f4d67fb43e7174a621b8bb4819f1449f6357e", "not stated", "tuned"),
    "workshop_mt": ("PanasencoPavel/workshop_multithreading", "6a81b3e82b886ef009abd382e8e7f3741da5187f",
                    "not stated", "tuned"),
    "concurrency_demo": ("syncWu/ConcurrencyDemo", "bd222bd4a7531bf573a4c09d23188f74223f92c7", "not stated",
                         "tuned"),
    "oops_java": ("vikasmauryaofficial/OOPs_with_JAVA", "9ef6c3c1debd299a9afea28ccce51814373bd784", "not stated",
                  "tuned"),
    "python300": ("UWPCE-PythonCert/Python300-Summer2015", "7da7ed18ab7b9e730be8019e82f854a753f210b4",
                  "CC-BY-SA-4.0", "tuned"),
    "python_practice": ("shalininukella/python_practice", "3c483b74f8c8660322cff43234604f6eb27593a2", "not stated",
                        "tuned"),
    "wanderer_race": ("WandererMath/1", "a92df443be4f11289d24f02259e4c26eef4c56c4",
                      "CC-BY-SA-4.0 (a Stack Overflow post, as the file states)", "tuned"),
    "mmsgov": ("jstrickler/20210301MMSGOV", "da46523723d6a88bee83c04bc73109b8ccc958a3", "not stated", "tuned"),
    "fastapi_cookbook": ("Aabhash25/fastapi-ccokbook", "a0a776db32b8570e925cbb006f7d51a7d4e022c0", "not stated",
                         "tuned"),
    "space_cowboy": ("Amazon-Lab206-Python/space_cowboy", "1b0aa6de3ca4e896a5b8819c5689219958e546ba", "not stated",
                     "tuned"),
    "discord_example": ("PrivatPinguin/discord_bot_example", "06de229306832a52b7dfaf2698fded105e9b1788", "MIT",
                        "tuned"),
    "study_python": ("emuemuJP/StudyPython", "63174cee9892719adab0a3012d1b550c7ae96eb6", "not stated", "tuned"),
    "script_window": ("shenjianxiaoran/ScriptWindow", "94ccb021ee6356746b8648f091b4fdb36b78e145", "not stated",
                      "tuned"),
    "file_explorer": ("werronense/file-explorer", "2f14592c2484bfaf57f1bdbdcb36d65c19864859", "not stated", "tuned"),
    "tez_web": ("Tezcatlipoca0000/tez-web", "355aa630976483ea6c886f848691088a1aea6c95", "MIT", "tuned"),
    "thesis_ping": ("StevenKitzes/Thesis", "22a348de938598ecf9a2dd47b9b3b1cf5491d470", "not stated", "tuned"),
    # tuned, seventh round (h5): security in Java and JS from real code: Stack Overflow snippets of TUM-Crypto
    # (its secure/insecure verdict on one API guided the reading; every line labelled here was judged by reading,
    # other flaws in a file included) and application code found by searching for tokens, hashes, TLS options
    "tum_crypto": ("fischerfel/TUM-Crypto", "caf498f486cf6c35c8277db3548170d204fd0a95",
                   "CC-BY-SA (Stack Overflow content)", "tuned"),
    "diplomski": ("rackilea/diplomski", "f2c0894f3a39dc22638856bb01c4cc87910733b5",
                  "not stated (Stack Overflow fragments)", "tuned"),
    "shopping_mall": ("bingglewang/shopping-mall", "b750f55b480bcd4172e2781c59e9b0f8da02d6ad", "not stated",
                      "tuned"),
    "gloddy": ("gloddy-dev/Gloddy-Server", "e1eeddeb665ec35dd0dba34a6bfcf9a22eec867d", "not stated", "tuned"),
    "ticket_backend": ("PigCassoKien/TicketBackend", "64bf079dcfbcff817fdf0f0463c8e39e5881a039", "not stated",
                       "tuned"),
    "eip_platform": ("CaoHa00/EIPPlatform", "af4b9e1a3672e442c5540d2bcb9b93efec7fecf6", "not stated", "tuned"),
    "task_resolver": ("SergiyKalyna/taskResolver", "dcfbfa6f458af048c87390a04fde117e397f89c9", "not stated",
                      "tuned"),
    "secure_login": ("MarkoGolemovic/Secure_Login_Golemovic", "92ca681ff587f86e31c605ba38573b86a68cd9fe",
                     "not stated", "tuned"),
    "stock_auth": ("mohyassine/stock-app-auth-ms", "68487bb3754213c36e4975bf69edb58a7c2b477c", "not stated",
                   "tuned"),
    "spacex_demo": ("abhishekgangwar90/space-x-demo", "09df6157c66cdf488d1bffc2a530903cfa40502f", "not stated",
                    "tuned"),
    "phone_shopping": ("buiquoclong/phone_shopping_backend", "6a625fded318ad4aabeff0c00515fa803ef215c5",
                       "not stated", "tuned"),
    "nature_flowers": ("sajid07/thenaturebeautyflowers", "0e301722184b2471ea5cc4ae5932d6a9191cc87f", "not stated",
                       "tuned"),
    "portal_backend": ("RutujTailor28/portal-backend", "1943b7f50f035ee365c2df6e0e3c98df14a251af", "not stated",
                       "tuned"),
    "codeql_demo": ("Mubarak1A/codeQL-demo", "42a87f9835d8d63b139a6661caa593347b98d1be", "not stated", "tuned"),
    "mall": ("macrozheng/mall", "74eebe067d4f17b2d0b61691bef2748e3a7daf80", "Apache-2.0", "held_apart"),
    "jieba": ("fxsjy/jieba", "67fa2e36e72f69d9134b8a1037b83fbb070b9775", "MIT", "held_apart"),
    "rest_api": ("anastasiaaleksandrowa/REST-API-", "85087e17bfb83e4bd4ba1e805b5f0c62726237da", "not stated",
                 "held_apart"),
    "gig_guide": ("mantmic/gig-guide", "853011b71833e77b6fe599554848131d864958ff", "not stated", "held_apart"),
    "xuejingji": ("linsenwang/xuejingji_mp_generator", "77c1c18beef9e01da0f76dfcbeb4c7f87dde2adb", "not stated",
                  "held_apart"),
    # tuned, eighth round (h6): popular projects nobody here wrote (a Flask tutorial app, FastAPI's project
    # template, HTTPie, Real Python's examples, discord.py's examples, the RealWorld Express app, Java design
    # patterns): web handlers, services, CLI code, with and without threads; labelled by reading, flaws and clean
    # files alike, before the analyzer was run on them
    "microblog": ("miguelgrinberg/microblog", "a975ef64864354867c88e0ed3a17ba7d17dca752", "MIT", "tuned"),
    "fastapi_template": ("fastapi/full-stack-fastapi-template", "68adb40d37425f6f8668ec7e5a054500d045e43e", "MIT",
                         "tuned"),
    "httpie": ("httpie/cli", "5b604c37c6c67e18e7c3e9aee6c88a8c22b98345", "BSD-3-Clause", "tuned"),
    "realpython": ("realpython/materials", "7ecc7c477823e8f0a5ea3573b91c1d06c8ac4853", "MIT", "tuned"),
    "discord_py": ("Rapptz/discord.py", "1add8a0b40577186431cdb5f63f97affadab285b", "MIT", "tuned"),
    "realworld_express": ("gothinkster/node-express-realworld-example-app",
                          "30b68e1e881462b2f4164ea09ab4c4f5699c7b0b", "ISC", "tuned"),
    "java_patterns": ("iluwatar/java-design-patterns", "22a34127d0b08449c24cf7e230c04a097deca2f3", "MIT", "tuned"),
    "express_examples": ("expressjs/express", "a3714473feb3d2908add734d340e7755fd85e0a3", "MIT", "tuned"),
    # ninth round (h5): popular projects not yet in the corpus, labelled by reading before any analyzer ran on them
    "flask_examples": ("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69", "BSD-3-Clause", "tuned"),
    "express_boilerplate": ("hagopj13/node-express-boilerplate", "179ae84efec61b14206d0305d941daed6c6d07f9", "MIT",
                            "tuned"),
    "petclinic": ("spring-projects/spring-petclinic", "edf4db28affcc4741c79850a3d95bc3f177b5ff9", "Apache-2.0",
                  "tuned"),
    "java8_tutorial": ("winterbe/java8-tutorial", "9b79999be76274f0c11a5b1d4a4fff4e785dc774", "MIT", "tuned"),
    "bulletproof_node": ("santiq/bulletproof-nodejs", "7ce1b4690c4e96659cb1ed0d367b08b3ab35a24b", "MIT", "tuned"),
    "locust": ("locustio/locust", "407343d0f5ab84a32f41f6f9a7c991188d10a55a", "MIT", "tuned"),
    # tenth round (h3): deliberately vulnerable training apps (NodeGoat, DVNA, Vulnado, we45's Vulnerable Flask App)
    # and Flasky, a mature tutorial app, none in any round or the quiet set; labelled by reading before any analyzer
    # ran on them (flaws the training apps do not advertise included, their commented-out fixes not counted)
    "nodegoat": ("OWASP/NodeGoat", "c5cb68a7084e4ae7dcc60e6a98768720a81841e8", "Apache-2.0", "tuned"),
    "dvna": ("appsecco/dvna", "9ba473add536f66ac9007966acb2a775dd31277a", "MIT", "tuned"),
    "vulnado": ("ScaleSec/vulnado", "53336e14a40a0b25acdb8edd8b65a813e5f61bda", "not stated", "tuned"),
    "vuln_flask": ("we45/Vulnerable-Flask-App", "b6a4f97afd466e83e1f60781494252dec1c37039", "not stated", "tuned"),
    "flasky": ("miguelgrinberg/flasky", "3beedd640b9146b0bd65c8c2ecf402b01798bc33", "MIT", "tuned"),
    # eleventh round (2026-12-02 12:30-12:50 UTC): three training apps none of the earlier rounds or the quiet set
    # used, one a language, labelled by reading before any analyzer ran on them; authorization checks (a login check
    # that does not stop the handler, handlers with no check), flows of request data into another file's query
    # (the sink's file labelled, the caller's not), session settings
    "vulnerable_node": ("cr0hn/vulnerable-node", "4e2058201e4443026c11de1799d1e2f2e37f9f9b", "BSD-3-Clause",
                        "tuned"),
    "dvpwa": ("anxolerd/dvpwa", "a1d8f89fac2e57093189853c6527c2b01fc1d9c1", "MIT", "tuned"),
    "jvl": ("CSPF-Founder/JavaVulnerableLab", "f96f204bc2546f3a7568da24f6215cf6d4387112", "GPL-2.0", "tuned"),
    # tuned, round 12 (h14): found by searching public code for request-chosen forwards and views, and for lazy
    # caches in static maps; labelled by reading, before any detector was changed for them
    "project3": ("SaeedTaboudy/Project.3", "d6aad8ac19e9245c1eee8a7fced03d98dfc22b9e", "not stated", "tuned"),
    "patricio": ("jonathanlal/patricio-martin", "f746b0c08ca53deb722d1efae4b25bf3fb58a8ca", "not stated", "tuned"),
    "twitter_dup": ("robertchanny/Twitter_Duplicate", "1c22cd4a6f758f85773856291f780acb391adb51", "not stated",
                    "tuned"),
    "fetchall": ("mfhan/fetchall", "e4179c2b65652b69bfbfd3fbd5c7d4638f2d2a00", "not stated", "tuned"),
    "travel": ("Redtear/travelAgencies", "dec7a43e7cc81a98b707cbb0a83a2da26ddcf5cd", "not stated", "tuned"),
    "springmvc_hello": ("wtianyu/SpringMvc", "87fadc4017c4cc74216279d762c06277cae0ca09", "not stated", "tuned"),
    "springmvc_demo": ("shaluying/SpringMVC", "58743ce98096a8013c35a1707b9d1d40f8ad99f8", "not stated", "tuned"),
    "whitepig": ("zhenu14/whitepig", "75768a080592a6060c1f4a60bb5d9b53e09efb51", "not stated", "tuned"),
    "wing_mix": ("wingSF/mix", "360d339ebf35debfe764d5d25ee59202eda9ed32", "not stated", "tuned"),
    "leetcode_cache": ("yuanguangxin/LeetCode", "30f3afaa3fc5aa9ce357f6569488c7fa785e56e5", "not stated", "tuned"),
    # round 12, second search: lost updates across an await in JavaScript (and their fixed twins)
    "node_races": ("lmammino/node-js-race-conditions", "93d1087f11988250a658bce745dd31f3752fbef2", "MIT", "tuned"),
    "js_exercises": ("Mugisha-Elie/js-practical-exercises", "c864043bb863923e629704fea443d216b2df32a2", "not stated",
                     "tuned"),
    # round 12, third search: a servlet that fetches the URL its caller names
    "bcb_sample": ("tegar-ganang/era_bcb_sample", "be4fb4d64c982ebe3806d3226b917d2196d774b2", "not stated", "tuned"),
    # round 12, fourth search: Python singletons and caches shared by threads (and one that is not shared)
    "design_patterns_de": ("sonntamo55/design-patterns", "ac065236cd37b89f337f9cf7a01ea96ff3cfd2b9", "not stated",
                           "tuned"),
    "python_patterns": ("youjia4321/python_patterns", "f901b5b76884f44f75739754ffcc19e047374e3b", "not stated",
                        "tuned"),
    # round 13 (2026-12-03 14:00-14:25 UTC): deliberately vulnerable apps and small real files no earlier round,
    # the quiet set or the held-apart parts used; labelled by reading before any analyzer ran on them. Split by
    # repository: the `tuned` ones may guide rules, the `held_apart` ones were scored once, at the end (README:
    # 0.51 / 0.90), and moved into the tuned part in round 14 (DSVW, pygoat, WebGoat, DOE examples, GooseUpdate)
    "vampi": ("erev0s/VAmPI", "1713b54b601ad29582581eeda4b31fceb1319874", "MIT", "tuned"),
    "java_sec_code": ("JoyChou93/java-sec-code", "4711f4e186258c6e0dd5c3863e7c9592e7e9026a", "MIT", "tuned"),
    "dvws_node": ("snoopysecurity/dvws-node", "a7385b855dce7a4da135f5949df96059b76aaba6", "GPL-3.0", "tuned"),
    "retry_custom": ("dpriyachak/Custom", "a589254ec8ebf85e66bbc4bd4ab058ae535fbf0b", "not stated", "tuned"),
    "ikuta_servlets": ("ikuta0122/WebDevelopProjects", "6dc494a54cc9d40a1dbb20626802883d6b108922", "not stated",
                       "tuned"),
    "mealdb": ("SSASIKIRAN/The_MealDB_Explorer", "b2ef62f936e8a2cf9b8fa2cb2042adf496f771a2", "not stated", "tuned"),
    "dsvw": ("stamparm/DSVW", "2e9706c87fc0c74a9cc62d0777a0cc17c65e0ecd", "Unlicense", "tuned"),
    "pygoat": ("adeyosemanputra/pygoat", "19d17cc8874861142b330636d068bbde54e86b85", "MIT", "tuned"),
    "webgoat": ("WebGoat/WebGoat", "7517acca95d9851da706452454c223dd13545ef4", "GPL-2.0", "tuned"),
    "doe_examples": ("jstrickler/20210517DOE", "a9099022fb220cddbc51591fc32b75990ffa41da", "not stated",
                     "tuned"),
    "gooseupdate": ("Goose-Nest/GooseUpdate", "3c0ca1cae5fd95445829ded174d0ed78d427fe21", "not stated",
                    "tuned"),
    # round 14 (2026-12-03 17:38-17:44 UTC), held apart then: five deliberately vulnerable apps (Python Flask and
    # GraphQL, two Express apps, a Spring bank) no earlier round, the quiet set or a held-apart part used;
    # labelled by reading before any analyzer ran on them; scored once at the end of round 14 (README: 0.64 / 0.78
    # from the text, 0.61 / 0.78 from screenshots), moved to tuned in round 15
    "vulpy": ("fportantier/vulpy", "5249cc8b05a1c37f6b2f757b1cf16a509c327122", "MIT", "tuned"),
    "dvga": ("dolevf/Damn-Vulnerable-GraphQL-Application", "a961308c02d1fb462b192681c336b0739e432da7", "MIT",
             "tuned"),
    "nodejs_goof": ("snyk-labs/nodejs-goof", "add14ba59e98240d9e00a235dd7d42cd61ae9912", "Apache-2.0",
                    "tuned"),
    "vuln_nodejs_app": ("payatu/vuln-nodejs-app", "bc3c90920ba4e1c668d954e5027d9ca814d2d5c6", "not stated",
                        "tuned"),
    "insecure_bank": ("hdiv/insecure-bank", "f7d04ccf8577e94b4a3482d38dc6d2de98773689", "Apache-2.0",
                      "tuned"),
    # round 15 (2026-12-04 20:19-20:23 UTC), held apart: six public repositories no earlier round, the quiet set or a
    # held-apart part used (their names checked against this file and benchmarks/quiet.py), chosen for Python,
    # JavaScript/TypeScript and Java and for more than security: three training apps (DVJA's Struts app, OWASP's
    # serverless DVSA, a Django exercise app) and three ordinary ones found by searching public code for retries,
    # scrapers and captcha checks (a Tk scraper, a WebFlux sign-on service, a TypeScript camp-site watcher).
    # Labelled by reading each whole file before any analyzer ran on them; to be scored once, at the end
    "dvja": ("appsecco/dvja", "597ece1ab79ffffea7289d49b0c443bb2ebcbd16", "MIT", "held_apart"),
    "dvsa": ("OWASP/DVSA", "c04e0a536ac54db8f732144be92b5f208169f8c4", "GPL-3.0", "held_apart"),
    "lets_be_bad_guys": ("mpirnat/lets-be-bad-guys", "7cbf11014bfc6dc9e199dc0b8a64e4597bc2338f", "MIT",
                         "held_apart"),
    "fanpay": ("developerStepanov/fanpay", "fc8e716928dcd75ca515d8e99574a5192940e475", "not stated", "held_apart"),
    "vanchondo_sso": ("vanchondo/sso", "bbed1ad32cf403d5b76530fe02e4a115b123916b", "not stated", "held_apart"),
    "recrebot": ("bschmalz/recrebot", "5fd3129c86d05d774ad2442a611762a45dde369e", "not stated", "held_apart"),
}

RES, ERR, CON, CAC, PERF, COH = "resilience", "error-handling", "concurrency", "caching", "performance", "cohesion"
_MALL_ADMIN = "mall-admin/src/main/java/com/macro/mall/"
_RY_SYS = "ruoyi-system/src/main/java/com/ruoyi/system/service/impl/"
_VULNADO = "src/main/java/com/scalesec/vulnado/"
_MALL_ORDER = "mall-portal/src/main/java/com/macro/mall/portal/service/impl/OmsPortalOrderServiceImpl.java"
_DVSA = "backend/functions/"
_DVJA = "src/main/java/com/appsecco/dvja/"
_SSO = "src/main/java/com/vanchondo/sso/"
# (source, path, window of original lines or None, judged categories, [(category, first, last, why)]);
# lines are the file's own numbers (a window is renumbered from 1 when written).
HAND_FILES: list[tuple[str, str, tuple[int, int] | None, tuple[str, ...], list[tuple[str, int, int, str]]]] = [
    ("data_relay", "datarelay/http.py", None, (RES, ERR), [
        (RES, 13, 13, "while True retries every failure forever, always after the same MASTER_ERROR_DELAY"),
        (ERR, 32, 34, "a bare except catches SystemExit and MemoryError too, and retries them"),
        (ERR, 51, 52, "except: pass hides why select() failed"),
        (ERR, 56, 57, "except: pass hides why close() failed"),
    ]),
    ("decorators", "retry-decorator.py", None, (RES,), [
        (RES, 11, 18, "retries after the same delay_seconds every time: no backoff, no jitter"),
        (RES, 23, 23, "requests.get without a timeout can wait forever"),
    ]),
    ("javascprit", "cache/cache.js", None, (CAC,), [
        (CAC, 2, 9, "a module-level Map keyed by object gains an entry a call and never drops one (WeakMap)"),
    ]),
    ("budclient", "src/main/java/com/chenum/config/CustomHttpRequestRetryHandler.java", None, (RES,), [
        (RES, 12, 14, "every retry waits the same 2 s: no backoff"),
    ]),
    ("budclient", "src/main/java/com/chenum/cache/Cache.java", None, (CAC,), [
        (CAC, 7, 7, "a static map with put and get only: grows without bound, nothing evicts"),
    ]),
    ("budclient", "src/main/java/com/chenum/util/HttpUtil.java", None, (RES,), []),  # timeouts are configured
    ("dsa_python", "Multi_Threading/thread_synchronization/race_condition.py", None, (CON,), [
        (CON, 8, 8, "counter += 1 from two threads without a lock loses updates"),
    ]),
    ("toolbox", "Python/python_asyncio/demo08.py", None, (CON, RES), [
        (CON, 23, 23, "requests.get inside async def blocks the event loop"),
        (RES, 23, 23, "requests.get without a timeout"),
    ]),
    ("toolbox", "Python/python_asyncio/demo09.py", None, (CON, RES), [
        (RES, 21, 21, "requests.get without a timeout (it runs in an executor, so the loop is not blocked)"),
    ]),
    ("toolbox", "Python/python_asyncio/demo01.py", None, (CON,), []),  # time.sleep in plain sync code
    ("toolbox", "Python/python_asyncio/demo11.py", None, (CON, ERR), []),  # aiohttp; errors logged
    ("python_concurrency", "concurrency/IO-Bound-Program/race_problem.py", None, (CON,), [
        (CON, 14, 14, "a global counter incremented from pool threads without a lock"),
    ]),
    ("homework_node", "Express/index.js", None, (CON,), [
        (CON, 9, 9, "writeFileSync in a request handler blocks the event loop"),
        (CON, 14, 14, "readFileSync in a request handler blocks the event loop"),
    ]),
    ("homework_node", "homework node 1/index.js", None, (ERR,), [
        (ERR, 22, 22, "a promise chain with no catch: a read failure is an unhandled rejection"),
        (ERR, 27, 27, "writeFile's promise is neither returned nor caught: a failed write is lost"),
    ]),
    ("homework_node", "homework 2/util/util.js", None, (PERF,), [
        (PERF, 14, 18, "appends to the file once an element (a synchronous open and write each) instead of once"),
    ]),
    ("devops_k8s", "ex1/main/timestamp-http/index.js", None, (RES,), [
        (RES, 41, 41, "axios.get without a timeout: axios waits forever by default"),
    ]),
    ("fc4_patterns", "singleton/cacheService/CacheService.ts", None, (CAC,), [
        (CAC, 9, 12, "the cache Map only grows; clear() (line 27) is empty, so nothing ever evicts"),
    ]),
    ("pyhanlp", "pyhanlp/static/__init__.py", (50, 230), (RES, ERR), [
        (ERR, 63, 64, "PermissionError swallowed: the file stays and nobody is told"),
        (RES, 83, 83, "urlopen without a timeout"),
        (RES, 85, 85, "urlopen without a timeout"),
        (ERR, 116, 117, "a bare except returns None for any failure, a bug included"),
    ]),
    ("growthspace", "user-service.ts", None, (PERF,), [
        (PERF, 6, 7, "one query an id inside the loop (N+1), awaited one at a time"),
    ]),
    ("lctl", "downloads/code/design-pattern-singleton/sample5/HashMapCache.java", None, (CAC,), [
        (CAC, 6, 9, "a singleton's HashMap cache with put and get only: grows without bound"),
    ]),
    ("vben", "apps/web-antd/src/store/auth.ts", None, (ERR,), [
        (ERR, 83, 85, "an empty catch: a failed logout request leaves no trace"),
    ]),
    ("vben", "apps/backend-mock/utils/jwt-utils.ts", None, (ERR,), []),  # an invalid token gives null: the contract
    ("discord_bot", "jokebot.py", None, (CON, RES), [
        (CON, 20, 20, "requests.get in an async event handler blocks the bot's event loop"),
        (RES, 20, 20, "requests.get without a timeout"),
        (CON, 23, 23, "time.sleep(3) in async def freezes every other handler"),
    ]),
    ("chat_jme", "utils.py", (1, 32), (RES,), []),  # the retry doubles its delay up to 160 s
    ("sistemas", "src/Exemplo.java", None, (CON,), []),  # the shared list is a synchronizedList
    # tuned, second round (h3)
    ("ruoyi", _RY_SYS + "SysDictDataServiceImpl.java", None, (PERF,), [
        (PERF, 69, 71, "for each code: a SELECT, a DELETE and a SELECT of the whole type (N+1); one DELETE ... IN"),
    ]),
    ("ruoyi", "ruoyi-quartz/src/main/java/com/ruoyi/quartz/service/impl/SysJobServiceImpl.java", (131, 146),
     (PERF,), [(PERF, 143, 143, "one SELECT a job id inside the loop")]),
    ("ruoyi", _RY_SYS + "SysUserServiceImpl.java", (491, 564), (PERF,), [
        (PERF, 515, 536, "for each imported user: a SELECT by name, then an INSERT or an UPDATE (N+1)"),
    ]),
    ("ruoyi", "ruoyi-framework/src/main/java/com/ruoyi/framework/web/service/SysPermissionService.java", (51, 89),
     (PERF,), [(PERF, 76, 76, "one permission query a role inside the loop")]),
    ("ruoyi", "ruoyi-admin/src/main/java/com/ruoyi/web/controller/monitor/SysUserOnlineController.java", (41, 70),
     (PERF,), [
         (PERF, 45, 45, "KEYS with a pattern walks the whole Redis keyspace and blocks the server while it does"),
         (PERF, 49, 49, "one Redis GET a key inside the loop (a multi-get would be one round trip)"),
     ]),
    ("ruoyi", _RY_SYS + "SysDeptServiceImpl.java", (284, 308), (PERF, ERR), [
        (PERF, 301, 301, "one UPDATE a department inside the loop instead of a batch update"),
        (ERR, 304, 306, "catch-all rethrows a new exception without the cause: why the update failed is lost"),
    ]),
    ("ruoyi", "ruoyi-common/src/main/java/com/ruoyi/common/utils/ServletUtils.java", (133, 152), (ERR,), [
        (ERR, 148, 150, "a failed write only prints the stack trace; the caller believes the response was sent"),
    ]),
    ("ruoyi", "ruoyi-common/src/main/java/com/ruoyi/common/utils/bean/BeanUtils.java", (25, 41), (ERR,), [
        (ERR, 37, 39, "a failed copy only prints the stack trace and leaves dest half-filled"),
    ]),
    ("scythe", "web_interaction/utils.py", None, (RES,), [
        (RES, 16, 16, "retries every connection error forever, always after the same 0.5 s"),
        (RES, 18, 18, "requests.get (imported as _get) without a timeout"),
        (RES, 33, 33, "retries every connection error forever, always after the same 0.5 s"),
        (RES, 35, 35, "requests.post (imported as _post) without a timeout"),
    ]),
    ("hbooker", "HbookerAPI/HttpUtil.py", None, (RES, ERR), []),  # timeouts set, bounded retries, growing delay
    ("shuziren", "request_utils.py", None, (RES, ERR), [
        (RES, 5, 5, "requests.post without a timeout"),
        (ERR, 24, 25, "an error response is only printed, so post_request_url returns as if the post succeeded"),
        (RES, 29, 29, "every retry waits the same 30 s: no backoff"),
        (RES, 31, 31, "requests.post without a timeout"),
    ]),
    ("msq_store", "pythonA/\u7f51\u7ad9\u7b49\u5f85\u5237\u65b0.py", None, (RES, ERR), [
        (ERR, 22, 24, "a bare except turns any failure, a typo included, into None"),
        (RES, 27, 31, "retries by recursion after the same 1 s each time: no backoff"),
    ]),
    ("rasa_connector", "skryptowe/rasa/connector.py", None, (CON, RES, PERF), [
        (CON, 20, 23, "requests.post in an async event handler blocks the bot's event loop"),
        (RES, 20, 23, "requests.post without a timeout"),
        (PERF, 27, 27, "the reply string is copied once a line"),
    ]),
    ("django_queries", "app_related/views.py", None, (PERF,), [
        (PERF, 39, 39, "filter() on a prefetched relation runs one new query an order (N+1)"),
    ]),
    ("persones", "src/pushIn.ts", None, (PERF, ERR), [
        (PERF, 13, 20, "one findOneOrFail an id, awaited one after another (N+1)"),
        (ERR, 23, 24, "the catch returns the partial array: a missing id is silently dropped"),
    ]),
    ("cric", "utils/findAllById.js", None, (PERF, ERR), [
        (PERF, 8, 8, "one findById an id, awaited one after another (N+1); find({_id: {$in: ids}}) is one"),
    ]),
    ("lecture4u", "server/mongooseUtil.js", None, (PERF,), [
        (PERF, 13, 13, "one delete an id, awaited one after another; deleteMany({_id: {$in: ...}}) is one"),
        (PERF, 17, 23, "for each subject: a lookup, one delete a file and a delete (N+1)"),
    ]),
    ("tech_team", "app/helpers/convertToObject.js", None, (PERF,), [
        (PERF, 5, 5, "one findById an element inside the loop (N+1)"),
    ]),
    ("data2hdfs", "src/main/java/com/zhishinet/Utils.java", None, (CON,), [
        (CON, 8, 11, "one static SimpleDateFormat shared by every caller: it is not thread-safe"),
    ]),
    ("guazi", "guazi-system/src/util/DateFormatUtil.java", None, (CON,), [
        (CON, 7, 10, "one static SimpleDateFormat shared by every caller: it is not thread-safe"),
    ]),
    ("sample_web_app", "main.py", None, (CON,), [
        (CON, 31, 31, "a global counter incremented from concurrent request handlers without a lock"),
    ]),
    ("distribution_test", "src/app.py", None, (CON,), [
        (CON, 15, 15, "a global counter incremented from concurrent request handlers without a lock"),
        (CON, 21, 21, "a global counter incremented from concurrent request handlers without a lock"),
    ]),
    ("pc_2021", "p2/main.py", None, (CON,), [
        (CON, 14, 14, "a global counter incremented from five threads without a lock"),
    ]),
    # tuned, third round (h3)
    ("promise_practice", "Day_21/question_practice/promise_practice6.js", None, (RES,), [
        (RES, 21, 21, "every retry waits the same 500 ms: no backoff"),
    ]),
    ("self_challenges", "5_Assincrono/script7.js", None, (RES,), [
        (RES, 5, 5, "every retry waits the same interval: no backoff"),
        (RES, 22, 22, "fetch without an abort signal or timeout"),
    ]),
    ("liwo", "src/lib/fetch-with-retry.js", None, (RES,), [
        (RES, 8, 8, "retries (through onError) after the same 1 s each time: no backoff"),
        (RES, 13, 13, "fetch without an abort signal or timeout"),
    ]),
    ("jav5", "src/main/java/orf/demo/service/CacheService.java", None, (CON, CAC), [
        (CON, 10, 14, "a HashMap in a singleton @Service, written by concurrent requests without synchronization"),
        (CAC, 10, 14, "nothing bounds the map's size or expires an entry; only explicit eviction removes one"),
    ]),
    ("faq_chatbot", "faq-chat-bot-backend/src/main/java/com/bng/util/CacheUtil.java", None, (CON, CAC), [
        (CON, 11, 23, "a LinkedHashMap in a singleton @Component, read and written by concurrent requests "
                      "without synchronization"),
    ]),
    ("jvm_test_case", "src/main/java/com/jvm/qps/controller/GlobalExceptionHandler.java", None, (ERR,), [
        (ERR, 17, 17, "every exception is logged by its message only: the stack trace is lost"),
    ]),
    # tuned, fourth round (h3)
    ("multicampus", "network/day02/http/Http1.java", None, (RES,), [
        (RES, 25, 25, "openConnection with the default infinite connect and read timeouts"),
    ]),
    ("pluto_tv", "Part1/concurrent_requests/challenge.js", None, (PERF, RES), [
        (PERF, 18, 18, "ten independent requests awaited one after another (Promise.all would overlap them)"),
        (RES, 18, 18, "axios.get without a timeout: axios waits forever by default"),
    ]),
    ("ingkoon_til", "\ube44\ub3d9\uae30\uc5f0\uc2b5/await_soft_code.js", None, (PERF, RES, ERR), [
        (RES, 8, 8, "axios.get without a timeout: axios waits forever by default"),
        (PERF, 23, 23, "one request an item through request(), awaited one after another"),
    ]),
    ("l3s_retreat", "bug_challenge/threads.py", None, (CON,), [
        (CON, 8, 8, "self.count += 1 from ten threads without a lock loses updates"),
    ]),
    ("pr_laborator", "mavenhttp/src/main/java/httpUrlcon.java", None, (RES, ERR), [
        (ERR, 34, 35, "catches Throwable (OutOfMemoryError included) and only prints it"),
    ]),
    # tuned, fifth round (h3)
    ("pilleasychat", "src/main/java/com/pilleasychat/project/domain/user/UserRepository.java", None, (PERF,), [
        (PERF, 15, 20, "every user is loaded to find one by e-mail (a derived query findByEmail is one row)"),
    ]),
    ("fitness_tracker", "src/main/java/com/capgemini/wsb/fitnesstracker/user/internal/UserRepository.java", None,
     (PERF,), [(PERF, 12, 14, "every user is loaded to find one by e-mail")]),
    ("fitness_tracker", "src/main/java/com/capgemini/wsb/fitnesstracker/training/internal/TrainingServiceImpl.java",
     (29, 80), (PERF,), [
         (PERF, 40, 42, "every training is loaded to keep one user's"),
         (PERF, 46, 48, "every training is loaded to keep those after a date"),
         (PERF, 52, 54, "every training is loaded to keep one activity type's"),
     ]),
    ("login_register", "src/main/java/com/fawry/authentication/services/impl/AuthenticationServiceImpl.java", None,
     (PERF,), []),  # listing every user maps all rows: nothing is thrown away
    # held apart
    ("mall", _MALL_ADMIN + "controller/MinioController.java", None, (ERR,), [
        (ERR, 81, 83, "catch-all: the cause goes to stderr and an info log, the caller gets a bare 'failed'"),
        (ERR, 114, 116, "catch-all that only prints the stack trace"),
    ]),
    ("mall", "mall-security/src/main/java/com/macro/mall/security/util/JwtTokenUtil.java", None, (ERR,), [
        (ERR, 60, 61, "every parse failure is logged at info and becomes null claims (a NullPointerException later)"),
        (ERR, 81, 82, "catch-all sets the user name to null without a trace"),
    ]),
    ("mall", _MALL_ADMIN + "service/impl/UmsRoleServiceImpl.java", None, (PERF,), [
        (PERF, 94, 98, "one INSERT a menu id inside the loop instead of a batch insert"),
        (PERF, 110, 114, "one INSERT a resource id inside the loop instead of a batch insert"),
    ]),
    *[("mall", _MALL_ADMIN + f"service/impl/{name}.java", None, (PERF,), [
        (PERF, 24, 27, "one INSERT an item inside the loop instead of a batch insert")])
      for name in ("SmsHomeBrandServiceImpl", "SmsHomeNewProductServiceImpl", "SmsHomeRecommendProductServiceImpl",
                   "SmsHomeRecommendSubjectServiceImpl")],
    ("mall", _MALL_ADMIN + "service/impl/SmsFlashPromotionProductRelationServiceImpl.java", None, (PERF,), [
        (PERF, 27, 28, "one INSERT a relation inside the loop instead of a batch insert"),
    ]),
    ("mall", _MALL_ADMIN + "service/impl/SmsCouponServiceImpl.java", None, (PERF,), []),  # batch insertList
    ("mall", _MALL_ADMIN + "service/impl/SmsHomeAdvertiseServiceImpl.java", None, (ERR,), [
        (ERR, 77, 78, "a bad date is printed and dropped: the filter silently disappears"),
        (ERR, 83, 84, "a bad date is printed and dropped: the filter silently disappears"),
    ]),
    ("mall", "mall-common/src/main/java/com/macro/mall/common/util/RequestUtil.java", None, (ERR,), [
        (ERR, 32, 33, "prints the stack trace and carries on with a null address (NullPointerException at line 35)"),
    ]),
    ("mall", _MALL_ORDER, None, (COH, PERF), [
        (COH, 35, 35, "one class for orders, coupons, points, stock, cart, Redis keys and delayed messages: "
                      "17 collaborators, 30 methods"),
        (PERF, 275, 276, "a stock UPDATE an order item inside the loop"),
        (PERF, 300, 309, "for each timed-out order: a stock release, a coupon update, a member read and update (N+1)"),
        (PERF, 333, 334, "a stock release UPDATE an item inside the loop"),
        (PERF, 410, 410, "filters the whole item list once an order: orders x items"),
        (PERF, 751, 754, "a SELECT and an UPDATE a cart item inside the loop"),
    ]),
    ("jieba", "jieba/__init__.py", (53, 170), (CON, ERR), [
        (CON, 142, 143, "get-then-set of the global DICT_WRITING is not atomic (self.lock is per tokenizer): two "
                        "tokenizers can make two locks for one file"),
    ]),
    ("rest_api", "server.js", None, (CON,), [
        (CON, 43, 46, "existsSync and readFileSync on every request (readUsers runs in the handlers) block the loop"),
        (CON, 56, 56, "writeFileSync on every write request blocks the event loop"),
    ]),
    ("gig_guide", "python/extract/lib/scrape.py", None, (RES, ERR), [
        (RES, 43, 43, "retries after the same fixed sleep each time: no backoff"),
        (RES, 51, 51, "requests.get without a timeout"),
        (ERR, 54, 55, "a bare except: any failure, a typo or Ctrl-C included, is retried and its cause dropped"),
    ]),
    ("xuejingji", "get_mp_tools.py", None, (RES, ERR), [
        (RES, 6, 6, "tenacity retry with no wait: up to 5 immediate retries, no backoff"),
        (RES, 8, 8, "requests.get without a timeout"),
        (ERR, 16, 17, "a bare except records the URL and drops the error"),
    ]),
    # sixth round (h5): concurrency; negatives are the fixed forms (atomic, synchronized, locked, per-user
    # session, a thread pool endpoint, threads that share nothing)
    ("adlister_counter", "src/main/java/CounterServlet.java", None, (CON,), [
        (CON, 23, 23, "hitCount++ on a servlet field: one servlet instance serves every request thread"),
    ]),
    ("adlister_count", "src/main/java/CountServlet.java", None, (CON,), [
        (CON, 14, 14, "count++ on a static field from concurrent doGet calls, without synchronization"),
    ]),
    ("first_web", "src/web/CounterServlet.java", None, (CON,), []),  # an AtomicInteger
    ("thewall", "src/test/java/thewall/ServletTet.java", None, (CON,), [
        (CON, 25, 26, "synchronized on sharedCounter, an Integer that ++ replaces with another object: requests "
                      "lock different objects, so the lock excludes nothing"),
    ]),
    ("anya_spring", "src/main/java/com/demo/first/app/service/UserService.java", None, (CON,), [
        (CON, 17, 27, "a HashMap in a singleton @Service, written by concurrent requests without synchronization"),
        (CON, 32, 36, "containsKey, then put: a check-then-act on the shared map"),
    ]),
    ("git_study", "src/main/java/com/Feature/WSFeature/UserController.java", None, (CON,), []),  # AtomicInteger
    ("zaragoza_concurrent", "src/main/java/ThreadInterferenceError.java", None, (CON,), []),  # synchronized
    ("tap_unidad4", "Sync01.java", None, (CON,), []),  # a synchronized static increment
    ("workshop_mt", "src/main/java/atomic/UnSafeCounter.java", None, (CON,), [
        (CON, 32, 32, "one Counter runnable run by two threads: count++ on its field loses updates"),
    ]),
    ("concurrency_demo", "src/UnsafeAtomic.java", None, (CON,), [
        (CON, 6, 6, "c++ from 1000 threads sharing one Counter, without synchronization"),
    ]),
    ("oops_java", "Unit2/part-3/Synchronization/Test.java", None, (CON,), [
        (CON, 5, 5, "count++ from two threads sharing one Counter, without synchronization"),
    ]),
    ("python300", "Examples/week-08-threading-multiprocessing/race_condition.py", None, (CON,), [
        (CON, 9, 9, "x += 1 on a global from 1000 threads without a lock"),
    ]),
    ("python_practice", "multithreading/4.py", None, (CON,), [
        (CON, 8, 8, "counter += 1 on a global from two threads without a lock"),
    ]),
    ("wanderer_race", "race.py", None, (CON,), [
        (CON, 12, 12, "x[0] += 1 on a module-level list from two threads without a lock"),
    ]),
    ("mmsgov", "py3mmscyops/EXAMPLES/thr_simple.py", None, (CON,), []),  # appends under a lock
    ("fastapi_cookbook", "async_example/main.py", None, (CON,), []),  # a plain def endpoint runs in the thread pool
    ("space_cowboy", "Flask/flask_fundamentals/counter/server.py", None, (CON,), []),  # session is per user
    ("discord_example", "discord_bot.py", None, (CON,), [
        (CON, 32, 32, "the async on_message calls get_json, whose requests.get blocks the event loop"),
    ]),
    ("study_python", "parallel.py", None, (CON,), []),  # each thread writes its own file
    ("script_window", "python/并发和并行/futures_download.py", None, (CON,), []),  # threads share nothing
    ("file_explorer", "src/app/api/route.ts", None, (CON,), [
        (CON, 4, 7, "readFileSync in the GET route handler blocks the event loop for every request"),
        (CON, 16, 19, "writeFileSync in the async POST route handler blocks the event loop"),
    ]),
    ("tez_web", "app/[locale]/api/route.js", None, (CON,), [
        (CON, 8, 8, "readFileSync in the async GET route handler blocks the event loop"),
        (CON, 15, 15, "writeFileSync in the async POST route handler blocks the event loop"),
    ]),
    ("thesis_ping", "test-scripts/regexpChildPing.js", None, (CON,), []),  # child_process.exec is asynchronous
    # seventh round (h5): security in Java and JS; the TUM-Crypto verdict named in each comment is the source's
    ("tum_crypto", "data/hash/insecure/Snippet10009377_34376.java", None, (SEC,), [
        (SEC, 1, 1, "a token written as a literal"), (SEC, 4, 4, "SHA-1 turns the token into a password"),
    ]),
    ("tum_crypto", "data/hash/insecure/Snippet10012918_34377.java", None, (SEC,), [
        (SEC, 3, 3, "PBEWithMD5AndDES: MD5 and DES"),
        (SEC, 5, 11, "the salt is MD5 of a constant, with 20 iterations: the same weak salt for everyone"),
        (SEC, 12, 12, "PBEWithMD5AndDES cipher"),
    ]),
    ("tum_crypto", "data/hash/insecure/Snippet10041314_34401.java", None, (SEC,), [
        (SEC, 39, 39, "unsalted SHA-1 hashes passwords"),
    ]),
    ("tum_crypto", "data/hash/secure/Snippet10102346_34452.java", None, (SEC,), []),  # SHA-256 of a text
    ("tum_crypto", "data/hash/secure/Snippet10182310_34511.java", None, (SEC,), [
        (SEC, 1, 1, "an API key written as a literal"),
    ]),
    ("tum_crypto", "data/hash/secure/Snippet10208191_34538.java", None, (SEC,), []),
    ("tum_crypto", "data/cipher/insecure/Snippet1009996_29850.java", None, (SEC,), [
        (SEC, 11, 12, "java.util.Random makes the salt"),
        (SEC, 15, 15, "PBE with SHA-1 (TUM-Crypto: insecure)"), (SEC, 19, 19, "PBE with SHA-1 cipher"),
    ]),
    ("tum_crypto", "data/cipher/insecure/Snippet10136585_34498.java", None, (SEC,), [
        (SEC, 5, 6, "the AES key is a literal"), (SEC, 7, 7, "AES in ECB mode"),
    ]),
    ("tum_crypto", "data/cipher/secure/Snippet10136585_34500.java", None, (SEC,), [
        (SEC, 5, 6, "the AES key is a literal"), (SEC, 8, 8, "a constant IV"),
    ]),
    ("tum_crypto", "data/cipher/secure/Snippet1000347_29846.java", None, (SEC,), []),  # RSA with a public key
    ("tum_crypto", "data/cipher/secure/Snippet10087962_34439.java", None, (SEC,), []),  # AES/CBC, given IV
    ("tum_crypto", "data/tls/insecure/Snippet1000205_29843.java", None, (SEC,), [
        (SEC, 2, 5, "a HostnameVerifier that accepts every host"),
        (SEC, 22, 24, "checkServerTrusted accepts every certificate chain"),
    ]),
    ("tum_crypto", "data/tls/secure/Snippet16531807_39460.java", None, (SEC,), [
        (SEC, 1, 1, "the key store password is a literal"), (SEC, 11, 11, "TLS 1.0 and 1.1 enabled"),
    ]),
    ("tum_crypto", "data/tls/secure/Snippet16531807_39461.java", None, (SEC,), [
        (SEC, 1, 1, "the key store password is a literal"),
        (SEC, 19, 22, "checkServerTrusted accepts every certificate chain"),
    ]),
    ("tum_crypto", "data/tls/secure/Snippet18237569_1253.java", None, (SEC,), []),
    ("tum_crypto", "data/tm/insecure/Snippet10006070_34194.java", None, (SEC,), [
        (SEC, 8, 11, "checkServerTrusted accepts every certificate chain"),
    ]),
    ("tum_crypto", "data/tm/insecure/Snippet10135259_34493.java", None, (SEC,), [
        (SEC, 10, 12, "checkServerTrusted accepts every certificate chain"),
        (SEC, 18, 18, "SSLContext.getInstance(\"SSL\"): the SSL protocol family"),
    ]),
    ("tum_crypto", "data/tm/insecure/Snippet22020726_4441.java", None, (SEC,), [
        (SEC, 8, 10, "checkServerTrusted accepts every certificate chain"),
    ]),
    ("tum_crypto", "data/tm/secure/Snippet14876605_37986.java", None, (SEC,), []),  # delegates to the default
    ("tum_crypto", "data/tm/secure/Snippet22318453_4704.java", None, (SEC,), []),  # delegates to its parent
    ("tum_crypto", "data/tm/secure/Snippet24733966_7074.java", None, (SEC,), []),  # delegates
    ("tum_crypto", "data/hnvor/insecure/Snippet10654370_34952.java", None, (SEC,), [
        (SEC, 4, 11, "a HostnameVerifier that accepts every host"),
    ]),
    ("tum_crypto", "data/hnvor/insecure/Snippet10659014_34963.java", None, (SEC,), [
        (SEC, 24, 28, "a HostnameVerifier that accepts every host"),
    ]),
    ("tum_crypto", "data/hnvor/secure/Snippet26504656_8640.java", None, (SEC,), []),  # the strict AbstractVerifier
    ("diplomski", "javaFiles/fragment_28491.java", None, (SEC,), [
        (SEC, 2, 2, "installs a trust-all TrustManager"), (SEC, 4, 7, "a HostnameVerifier that accepts every host"),
    ]),
    ("shopping_mall", "mall-sms/src/main/java/com/bing/mallsms/util/CodeGenerateUtil.java", None, (SEC,), [
        (SEC, 12, 15, "java.util.Random makes the SMS verification code: predictable"),
    ]),
    ("gloddy", "src/main/java/com/gloddy/server/authSms/utils/RandomVerificationCodeGenerator.java", None, (SEC,), [
        (SEC, 13, 13, "RandomStringUtils.randomNumeric draws from java.util.Random: a predictable SMS code"),
    ]),
    ("ticket_backend", "src/main/java/com/example/besrc/utils/VerificationCodeUtil.java", None, (SEC,), []),
    ("eip_platform", "src/main/java/com/EIPplatform/utils/GlobalUtils.java", None, (SEC,), []),  # SecureRandom
    ("task_resolver", "task52/src/main/java/MD5.java", None, (SEC,), [
        (SEC, 8, 8, "unsalted MD5 hashes passwords"),
    ]),
    ("secure_login", "src/UserDAO.java", None, (SEC,), [
        (SEC, 9, 9, "the database password is written in the code"),
        (SEC, 14, 14, "the password matched in the query as typed: passwords are stored in clear" + ADDED_IN_ROUND_14),
    ]),
    ("stock_auth", "lib/utils/axios.js", None, (SEC,), [
        (SEC, 6, 6, "rejectUnauthorized: false turns off certificate checks for every request of this client"),
    ]),
    ("spacex_demo", "src/api/index.js", None, (SEC,), [
        (SEC, 9, 9, "rejectUnauthorized: false turns off certificate checks for every request of this client"),
    ]),
    ("phone_shopping", "utils/generateUtils.js", None, (SEC,), [
        (SEC, 6, 6, "Math.random makes generated passwords predictable"),
        (SEC, 15, 15, "Math.random makes the verification token predictable"),
    ]),
    ("nature_flowers", "backend/utils/resetToken.js", None, (SEC,), [
        (SEC, 10, 10, "Math.random makes the password-reset token predictable"),
    ]),
    ("portal_backend", "test.js", None, (SEC,), []),  # crypto.randomBytes, SHA-256 of it
    ("codeql_demo", "app.ts", None, (SEC,), []),  # a bound parameter; credentials from the environment
    # eighth round (h6): popular projects; labelled by reading before the analyzer ran on them
    ("microblog", "app/email.py", None, (CON,), []),  # a thread a mail, sharing nothing
    ("microblog", "app/translate.py", None, (RES,), [
        (RES, 14, 18, "requests.post to the translator API without a timeout"),
    ]),
    ("microblog", "app/tasks.py", None, (ERR, CON), []),  # errors logged with the traceback; a worker, no threads
    ("microblog", "app/api/auth.py", None, (SEC,), []),  # hashed passwords, tokens checked in the database
    ("microblog", "config.py", None, (SEC,), [
        (SEC, 9, 9, "a hard-coded fallback SECRET_KEY signs sessions and reset tokens when the variable is unset"),
    ]),
    ("microblog", "app/models.py", (130, 200), (SEC, ERR), []),  # MD5 for Gravatar's URL is not a security use;
    # an undecodable reset token gives None: the contract
    ("fastapi_template", "backend/app/core/security.py", None, (SEC,), []),  # Argon2/bcrypt, HS256 with a key
    ("fastapi_template", "backend/app/api/deps.py", None, (SEC, ERR), []),  # token errors become a 403
    ("fastapi_template", "backend/app/api/routes/login.py", None, (SEC,), []),
    ("fastapi_template", "backend/app/utils.py", None, (SEC, ERR), [
        (SEC, 29, 29, "jinja2 Template without autoescape renders HTML mail with user-supplied names and emails"),
    ]),
    ("httpie", "httpie/internal/update_warnings.py", None, (SEC, RES), [
        (SEC, 44, 44, "verify=False: the release index is fetched without checking the TLS certificate"),
        (RES, 44, 44, "requests.get without a timeout"),
    ]),
    ("httpie", "httpie/internal/daemons.py", None, (SEC,), []),  # Popen of a list, shell=False
    ("httpie", "httpie/config.py", None, (ERR,), []),  # a missing config file is fine; others raise
    ("realpython", "intro-to-threading/racecond.py", None, (CON,), [
        (CON, 13, 16, "read, then write back self.value from two pool threads without a lock: an update is lost"),
    ]),
    ("realpython", "intro-to-threading/fixrace.py", None, (CON,), []),  # the update runs under a lock
    ("realpython", "intro-to-threading/prodcom_lock.py", None, (CON,), []),  # two locks hand the message over
    ("realpython", "python-concurrency/io_threads.py", None, (CON, RES), [
        (RES, 28, 28, "session.get without a timeout"),
    ]),  # one session a thread (threading.local)
    ("realpython", "python-concurrency/io_asyncio.py", None, (CON, ERR), [
        (ERR, 21, 21, "gather(return_exceptions=True) and the results dropped: every failed download vanishes"),
    ]),
    ("realpython", "python-download-file-from-url/04_download_threading.py", None, (RES, SEC, CON), [
        (RES, 7, 7, "requests.get without a timeout"),
        (SEC, 10, 13, "the file name comes from the server's Content-Disposition header and is opened as a path"),
    ]),
    ("realpython", "python-sleep/rate_limited.py", None, (CON,), []),  # asyncio.sleep between requests
    ("discord_py", "examples/background_task.py", None, (CON,), []),  # one event loop owns the counter
    ("discord_py", "examples/background_task_asyncio.py", None, (CON,), []),
    ("discord_py", "examples/guessing_game.py", None, (CON, SEC), []),  # random for a game; wait_for has a timeout
    ("discord_py", "examples/views/counter.py", None, (CON,), []),
    ("discord_py", "examples/basic_voice.py", (1, 75), (CON, SEC), [
        (SEC, 19, 19, "nocheckcertificate: downloads without checking TLS certificates"),
        (SEC, 70, 70, "a chat user's text is opened as a local file path"),
    ]),  # extract_info runs in an executor
    ("realworld_express", "src/app/routes/auth/auth.service.ts", None, (SEC,), []),  # bcrypt
    ("realworld_express", "src/app/routes/auth/token.utils.ts", None, (SEC,), [
        (SEC, 4, 4, "a hard-coded fallback JWT secret 'superSecret' when JWT_SECRET is unset"),
    ]),
    ("realworld_express", "src/app/routes/auth/auth.ts", None, (SEC,), [
        (SEC, 16, 16, "a hard-coded fallback JWT secret verifies tokens"),
        (SEC, 21, 21, "a hard-coded fallback JWT secret verifies tokens"),
    ]),
    ("realworld_express", "src/main.ts", None, (CON,), []),
    ("realworld_express", "src/app/routes/tag/tag.service.ts", None, (PERF,), []),  # one query, take 10
    ("java_patterns", "retry/src/main/java/com/iluwatar/retry/Retry.java", None, (RES, ERR), [
        (RES, 97, 98, "every retry sleeps the same delay: no backoff, no jitter"),
        (ERR, 99, 101, "InterruptedException ignored: the interrupt is lost and the retries go on"),
    ]),
    ("java_patterns", "retry/src/main/java/com/iluwatar/retry/RetryExponentialBackoff.java", None, (RES, ERR, SEC), [
        (ERR, 105, 107, "InterruptedException ignored: the interrupt is lost and the retries go on"),
    ]),  # exponential backoff with jitter (Random for jitter is no security use)
    ("java_patterns", "event-queue/src/main/java/com/iluwatar/event/queue/Audio.java", None, (CON,), [
        (CON, 81, 82, "init checks and sets updateThread without a lock: two callers can create two threads"),
        (CON, 121, 122, "playSound writes the buffer and tailIndex (plain ints) while the update thread reads them"),
        (CON, 133, 133, "headIndex++ on the update thread, read by playSound, with no lock or volatile"),
    ]),
    ("java_patterns", "singleton/src/main/java/com/iluwatar/singleton/ThreadSafeLazyLoadedIvoryTower.java", None,
     (CON,), []),  # synchronized getInstance
    ("java_patterns", "singleton/src/main/java/com/iluwatar/singleton/ThreadSafeDoubleCheckLocking.java", None,
     (CON,), []),  # volatile field, checked again under the lock
    ("java_patterns", "lazy-loading/src/main/java/com/iluwatar/lazy/loading/HolderThreadSafe.java", None,
     (CON,), []),
    ("java_patterns", "object-pool/src/main/java/com/iluwatar/object/pool/ObjectPool.java", None, (CON,), []),
    ("java_patterns", "throttling/src/main/java/com/iluwatar/throttling/CallsCount.java", None, (CON,), []),
    ("java_patterns", "rate-limiting-pattern/src/main/java/com/iluwatar/rate/limiting/pattern/"
     "FixedWindowRateLimiter.java", None, (CON,), []),
    ("java_patterns", "rate-limiting-pattern/src/main/java/com/iluwatar/rate/limiting/pattern/"
     "TokenBucketRateLimiter.java", None, (CON,), []),
    ("java_patterns", "balking/src/main/java/com/iluwatar/balking/WashingMachine.java", None, (CON, ERR), []),
    # the interrupt is restored
    # eighth round (h6), second batch: threads and event loops that share state safely, and Express's examples
    ("realpython", "intro-to-threading/prodcom_event.py", None, (CON,), []),  # the value handed over by two locks
    ("realpython", "intro-to-threading/multiple_threads.py", None, (CON,), []),  # threads that share nothing
    ("realpython", "python-print/thread_safe_print.py", None, (CON,), []),
    ("realpython", "python-sleep/thread_monitor.py", None, (CON,), []),  # an Event, waited on
    ("java_patterns", "producer-consumer/src/main/java/com/iluwatar/producer/consumer/ItemQueue.java", None,
     (CON,), []),  # a BlockingQueue
    ("java_patterns", "guarded-suspension/src/main/java/com/iluwatar/guarded/suspension/GuardedQueue.java", None,
     (CON, ERR), [
        (ERR, 57, 59, "InterruptedException logged and the wait goes on: the interrupt is lost, the thread cannot "
                      "be stopped"),
     ]),  # synchronized with wait/notify
    ("java_patterns", "monitor/src/main/java/com/iluwatar/monitor/Bank.java", None, (CON,), []),  # synchronized
    ("java_patterns", "leader-followers/src/main/java/com/iluwatar/leaderfollowers/TaskSet.java", None, (CON,), []),
    ("express_examples", "examples/auth/index.js", None, (SEC, CON), [
        (SEC, 25, 25, "a hard-coded session secret signs every session cookie"),
        # line 50 was missed by the first reading; the first run pointed at it, and it is a credential in the code
        (SEC, 50, 50, "the demo user's password 'foobar' is written in the code"),
        (SEC, 61, 61, "the password is written to the log"),
        (SEC, 119, 119, "redirects to the Referer header after login: an open redirect"),
    ]),  # one event loop: the users object is no shared state
    ("express_examples", "examples/web-service/index.js", None, (CON,), []),  # module-level data, read only
    ("express_examples", "examples/cookie-sessions/index.js", None, (SEC, CON), [
        (SEC, 13, 13, "a hard-coded secret signs the session cookies"),
    ]),  # the count lives in each user's own session
    ("express_examples", "examples/downloads/index.js", None, (SEC,), []),  # res.download with a root
    ("express_examples", "examples/markdown/index.js", None, (SEC, ERR), []),  # values escaped; errors passed on
    # ninth round (h5): popular projects not yet in the corpus (Flask's examples, node-express-boilerplate,
    # spring-petclinic, java8-tutorial's concurrency samples, bulletproof-nodejs, locust), labelled by reading before
    # any analyzer ran on them; most are clean on what they are judged for (precision on mature code)
    ("flask_examples", "examples/tutorial/flaskr/auth.py", None, (SEC, ERR, CON), [  # hashed passwords, ? params
        # added in round 12 (h14) after the user-enumeration rule flagged it, on reading: the login's own answers
        (SEC, 99, 101, "'Incorrect username.' and 'Incorrect password.' tell a caller which accounts exist"),
    ]),
    ("flask_examples", "examples/tutorial/flaskr/blog.py", None, (SEC, PERF, CON), []),  # ? params, author checked
    ("flask_examples", "examples/tutorial/flaskr/__init__.py", None, (SEC, CON), [
        (SEC, 11, 11, "SECRET_KEY 'dev' is written in the code and signs the sessions whenever no instance config "
                      "overrides it"),
    ]),
    ("flask_examples", "examples/tutorial/flaskr/db.py", None, (SEC, ERR, CON), []),  # a connection a request (g)
    ("flask_examples", "examples/celery/src/task_app/tasks.py", None, (CON, PERF), []),  # sleep in a Celery task
    ("flask_examples", "examples/celery/src/task_app/views.py", None, (SEC, CON, PERF, RES), []),
    # result.get() only once the result is ready
    ("flask_examples", "examples/celery/src/task_app/__init__.py", None, (SEC, CON), []),
    ("flask_examples", "examples/javascript/js_example/views.py", None, (SEC,), []),  # any() route: three names
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Synchronized1.java", None, (CON,), [
        (CON, 51, 53, "increment() does count = count + 1 on a static int from two pool threads with no lock"),
    ]),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Synchronized2.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Atomic1.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Lock1.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Lock2.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Lock3.java", None, (CON,), []),  # HashMap, RW lock
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Lock4.java", None, (CON,), []),  # StampedLock
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Lock5.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Semaphore1.java", None, (CON,), [
        (CON, 38, 39, "count++ runs whether or not tryAcquire got the permit: after a timeout two threads race"),
    ]),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Semaphore2.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Executors2.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/Threads1.java", None, (CON,), []),
    ("java8_tutorial", "src/com/winterbe/java8/samples/concurrent/ConcurrentUtils.java", None, (ERR, CON), [
        (ERR, 16, 18, "InterruptedException printed and dropped: the caller's interrupt is lost"),
    ]),
    ("petclinic", "src/main/java/org/springframework/samples/petclinic/owner/OwnerController.java", None,
     (SEC, CON, ERR), []),  # id disallowed in binding, ids checked against the URL; a stateless controller
    ("petclinic", "src/main/java/org/springframework/samples/petclinic/vet/VetController.java", None, (SEC, CON), []),
    ("petclinic", "src/main/java/org/springframework/samples/petclinic/system/CrashController.java", None,
     (SEC, ERR), []),  # throws on purpose, to show the error page
    ("petclinic", "src/main/java/org/springframework/samples/petclinic/owner/PetValidator.java", None,
     (SEC, ERR), []),
    ("express_boilerplate", "src/services/auth.service.js", None, (SEC, ERR, CON), [
        (ERR, 49, 51, "every failure (a database error too) becomes 401 'Please authenticate', the cause dropped"),
        (ERR, 69, 71, "every failure becomes 401 'Password reset failed', the cause dropped unlogged"),
        (ERR, 88, 90, "every failure becomes 401 'Email verification failed', the cause dropped unlogged"),
    ]),
    ("express_boilerplate", "src/services/token.service.js", None, (SEC, ERR), []),  # secret from config
    ("express_boilerplate", "src/middlewares/auth.js", None, (SEC, ERR), []),
    ("express_boilerplate", "src/middlewares/error.js", None, (SEC, ERR), [
        (ERR, 10, 11, "precedence: `statusCode || x instanceof E ? 400 : 500` throws away the error's own status"),
    ]),  # the stack goes out in development only
    ("express_boilerplate", "src/services/email.service.js", None, (ERR, CON), []),
    ("express_boilerplate", "src/index.js", None, (SEC, ERR, CON), []),  # rejections reach unhandledRejection
    ("bulletproof_node", "src/services/auth.ts", None, (SEC, ERR, CON), [
        (SEC, 79, 79, "'User not registered' and 'Invalid Password' (99) tell a caller which accounts exist"),
    ]),  # argon2 with a random salt; the secret from config
    ("bulletproof_node", "src/api/middlewares/isAuth.ts", None, (SEC,), []),  # algorithms pinned
    ("bulletproof_node", "src/api/middlewares/attachCurrentUser.ts", None, (SEC, ERR), []),
    ("bulletproof_node", "src/api/routes/agendash.ts", None, (SEC,), []),  # credentials from config
    ("bulletproof_node", "src/loaders/express.ts", None, (SEC, CON), [
        (SEC, 25, 25, "cors() with no options lets every origin call the API"),
        (SEC, 63, 68, "every unhandled error's message is sent to the client"),
    ]),
    ("locust", "examples/semaphore_wait.py", None, (CON,), []),  # a gevent semaphore as a gate
    ("locust", "examples/bottlenecked_server.py", None, (CON,), []),  # the semaphore and the sleep are the point
    ("locust", "examples/web_ui_cache_stats.py", None, (CON, CAC), []),
    # counters of a CDN's cache headers, not a cache; gevent greenlets switch only at I/O
    ("locust", "examples/dynamic_user_credentials.py", None, (CON,), []),
    ("locust", "examples/custom_xmlrpc_client/server.py", None, (CON,), []),
    ("locust", "locust/util/cache.py", None, (CAC, CON), [
        (CAC, 18, 20, "memoize keeps one result whatever the arguments: a call with other arguments gets the "
                      "first call's result"),
    ]),
    ("locust", "locust/util/exception_handler.py", None, (RES, ERR), []),  # growing delays, then re-raise
    ("locust", "locust/contrib/postgres.py", None, (SEC, ERR), []),  # failures are reported as request events
    ("locust", "locust/rpc/zmqrpc.py", None, (RES, SEC), []),
    ("locust", "locust/input_events.py", None, (ERR, CON), []),  # the poller logs and stops
    # tenth round (h3): labelled by reading before any analyzer ran on them
    ("vulnado", _VULNADO + "Comment.java", None, (SEC, ERR), [
        (ERR, 31, 32, "catch (Exception) also catches the BadRequest thrown above and rethrows it as a 500, the "
                      "cause dropped"),
        (ERR, 54, 59, "a database failure is printed and `finally { return comments; }` hands back an empty list: "
                      "no comments and an error look the same"),
        (ERR, 69, 73, "`finally { return false; }` discards the result and any exception: delete always says false"),
    ]),
    ("vulnado", _VULNADO + "CommentsController.java", None, (SEC,), [
        (SEC, 16, 16, "@CrossOrigin(origins = \"*\") lets every origin call the endpoint"),
        (SEC, 23, 23, "@CrossOrigin(origins = \"*\") lets every origin call the endpoint"),
        (SEC, 25, 26, "createComment takes the auth token and never checks it: anyone can post"),
        (SEC, 29, 29, "@CrossOrigin(origins = \"*\") lets every origin call the endpoint"),
        (SEC, 31, 32, "deleteComment takes the auth token and never checks it: anyone can delete"),
    ]),
    ("vulnado", _VULNADO + "CowController.java", None, (SEC,), []),  # the sink is in Cowsay
    ("vulnado", _VULNADO + "Cowsay.java", None, (SEC, ERR), [
        (SEC, 9, 11, "the input is pasted into a bash -c command line: command injection"),
        (ERR, 23, 25, "a failed command is printed and an empty output returned"),
    ]),
    ("vulnado", _VULNADO + "LinkLister.java", None, (SEC,), [
        (SEC, 16, 16, "fetches whatever URL the caller gives (server-side request forgery)"),
        (SEC, 29, 29, "private addresses checked by host-name prefix: 127.0.0.1, localhost, 169.254.x and DNS names "
                      "pass"),
    ]),
    ("vulnado", _VULNADO + "LinksController.java", None, (SEC,), [
        (SEC, 16, 17, "a request parameter goes straight to getLinks: any URL is fetched (SSRF)"),
    ]),
    ("vulnado", _VULNADO + "LoginController.java", None, (SEC, ERR), [
        (SEC, 17, 17, "@CrossOrigin(origins = \"*\") on the login endpoint"),
        (ERR, 20, 21, "User.fetch returns null for an unknown name: user.hashedPassword throws (a 500, not a 401)"),
        (SEC, 21, 21, "passwords compared as unsalted MD5 hashes"),
    ]),
    ("vulnado", _VULNADO + "Postgres.java", None, (SEC, ERR), [
        (ERR, 24, 27, "any connection failure calls System.exit(1): one database hiccup kills the server"),
        (SEC, 46, 50, "account passwords written in the code"),
        (SEC, 67, 67, "MD5 hashes the passwords"),
        # line 97 was missed by the first reading; the first run pointed at it: md5(password) is what is stored
        (SEC, 97, 97, "the seeded passwords are stored as unsalted MD5"),
        (ERR, 99, 101, "a failed insert is printed and ignored: the seed data is silently incomplete"),
        (ERR, 113, 115, "a failed insert is printed and ignored"),
    ]),
    ("vulnado", _VULNADO + "User.java", None, (SEC, ERR), [
        (SEC, 47, 49, "the user name is concatenated into the SQL text: SQL injection"),
        (ERR, 57, 62, "a database failure is printed and `finally { return user; }` returns null as if no user "
                      "existed"),
    ]),
    ("nodegoat", "app/data/allocations-dao.js", None, (SEC, ERR, PERF), [
        (ERR, 35, 53, "on success the callback runs twice: line 53 runs after the if, then the user lookup calls "
                      "back again"),
        (SEC, 78, 78, "the threshold from the request is pasted into a $where JavaScript expression: NoSQL "
                      "injection"),
        (PERF, 93, 94, "one getUserById query per allocation (N+1)"),
    ]),
    ("nodegoat", "app/data/benefits-dao.js", None, (SEC, ERR), [
        (ERR, 20, 20, "the query's error is dropped: callback(null, users) whatever happened"),
    ]),
    ("nodegoat", "app/data/contributions-dao.js", None, (SEC, ERR), []),
    ("nodegoat", "app/data/user-dao.js", None, (SEC, ERR), [
        (SEC, 20, 25, "the password is stored as received, in plain text"),
        (SEC, 60, 61, "passwords compared in plain text"),
    ]),
    ("nodegoat", "app/data/profile-dao.js", None, (SEC, ERR), [
        (SEC, 61, 66, "SSN and date of birth stored in clear"),
    ]),
    ("nodegoat", "app/routes/contributions.js", None, (SEC, ERR), [
        (SEC, 32, 34, "eval() of request body fields: server-side code injection"),
    ]),
    ("nodegoat", "app/routes/session.js", None, (SEC, ERR), [
        (SEC, 64, 64, "the user-supplied name is logged unencoded (log forging)"),
        (SEC, 85, 85, "'Invalid username' and 'Invalid password' (94) tell a caller which accounts exist"),
        (SEC, 94, 94, "a distinct message for a wrong password reveals that the account exists"),
        (SEC, 116, 116, "the session id is not regenerated on login (session fixation)"),
        (SEC, 144, 144, "passwords of one character are accepted"),
    ]),
    ("nodegoat", "app/routes/research.js", None, (SEC, ERR), [
        (SEC, 15, 16, "a URL from the query string is fetched by the server (SSRF)"),
        (SEC, 24, 25, "the fetched body is written into an HTML response unescaped"),
    ]),
    ("nodegoat", "app/routes/profile.js", None, (SEC, ERR), [
        (SEC, 28, 28, "HTML-encoding a value used in a URL: the wrong context, javascript: links pass"),
        (SEC, 59, 59, "/([0-9]+)+\\#/ nests quantifiers: catastrophic backtracking on crafted input (ReDoS)"),
    ]),
    ("nodegoat", "app/routes/index.js", None, (SEC,), [
        (SEC, 55, 56, "the benefits pages check login but not the admin role"),
        (SEC, 72, 72, "redirects to any URL from the query string (open redirect)"),
    ]),
    ("nodegoat", "server.js", None, (SEC, ERR), [
        (SEC, 78, 85, "express-session with no cookie options: no Secure flag, no expiry"),
        (SEC, 137, 137, "the template engine's autoescape is turned off: every value rendered raw (XSS)"),
        (SEC, 145, 145, "the app is served over plain HTTP"),
    ]),
    ("dvna", "core/appHandler.js", None, (SEC, ERR), [
        (SEC, 10, 11, "req.body.login concatenated into the SQL text: SQL injection"),
        (ERR, 30, 35, "every query failure becomes 'Internal Error', the cause dropped unlogged"),
        (SEC, 39, 39, "req.body.address concatenated into a shell command: command injection"),
        (ERR, 48, 48, "findAll().then() with no catch: a database error leaves the request hanging"),
        (ERR, 59, 65, "findAll({...}).then() with no catch"),
        (ERR, 85, 89, "find({...}).then() with no catch"),
        (ERR, 107, 111, "find({...}).then() with no catch"),
        (SEC, 145, 148, "the user to edit comes from the request body: anyone can change another user's password "
                        "and email"),
        (ERR, 145, 149, "find({...}).then() with no catch"),
        (ERR, 175, 175, "save().then() with no catch"),
        (SEC, 188, 188, "redirects to any URL from the query string (open redirect)"),
        (SEC, 197, 197, "mathjs.eval of the request's expression: code injection"),
        (SEC, 207, 211, "the API returns every user record, password hashes included, to any caller"),
        (ERR, 207, 207, "findAll({}).then() with no catch"),
        (SEC, 218, 218, "node-serialize unserialize of an uploaded file: code execution"),
        (ERR, 225, 225, "save() not awaited: failures lost, the redirect goes before the write"),
        (SEC, 235, 235, "libxml parses the upload with noent: true: XML external entities"),
        (ERR, 242, 242, "save() not awaited: failures lost"),
    ]),
    ("dvna", "core/authHandler.js", None, (SEC, ERR), [
        (ERR, 21, 25, "find({...}).then() with no catch"),
        (SEC, 31, 31, "'Invalid login username' tells a caller which accounts exist"),
        (ERR, 43, 47, "find({...}).then() with no catch"),
        (SEC, 49, 49, "the reset token is md5(login): anyone can compute it"),
        (ERR, 72, 76, "find({...}).then() with no catch"),
        (SEC, 78, 78, "the reset token is md5(login): anyone can compute it"),
        (ERR, 80, 80, "save().then() with no catch"),
    ]),
    ("dvna", "core/passport.js", None, (SEC, ERR), [
        (ERR, 13, 17, "findOne({...}).then() with no catch: done is never called on a database error"),
        (ERR, 31, 35, "findOne({...}).then() with no catch"),
        (ERR, 55, 59, "findOne({...}).then() with no catch"),
        (ERR, 65, 70, "create({...}).then() with no catch"),
    ]),
    ("vuln_flask", "app/app.py", None, (SEC, ERR), [
        (SEC, 26, 26, "the JWT signing key 'secret' is written in the code"),
        (SEC, 27, 27, "a second signing key written in the code"),
        (SEC, 28, 28, "the session secret_key written in the code"),
        (SEC, 62, 63, "the admin account's password 'admin123' written in the code and stored in clear"),
        (SEC, 97, 97, "jwt.decode(token, verify=False): any token is accepted"),
        (SEC, 112, 114, "request.url is formatted into a template and rendered: server-side template injection"),
        (SEC, 141, 141, "MD5 hashes the passwords"),
        (ERR, 147, 148, "e.message does not exist in Python 3: the handler raises AttributeError; errors sent as 404"),
        (SEC, 161, 161, "the customer's password stored as given, in clear"),
        (ERR, 166, 167, "e.message does not exist in Python 3; errors sent as 404"),
        (SEC, 179, 179, "the request body, password included, is printed to the log"),
        (SEC, 182, 182, "the password compared in clear in the query"),
        (ERR, 193, 194, "a bare except turns every failure into 'Unable to recognize Input'"),
        (ERR, 208, 213, "customer_record's fields are read before the None check: an unknown id raises"),
        (SEC, 261, 265, "the search term %-formatted into SQL and executed: SQL injection"),
        (SEC, 280, 281, "the exception text is formatted into a template and rendered: template injection"),
        (SEC, 329, 329, "yaml.load of an uploaded file without a safe loader"),
    ]),
    ("flasky", "config.py", None, (SEC,), [
        (SEC, 6, 6, "SECRET_KEY falls back to a constant written in the code when the environment has none"),
    ]),
    ("flasky", "app/auth/views.py", None, (SEC, ERR), [
        # widened to the redirect (40) after the first run: the check at 38 and the redirect are one flaw
        (SEC, 37, 40, "next='//evil.example' starts with '/': the login redirects off-site (open redirect)"),
    ]),
    ("flasky", "app/api/authentication.py", None, (SEC, ERR), []),
    ("flasky", "app/email.py", None, (CON,), []),  # a thread a mail, sharing nothing
    ("flasky", "app/api/posts.py", None, (SEC, PERF), []),  # paginated, author checked
    ("flasky", "app/api/users.py", None, (SEC, PERF), []),  # paginated
    ("flasky", "app/api/comments.py", None, (SEC, PERF), []),  # paginated
    # eleventh round
    ("vulnerable_node", "model/auth.js", None, (SEC,), [
        (SEC, 7, 9, "username and password concatenated into SQL (injection); the password compared in clear"),
    ]),
    ("vulnerable_node", "model/products.js", None, (SEC,), [
        (SEC, 14, 16, "product_id concatenated into SQL: injection"),
        (SEC, 21, 23, "the search term concatenated into SQL: injection"),
        (SEC, 29, 40, "every cart field concatenated into the INSERT: injection"),
        (SEC, 46, 48, "username concatenated into SQL: injection"),
    ]),
    ("vulnerable_node", "routes/login.js", None, (SEC,), [
        (SEC, 36, 36, "returnurl from the request body is the redirect target: open redirect"),
        (SEC, 39, 39, "the database error's message is sent to the caller in the redirect URL"),
    ]),
    ("vulnerable_node", "routes/products.js", None, (SEC, ERR), [
        # check_logged (routes/login_check.js) only calls res.redirect; it does not stop the handler
        (SEC, 11, 13, "check_logged redirects but the handler goes on: the products are served without a login"),
        (SEC, 26, 28, "check_logged does not stop the handler: purchases read without a login"),
        (SEC, 43, 49, "check_logged does not stop the handler: product details without a login"),
        (SEC, 64, 74, "check_logged does not stop the handler: search without a login"),
        (SEC, 91, 91, "check_logged does not stop the handler: a purchase without a login"),
        (SEC, 116, 116, "the price is taken from the request: the buyer sets it"),
        (ERR, 137, 143, "a failed purchase answers 'Product purchased correctly'; a good one never answers"),
    ]),
    ("vulnerable_node", "routes/login_check.js", None, (SEC,), []),  # its flaw shows in its callers
    ("vulnerable_node", "config.js", None, (SEC,), [
        (SEC, 4, 4, "database user and password postgres:postgres written in the connection string"),
        (SEC, 12, 12, "database credentials written in the connection string"),
        (SEC, 20, 20, "database credentials written in the connection string"),
    ]),
    ("vulnerable_node", "app.js", None, (SEC,), [
        (SEC, 44, 44, "the session secret written in the code"),
        (SEC, 46, 47, "the session cookie is sent over plain HTTP (secure: false) and lives about three years"),
    ]),
    ("dvpwa", "sqli/dao/student.py", None, (SEC,), [
        (SEC, 42, 45, "the student's name %-formatted into the INSERT and executed: SQL injection"),
    ]),
    ("dvpwa", "sqli/dao/user.py", None, (SEC,), [
        (SEC, 41, 41, "passwords kept as unsalted MD5"),
    ]),
    ("dvpwa", "sqli/dao/review.py", None, (SEC,), []),  # parameters bound
    ("dvpwa", "sqli/dao/course.py", None, (SEC,), []),  # parameters bound
    ("dvpwa", "sqli/utils/auth.py", None, (SEC,), []),
    ("dvpwa", "sqli/services/db.py", None, (SEC,), []),
    ("dvpwa", "sqli/app.py", None, (SEC,), [
        (SEC, 24, 24, "the application runs with debug=True"),
        (SEC, 27, 27, "the CSRF middleware is commented out: forms are not protected"),
        (SEC, 35, 35, "templates rendered with autoescape=False: cross-site scripting"),
    ]),
    ("dvpwa", "sqli/middlewares.py", None, (SEC,), [
        (SEC, 20, 20, "the session cookie is readable from scripts (httponly=False)"),
    ]),
    ("dvpwa", "sqli/views.py", None, (SEC,), [
        (SEC, 42, 42, "the session is not renewed at login: session fixation"),
        (SEC, 54, 57, "anyone, logged in or not, adds students: the handler checks no user"),
        (SEC, 86, 90, "anyone adds courses: the handler checks no user"),
        (SEC, 135, 152, "anyone sets a student's marks: no user or role is checked"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/LoginValidator.java", None, (SEC, ERR), [
        (SEC, 52, 52, "username and password concatenated into SQL (injection); the password compared in clear"),
        (SEC, 54, 54, "the session is not renewed at login: session fixation"),
        (SEC, 59, 60, "the role is kept in a cookie the client can rewrite"),
        (SEC, 63, 66, "the password is stored in a cookie, in clear"),
        (ERR, 77, 80, "every exception becomes 'something went wrong'; nothing is logged"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/Open.java", None, (SEC, ERR), [
        (SEC, 39, 39, "the url parameter is the redirect target: open redirect"),
        (ERR, 46, 49, "an empty catch: every error is dropped"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/ForwardMe.java", None, (SEC, ERR), [
        (SEC, 41, 42, "the location parameter picks the forwarded resource: WEB-INF files can be read"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/xxe.java", None, (SEC, ERR), [
        (SEC, 45, 48, "the request body parsed with a default DocumentBuilderFactory: XML external entities"),
        (SEC, 54, 54, "the XML's names and values written into the HTML unescaped: cross-site scripting"),
        (SEC, 60, 60, "the exception is printed into the response"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/XPathQuery.java", None, (SEC, ERR), [
        (SEC, 50, 53, "username and password concatenated into the XPath query: XPath injection"),
        (SEC, 69, 69, "the exception is printed into the response"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/UsernameCheck.java", None, (SEC, ERR), [
        (SEC, 48, 48, "username concatenated into SQL: injection"),
        (SEC, 62, 62, "the exception is printed into the response"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/model/HashMe.java", None, (SEC, ERR), [
        (SEC, 16, 16, "MD5 used as the hash"),
        (ERR, 25, 28, "NoSuchAlgorithmException dropped: sb stays null and line 29 throws NullPointerException"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/AddPage.java", None, (SEC, ERR), [
        (SEC, 44, 53, "the filename parameter joined to the pages folder and written: path traversal, any file"),
        (SEC, 55, 55, "the filename written into the HTML unescaped: cross-site scripting"),
        (SEC, 70, 70, "the exception is printed into the response"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/EmailCheck.java", None, (SEC, ERR), [
        (SEC, 48, 48, "email concatenated into SQL: injection"),
        (SEC, 62, 62, "the exception is printed into the response"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/Register.java", None, (SEC, ERR), [
        (SEC, 58, 58, "every field concatenated into the INSERT (injection); the password stored in clear"),
        (SEC, 59, 59, "username concatenated into the INSERT: injection"),
        (ERR, 69, 75, "a SQL error is printed to stdout and the request gets no answer"),
        (ERR, 78, 81, "an empty catch: every other error is dropped and the request gets no answer"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/SendMessage.java", None, (SEC, ERR), [
        (SEC, 45, 45, "the sender is taken from the request: anyone sends in another user's name"),
        (SEC, 66, 66, "the exception's text goes into the redirect URL and the page"),
    ]),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/model/DBConnect.java", None, (SEC,), []),
    ("jvl", "src/main/java/org/cysecurity/cspf/jvl/controller/Logout.java", None, (SEC, ERR), [
        (ERR, 42, 45, "an empty catch: every error is dropped"),
    ]),
    ("vulnerable_node", "model/init_db.js", None, (ERR,), [
        # the CREATE's catch is where the rows are inserted (the table exists); the inserts' catches are empty
        (ERR, 18, 18, "the CREATE's error is never read: any failure, not only 'table exists', means 'insert rows'"),
        (ERR, 28, 29, "an empty catch: a failed insert is dropped"),
        (ERR, 38, 38, "the CREATE's error is never read: any failure means 'insert rows'"),
        (ERR, 49, 50, "an empty catch: a failed insert is dropped"),
        (ERR, 59, 60, "an empty catch: the error of creating purchases is dropped"),
    ]),
    # round 12 (h14): server-side forwards and views chosen by the request, lazy caches in static maps
    ("project3", "src/main/java/servlet/RedirectServlet.java", None, (SEC,), [
        (SEC, 24, 24, "the forward's path is the page parameter: any resource of the application, WEB-INF included"),
    ]),
    ("patricio", "patricio-martin/src/main/java/com/patriciomartin/servlets/GetPage.java", (1, 87), (SEC,), [
        # the page parameter is only compared with a few names, never limited to them
        (SEC, 85, 85, "the request's page parameter is the forward's path: WEB-INF/web.xml and any JSP are served"),
    ]),
    ("twitter_dup", "routes/index.js", None, (SEC,), [
        (SEC, 11, 11, "the URL's page segment is the view rendered: any template, or a file outside the views"),
    ]),
    ("fetchall", "routes/index.js", None, (SEC,), [
        (SEC, 9, 9, "the URL's page segment is the view rendered: any template, or a file outside the views"),
    ]),
    ("travel", "routes/pages.js", None, (SEC,), []),  # the request value is a template variable (escaped), not the view
    ("springmvc_hello", "SpringMvc/src/com/springmvc/controller/HelloSpringMvcController.java", None, (SEC,), [
        (SEC, 16, 16, "the path parameter is the view name: forward:/redirect: prefixes and any JSP are the caller's"),
    ]),
    ("springmvc_demo", "springmvc_demo/src/main/java/com/shaluy/springmvc/controller/TestViewController.java", None,
     (SEC,), []),  # literal forward and redirect targets
    ("whitepig", "designpattern/src/main/java/com/designpattern/demo/singleton/CacheSingleton.java", None, (CON,), [
        (CON, 15, 18, "get, null check and put on a static HashMap, unlocked: two callers build two instances, and "
                      "concurrent puts can corrupt the map"),
    ]),
    ("whitepig", "designpattern/src/main/java/com/designpattern/demo/singleton/LazySingleton.java", None, (CON,), [
        (CON, 12, 13, "lazy static initialization without a lock: two threads can each create an instance"),
    ]),
    ("whitepig", "designpattern/src/main/java/com/designpattern/demo/singleton/DoubleCheckSingleton.java", None,
     (CON,), []),  # double-checked locking on a volatile field: correct
    ("wing_mix", "design-pattern/src/main/java/com/wing/lynne/singleton/LazySafeByConcurrentHashMap.java", None,
     (CON,), [
        (CON, 13, 15, "a null check, then a put, on a ConcurrentHashMap: each call is atomic, the pair is not"),
    ]),
    ("leetcode_cache", "src/其他/线程安全的本地缓存/Main.java", None, (CON,), []),  # checked again under the lock
    ("node_races", "examples/race-dummy.js", None, (CON,), [
        (CON, 24, 27, "the balance is read, awaited, then written from the old value: concurrent calls lose updates"),
        (CON, 32, 35, "the balance is read, awaited, then written from the old value: concurrent calls lose updates"),
    ]),
    ("node_races", "examples/race-atomics.js", (1, 102), (CON,), [
        (CON, 24, 27, "the balance is read, awaited, then written from the old value: concurrent calls lose updates"),
        (CON, 32, 35, "the balance is read, awaited, then written from the old value: concurrent calls lose updates"),
        # the fixed half adds a constant atomically (Atomics.add): nothing read before the await is written back
    ]),
    ("node_races", "examples/race-simple-fix.js", None, (CON,), []),  # the same functions, called one after another
    ("node_races", "examples/race-mutex.js", None, (CON,), []),  # read and write under an async mutex
    ("node_races", "examples/race-mutex-no-lib.js", None, (CON,), []),  # serialized on a promise chain
    ("js_exercises", "RC/main.js", None, (CON,), [
        (CON, 9, 14, "the module's balance read, an await, then the old value plus the amount written: three "
                     "deposits in Promise.all keep one"),
    ]),
    ("js_exercises", "RC/mutex.js", None, (CON,), []),  # a flag taken with no await between its test and its set
    ("bcb_sample", "2/default/102438.java", None, (SEC,), [
        (SEC, 36, 37, "the URL parameter is opened by the server: internal hosts and cloud metadata reachable (SSRF)"),
    ]),
    # each thread builds its own Database: its cache is never shared
    ("design_patterns_de", "Erzeugermuster/Singleton/databaseThreadSafe.py", None, (CON,), []),
    ("design_patterns_de", "Erzeugermuster/SingletonSolution/databaseThreadSafe.py", None, (CON,), [
        (CON, 8, 10, "checked outside the lock and set inside it without checking again: two threads both create"),
        (CON, 21, 22, "the shared instance's cache created lazily, unlocked: two threads each make one, entries lost"),
        (CON, 25, 30, "a membership test, then an insert, on the cache every thread shares, unlocked"),
    ]),
    ("design_patterns_de", "Erzeugermuster/SingletonSolution/singletonGeneralThreadSafe.py", None, (CON,), [
        (CON, 11, 13, "checked outside the lock and set inside it without checking again: two threads both create"),
        (CON, 22, 23, "the shared singleton's value tested, then set, by two threads without a lock"),
    ]),
    ("python_patterns", "singleton/singleton-pattern03.py", None, (CON,), []),  # checked again under the lock
    # round 13, tuned part
    ("vampi", "api_views/users.py", None, (SEC, ERR), [
        (SEC, 24, 26, "the debug endpoint returns every user with password and admin flag, to anyone"),
        (SEC, 93, 93, "the password compared in clear: passwords are stored unhashed"),
        (SEC, 101, 106, "'Password is not correct' and 'Username does not exist' tell a caller which accounts exist"),
        (ERR, 113, 114, "a bare except turns every error into 'An error occurred!' with status 200; nothing logged"),
        (ERR, 121, 122, "a bare except hides every error of the header's parsing"),
        (ERR, 136, 137, "a bare except: every error, not only a validation failure, becomes a 400; "
                        "nothing logged"),
        (SEC, 144, 146, "nested quantifiers on the request's email: catastrophic backtracking (ReDoS)"),
        (SEC, 187, 189, "the password of the user named in the URL is changed, not the token's user's; "
                        "stored in clear"),
        (SEC, 65, 66, "the new user's password stored as sent, unhashed" + ADDED_IN_ROUND_14),
        (SEC, 68, 69, "the new user's password stored as sent, unhashed" + ADDED_IN_ROUND_14),
        (SEC, 108, 108, "the password compared in clear" + ADDED_IN_ROUND_14),
        (SEC, 195, 195, "the new password stored as sent, unhashed" + ADDED_IN_ROUND_14),
    ]),
    ("vampi", "api_views/books.py", None, (SEC, ERR), [
        (ERR, 21, 22, "a bare except: every error becomes 'provide a proper JSON body'; nothing logged"),
        (SEC, 51, 51, "any logged-in user reads any user's book secret by its title (no owner check)"),
    ]),
    ("vampi", "models/user_model.py", None, (SEC, ERR), [
        (SEC, 24, 24, "the password is stored as given, unhashed"),
        (SEC, 85, 85, "register_user stores the password as given, unhashed" + ADDED_IN_ROUND_14),
        (ERR, 42, 43, "every error of the token's encoding is returned as if it were the token"),
        (SEC, 72, 73, "the username formatted into SQL and executed: injection"),
    ]),
    ("vampi", "config.py", None, (SEC,), [
        (SEC, 13, 13, "the JWT signing key written in the code"),
    ]),
    ("vampi", "app.py", None, ("configuration",), [
        ("configuration", 17, 17, "the server runs with debug=True on every interface"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/SQLI.java", None, (SEC, ERR), [
        (SEC, 65, 67, "the username concatenated into SQL and executed: injection"),
        (SEC, 72, 74, "user names and passwords written to the log"),
        (ERR, 80, 84, "a missing driver or SQL error is logged by its text only; the caller gets an empty answer"),
        (SEC, 116, 118, "user names and passwords written to the log"),
        (ERR, 124, 129, "an SQL error is logged by its text only; the caller gets an empty answer"),
        (SEC, 149, 150, "the username concatenated into the SQL handed to prepareStatement: still injection"),
        (SEC, 158, 160, "user names and passwords written to the log"),
        (ERR, 166, 171, "an SQL error is logged by its text only; the caller gets an empty answer"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/Rce.java", None, (SEC, ERR), [
        (SEC, 36, 36, "the request's cmd run by Runtime.exec: command injection"),
        (SEC, 53, 53, "the exception's text sent to the caller"),
        (SEC, 68, 70, "the request's cmd run by /bin/sh -c: command injection"),
        (SEC, 79, 79, "the exception's text sent to the caller"),
        (SEC, 97, 100, "a script URL from the request loaded and evaluated by the JavaScript engine: code injection"),
        (SEC, 112, 113, "SnakeYAML's default constructor loads request content: arbitrary object creation"),
        (SEC, 128, 129, "the request's content evaluated as Groovy: code injection"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/Deserialize.java", None, (SEC, ERR), [
        (SEC, 49, 50, "a cookie's bytes deserialized with ObjectInputStream: remote code execution"),
        (SEC, 81, 81, "the exception's text sent to the caller"),
        (SEC, 91, 93, "Jackson default typing on request JSON: polymorphic deserialization gadgets"),
        (ERR, 95, 96, "a failed read only prints the stack trace"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/PathTraversal.java", None, (SEC,), [
        (SEC, 43, 45, "a file path from the request read and returned (path traversal) on the /vul route"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/URLRedirect.java", None, (SEC, ERR), [
        (SEC, 33, 33, "a redirect to whatever URL the request names: open redirect"),
        (SEC, 43, 45, "the Location header set from the request: open redirect"),
        (SEC, 55, 56, "sendRedirect to the request's URL: open redirect"),
        (SEC, 67, 68, "the forwarded resource chosen by the request: WEB-INF files can be read"),
        (ERR, 71, 72, "a failed forward only prints the stack trace; the caller gets an empty answer"),
    ]),
    ("java_sec_code", "src/main/java/org/joychou/controller/CommandInject.java", None, (SEC,), [
        (SEC, 27, 30, "the request's filepath appended to a sh -c command line: command injection"),
        (SEC, 42, 47, "the Host header appended to a sh -c command line: command injection"),
    ]),
    ("dvws_node", "controllers/notebook.js", None, (SEC, ERR), [
        (SEC, 28, 30, "the request's Origin reflected with credentials allowed: any site reads the answers"),
        (SEC, 42, 43, "JWT verification accepts the 'none' algorithm and ignores expiry"),
        (SEC, 60, 60, "the database error object sent to the caller"),
        (SEC, 67, 73, "the process environment (secrets included) answered to anyone"),
        (SEC, 78, 78, "a URL parameter run as a shell command: command injection"),
        (SEC, 80, 80, "the exec error object sent to the caller"),
        (SEC, 90, 90, "a URL parameter concatenated into an XPath expression: injection"),
        (ERR, 105, 107, "every error becomes 'Error processing request'; nothing logged"),
        (SEC, 124, 124, "the database error object sent to the caller"),
        (SEC, 131, 131, "any note read by number, no token checked"),
        (SEC, 134, 134, "the database error object sent to the caller"),
        (SEC, 141, 141, "any note updated with the whole request body, no token checked"),
        (SEC, 144, 144, "the database error object sent to the caller"),
        (SEC, 151, 151, "any note deleted, no token checked"),
        (SEC, 154, 154, "the database error object sent to the caller"),
        (SEC, 172, 172, "the search term interpolated into a $where JavaScript query: NoSQL injection"),
        (SEC, 180, 180, "the database error object sent to the caller"),
        (SEC, 202, 202, "the database error object sent to the caller"),
        (SEC, 226, 233, "request XML parsed with external entities and no limits: XXE and entity expansion"),
        (SEC, 260, 260, "the parser's error object sent to the caller"),
    ]),
    ("dvws_node", "controllers/storage.js", None, (SEC, ERR), [
        (SEC, 11, 12, "JWT verification accepts the 'none' algorithm and ignores expiry"),
        (SEC, 40, 42, "request JSON merged recursively into an object: prototype pollution"),
        (ERR, 43, 45, "an empty catch: a bad metadata document is dropped silently"),
        (SEC, 75, 78, "the uploaded file's own name joined into the path: path traversal"),
        (SEC, 80, 80, "the move error object sent to the caller"),
        (SEC, 90, 91, "the request's filename resolved and downloaded: path traversal"),
        (SEC, 107, 107, "the readdir error's text sent to the caller"),
    ]),
    ("retry_custom", "retry-logic.py", None, (RES, ERR), [
        (RES, 15, 17, "every retry waits the same 20 s: no backoff, no jitter"),
    ]),
    ("ikuta_servlets", "Servlet-17-ThreadSecurity-Count/src/com/ikuta/SomeServlet.java", None, (CON,), [
        (CON, 20, 20, "the servlet's counter field incremented by every request thread without a lock"),
    ]),
    ("mealdb", "cache.js", None, (CAC,), []),  # bounded: the oldest entry is evicted at max
    # round 13, held-apart part: scored once at the end of round 13, tuned part since round 14
    ("dsvw", "dsvw.py", None, (SEC,), [
        (SEC, 20, 20, "the users' passwords inserted as they are, unhashed" + ADDED_IN_ROUND_14),
        (SEC, 30, 30, "the id parameter concatenated into SQL: injection"),
        (SEC, 33, 33, "the v parameter written into the page unescaped: cross-site scripting"),
        (SEC, 35, 35, "the object parameter unpickled: remote code execution"),
        (SEC, 37, 37, "the path parameter opened as a file or fetched as a URL: path traversal and SSRF"),
        (SEC, 39, 39, "the domain parameter in a shell=True command: command injection"),
        (SEC, 41, 41, "request XML parsed with DTDs and entities resolved: XXE"),
        (SEC, 43, 43, "the name parameter formatted into an XPath query: injection"),
        (SEC, 46, 46, "the size parameter sets an unbounded amount of work: denial of service"),
        (SEC, 50, 50, "the comment formatted into the INSERT: SQL injection"),
        (SEC, 56, 57, "a file or URL named by the request read and exec'd: remote code inclusion"),
        (SEC, 61, 61, "the redir parameter is the refresh target: open redirect"),
        (SEC, 65, 65, "the callback parameter written unescaped before the JSON (JSONP): cross-site scripting"),
        (SEC, 67, 67, "the password concatenated into SQL: injection"),
        (SEC, 72, 72, "the traceback sent to the caller"),
    ]),
    ("pygoat", "dockerized_labs/insec_des_lab/main.py", None, (SEC,), [
        (SEC, 36, 36, "form data unpickled: remote code execution"),
        (SEC, 48, 48, "the exception's text sent to the caller"),
    ]),
    ("pygoat", "dockerized_labs/broken_auth_lab/app.py", None, (SEC, ERR, "configuration"), [
        (SEC, 8, 8, "the session secret written in the code"),
        (SEC, 13, 13, "an account password written in the code"),
        (SEC, 18, 18, "an account password written in the code"),
        (SEC, 41, 41, "passwords compared in clear"),
        (SEC, 45, 45, "the session token is base64 of the user name and time: anyone can forge it"),
        (SEC, 49, 51, "the session cookie set without httponly or secure"),
        (SEC, 68, 68, "the password stored in clear"),
        (SEC, 86, 86, "the reset token is an MD5 of the email and time: predictable"),
        (SEC, 91, 91, "the reset link, token included, shown to whoever asked"),
        (SEC, 94, 94, "'Email not found' tells a caller which emails have accounts"),
        (SEC, 111, 111, "the session is trusted by decoding the user name from the cookie: forged sessions"),
        (ERR, 117, 118, "a bare except: pass drops every error of the session check"),
        ("configuration", 123, 123, "the server runs with debug=True on every interface"),
    ]),
    ("webgoat", "src/main/java/org/owasp/webgoat/lessons/sqlinjection/introduction/SqlInjectionLesson5a.java", None,
     (SEC,), [
        (SEC, 47, 52, "the account name concatenated into SQL and executed: injection"),
        (SEC, 78, 78, "the SQL error's message sent to the caller"),
        (SEC, 81, 84, "the exception's message sent to the caller"),
    ]),
    ("webgoat", "src/main/java/org/owasp/webgoat/lessons/deserialization/InsecureDeserializationTask.java", None,
     (SEC, ERR), [
        (SEC, 42, 45, "a request token deserialized with ObjectInputStream: remote code execution"),
        (ERR, 57, 58, "every other exception reported as 'invalid version'; nothing logged"),
    ]),
    ("webgoat", "src/main/java/org/owasp/webgoat/lessons/cryptography/HashingAssignment.java", None, (SEC,), [
        (SEC, 37, 37, "the secret chosen with java.util.Random"),
        (SEC, 39, 39, "MD5 for a secret's hash"),
        (SEC, 55, 55, "the secret chosen with java.util.Random"),
    ]),
    ("webgoat", "src/main/java/org/owasp/webgoat/lessons/xxe/SimpleXXE.java", None, (SEC,), [
        (SEC, 60, 62, "the exception's stack trace sent to the caller"),
    ]),
    ("doe_examples", "EXAMPLES/post_to_rest.py", None, (RES,), [
        (RES, 9, 16, "requests.post without a timeout: a stalled server hangs the loop"),
    ]),
    ("doe_examples", "EXAMPLES/read_pdf_requests.py", None, (RES,), [
        (RES, 11, 11, "requests.get without a timeout"),
    ]),
    ("doe_examples", "EXAMPLES/web_content_consumer_requests.py", None, (RES, SEC), [
        (SEC, 6, 6, "an API key written in the code"),
        (RES, 14, 17, "requests.get without a timeout"),
    ]),
    ("doe_examples", "ANSWERS/fetch_xkcd_requests.py", None, (RES, ERR), [
        (RES, 11, 11, "requests.get without a timeout"),
    ]),
    ("gooseupdate", "src/generic/proxy/cache.js", None, (CAC,), []),  # entries expire: an hourly cleaner
    # round 14: held apart and scored once at the end of round 14; tuned part since round 15
    ("vulpy", "bad/libuser.py", None, (SEC, ERR), [
        (SEC, 8, 8, "every SQL statement, the login's password included, printed by the trace callback"),
        (SEC, 12, 12, "user name and password formatted into SQL: injection; passwords compared in clear"),
        (SEC, 25, 25, "user name and password formatted into the INSERT: injection; the password stored in clear"),
        (SEC, 49, 49, "every SQL statement, the new password included, printed by the trace callback"),
        (SEC, 53, 53, "the new password formatted into the UPDATE: injection; stored in clear"),
    ]),
    ("vulpy", "bad/libsession.py", None, (SEC, ERR), [
        (SEC, 6, 7, "the session cookie is unsigned base64 JSON of the user name (anyone forges it), set without "
                    "httponly or secure"),
        (ERR, 21, 22, "except Exception: pass: a bad session cookie is dropped silently"),
    ]),
    ("vulpy", "bad/libapi.py", None, (SEC,), [
        (SEC, 14, 14, "the API key drawn from random.getrandbits: predictable"),
        (SEC, 16, 16, "the user name from the request put into a glob pattern of files that are deleted"),
        (SEC, 33, 33, "the X-APIKEY header put into a glob pattern: a key of '*' matches every user's key"),
    ]),
    ("vulpy", "bad/mod_api.py", None, (SEC,), [
        (SEC, 62, 62, "the request's JSON merged over the authenticated user name: the caller posts as anyone"),
    ]),
    ("vulpy", "bad/libposts.py", None, (SEC, CON), []),  # parameterized queries; no threads
    ("vulpy", "bad/mod_posts.py", None, (SEC,), []),  # posts are public; creating one checks the session
    ("dvga", "core/helpers.py", None, (SEC, ERR), [
        (SEC, 9, 9, "os.popen runs whatever command line the resolvers build from request arguments"),
        (SEC, 21, 21, "the JWT decoded without verifying its signature or expiry: identities are forged"),
        (SEC, 25, 25, "the request's file name appended to the upload folder: path traversal"),
        (ERR, 28, 29, "every error of the write returned as if it were the content; nothing logged"),
    ]),
    ("dvga", "core/security.py", None, (SEC, ERR), [
        (ERR, 24, 25, "a bare except turns every error into 'Could not identify network'"),
        (SEC, 37, 37, "a command allowed by its prefix only: 'echo x; rm ...' passes"),
        (SEC, 45, 45, "only ';' and '&' stripped from a shell command: '|', '$()' and backticks still inject"),
        (SEC, 50, 55, "'Username is invalid' and 'Password Incorrect' tell a caller which accounts exist"),
        (SEC, 52, 52, "the password compared in clear with the stored one"),
    ]),
    ("dvga", "config.py", None, (SEC, "configuration"), [
        ("configuration", 11, 11, "debug on unless the environment turns it off"),
    ]),
    ("dvga", "core/views.py", None, (SEC, CON), [
        (SEC, 62, 63, "the caller's own JSON 'identity' decides whether passwords are returned"),
        (SEC, 141, 148, "any paste edited by its id: no owner or login check"),
        (SEC, 167, 167, "any paste deleted by its id: no owner or login check"),
        (SEC, 210, 211, "scheme, host and path from the request put into a curl command line: command injection "
                        "and SSRF"),
        (SEC, 234, 234, "the password looked up in clear: passwords are stored unhashed"),
        (SEC, 320, 320, "the filter argument formatted into raw SQL: injection"),
        (SEC, 345, 345, "the request's cmd run as a shell command after a prefix check"),
        (SEC, 352, 352, "the arg parameter formatted into a 'ps' command line: command injection"),
        (SEC, 387, 387, "every paste deleted by any caller: no authorization"),
        (SEC, 470, 475, "a request header switches the whole server's protections off"),
    ]),
    ("nodejs_goof", "routes/index.js", None, (SEC, ERR, CON), [
        (SEC, 52, 52, "body fields passed as a Mongo query (an object such as {$gt: ''} logs in as anyone); "
                      "passwords compared in clear"),
        (SEC, 73, 74, "the redirect goes to the request's redirectPage: open redirect"),
        (SEC, 174, 174, "a URL from the request body appended to a shell command: command injection"),
        (ERR, 211, 212, "an empty catch: a missing todo's error is dropped and the request never answered"),
        (ERR, 232, 234, "findById's error never read: a missing todo crashes the handler"),
        (SEC, 268, 270, "an uploaded zip extracted with its own entry paths: zip slip"),
        (SEC, 328, 328, "an account password written in the code"),
        (SEC, 330, 330, "the admin password drawn from Math.random"),
        (SEC, 339, 339, "passwords compared in clear"),
        (SEC, 360, 364, "the request's message merged recursively into an object: prototype pollution"),
    ]),
    ("nodejs_goof", "routes/users.js", None, (SEC,), [
        (SEC, 34, 34, "the caller sets its own role when the user is created: mass assignment"),
    ]),
    ("vuln_nodejs_app", "controllers/vuln_controller.js", (1, 286), (SEC, ERR, CON), [
        (SEC, 53, 53, "the request's ping field appended to a shell command: command injection"),
        (SEC, 79, 83, "URL parameters concatenated into SQL and executed: injection"),
        (SEC, 85, 85, "the database error object sent to the caller"),
        (ERR, 100, 100, "every error becomes 'Internal error occured!'; nothing logged"),
        (SEC, 111, 111, "request XML parsed with noent: external entities resolved (XXE)"),
        (SEC, 144, 144, "a cookie unserialized with node-serialize: code execution"),
        (SEC, 158, 161, "the request's path concatenated into an EJS template and rendered: template injection"),
        (SEC, 189, 190, "any user's notes read by the user id in the URL: no owner check"),
        (SEC, 231, 231, "the password hashed with unsalted MD5"),
        (ERR, 235, 236, "every error becomes 'Unexpected error occured'; nothing logged"),
        (SEC, 255, 255, "the request's orgname sent back as HTML: cross-site scripting"),
        (SEC, 261, 261, "the owner filter passed as findOne's second argument, which it ignores: any user sees "
                        "the first organisation"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/controllers/ActivityController.java", None, (SEC,), [
        (SEC, 73, 73, "any account's transactions read by the number in the URL: no check it is the user's"),
        (SEC, 88, 88, "a credit card number written to the log"),
        (SEC, 108, 108, "any account's transactions read by the posted number: no check it is the user's"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/controllers/DashboardController.java", None, (SEC, ERR, CON), [
        (SEC, 87, 87, "any user's details read by the user name in the request: no check it is the caller"),
        (ERR, 104, 106, "a missing file only prints the stack trace; the caller gets an empty answer"),
        (ERR, 107, 109, "an I/O error only prints the stack trace"),
        (SEC, 117, 118, "a URL from the request opened and streamed back: server-side request forgery"),
        (ERR, 128, 130, "a failed avatar save only prints the stack trace; the user is told nothing"),
        (SEC, 141, 141, "the certificate made for the account the request names: no check it is the caller"),
        (ERR, 160, 162, "every error only prints the stack trace"),
        (SEC, 173, 173, "MD5 for a file's checksum"),
        (SEC, 181, 182, "an uploaded file deserialized with ObjectInputStream: remote code execution"),
        (SEC, 185, 185, "the uploaded file's name written into HTML: cross-site scripting"),
        (SEC, 188, 188, "the uploaded file's name written into HTML: cross-site scripting"),
        (SEC, 210, 210, "MD5 for a file's checksum"),
        (CON, 213, 213, "the singleton controller's checksum field written by one request and read by others"),
        (ERR, 223, 225, "every error only prints the stack trace"),
        (SEC, 230, 230, "DES, a broken cipher"),
        (SEC, 232, 234, "the DES key written in the code, one byte of it from Math.random"),
        (ERR, 294, 296, "a failed copy only prints the stack trace"),
        (ERR, 303, 304, "an empty catch: a failed close is dropped silently"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/dao/AccountDaoImpl.java", None, (SEC, ERR), [
        (SEC, 33, 33, "the LDAP bind password written in the code"),
        (SEC, 47, 50, "the user name concatenated into an LDAP filter: LDAP injection"),
        (SEC, 58, 58, "user name and password concatenated into SQL: injection; passwords compared in clear"),
        (SEC, 77, 77, "the user name concatenated into SQL: injection"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/dao/ActivityDaoImpl.java", None, (SEC, ERR), [
        (SEC, 20, 22, "the account number concatenated into SQL and executed: injection"),
        (ERR, 35, 37, "every error of the insert printed and dropped: the transfer's record is lost silently"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/facade/StorageFacadeImpl.java", None, (SEC,), [
        (SEC, 18, 18, "the requested image name appended to the avatar folder: path traversal"),
        (SEC, 24, 24, "the requested image name appended to the avatar folder and the file served: path traversal"),
    ]),
    ("insecure_bank", "src/main/java/org/hdivsamples/security/CustomAuthenticationProvider.java", None, (ERR,), [
        (ERR, 48, 50, "a database error during login dropped: reported as bad credentials, nothing logged"),
    ]),
    # round 15, held apart: labelled by reading before any analyzer ran on them; scored once, at the end
    ("dvsa", _DVSA + "order/order_billing.py", None, (SEC, RES, ERR), [
        (SEC, 22, 22, "the whole event, the card details under 'billing' included, printed to the log"),
        (RES, 62, 62, "urllib3 request with no timeout (the PoolManager sets none): a stalled cart service hangs it"),
        (RES, 71, 71, "the payment request sent with no timeout"),
        (ERR, 118, 119, "a bare except after the payment went through: the failed order update is answered "
                        "'unknown error' and nothing is logged"),
    ]),
    ("dvsa", _DVSA + "processing/get_cart_total.py", None, (SEC,), [
        (SEC, 82, 82, "the item id from the request body concatenated into SQL: injection"),
    ]),
    ("dvsa", _DVSA + "admin/admin_update_orders.py", None, (SEC,), [
        (SEC, 51, 51, "the stored order decoded with jsonpickle: a crafted order field runs code"),
        (SEC, 81, 95, "the admin's identity read from the token's payload without verifying its signature, and no "
                      "admin role checked"),
    ]),
    ("dvsa", _DVSA + "order-manager/order-manager.js", None, (SEC, ERR), [
        (SEC, 10, 11, "request body and headers unserialized with node-serialize: code execution"),
        (SEC, 13, 16, "the user name read from the JWT payload without verifying its signature: anyone acts as "
                      "any user"),
        (ERR, 29, 29, "the Cognito promise has no catch (the try around it cannot catch a rejection): a failure "
                      "leaves the request unanswered"),
        (ERR, 155, 155, "the Lambda invocation's promise has no catch: a failed call leaves the request unanswered"),
        (ERR, 183, 185, "the catch only logs: the caller is never answered"),
    ]),
    ("dvsa", _DVSA + "admin/admin_shell.js", None, (SEC,), [
        (SEC, 9, 19, "admin rights decided by the userId the caller puts in the request body"),
        (SEC, 36, 36, "eval of the request's cmd"),
        (SEC, 45, 46, "the request's file name appended to /tmp and read: path traversal"),
    ]),
    ("dvsa", _DVSA + "processing/payment_processing.py", None, (SEC,), [
        (SEC, 46, 47, "the payment confirmation token drawn from random.choice: predictable"),
    ]),
    ("dvsa", _DVSA + "processing/feedback_uploads.py", None, (SEC,), [
        (SEC, 34, 34, "the uploaded object's key formatted into an os.system command (is_safe accepts anything): "
                      "command injection"),
    ]),
    ("dvsa", _DVSA + "admin/admin_tweet.py", None, (RES, ERR), [
        (RES, 27, 27, "urlopen with no timeout"),
        (ERR, 28, 29, "the error turned into the result text; json.loads of it then fails far from the cause"),
        (ERR, 61, 62, "a bare except: pass drops the failed write"),
        (RES, 109, 109, "urlopen with no timeout"),
        (ERR, 116, 117, "a bare except: pass drops every error of the tweet step"),
    ]),
    ("dvsa", _DVSA + "processing/send_receipt_email.py", None, (SEC, ERR), [
        (ERR, 47, 48, "a failed download or upload only printed: signed_link is then undefined and the mail step "
                      "fails later"),
        (SEC, 77, 92, "the customer's name and address from the order formatted into the HTML mail unescaped: "
                      "HTML injection"),
        (ERR, 119, 121, "a failed send printed, and the function still answers 'receipt email sent'"),
    ]),
    ("dvja", _DVJA + "controllers/ApiAction.java", None, (SEC,), [
        (SEC, 39, 44, "admin rights granted by a cookie the client sets (admin=1)"),
        (SEC, 75, 79, "an API open to anyone answers any login's e-mail address"),
    ]),
    ("dvja", _DVJA + "controllers/PingAction.java", None, (SEC,), [
        (SEC, 37, 37, "the exception's message shown to the caller"),
        (SEC, 45, 45, "the address parameter appended to a bash -c command: command injection"),
    ]),
    ("dvja", _DVJA + "services/UserService.java", None, (SEC,), [
        (SEC, 75, 75, "the login concatenated into a JPQL query: injection"),
        (SEC, 90, 90, "the reset key is the MD5 of the login: anyone can compute it"),
        (SEC, 93, 94, "the new password written to the log"),
        (SEC, 109, 109, "passwords hashed with unsalted MD5"),
    ]),
    ("dvja", _DVJA + "services/ProductService.java", None, (SEC,), [
        (SEC, 48, 48, "the search text concatenated into a JPQL query: injection"),
    ]),
    ("dvja", _DVJA + "controllers/Login.java", None, (SEC,), [
        (SEC, 50, 50, "the user put into the session the request came with: no new session id at login (fixation)"),
    ]),
    ("lets_be_bad_guys", "badguys/vulnerable/views.py", None, (SEC, ERR), [
        (SEC, 42, 42, "the p parameter joined onto the images folder and opened: path traversal"),
        (ERR, 65, 66, "a bare except: pass hides every failure of the unlink, not only a missing file"),
        (SEC, 72, 76, "the first_name form field base64-decoded and exec'd: code execution"),
        (ERR, 77, 78, "a bare except: pass drops every error"),
        (ERR, 79, 80, "a bare except: pass drops every error"),
        (SEC, 100, 100, "a cookie set without httponly or secure"),
        (SEC, 130, 134, "any user's profile read and changed by the id in the URL: no login or owner check"),
        (SEC, 157, 158, "the admin page shown to whoever adds action=admin: no access check"),
        (SEC, 178, 178, "redirects to the url parameter unchecked: open redirect"),
        (SEC, 183, 186, "the fwd parameter names any module function to run, admin included: unchecked forward"),
    ]),
    ("lets_be_bad_guys", "badguys/settings.py", None, (SEC, "configuration"), [
        ("configuration", 10, 10, "DEBUG = True in the settings the app runs with"),
        (SEC, 90, 90, "the secret key written in the code"),
        (SEC, 102, 102, "the CSRF middleware commented out: no view is protected from cross-site requests"),
        ("configuration", 180, 185, "the debug toolbar shown to any request that sends a debug parameter or cookie"),
    ]),
    ("fanpay", "multithreaded_parser.py", None, (RES, ERR, SEC, CON, PERF), [
        (RES, 41, 41, "requests.get with no timeout"),
        (RES, 44, 46, "every failure retried after the same 15 s, by recursion with no limit"),
        (ERR, 44, 46, "every error caught and never logged, and the retry's result dropped: the caller gets None"),
        (CON, 71, 80, "the UI's Tk variables read and reset from the scanning thread: tkinter is not thread-safe"),
        (SEC, 96, 96, "the Telegram bot token written in the code"),
        (RES, 95, 96, "requests.get with no timeout"),
        (PERF, 107, 107, "the page fetched on line 105 is fetched again instead of reusing root"),
        (CON, 108, 108, "a Tk variable set from the scanning thread"),
        (CON, 116, 116, "a Tk variable read from the scanning thread"),
    ]),
    ("fanpay", "SellersSet.py", None, (PERF,), [
        (PERF, 25, 28, "every add scans the whole set for the link: quadratic over a page (a dict by link is one "
                       "lookup)"),
    ]),
    ("vanchondo_sso", _SSO + "services/CaptchaValidatorService.java", None, (CON, SEC), [
        (SEC, 53, 56, "a request carrying the captcha secret skips the captcha (and, in UserService, the e-mail "
                      "check): a test back door in the service"),
        (CON, 67, 69, "read, increment, put on the shared attempts cache: concurrent failures lose counts"),
        (CON, 94, 94, "a blocking RestTemplate call on the WebFlux event-loop thread"),
    ]),
    ("vanchondo_sso", _SSO + "services/UserService.java", None, (SEC, ERR), [
        (SEC, 64, 68, "in test mode the verification token is the captcha response, the shared secret"),
        (SEC, 118, 118, "the verification token written to the log"),
        (SEC, 234, 234, "the stored password hash written to the log"),
    ]),
    ("vanchondo_sso", _SSO + "services/EmailService.java", None, (CON, PERF, ERR), [
        (ERR, 84, 86, "Mono.error returned as the callable's value and dropped by then(): the caller never learns "
                      "the send failed (UserService's clean-up never runs)"),
        (PERF, 96, 96, "a new FreeMarker Configuration, and its template cache, built for every e-mail"),
    ]),
    # one message for a wrong password and an unknown user; nothing blocking
    ("vanchondo_sso", _SSO + "services/AuthenticationService.java", None, (SEC, ERR), []),
    ("recrebot", "server/src/utils/memoFetch.ts", None, (RES, ERR, CAC), [
        (RES, 15, 16, "axios.get with no timeout"),
        (ERR, 18, 18, "the error dropped: a failure becomes {error: true}, nothing logged"),
        (RES, 19, 21, "delay() is not awaited: the five retries follow one another at once, no pause, no backoff"),
        (RES, 22, 23, "axios.get with no timeout"),
        (ERR, 25, 25, "the error dropped: a failure becomes {error: true}, nothing logged"),
        (CAC, 27, 27, "a failed answer cached like a good one: that URL is never fetched again"),
    ]),
    ("recrebot", "server/src/scraper/checkRecGovCamps.ts", None, (RES, ERR), [
        (RES, 38, 38, "awaits the flag, not the delay: the pause between requests never happens"),
        (RES, 46, 46, "awaits the flag, not the delay: the pause between requests never happens"),
        (RES, 75, 75, "awaits the flag, not the delay: the pause never happens"),
        (ERR, 116, 121, "the error logged only when a logError was passed (the caller passes none): dropped"),
    ]),
    ("recrebot", "server/src/scraper/scrapeWatcher.ts", None, (ERR, RES), [
        (ERR, 35, 35, "the scrape loop's promise neither awaited nor caught"),
        (ERR, 95, 95, "the success handler's promise neither awaited nor caught"),
        (RES, 98, 98, "rescheduled only when the whole pass succeeds: one error stops the watcher for good"),
    ]),
    ("recrebot", "server/src/utils/sendEmail.ts", None, (SEC, ERR), [
        (ERR, 11, 12, "an error thrown inside the readFile callback: no caller can catch it, the process dies"),
        (SEC, 31, 31, "the contact form's address and message written into the HTML mail unescaped"),
        (ERR, 33, 34, "the send is not awaited: callers hear success before it is sent and never learn of a failure"),
        (ERR, 64, 64, "an empty catch"),
        (ERR, 88, 88, "an empty catch"),
        (ERR, 104, 104, "an empty catch"),
        (ERR, 120, 120, "an empty catch"),
    ]),
    ("recrebot", "server/src/index.ts", None, (SEC, ERR), [
        (SEC, 61, 61, "the session cookie lives ten years"),
    ]),  # the two async handlers call helpers that catch their own errors
]


def build_hand(mirrors: Path) -> list[CorpusFile]:
    """The hand-labelled non-security files (HAND_FILES), written under `<part>/labelled/` (git-ignored)."""
    files = []
    for source, path, window, judged, spec in HAND_FILES:
        repo, commit, licence, part = HAND_SOURCES[source]
        lines = _git_show(mirrors, repo, commit, path).splitlines()
        first, last = window or (1, len(lines))
        shown = lines[first - 1 : last]
        labels = [Label(category, start - first + 1, end - first + 1, why) for category, start, end, why in spec]
        if any(label.line < 1 or label.end > len(shown) for label in labels):
            raise ValueError(f"{source} {path}: a label lies outside the file or window")
        source_path = path if window is None else f"{path}#L{first}-L{last}"
        rel = f"{part}/labelled/{source}/{path}"
        _write(HERE / rel, "\n".join(shown))
        files.append(CorpusFile(rel, part, source, repo, commit, source_path, licence, _language(path),
                                list(judged), sorted(labels, key=lambda x: (x.line, x.category))))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--only", action="append", metavar="SOURCE",
                        help="rebuild only these hand sources' files and replace their entries in labels.json "
                             "(the other sources' mirrors need not be on disk)")
    args = parser.parse_args()
    if args.only:
        global HAND_FILES  # noqa: PLW0603
        HAND_FILES = [f for f in HAND_FILES if f[0] in args.only]
        old = json.loads((HERE / "labels.json").read_text())
        kept = [f for f in old["files"] if f["source"] not in args.only]
        files = build_hand(args.mirrors)
        old["sources"].update({k: {"repo": v[0], "commit": v[1], "licence": v[2], "part": v[3]}
                               for k, v in HAND_SOURCES.items() if k in args.only})
        old["files"] = kept + [asdict(f) for f in files]
        (HERE / "labels.json").write_text(json.dumps(old, indent=1) + "\n")
        for f in files:
            print(f.part, f.source, f.path, len(f.labels), "labels")
        return
    files = build(args.mirrors) + build_hand(args.mirrors)
    payload = {"sources": {k: {"repo": v[0], "commit": v[1], "licence": v[2], "part": v[3]}
                           for k, v in {**SOURCES, **HAND_SOURCES}.items()},
               "files": [asdict(f) for f in files]}
    (HERE / "labels.json").write_text(json.dumps(payload, indent=1) + "\n")
    for part in ("tuned", "held_apart"):
        chosen = [f for f in files if f.part == part]
        by_language: dict[str, list[int]] = {}
        for f in chosen:
            count = sum(1 for _ in (HERE / f.path).read_text().splitlines())
            entry = by_language.setdefault(f.language, [0, 0, 0])
            entry[0] += 1
            entry[1] += count
            entry[2] += len(f.labels)
        print(part, {k: f"{v[0]} files, {v[1]} lines, {v[2]} labels" for k, v in by_language.items()})


if __name__ == "__main__":
    main()
