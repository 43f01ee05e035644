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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    files = build(args.mirrors)
    payload = {"sources": {k: {"repo": v[0], "commit": v[1], "licence": v[2], "part": v[3]}
                           for k, v in SOURCES.items()},
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
