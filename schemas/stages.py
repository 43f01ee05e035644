"""What flows between the pipeline's stages (inputs -> vision -> speech -> analysis -> fusion -> report)."""

from __future__ import annotations

from pydantic import Field

from archreview.schemas.report import (
    AnalyzerRun,
    Architecture,
    AudioInput,
    Code,
    DocumentInput,
    Finding,
    ImageInput,
    Instruction,
    ReportLanguage,
    StageError,
    StrictModel,
    Transcript,
)


class ReviewRequest(StrictModel):
    """What the user asked for: a screenshot and a spoken or typed instruction."""

    image: str = Field(description="Path of the code screenshot.")
    more_images: list[str] = Field(
        default_factory=list, description="Further screenshots of the same file, in order; lines numbered across them."
    )
    audio: str | None = Field(default=None, description="Path of the spoken instruction.")
    instruction: str | None = Field(default=None, description="Typed instruction, used when there is no audio.")
    document: str | None = Field(default=None, description="Path of a text document given as context (UTF-8).")
    source_path: str | None = Field(
        default=None, description="The source file the screenshot shows, relative to the repository root (SARIF)."
    )


class ReviewInputs(StrictModel):
    """The request's files, checked and fingerprinted by the inputs stage."""

    image: ImageInput
    more_images: list[ImageInput] = Field(default_factory=list)
    audio: AudioInput | None = None
    instruction_text: str | None = None
    document: DocumentInput | None = None
    document_text: str | None = Field(default=None, description="The context document's text.")
    source_path: str | None = Field(
        default=None, description="The source file the screenshot shows, relative to the repository root (SARIF)."
    )


class OcrWord(StrictModel):
    """One word an OCR engine found, with its box in the engine's input image (pixels)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float = Field(ge=0, le=1)
    line_key: str = Field(default="", description="Engine's own line grouping (e.g. 'block.par.line'); may be empty.")


class OcrPage(StrictModel):
    """An OCR engine's raw result for one image."""

    width: int
    height: int
    words: list[OcrWord] = Field(default_factory=list)
    engines: list[str] = Field(default_factory=list, description="The engines whose readings the page holds.")


class VisionResult(StrictModel):
    """The code read from a screenshot."""

    code: Code
    notes: list[str] = Field(default_factory=list, description="Non-fatal remarks (gutter found, image inverted, ...).")
    numbered: bool = Field(default=False, description="Line numbers were read from a line-number gutter.")
    warnings: list[StageError] = Field(
        default_factory=list, description="What the report must say (image resized, only the first frame read)."
    )


class SpeechResult(StrictModel):
    """The instruction, understood: transcript (when spoken), intent and focus."""

    instruction: Instruction
    transcript: Transcript | None = None


class Analysis(StrictModel):
    """What the static analyzer found in the recovered code."""

    architecture: Architecture = Field(default_factory=Architecture)
    findings: list[Finding] = Field(default_factory=list, description="Candidate findings, ranked.")
    parser: str = Field(default="none", description="Which parser read the code (ast, tree-sitter-java, ...).")
    parse_errors: int = Field(default=0, ge=0, description="Syntax errors the parser recovered from.")
    analyzers: list[AnalyzerRun] = Field(
        default_factory=list, description="The analyzers that ran (archreview's rules, ruff, semgrep) and over what."
    )


class FusionRequest(StrictModel):
    """Everything a fusion model sees."""

    instruction: Instruction
    transcript: Transcript | None = None
    code: Code
    analysis: Analysis
    document: str | None = Field(default=None, description="A context document's text, shown to the model as data.")
    images: list[str] = Field(
        default_factory=list,
        description="Paths of the screenshots the code was read from, in order (sent to a model that sees them).",
    )
    report_language: ReportLanguage = Field(
        default="en", description="Language the summary and the findings are to be written in (en or zh)."
    )


class FusionResult(StrictModel):
    """The fused review: final findings and a summary that answers the instruction."""

    findings: list[Finding] = Field(default_factory=list)
    summary: str
    dropped_findings: int = Field(default=0, ge=0, description="Model findings dropped as ungrounded.")
    errors: list[StageError] = Field(default_factory=list)
    output_tokens: int = Field(default=0, ge=0, description="Tokens a language model wrote (0: no model).")
    report_language: ReportLanguage = Field(default="en", description="Language the summary and findings are in.")
