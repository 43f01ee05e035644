"""The review report: the versioned contract that consumers read.

Field names here are fixed (see the README); change them only with a
schema version bump.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION: Final = "1.2"

Status = Literal["success", "partial", "failed"]
Intent = Literal[
    "architecture_review",
    "security_review",
    "performance_review",
    "explain_code",
    "general_review",
]
Category = Literal[
    "coupling",
    "layering",
    "cohesion",
    "concurrency",
    "caching",
    "error-handling",
    "security",
    "performance",
    "resilience",
    "configuration",
]
Severity = Literal["info", "low", "medium", "high", "critical"]
InstructionSource = Literal["speech", "text"]
ReportLanguage = Literal["en", "zh"]

CATEGORIES: tuple[Category, ...] = Category.__args__  # type: ignore[attr-defined]
INTENTS: tuple[Intent, ...] = Intent.__args__  # type: ignore[attr-defined]
SEVERITIES: tuple[Severity, ...] = Severity.__args__  # type: ignore[attr-defined]
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}


class StrictModel(BaseModel):
    """Base for every contract: unknown keys fail loudly."""

    model_config = ConfigDict(extra="forbid")


class ImageInput(StrictModel):
    path: str = Field(description="Path of the screenshot as given.")
    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    width: int = Field(ge=1, description="Width in pixels.")
    height: int = Field(ge=1, description="Height in pixels.")
    format: str = Field(description="Image format as detected from the content (PNG, JPEG, ...).")


class AudioInput(StrictModel):
    path: str = Field(description="Path of the voice instruction as given.")
    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    duration_s: float = Field(ge=0, description="Duration in seconds.")


class DocumentInput(StrictModel):
    path: str = Field(description="Path of the context document as given.")
    sha256: str = Field(description="SHA-256 of the file's bytes, hex.")
    chars: int = Field(ge=0, description="Characters of text it holds.")


class Inputs(StrictModel):
    image: ImageInput = Field(description="The (first) screenshot.")
    more_images: list[ImageInput] = Field(
        default_factory=list, description="Further screenshots of the same file, numbered on from the first (1.1)."
    )
    audio: AudioInput | None = None
    document: DocumentInput | None = Field(default=None, description="A text document given as context (1.1).")
    source_path: str | None = Field(
        default=None,
        description="The source file the screenshot shows, relative to the repository root (src/app.py) (1.2).",
    )


class Instruction(StrictModel):
    text: str = Field(description="What the user asked, spoken or typed.")
    source: InstructionSource
    intent: Intent
    focus: list[Category] = Field(default_factory=list, description="Categories the user asked about.")


class Segment(StrictModel):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    text: str


class Transcript(StrictModel):
    text: str
    language: str = Field(description="Language code, e.g. 'en'.")
    segments: list[Segment] = Field(default_factory=list)
    model: str = Field(description="Speech model that produced it.")


class Code(StrictModel):
    text: str = Field(description="Code as read from the image: one line per line shown, indentation kept.")
    language: str = Field(description="python, javascript, typescript, java, go, ... or unknown.")
    first_line: int = Field(ge=0, description="Number of the first line shown (its gutter number, else 1).")
    ocr_confidence: float = Field(ge=0, le=1)
    line_confidence: list[float] | None = Field(
        default=None,
        description="OCR confidence of each line of `text`, 0..1, in order (a blank line 1); None when not known.",
    )
    read_by: list[str] | None = Field(
        default=None, description="The OCR engines whose readings the code holds (tesseract, rapidocr); None: unknown."
    )

    def line(self, number: int) -> str | None:
        """The text of line `number` (as shown), or None when it is not shown."""
        index = number - self.first_line
        lines = self.text.split("\n")
        if 0 <= index < len(lines):
            return lines[index]
        return None

    @property
    def last_line(self) -> int:
        return self.first_line + len(self.text.split("\n")) - 1


class Component(StrictModel):
    name: str
    kind: str = Field(description="class, function, method, interface, module, ...")
    line_start: int = Field(ge=0)
    line_end: int = Field(ge=0)


class Dependency(StrictModel):
    source: str
    target: str
    kind: str = Field(description="import, call, inherits, instantiates, ...")


class Architecture(StrictModel):
    components: list[Component] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)


class Evidence(StrictModel):
    line_start: int = Field(ge=0)
    line_end: int = Field(ge=0)
    quote: str = Field(description="Text of the cited lines (or a part of them), as in code.text.")

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if self.line_end < self.line_start:
            raise ValueError(f"line_end {self.line_end} is before line_start {self.line_start}")
        return self


class FindingSource(StrictModel):
    """Which analyzer reported a finding, and under which of its own rules (1.2)."""

    tool: str = Field(description="archreview, ruff or semgrep.")
    rule: str = Field(description="The tool's own rule id, e.g. S608 (ruff) or java-sql-concat (semgrep).")


class Finding(StrictModel):
    id: str = Field(description="Finding id, unique within a report (F1, F2, ...).")
    rule_id: str = Field(description="Stable rule id from the rules catalogue, e.g. security/hardcoded-secret.")
    title: str
    category: Category
    severity: Severity
    confidence: float = Field(ge=0, le=1)
    evidence: list[Evidence] = Field(min_length=1)
    rationale: str
    recommendation: str
    source: FindingSource | None = Field(
        default=None, description="The analyzer whose finding this is (1.2); None: not recorded (1.1 reports)."
    )
    also_reported_by: list[FindingSource] = Field(
        default_factory=list, description="Other analyzers that reported the same problem, merged into this one (1.2)."
    )
    fix_diff: str | None = Field(
        default=None, description="A suggested fix: a unified diff against the lines shown, numbered as shown (1.2)."
    )


class BackendInfo(StrictModel):
    name: str
    model: str | None = None
    version: str | None = None


class AnalyzerRun(StrictModel):
    """One static analyzer of a review: whether it ran, and over what (1.2)."""

    name: str = Field(description="archreview, ruff or semgrep.")
    version: str | None = None
    status: Literal["ran", "skipped", "failed"]
    detail: str = Field(default="", description="What it checked (rules, lines), or why it was skipped or failed.")


class Provenance(StrictModel):
    backends: dict[str, BackendInfo] = Field(default_factory=dict, description="ocr, speech, fusion.")
    device: str = "cpu"
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Milliseconds a stage.")
    analyzers: list[AnalyzerRun] = Field(
        default_factory=list, description="The static analyzers of the analysis stage and what each checked (1.2)."
    )


class StageError(StrictModel):
    stage: str = Field(description="inputs, vision, speech, analysis, fusion, report or render.")
    code: str = Field(description="Stable machine-readable code, e.g. no_code_found.")
    message: str


def evidence_problem(code: Code, evidence: Evidence) -> str | None:
    """Why `evidence` is not grounded in `code`, or None when it is."""
    cited = [code.line(n) for n in range(evidence.line_start, evidence.line_end + 1)]
    if any(line is None for line in cited):
        return (
            f"lines {evidence.line_start}-{evidence.line_end} are not all shown "
            f"(code has lines {code.first_line}-{code.last_line})"
        )
    quote = evidence.quote.strip()
    if not quote or quote not in "\n".join(line for line in cited if line is not None):
        return f"quote {evidence.quote!r} does not match line {evidence.line_start}"
    return None


class ReviewReport(StrictModel):
    """One review of one screenshot and one instruction."""

    schema_version: Literal["1.2"] = SCHEMA_VERSION
    id: str = Field(description="Hash of the inputs' content and the options.")
    status: Status
    created_at: datetime
    inputs: Inputs
    instruction: Instruction
    transcript: Transcript | None = None
    code: Code
    architecture: Architecture = Field(default_factory=Architecture)
    findings: list[Finding] = Field(default_factory=list)
    summary: str
    provenance: Provenance = Field(default_factory=Provenance)
    errors: list[StageError] = Field(default_factory=list)
    report_language: ReportLanguage = Field(
        default="en",
        description="Language the summary and the findings' titles, rationales and recommendations are written in: "
        "en or zh (simplified Chinese) (1.2).",
    )

    @model_validator(mode="after")
    def _grounded(self) -> ReviewReport:
        ids = [f.id for f in self.findings]
        if len(set(ids)) != len(ids):
            raise ValueError("finding ids are not unique")
        for finding in self.findings:
            for evidence in finding.evidence:
                problem = evidence_problem(self.code, evidence)
                if problem:
                    raise ValueError(f"finding {finding.id}: {problem}")
        return self
