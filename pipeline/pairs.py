"""Finding a batch's pairs: screenshots paired by stem in a folder, or the lines of a JSONL manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import Field, ValidationError

from archreview.pipeline.errors import InputError
from archreview.pipeline.inputs import AUDIO_SUFFIXES, IMAGE_SUFFIXES, MAX_INSTRUCTION_CHARS
from archreview.schemas import PairSpec, ReviewRequest
from archreview.schemas.report import StrictModel

MANIFEST_SUFFIXES = frozenset({".jsonl", ".ndjson"})
MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # a manifest is a list of paths; anything larger is a mistake
RESERVED_NAMES = frozenset({"summary"})  # a pair named so would overwrite summary.json: it becomes summary-2
MAX_NAME_BYTES = 200  # a report name, before its suffix (file systems allow 255 bytes a name)
# Read this much of an instruction file: enough to see that it is too long (the inputs stage refuses it).
_INSTRUCTION_READ_CHARS = 4 * MAX_INSTRUCTION_CHARS
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class ManifestEntry(StrictModel):
    """One line of a JSONL manifest; relative paths are relative to the manifest's folder."""

    image: str
    more_images: list[str] = Field(default_factory=list, description="Further screenshots of the same file.")
    audio: str | None = None
    instruction: str | None = None
    document: str | None = Field(default=None, description="A text document given to the fusion model as context.")
    source_path: str | None = Field(
        default=None, description="The source file the screenshot shows, relative to the repository root (SARIF)."
    )
    name: str | None = Field(default=None, description="Report name; default: the image's stem.")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a report file in the output folder (None when it can).

    A name is one plain file name: no folder separators, no control characters, not `.`/`..`,
    not hidden (a leading dot), at most MAX_NAME_BYTES bytes; so a report never lands outside --out.
    """
    if not name.strip():
        return "is empty"
    if _UNSAFE_NAME.search(name):
        return "holds a path separator or a control character"
    if name.startswith("."):
        return "starts with a dot"
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`, ... when taken or reserved (case-insensitive); added to `taken`."""
    lowered = {t.lower() for t in taken} | RESERVED_NAMES
    candidate, n = name, 1
    while candidate.lower() in lowered:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def inside(path: Path, root: Path) -> bool:
    """Whether `path`, every symlink followed, lies inside `root` (also resolved)."""
    try:
        return path.resolve(strict=False).is_relative_to(root.resolve(strict=False))
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        return False


def discover_pairs(folder: Path) -> list[PairSpec]:
    """Pair every screenshot in `folder` (not its subfolders) with the audio or .txt file of the same stem.

    An image with neither is reviewed with no instruction (a general review).

    Hidden files are skipped. A pair named `summary` is reported as `summary-2` (summary.json is the batch's).

    Raises:
        InputError: the folder does not exist or holds no image, or a file in it is a symlink to
            somewhere outside it (a batch reads only what is in its folder).
    """
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.is_file())
    known = IMAGE_SUFFIXES | AUDIO_SUFFIXES | {".txt"}
    for path in files:
        if path.suffix.lower() in known and path.is_symlink() and not inside(path, folder):
            raise InputError(f"{path.name} links outside the folder {folder} (to {path.resolve()}); refused")
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem, []).append(path)
    pairs: list[PairSpec] = []
    taken: set[str] = set()
    for stem, group in sorted(by_stem.items()):
        images = [p for p in group if p.suffix.lower() in IMAGE_SUFFIXES]
        audios = [p for p in group if p.suffix.lower() in AUDIO_SUFFIXES]
        texts = [p for p in group if p.suffix.lower() == ".txt"]
        for image in images:
            name = unique_name(stem if len(images) == 1 else f"{stem}.{image.suffix.lstrip('.').lower()}", taken)
            pairs.append(
                PairSpec(
                    name=name,
                    image=str(image),
                    audio=str(audios[0]) if audios else None,
                    instruction_file=str(texts[0]) if texts and not audios else None,
                )
            )
    if not pairs:
        raise InputError(f"no images found in {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return pairs


def _manifest_path(manifest: Path, number: int, text: str, root: Path, what: str) -> Path:
    """A path of manifest line `number`, relative to the manifest's folder, checked to stay inside `root`.

    Raises:
        InputError: the path holds a control character, or it (or the file a symlink points to) lies outside `root`.
    """
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(f"{manifest}:{number}: {what} path holds a control character: {text!r}")
    path = manifest.parent / text
    if not inside(path, root):
        raise InputError(
            f"{manifest}:{number}: {what} {text} is outside the allowed folder {root} "
            "(paths are relative to the manifest's folder; symlinks are followed)"
        )
    return path


def read_manifest(manifest: Path, *, root: Path | None = None) -> list[PairSpec]:
    """The pairs of a JSONL manifest: one {"image", "more_images"?, "audio" | "instruction", "document"?, "name"?}
    object a line.

    Paths are relative to the manifest's folder and must stay inside `root` once symlinks are
    followed. Names must be plain file names; a name used twice gets -2, -3, ... (`summary` is
    taken by summary.json). An entry listed again with the same files and instruction is
    reviewed once.

    Args:
        manifest: the JSONL file.
        root: the folder every path must stay in; None = the manifest's folder.
    Raises:
        InputError: the manifest is missing, unreadable, not UTF-8, too large or empty; or a line is not
            such an object, points outside `root`, or has an unusable name (the line is named).
    """
    root = manifest.parent if root is None else root
    try:
        if manifest.stat().st_size > MAX_MANIFEST_BYTES:
            raise InputError(f"manifest {manifest} is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise InputError(f"cannot read manifest {manifest}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise InputError(f"manifest {manifest} is not UTF-8 text (byte {e.start})") from e
    specs: list[PairSpec] = []
    taken: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = ManifestEntry.model_validate(json.loads(line))
        except (ValueError, ValidationError, RecursionError) as e:
            raise InputError(f"{manifest}:{number}: not a manifest entry ({str(e).splitlines()[0][:200]})") from e
        if entry.audio and entry.instruction is not None:
            raise InputError(f"{manifest}:{number}: give audio or instruction, not both")
        image = _manifest_path(manifest, number, entry.image, root, "image")
        more = [_manifest_path(manifest, number, text, root, "image") for text in entry.more_images]
        audio = _manifest_path(manifest, number, entry.audio, root, "audio") if entry.audio else None
        document = _manifest_path(manifest, number, entry.document, root, "document") if entry.document else None
        key = tuple(
            str(path.resolve()) if isinstance(path, Path) else repr(path)
            for path in (image, *more, audio, document, entry.instruction)
        )
        if key in seen:
            continue
        seen.add(key)
        name = entry.name if entry.name is not None else image.stem
        problem = name_problem(name)
        if problem is not None:
            raise InputError(f"{manifest}:{number}: name {name!r} is not a plain file name ({problem})")
        specs.append(
            PairSpec(
                name=unique_name(name, taken),
                image=str(image),
                more_images=[str(path) for path in more],
                audio=str(audio) if audio else None,
                instruction=entry.instruction,
                document=str(document) if document else None,
                source_path=entry.source_path,
            )
        )
    if not specs:
        raise InputError(f"manifest {manifest} lists no pairs")
    return specs


def find_pairs(source: Path, *, root: Path | None = None) -> list[PairSpec]:
    """The pairs of a folder (screenshots paired by stem with x.wav or x.txt) or of a JSONL manifest.

    Args:
        source: a folder, or a .jsonl / .ndjson manifest.
        root: the folder a manifest's paths must stay in (default: the manifest's folder).
    Raises:
        InputError: the folder or manifest is unusable (see discover_pairs and read_manifest).
    """
    if source.is_file() and source.suffix.lower() in MANIFEST_SUFFIXES:
        return read_manifest(source, root=root)
    return discover_pairs(source)


def request_for(spec: PairSpec) -> ReviewRequest:
    """The review request of a pair (a typed instruction in a .txt file is read here).

    Raises:
        InputError: the instruction file cannot be read, is not a regular file, or is binary.
    """
    instruction = spec.instruction
    if spec.instruction_file is not None:
        path = Path(spec.instruction_file)
        if not path.is_file():
            raise InputError(f"instruction file is not a file: {path}")
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                instruction = handle.read(_INSTRUCTION_READ_CHARS)
        except OSError as e:
            raise InputError(f"cannot read instruction file {path}: {e.strerror}") from e
        if "\x00" in instruction:
            raise InputError(f"instruction file is not text (binary data): {path}")
    return ReviewRequest(
        image=spec.image,
        more_images=spec.more_images,
        audio=spec.audio,
        instruction=instruction,
        document=spec.document,
        source_path=spec.source_path,
    )
