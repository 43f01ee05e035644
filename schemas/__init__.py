"""Pydantic contracts: what flows between stages and what consumers read. No torch, no I/O."""

from schemas.options import (
    AnalyzerFusionOptions,
    ErnieFusionOptions,
    FasterWhisperOptions,
    FusionOptions,
    OcrOptions,
    OpenAIWhisperOptions,
    ReviewOptions,
    SpeechOptions,
    TesseractOptions,
)
from schemas.report import (
    CATEGORIES,
    INTENTS,
    SCHEMA_VERSION,
    SEVERITIES,
    SEVERITY_RANK,
    Architecture,
    AudioInput,
    BackendInfo,
    Category,
    Code,
    Component,
    Dependency,
    DocumentInput,
    Evidence,
    Finding,
    ImageInput,
    Inputs,
    Instruction,
    Intent,
    Provenance,
    ReviewReport,
    Segment,
    Severity,
    StageError,
    Status,
    Transcript,
    evidence_problem,
)
from schemas.stages import (
    Analysis,
    FusionRequest,
    FusionResult,
    OcrPage,
    OcrWord,
    ReviewInputs,
    ReviewRequest,
    SpeechResult,
    VisionResult,
)

__all__ = [
    "CATEGORIES", "INTENTS", "SCHEMA_VERSION", "SEVERITIES", "SEVERITY_RANK",
    "AnalyzerFusionOptions", "Analysis", "ErnieFusionOptions", "Architecture", "AudioInput", "BackendInfo", "Category", "Code",
    "Component", "Dependency", "DocumentInput", "Evidence", "FasterWhisperOptions", "Finding", "FusionOptions", "FusionRequest",
    "FusionResult", "ImageInput", "Inputs", "Instruction", "Intent", "OcrOptions", "OcrPage", "OcrWord",
    "OpenAIWhisperOptions", "Provenance", "ReviewInputs", "ReviewOptions", "ReviewReport", "ReviewRequest",
    "Segment", "Severity", "SpeechOptions", "SpeechResult", "StageError", "Status", "TesseractOptions",
    "Transcript", "VisionResult", "evidence_problem",
]

from schemas.batch import BatchItem, BatchSummary  # noqa: E402

__all__ += ["BatchItem", "BatchSummary"]
