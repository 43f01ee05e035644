"""archreview's own Semgrep rule pack over the code of a batch: one engine call for every text.

The pack (`semgrep_rules/*.yml`, written for this project) covers Python, JavaScript, TypeScript
and Java. It runs on `semgrep-core`, the LGPL matching engine inside the `semgrep` package, called
directly with a targets file: the `semgrep` command's Python start-up (about 2.4 s a call on 2
cores) is what makes it slow, the engine itself reads the pack and a batch in a few tenths of a second.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from archreview.pipeline.analysis.external.base import SEMGREP, RawHit, ToolOutcome
from archreview.pipeline.analysis.rules import RULES

SEMGREP_TIMEOUT_S = 60
RULE_TIMEOUT_S = 5  # per rule and file, so one pathological text cannot stall a batch
# archreview language -> (semgrep analyzer, file suffix)
ANALYZERS: dict[str, tuple[str, str]] = {
    "python": ("python", ".py"),
    "javascript": ("javascript", ".js"),
    "typescript": ("typescript", ".ts"),
    "java": ("java", ".java"),
}


@dataclass(frozen=True)
class PackRule:
    """One rule of the pack and the catalogue entry it is filed under."""

    id: str
    rule_id: str
    languages: tuple[str, ...]
    message: str


def _rules_folder() -> Path:
    return Path(str(resources.files("archreview.pipeline.analysis.external") / "semgrep_rules"))


@functools.cache
def pack_rules() -> dict[str, PackRule]:
    """The pack's rules by id, read from the YAML files (a small reader: the pack keeps one layout).

    Raises:
        ValueError: a rule names no catalogue entry or one the catalogue lacks.
    """
    rules: dict[str, PackRule] = {}
    for path in sorted(_rules_folder().glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        for block in re.split(r"\n  - id: ", "\n" + text)[1:]:
            rule = block.split("\n", 1)[0].strip()
            mapped = re.search(r"archreview_rule: ([a-z-]+/[a-z0-9-]+)", block)
            languages = re.search(r"languages: \[([^\]]+)\]", block)
            message = re.search(r"message: (.+)", block)
            if mapped is None or mapped.group(1) not in RULES or languages is None or message is None:
                raise ValueError(f"{path.name}: rule {rule!r} needs languages, a message and a known archreview_rule")
            rules[rule] = PackRule(
                rule, mapped.group(1), tuple(x.strip() for x in languages.group(1).split(",")), message.group(1)
            )
    return rules


def find_semgrep_core() -> str | None:
    """The semgrep-core engine: beside this interpreter, on PATH, or inside an installed `semgrep` package."""
    beside = Path(sys.executable).parent / "semgrep-core"
    if beside.is_file():
        return str(beside)
    on_path = shutil.which("semgrep-core")
    if on_path:
        return on_path
    try:
        import importlib.util

        spec = importlib.util.find_spec("semgrep")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    bundled = Path(spec.origin).parent / "bin" / "semgrep-core"
    return str(bundled) if bundled.is_file() else None


def _rules_for(languages: set[str]) -> list[str]:
    """The rule files' bodies that cover any of `languages` (the engine's start-up grows with the rules it reads)."""
    bodies = []
    for path in sorted(_rules_folder().glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        covered = {language for match in re.findall(r"languages: \[([^\]]+)\]", text) for language in
                   (x.strip() for x in match.split(","))}
        if covered & languages:
            bodies.append(text.split("rules:\n", 1)[1])
    return bodies


@functools.cache
def _version(executable: str) -> str | None:
    try:
        done = subprocess.run([executable, "-version"], capture_output=True, text=True, timeout=SEMGREP_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\d+\.\d+\.\d+", done.stdout + done.stderr)
    return match.group(0) if match else None


def run_semgrep(texts: Sequence[tuple[str, str]]) -> ToolOutcome:
    """The pack's matches for each (text, archreview language) of `texts`, in one engine call.

    Texts in a language the pack does not cover get no hits.

    Returns:
        The outcome: `hits[i]` holds text i's matches, or status skipped / failed with the reason.
    """
    executable = find_semgrep_core()
    if executable is None:
        return ToolOutcome(SEMGREP, None, "skipped", "semgrep is not installed (make semgrep)")
    covered = [i for i, (_, language) in enumerate(texts) if language in ANALYZERS]
    hits: list[list[RawHit]] = [[] for _ in texts]
    version = _version(executable)
    if not covered:  # nothing to scan; each text's record says why, as it does in a batch that scans others
        return ToolOutcome(SEMGREP, version, "ran", "no code in a language the rule pack covers", hits)
    rules = pack_rules()
    with tempfile.TemporaryDirectory(prefix="archreview-semgrep-") as folder:
        root = Path(folder)
        pack = root / "pack.yml"
        pack.write_text("rules:\n" + "".join(_rules_for({texts[i][1] for i in covered})), encoding="utf-8")
        targets: list[object] = []
        index_of: dict[str, int] = {}
        for index in covered:
            text, language = texts[index]
            analyzer, suffix = ANALYZERS[language]
            path = root / f"shown_{index}{suffix}"
            path.write_text(text, encoding="utf-8")
            index_of[str(path)] = index
            targets.append(
                ["CodeTarget", {"path": {"fpath": str(path), "ppath": f"/{path.name}"}, "analyzer": analyzer,
                                "products": ["sast"]}]
            )
        targets_file = root / "targets.json"
        targets_file.write_text(json.dumps(["Targets", targets]), encoding="utf-8")
        command = [executable, "-json", "-rules", str(pack), "-targets", str(targets_file),
                   "-timeout", str(RULE_TIMEOUT_S), "-j", "1"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=SEMGREP_TIMEOUT_S, cwd=folder)
        except (OSError, subprocess.SubprocessError) as e:
            return ToolOutcome(SEMGREP, version, "failed", f"semgrep-core did not run: {e}", hits)
        last = done.stdout.strip().rsplit("\n", 1)[-1] if done.stdout.strip() else ""
        if done.returncode != 0 or not last.startswith("{"):
            return ToolOutcome(
                SEMGREP, version, "failed", f"semgrep-core exited {done.returncode}: {done.stderr.strip()[-200:]}", hits
            )
        output = json.loads(last)
    for match in output.get("results", []):
        owner = index_of.get(match["path"])
        rule = rules.get(match["check_id"].rsplit(".", 1)[-1])
        if owner is None or rule is None:
            continue
        hits[owner].append(RawHit(rule.id, match["start"]["line"], match["end"]["line"], rule.message))
    return ToolOutcome(SEMGREP, version, "ran", f"{len(rules)} rules of archreview's pack", hits)
