"""Make the sample screenshots, voice instructions and labels from the code files in samples/src/.

Each source line that carries a trailing `# @flaw <category>` (or `// @flaw <category>`) marker is a
planted flaw: the marker is stripped before rendering and the line number recorded in labels.json.

    python samples/make_samples.py          # needs espeak-ng and a monospace font (make samples)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent
sys.path.insert(0, str(SAMPLES))
from render import find_monospace_fonts, render_code  # noqa: E402

_MARKER = re.compile(r"\s*(?:#|//)\s*@flaw\s+([a-z-]+)\s*$")
_LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".java": "java"}


@dataclass(frozen=True)
class Variant:
    """How one source file is shown and asked about."""

    theme: str
    gutter: bool
    first_line: int
    font_index: int
    font_size: int
    image_format: str
    instruction: str
    intent: str
    spoken: bool
    voice: str
    speed_wpm: int


# Cycled over the sorted source files: themes, gutters, fonts, formats, voices and intents all vary.
VARIANTS = [
    Variant(
        "dark",
        True,
        1,
        0,
        16,
        "png",
        "Explain the architecture flaws in this code.",
        "architecture_review",
        True,
        "en-us",
        150,
    ),
    Variant(
        "light", False, 1, 1, 17, "png", "Find the security problems in this code.", "security_review", True, "en", 150
    ),
    Variant(
        "light",
        True,
        1,
        0,
        15,
        "png",
        "Why is this code slow? Look for performance problems.",
        "performance_review",
        True,
        "en-us+m3",
        145,
    ),
    Variant("dark", False, 1, 1, 16, "png", "Explain what this code does.", "explain_code", True, "en-gb", 150),
    Variant(
        "light",
        True,
        120,
        0,
        16,
        "jpg",
        "Review this code and list its problems.",
        "general_review",
        True,
        "en-us",
        160,
    ),
    Variant(
        "dark",
        True,
        1,
        1,
        18,
        "png",
        "What are the design problems in this class?",
        "architecture_review",
        True,
        "en-us+f3",
        145,
    ),
    Variant(
        "light",
        False,
        1,
        0,
        16,
        "png",
        "Is this code secure? Check it for vulnerabilities.",
        "security_review",
        True,
        "en",
        150,
    ),
    Variant(
        "dark",
        True,
        35,
        0,
        15,
        "png",
        "Check this code for performance issues.",
        "performance_review",
        True,
        "en-us",
        155,
    ),
    Variant(
        "light",
        True,
        1,
        1,
        16,
        "png",
        "Explain the architecture of this code and its flaws.",
        "architecture_review",
        True,
        "en-gb",
        150,
    ),
    Variant("dark", False, 1, 0, 16, "png", "find the security problems", "security_review", False, "", 0),
    Variant("light", True, 1, 0, 17, "png", "review this code", "general_review", False, "", 0),
]


def strip_markers(source: str) -> tuple[list[str], list[dict[str, object]]]:
    """Source lines without flaw markers, and the flaws as (category, 1-based index in the file)."""
    lines: list[str] = []
    flaws: list[dict[str, object]] = []
    for index, line in enumerate(source.rstrip("\n").split("\n"), 1):
        match = _MARKER.search(line)
        if match:
            flaws.append({"category": match.group(1), "index": index})
            line = line[: match.start()].rstrip()
        lines.append(line)
    return lines, flaws


def speak(text: str, voice: str, speed_wpm: int, out: Path) -> None:
    """Speak `text` into a 16 kHz mono WAV with espeak-ng."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed_wpm), "-w", str(raw), text], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", "16000", str(out)],
        check=True,
    )
    raw.unlink()


def main() -> None:
    fonts = find_monospace_fonts()
    if not fonts:
        sys.exit("no monospace font found: apt-get install fonts-dejavu-core fonts-liberation")
    sources = sorted(p for p in (SAMPLES / "src").iterdir() if p.suffix in _LANGUAGES)
    cases = []
    for number, source in enumerate(sources):
        variant = VARIANTS[number % len(VARIANTS)]
        name = source.stem.lower()
        lines, flaws = strip_markers(source.read_text(encoding="utf-8"))
        font = fonts[variant.font_index % len(fonts)]
        image = render_code(
            lines,
            theme=variant.theme,
            gutter=variant.gutter,
            first_line=variant.first_line,  # type: ignore[arg-type]
            font_path=font,
            font_size=variant.font_size,
        )
        image_path = SAMPLES / f"{name}.{variant.image_format}"
        if variant.image_format == "jpg":
            image.convert("RGB").save(image_path, quality=85)
        else:
            image.save(image_path, optimize=True)
        audio_path = instruction_path = None
        if variant.spoken:
            audio_path = SAMPLES / f"{name}.wav"
            speak(variant.instruction, variant.voice, variant.speed_wpm, audio_path)
        else:
            instruction_path = SAMPLES / f"{name}.txt"
            instruction_path.write_text(variant.instruction + "\n", encoding="utf-8")
        first_line = variant.first_line if variant.gutter else 1
        cases.append(
            {
                "name": name,
                "source": f"src/{source.name}",
                "image": image_path.name,
                "audio": audio_path.name if audio_path else None,
                "instruction_file": instruction_path.name if instruction_path else None,
                "instruction": variant.instruction,
                "intent": variant.intent,
                "voice": variant.voice or None,
                "language": _LANGUAGES[source.suffix],
                "theme": variant.theme,
                "gutter": variant.gutter,
                "font": Path(font).name,
                "first_line": first_line,
                "code": "\n".join(lines),
                "flaws": [
                    {"category": flaw["category"], "line": first_line + int(flaw["index"]) - 1}  # type: ignore[call-overload]
                    for flaw in flaws
                ],
            }
        )
        print(f"{name}: {image_path.name}, {len(flaws)} flaws, {variant.theme}, gutter={variant.gutter}")
    labels = {"description": "Planted flaws (category, line as shown) and instructions of each sample.", "cases": cases}
    (SAMPLES / "labels.json").write_text(json.dumps(labels, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
