"""Small file helpers: private files (mode 0600), atomic replace, durable appends."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from overlay.errors import ProvenanceError
from overlay.hashing import sha256_file  # re-exported for provenance modules

__all__ = ["check_private", "fsync_dir", "sha256_file", "write_atomic", "write_private"]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a crash (POSIX; no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written).

    ``private`` files get mode 0600 from the moment they exist.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = 0o600 if private else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        if private:
            os.fchmod(fd, 0o600)  # the umask cannot widen it, but an old tmp file might
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600) holding ``data``; never replaces a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def check_private(path: Path) -> None:
    """Raise if ``path`` can be read by the group or others (like ssh does for its keys)."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ProvenanceError(
            f"key file {path} has mode {mode:04o}, readable by others; "
            f"run 'chmod 600 {path}' (and consider 'overlay keys rotate')"
        )
