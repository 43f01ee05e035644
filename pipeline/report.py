"""The report stage: assemble the versioned review report from the stages' results."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from archreview.pipeline.checks import describe_checks
from archreview.pipeline.vision import low_confidence_lines, reading_warning
from archreview.schemas import (
    Analysis,
    Code,
    FusionResult,
    Inputs,
    Provenance,
    ReportLanguage,
    ReviewInputs,
    ReviewOptions,
    ReviewReport,
    SpeechResult,
    StageError,
    Status,
)


def report_id(inputs: ReviewInputs, options: ReviewOptions) -> str:
    """A stable id: the same image, instruction and options always give the same id."""
    digest = hashlib.sha256()
    for image in [inputs.image, *inputs.more_images]:
        digest.update(image.sha256.encode())
    digest.update((inputs.document.sha256 if inputs.document else "-").encode())
    digest.update((inputs.audio.sha256 if inputs.audio else "-").encode())
    digest.update((inputs.instruction_text or "").encode())
    digest.update(options.model_dump_json().encode())
    return digest.hexdigest()[:32]


def report_status(errors: list[StageError], *, code_found: bool) -> Status:
    """failed when no code could be read; partial when any stage reported an error; else success."""
    if not code_found:
        return "failed"
    return "partial" if errors else "success"


def _with_reading_caveat(summary: str, code: Code | None, language: ReportLanguage = "en") -> str:
    """The summary, opened by what the reader must know about lines the OCR could not read reliably."""
    warning = reading_warning(code) if code is not None else None
    if warning and code is not None and language == "zh":
        lines = "、".join(f"{a}-{b}" if b > a else str(a) for a, b in low_confidence_lines(code))
        if warning.startswith("The reading is too poor"):
            return f"识别质量太差，本次审查不可信：第 {lines} 行识别不可靠。{summary}"
        return f"第 {lines} 行识别不可靠，这些行上的发现可能有误。{summary}"
    return f"{warning} {summary}" if warning else summary


def build_report(
    *,
    inputs: ReviewInputs,
    options: ReviewOptions,
    speech: SpeechResult,
    code: Code | None,
    analysis: Analysis,
    fusion: FusionResult,
    provenance: Provenance,
    errors: list[StageError],
) -> ReviewReport:
    """Assemble the report. With no code (vision failed) it is a `failed` report with empty code and no findings."""
    all_errors = [*errors, *fusion.errors]
    summary = _with_reading_caveat(fusion.summary, code, fusion.report_language)
    if code is not None:  # never "no issues" alone: what was checked, over what
        checks = describe_checks(speech.instruction, code, analysis.analyzers, fusion.findings, fusion.report_language)
        summary = f"{summary}\n\n{checks}" if checks else summary
    return ReviewReport(
        id=report_id(inputs, options),
        status=report_status(all_errors, code_found=code is not None),
        created_at=datetime.now(UTC),
        inputs=Inputs(
            image=inputs.image,
            more_images=inputs.more_images,
            audio=inputs.audio,
            document=inputs.document,
            source_path=inputs.source_path,
        ),
        instruction=speech.instruction,
        transcript=speech.transcript,
        code=code or Code(text="", language="unknown", first_line=1, ocr_confidence=0.0),
        architecture=analysis.architecture,
        findings=fusion.findings if code is not None else [],
        summary=summary,
        provenance=provenance,
        errors=all_errors,
        report_language=fusion.report_language,
    )
