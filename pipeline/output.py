"""Writing files so that a crash never leaves a partial or corrupt one behind."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# The names write_atomic's temporary files have: ".<target name>.<mkstemp's 8 random characters>.tmp".
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: a temporary file in the same folder, fsync, then rename.

    A reader (or a rerun after a crash or SIGKILL) sees the old file or the whole new one, never a
    part; a killed write leaves at most a hidden `.<name>.XXXXXXXX.tmp` file, which
    `remove_stale_temps` clears.

    Raises:
        OSError: the folder is missing or not writable, or the disk is full; `path` is then untouched.
            Its `strerror` names `path`: "cannot write PATH: No space left on device".
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as e:
        raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as e:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from e
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a power cut right after it would otherwise be able to undo it)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the file itself is already on disk
    finally:
        os.close(fd)


def remove_stale_temps(folder: Path) -> int:
    """Delete the temporary files a killed `write_atomic` left in `folder`; return how many.

    Only names `write_atomic` makes are touched; call it before writing into `folder`, not while
    another process writes there.
    """
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if _TEMP_NAME.match(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed
