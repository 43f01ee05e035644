"""A small, valid review report built by hand, for tests of the renderers and validators."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from archreview.schemas import (
    Code,
    Evidence,
    Finding,
    ImageInput,
    Inputs,
    Instruction,
    ReviewReport,
    StageError,
    Transcript,
)

CODE_LINES = [
    "import requests",
    "",
    "class Client:",
    "    def get(self, url):",
    "        return requests.get(url, verify=False)",
    "",
    "    def find(self, db, name):",
    '        return db.execute("SELECT * FROM t WHERE n=\'" + name + "\'")',
]


def _finding(number: int, rule: str, category: str, severity: str, line: int, title: str) -> Finding:
    return Finding(
        id=f"F{number}",
        rule_id=rule,
        title=title,
        category=category,
        severity=severity,  # type: ignore[arg-type]
        confidence=0.85,
        evidence=[Evidence(line_start=line, line_end=line, quote=CODE_LINES[line - 1].strip())],
        rationale="An attacker controls this input.",
        recommendation="Use bound parameters.",
    )


def sample_report(image_path: Path, *, status: str = "success") -> ReviewReport:
    """A report with three findings on an 8-line Python snippet whose screenshot is `image_path`."""
    Image.new("RGB", (320, 160), (40, 44, 52)).save(image_path)
    return ReviewReport(
        id="0123456789abcdef0123456789abcdef",
        status=status,  # type: ignore[arg-type]
        created_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        inputs=Inputs(image=ImageInput(path=str(image_path), sha256="ab" * 32, width=320, height=160, format="PNG")),
        instruction=Instruction(
            text="find the security problems", source="speech", intent="security_review", focus=["security"]
        ),
        transcript=Transcript(text="Find the security problems.", language="en", model="faster-whisper:tiny.en"),
        code=Code(text="\n".join(CODE_LINES), language="python", first_line=1, ocr_confidence=0.93),
        findings=[
            _finding(1, "security/sql-injection", "security", "critical", 8, "SQL built by string concatenation"),
            _finding(2, "security/tls-verify-disabled", "security", "high", 5, "TLS certificate checks disabled"),
            _finding(3, "resilience/missing-timeout", "resilience", "medium", 5, "Network call without a timeout"),
        ],
        summary="Two security problems and one resilience problem.",
        errors=[StageError(stage="fusion", code="ungrounded_findings", message="dropped 1 finding")]
        if status == "partial"
        else [],
    )
