"""Ruff and archreview's Semgrep pack on OCR-read windows of real code: lines mapped back, one finding a problem,
fixes that apply, what was checked, SARIF a dashboard can place. Real ruff and real semgrep-core, one batch.

The code is real public code (each excerpt names its repository, commit, path and lines), cut into windows as a
screenshot shows them and damaged as OCR damages them.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
from report_factory import sample_report

from archreview.pipeline.analysis import run_analysis, run_analysis_many
from archreview.pipeline.analysis.external import semgrep as semgrep_module
from archreview.pipeline.analysis.external.base import ruff_rules
from archreview.pipeline.analysis.external.ruff import find_ruff
from archreview.pipeline.analysis.external.semgrep import find_semgrep_core
from archreview.pipeline.checks import describe_checks
from archreview.pipeline.errors import InputError
from archreview.pipeline.inputs import check_source_path
from archreview.pipeline.pairs import read_manifest
from archreview.pipeline.sarif import SRCROOT, to_sarif
from archreview.schemas import Analysis, AnalyzerRun, Code, Finding, Instruction

pytestmark = pytest.mark.skipif(
    find_ruff() is None or find_semgrep_core() is None, reason="ruff and semgrep-core are installed by `make`"
)

GENERAL = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])

# PyCQA/bandit 92080542688902ad1eb6af74cf16939fad767d29 examples/yaml_load.py lines 8-15: the body of a function
# (its `def` and the file's imports are off screen), the last call's closing parenthesis lost by the OCR.
PY_WINDOW = """    ystr = yaml.dump({'a': 1, 'b': 2, 'c': 3})
    y = yaml.load(ystr)
    yaml.dump(y
    try:
        y = yaml.load(ystr, Loader=yaml.CSafeLoader)
    except AttributeError:
        # CSafeLoader only exists if you build yaml with LibYAML
        y = yaml.load(ystr, Loader=yaml.SafeLoader)"""
# ajinabraham/njsscan b6ade853818a tests/assets/node_source/true_positives/semantic_grep/database/sql_injection.js 1-4
JS_WINDOW = """var mysql = require('mysql');

const pg = require('pg');
connection.query("SELECT * FROM bank_accounts WHERE dob = '" + req.body.dob + "' AND bank_account = '" + req.body.account_number + "'", function (error, results) { });"""  # noqa: E501
# OWASP-Benchmark/BenchmarkJava 79b9bd6177e07991a9c11dc19e457c840e229931
# src/main/java/org/owasp/benchmark/testcode/BenchmarkTest00024.java lines 30-42: a window inside a method.
JAVA_WINDOW = """        String sql = "SELECT * from USERS where USERNAME=? and PASSWORD='" + param + "'";

        try {
            java.sql.Connection connection =
                    org.owasp.benchmark.helpers.DatabaseHelper.getSqlConnection();
            java.sql.PreparedStatement statement =
                    connection.prepareStatement(
                            sql,
                            java.sql.ResultSet.TYPE_FORWARD_ONLY,
                            java.sql.ResultSet.CONCUR_READ_ONLY,
                            java.sql.ResultSet.CLOSE_CURSORS_AT_COMMIT);
            statement.setString(1, "foo");
            statement.execute();"""
# PyCQA/bandit 92080542688902ad1eb6af74cf16939fad767d29 examples/requests-ssl-verify-disabled.py lines 5-6, inside a
# handler that logs an error without its traceback (Ruff's TRY400 knows the fix).
FIX_WINDOW = """def fetch():
    try:
        requests.get('https://gmail.com', timeout=30, verify=True)
        requests.get('https://gmail.com', timeout=30, verify=False)
    except requests.RequestException:
        logging.error("fetch failed")"""

CODES = {
    "python": Code(text=PY_WINDOW, language="python", first_line=8, ocr_confidence=0.9),
    "javascript": Code(text=JS_WINDOW, language="javascript", first_line=1, ocr_confidence=0.9),
    "java": Code(text=JAVA_WINDOW, language="java", first_line=30, ocr_confidence=0.9),
    "fix": Code(text=FIX_WINDOW, language="python", first_line=20, ocr_confidence=0.95),
}


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    """Every window in one batch: ruff and semgrep-core each start once (counted)."""
    calls: list[list[str]] = []
    real_run = semgrep_module.subprocess.run

    def counting_run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "-targets" in command:
            calls.append(command)
        return real_run(command, **kwargs)  # type: ignore[call-overload, no-any-return]

    semgrep_module.subprocess.run = counting_run  # type: ignore[assignment]
    try:
        results = run_analysis_many(list(CODES.values()), [GENERAL] * len(CODES))
    finally:
        semgrep_module.subprocess.run = real_run
    assert len(calls) == 1, "semgrep-core must start once for the whole batch"
    return dict(zip(CODES, results, strict=True))


def _sources(finding: Finding) -> set[tuple[str, str]]:
    return {(s.tool, s.rule) for s in [finding.source, *finding.also_reported_by] if s is not None}


def _at(analysis: Analysis, rule_id: str, line: int) -> list[Finding]:
    return [
        f
        for f in analysis.findings
        if f.rule_id == rule_id and f.evidence[0].line_start <= line <= f.evidence[0].line_end
    ]


def test_ruff_reads_a_damaged_window_and_its_lines_map_back(analyses: dict[str, Analysis]) -> None:
    findings = _at(analyses["python"], "security/insecure-deserialization", 9)
    assert len(findings) == 1 and ("ruff", "S506") in _sources(findings[0])
    assert findings[0].evidence[0].quote == "y = yaml.load(ystr)"  # verbatim from the shown line 9
    # the safe loaders on lines 12 and 15 are not flagged
    flagged = {f.evidence[0].line_start for f in analyses["python"].findings if f.rule_id.startswith("security/")}
    assert not flagged & {12, 15}
    ruff = next(run for run in analyses["python"].analyzers if run.name == "ruff")
    assert ruff.status == "ran" and ruff.version


def test_without_the_repair_ruff_finds_nothing_in_that_window(tmp_path: Path) -> None:
    shown = tmp_path / "shown.py"
    shown.write_text(PY_WINDOW + "\n", encoding="utf-8")
    done = subprocess.run(
        [
            str(find_ruff()),
            "check",
            "--isolated",
            "--no-cache",
            "--exit-zero",
            "--select",
            "S506",
            "--output-format",
            "json",
            str(shown),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not [item for item in json.loads(done.stdout) if item["code"] == "S506"]


def test_semgrep_pack_finds_sql_injection_in_javascript_and_java(analyses: dict[str, Analysis]) -> None:
    (js,) = _at(analyses["javascript"], "security/sql-injection", 4)
    assert ("semgrep", "js-sql-concat") in _sources(js)
    java = [f for f in analyses["java"].findings if f.rule_id == "security/sql-injection"]
    assert java and any(("semgrep", "java-sql-concat") in _sources(f) for f in java)
    lines = {n for f in java for e in f.evidence for n in range(e.line_start, e.line_end + 1)}
    assert lines & set(range(35, 41))  # the prepareStatement call, numbered as shown (window starts at 30)


def test_one_finding_per_problem_across_analyzers(analyses: dict[str, Analysis]) -> None:
    for analysis in analyses.values():
        keys = [(f.rule_id, f.evidence[0].line_start) for f in analysis.findings]
        assert len(keys) == len(set(keys))
    merged = [f for a in analyses.values() for f in a.findings if f.also_reported_by]
    assert merged, "some problem was reported by two analyzers and merged"
    for finding in merged:
        assert finding.source is not None and finding.source not in finding.also_reported_by


def test_focus_ranks_first() -> None:
    focus = Instruction(text="error handling?", source="text", intent="general_review", focus=["error-handling"])
    ranked = run_analysis(CODES["fix"], focus).findings
    categories = [f.category for f in ranked]
    assert categories[0] == "error-handling" and "security" in categories
    assert categories.index("security") > max(i for i, c in enumerate(categories) if c == "error-handling")


def _apply(code: Code, diff: str, tmp_path: Path) -> list[str]:
    """Apply `diff` (numbered as shown) with patch(1) to the shown lines, placed at their shown numbers."""
    target = tmp_path / "shown.txt"
    target.write_text("\n" * (code.first_line - 1) + code.text + "\n", encoding="utf-8")
    subprocess.run(["patch", "-s", str(target)], input=diff, text=True, check=True)
    return target.read_text(encoding="utf-8").split("\n")[code.first_line - 1 :]


def test_ruff_fix_and_templated_fix_apply_to_the_shown_lines(analyses: dict[str, Analysis], tmp_path: Path) -> None:
    code = CODES["fix"]
    (logged,) = _at(analyses["fix"], "error-handling/traceback-not-logged", 25)
    assert logged.source is not None and logged.source.rule == "TRY400" and logged.fix_diff
    fixed = _apply(code, logged.fix_diff, tmp_path)
    assert fixed[5] == '        logging.exception("fetch failed")'
    assert fixed[:5] == code.text.split("\n")[:5]

    (tls,) = _at(analyses["fix"], "security/tls-verification-disabled", 23)
    assert tls.fix_diff is not None
    fixed = _apply(code, tls.fix_diff, tmp_path)
    assert fixed[3] == "        requests.get('https://gmail.com', timeout=30, verify=True)"


def test_every_finding_names_its_tool_and_rule(analyses: dict[str, Analysis]) -> None:
    for analysis in analyses.values():
        for finding in analysis.findings:
            assert finding.source is not None and finding.source.tool in ("archreview", "ruff", "semgrep")
            assert finding.source.rule


def test_what_was_checked_when_the_focus_finds_nothing(analyses: dict[str, Analysis]) -> None:
    caching = Instruction(text="any caching problems?", source="text", intent="performance_review", focus=["caching"])
    analysis = analyses["python"]
    text = describe_checks(caching, CODES["python"], analysis.analyzers, analysis.findings)
    assert "lines 8-15 (8 lines of python)" in text
    assert "ruff 0.17" in text and "semgrep 1.185" in text and "archreview" in text
    assert "Nothing was found in caching:" in text and "archreview" in text.split("Nothing was found in caching:")[1]


def test_sarif_places_results_in_the_source_file(
    analyses: dict[str, Analysis], tmp_path: Path, shared_data: Path
) -> None:
    report = sample_report(tmp_path / "shot.png")
    analysis = analyses["fix"]
    report = report.model_copy(
        update={
            "code": CODES["fix"],
            "findings": analysis.findings,
            "inputs": report.inputs.model_copy(update={"source_path": "src/fetch.py"}),
            "provenance": report.provenance.model_copy(update={"analyzers": analysis.analyzers}),
        }
    )
    log = to_sarif(type(report).model_validate(report.model_dump()))
    schema = json.loads((shared_data / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert all(loc == {"uri": "src/fetch.py", "uriBaseId": SRCROOT} for loc in locations)
    assert not any(Path(loc["uri"]).is_absolute() for loc in locations)
    ruff = next(ext for ext in run["tool"]["extensions"] if ext["name"] == "ruff")
    assert "TRY400" in [rule["id"] for rule in ruff["rules"]]
    # every rule each tool ran is listed, not only those that reported something
    assert len(ruff["rules"]) == len(ruff_rules()) and "S608" in [rule["id"] for rule in ruff["rules"]]
    semgrep = next(ext for ext in run["tool"]["extensions"] if ext["name"] == "semgrep")
    python_pack = {rule.id for rule in semgrep_module.pack_rules().values() if "python" in rule.languages}
    assert {rule["id"] for rule in semgrep["rules"]} == python_pack and "py-sql-tainted" in python_pack
    with_fix = [r for r in run["results"] if "fixes" in r]
    assert with_fix and with_fix[0]["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == "src/fetch.py"
    screenshot = next(a for a in run["artifacts"] if "attachment" in a["roles"])
    assert screenshot["location"]["uri"] == "shot.png" and screenshot["hashes"]["sha-256"]
    assert all(r["attachments"][0]["artifactLocation"]["uri"] == "shot.png" for r in run["results"])


def test_source_path_is_checked_and_read_from_manifests(tmp_path: Path) -> None:
    assert check_source_path("src\\app.py") == "src/app.py"
    assert check_source_path("./src/app.py") == "src/app.py"
    for bad in ("../outside.py", "/etc/passwd", "C:/x.py", "", "a/\x00.py"):
        with pytest.raises(InputError):
            check_source_path(bad)
    (tmp_path / "a.png").write_bytes(b"")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"image": "a.png", "instruction": "x", "source_path": "src/a.py"}) + "\n")
    (spec,) = read_manifest(manifest)
    assert spec.source_path == "src/a.py"


def test_a_missing_tool_is_reported_as_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semgrep_module, "find_semgrep_core", lambda: None)
    analysis = run_analysis(Code(text="x = 1", language="python", first_line=1, ocr_confidence=1.0), GENERAL)
    runs = {run.name: run for run in analysis.analyzers}
    assert runs["semgrep"].status == "skipped" and "not installed" in runs["semgrep"].detail
    assert runs["ruff"].status == "ran"
    text = describe_checks(
        GENERAL,
        Code(text="x = 1", language="python", first_line=1, ocr_confidence=1.0),
        [AnalyzerRun(name="semgrep", status="skipped", detail="not installed")],
        [],
    )
    assert "semgrep (skipped: not installed)" in text


def test_a_weak_password_hash_is_one_finding() -> None:
    # the shape of samples' admin_tools line 13: archreview's weak-password-hash and Ruff's S324 name one problem
    code = Code(
        text="def digest(password):\n    return hashlib.md5(password.encode()).hexdigest()",
        language="python",
        first_line=12,
        ocr_confidence=0.95,
    )
    on_line = [f for f in run_analysis(code, GENERAL).findings if f.evidence[0].line_start == 13]
    assert len(on_line) == 1 and on_line[0].rule_id == "security/weak-password-hash"
    assert ("ruff", "S324") in _sources(on_line[0])


PACK_CASES = Path(__file__).parent / "semgrep_pack"
_LANGUAGE_OF = {".java": "java", ".js": "javascript", ".ts": "typescript", ".py": "python"}
_ANNOTATION = re.compile(r"(?://|#)\s*(ruleid|ok):\s*([\w-]+(?:\s*,\s*[\w-]+)*)")


def _annotated_cases() -> list[tuple[Path, str, dict[int, set[str]], dict[int, set[str]]]]:
    """Each case file of the pack, with the lines its `ruleid:` / `ok:` comments say must / must not be reported."""
    cases = []
    for path in sorted(PACK_CASES.iterdir()):
        expected: dict[int, set[str]] = {}
        allowed_not: dict[int, set[str]] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
            match = _ANNOTATION.search(line)
            if match:
                table = expected if match.group(1) == "ruleid" else allowed_not
                table.setdefault(number + 1, set()).update(r.strip() for r in match.group(2).split(","))
        cases.append((path, _LANGUAGE_OF[path.suffix], expected, allowed_not))
    return cases


@pytest.fixture(scope="module")
def pack_hits() -> dict[str, dict[int, set[str]]]:
    """The pack's matches on every case file, in one semgrep-core call: by file name, line -> rules."""
    cases = _annotated_cases()
    texts = [(path.read_text(encoding="utf-8"), language) for path, language, _, _ in cases]
    outcome = semgrep_module.run_semgrep(texts)
    assert outcome.status == "ran", outcome.detail
    hits: dict[str, dict[int, set[str]]] = {}
    for (path, _, _, _), found in zip(cases, outcome.hits, strict=True):
        for hit in found:
            hits.setdefault(path.name, {}).setdefault(hit.row, set()).add(hit.rule)
    return hits


def test_every_pack_rule_has_a_positive_and_a_negative_case() -> None:
    positive = {rule for _, _, expected, _ in _annotated_cases() for rules in expected.values() for rule in rules}
    negative = {rule for _, _, _, ok in _annotated_cases() for rules in ok.values() for rule in rules}
    rules = set(semgrep_module.pack_rules())
    assert rules - positive == set(), "rules without a case they must report"
    assert rules - negative == set(), "rules without a case they must leave alone"
    assert (positive | negative) - rules == set(), "cases name rules the pack lacks"


@pytest.mark.parametrize("case", [path.name for path, *_ in _annotated_cases()])
def test_pack_reports_exactly_the_annotated_lines(case: str, pack_hits: dict[str, dict[int, set[str]]]) -> None:
    path, _, expected, ok = next(c for c in _annotated_cases() if c[0].name == case)
    found = pack_hits.get(case, {})
    missed = {(line, rule) for line, rules in expected.items() for rule in rules if rule not in found.get(line, set())}
    wrong = {(line, rule) for line, rules in ok.items() for rule in rules if rule in found.get(line, set())}
    extra = {(line, rule) for line, rules in found.items() for rule in rules if rule not in expected.get(line, set())}
    assert not missed, f"{case}: expected reports missing (line, rule): {sorted(missed)}"
    assert not wrong, f"{case}: reported where the case says ok: {sorted(wrong)}"
    assert not extra, f"{case}: reported on lines no case names: {sorted(extra)}"


def _tool_rules(text: str) -> set[tuple[str, str]]:
    code = Code(text=text, language="python", first_line=1, ocr_confidence=1.0)
    return {source for finding in run_analysis(code, GENERAL).findings for source in _sources(finding)}


def test_ruff_rules_that_flag_every_use_are_kept_only_where_the_use_is_risky() -> None:
    """S311 (any random), S324 (any MD5), PLR0913 (keyword-only parameters counted) and TRY400 before a re-raise:
    kept only where archreview's own judgment of the use agrees (h6: precision on code nobody here wrote)."""
    benign = (
        "import hashlib\nimport logging\nimport random\n\n"
        "def avatar(email):\n    digest = hashlib.md5(email.encode()).hexdigest()\n"
        "    return f'https://www.gravatar.com/avatar/{digest}'\n\n"
        "def roll():\n    return random.randint(1, 6)\n\n"
        "def get(url, *, params=None, headers=None, cookies=None, auth=None, timeout=None, follow=False):\n"
        "    return send(url, params, headers, cookies, auth, timeout, follow)\n\n"
        "def init(engine):\n    try:\n        engine.connect()\n    except Exception as e:\n"
        "        logging.error(e)\n        raise e\n"
    )
    assert not {
        rule for tool, rule in _tool_rules(benign) if tool == "ruff" and rule in ("S311", "S324", "PLR0913", "TRY400")
    }
    risky = (
        "import hashlib\nimport random\nimport string\n\n"
        "def store(password):\n    return hashlib.md5(password.encode()).hexdigest()\n\n"
        "def reset_token():\n    return ''.join(random.choice(string.ascii_letters) for _ in range(16))\n\n"
        "def move(a, b, c, d, e, f, g):\n    return a + b + c + d + e + f + g\n"
    )
    found = {rule for tool, rule in _tool_rules(risky) if tool == "ruff"}
    assert {"S311", "S324", "PLR0913"} <= found


def test_a_broad_except_that_reports_what_it_caught_is_handled_one_that_drops_it_is_not() -> None:
    """Ruff's BLE001 flags every `except Exception`; kept only where the handler drops the exception it caught."""
    reported = (
        "import time\n\ndef run(client, query):\n    start = time.time()\n    try:\n"
        "        client.execute(query)\n    except Exception as e:\n"
        "        events.fire(name='query', elapsed=time.time() - start, exception=e)\n"
    )
    assert ("ruff", "BLE001") not in _tool_rules(reported)
    dropped = reported.replace("exception=e)", "exception=None)")
    assert ("ruff", "BLE001") in _tool_rules(dropped)


def test_a_broad_except_that_keeps_the_formatted_traceback_reports_it() -> None:
    kept = (
        "import traceback\n\n\ndef run(query):\n    data, error = None, None\n    try:\n        data = execute(query)\n"
        "    except Exception:\n        error = traceback.format_exc()\n    return data, error\n"
    )
    dropped = kept.replace("        error = traceback.format_exc()\n", "        error = 'failed'\n")
    assert ("ruff", "BLE001") not in _tool_rules(kept)
    assert ("ruff", "BLE001") in _tool_rules(dropped)
