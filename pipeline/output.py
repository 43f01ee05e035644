"""Writing files so that a crash never leaves a partial or corrupt one behind."""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import string
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# The names write_atomic's temporary files have: ".<target name>.<8 random characters>.tmp" (as mkstemp's were).
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")
_TEMP_CHARS = string.ascii_lowercase + string.digits + "_"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: a temporary file in the same folder, fsync, then rename.

    A reader (or a rerun after a crash or SIGKILL) sees the old file or the whole new one, never a
    part; a killed write leaves at most a hidden `.<name>.XXXXXXXX.tmp` file, which
    `remove_stale_temps` clears. The file gets the mode a plain `open(path, "w")` gives it: a new file
    0666 less the process umask (0644 under the usual 022), a file that exists keeps its own mode.

    Raises:
        OSError: the folder is missing or not writable, or the disk is full; `path` is then untouched.
            Its `strerror` names `path`: "cannot write PATH: No space left on device".
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = _create_temp(path)
    except OSError as e:
        raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            _keep_existing_mode(path, handle.fileno())
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


def _create_temp(path: Path) -> tuple[int, str]:
    """Create `.<name>.XXXXXXXX.tmp` beside `path`, exclusively, with the mode `open(path, "w")` would give.

    `tempfile.mkstemp` always makes 0600 files, and reading the umask to chmod afterwards (`os.umask` sets it
    to read it) races with other threads creating files; asking for 0666 lets the kernel apply the umask
    (and a folder's default ACL) exactly as it does for a plain open.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(tempfile.TMP_MAX):
        name = str(path.parent / f".{path.name}.{''.join(secrets.choice(_TEMP_CHARS) for _ in range(8))}{TEMP_SUFFIX}")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary name beside {path}")


def _keep_existing_mode(path: Path, fd: int) -> None:
    """Give the new file the permission bits of the file it replaces, as a plain open-and-truncate keeps them."""
    try:
        existing = os.stat(path)
    except OSError:
        return  # nothing to replace (or unreadable): the umask-derived mode stands
    if stat.S_ISREG(existing.st_mode):
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))


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
