"""Recordings: H.264 ``.mp4`` or lossless FFV1 ``.mkv``, never lost, never overwriting.

The life of a recording at ``PATH``:

1. start: ``PATH`` must not exist; ``NAME.partial.EXT`` next to it is created with
   ``O_EXCL`` (a second run to the same path, or a leftover of an interrupted one, is
   refused in one line, never overwritten); a low-disk warning if the folder's free space
   holds less than :data:`LOW_DISK_MINUTES` of video.
2. frames: encoded on the sink's own thread (the pipeline gives every non-live sink one);
   the file on disk is playable up to its last fragment (about a second) at every moment,
   also after SIGKILL or a full disk.
3. end: the encoder is flushed, the finalizers run (signing), and the file is published
   by a hard link to ``PATH`` plus unlink of the partial (``renameat2(RENAME_NOREPLACE)``
   where links are not supported): a file that appeared at ``PATH`` meanwhile is kept and
   the recording is published as ``NAME-1.EXT`` (the next free name) instead.

A write error (a full disk) ends the recording, not the session: ``send()`` raises a
one-line SinkError (the pipeline reports it and the other sinks go on), the partial file
keeps every frame written before, and ``close()`` leaves it there (``failure`` keeps the
error; the session's manifest lists it).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from overlay.errors import ConfigError, OverlayError, SinkError
from overlay.frames import StampedFrame
from overlay.paths import checked_path
from overlay.sinks.base import BaseSink, SinkOptions
from overlay.sinks.encode import DEFAULT_QUALITY, SUFFIXES, Encoder, check_quality

__all__ = ["FileSink", "default_recording_path", "publish_no_replace"]

log = logging.getLogger(__name__)

#: Called with (the finished partial file, the name it will be published under), before
#: it is published (e.g. to sign it).
Finalizer = Callable[[Path, Path], None]

#: Warn at start when the folder holds less than this many minutes of recording.
LOW_DISK_MINUTES = 10
#: Bits per pixel assumed for the low-disk estimate (H.264 at the default quality of busy
#: content; FFV1 is about 12x this).
_BITS_PER_PIXEL = {".mp4": 0.25, ".mkv": 3.0}


def default_recording_path(session_id: str, folder: Path | None = None) -> Path:
    """``overlay-YYYYmmdd-HHMMSS-<session>.mp4`` in ``folder`` (default: the current one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return (folder or Path.cwd()) / f"overlay-{stamp}-{session_id}.mp4"


def _renameat2_noreplace(src: Path, dst: Path) -> None:
    """Linux renameat2(RENAME_NOREPLACE); OSError when it fails or is unavailable."""
    if not sys.platform.startswith("linux"):
        raise OSError(errno.ENOTSUP, "renameat2 is Linux only")
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, noreplace = -100, 1
    func = getattr(libc, "renameat2", None)
    if func is None:
        raise OSError(errno.ENOTSUP, "no renameat2 in this C library")
    if func(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), noreplace) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(dst))


def publish_no_replace(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` unless ``dst`` exists (FileExistsError): never replaces."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError as exc:  # no hard links here (FAT, some network file systems)
        log.debug("link %s -> %s: %s; trying renameat2", src, dst, exc)
        _renameat2_noreplace(src, dst)
        return
    os.unlink(src)


def trim_to_whole_boxes(path: Path) -> int:
    """Cut an MP4 after its last complete top-level box (a write error leaves half a
    fragment at the end, which some players refuse); returns the bytes kept."""
    size = path.stat().st_size
    end = 0
    with path.open("rb") as f:
        while end + 8 <= size:
            f.seek(end)
            head = f.read(16)
            box = int.from_bytes(head[:4], "big")
            if box == 1 and len(head) == 16:
                box = int.from_bytes(head[8:16], "big")
            if box < 8 or end + box > size:
                break
            end += box
    if end < size:
        os.truncate(path, end)
    return end


def _free_name(target: Path) -> Path:
    if not target.exists():
        return target
    for n in range(1, 1000):
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise SinkError(f"no free name next to {target}; move some recordings away")


class FileSink(BaseSink):
    """``file:PATH.mp4`` (H.264) or ``file:PATH.mkv`` (FFV1, lossless).

    Attributes:
        frames: frames encoded.
        dropped: frames the pipeline could not queue for this sink (encoder behind).
        metadata: container tags for the file's header; set before the first frame.
        published: where the finished recording went (None until then).
        failure: the error that ended the recording early, if any.
    """

    scope = "record"

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        finalizers: list[Finalizer] | None = None,
        *,
        quality: int = DEFAULT_QUALITY,
    ) -> None:
        super().__init__(size)
        self.path = checked_path(path, "recording")  # OpenCV crashes on a non-UTF-8 name
        #: FFV1 ``.mkv``: the decoded frames are the exact stamped bytes.
        self.lossless = self.path.suffix.lower() == ".mkv"
        self.spec = f"file {self.path}"
        self.finalizers = list(finalizers or [])
        self.size, self.fps, self.quality = size, fps, check_quality(quality)
        self.frames = 0
        self.dropped = 0
        self.metadata: dict[str, str] = {}
        self.published: Path | None = None
        self.failure: SinkError | None = None
        suffix = self.path.suffix.lower()
        if suffix not in SUFFIXES:
            raise ConfigError(
                f"recording {self.path} is not an .mp4 or .mkv file; name it e.g. out.mp4 "
                "(H.264, plays everywhere) or out.mkv (FFV1, lossless archive)"
            )
        folder = self.path.parent
        if not folder.is_dir():
            raise SinkError(f"cannot record to {self.path}: folder {folder} does not exist")
        if self.path.exists():
            raise SinkError(
                f"cannot record to {self.path}: the file exists; pick another name or delete it"
            )
        if not os.access(folder, os.W_OK):
            raise SinkError(f"cannot record to {self.path}: folder {folder} is not writable")
        self.partial = self.path.with_name(self.path.stem + ".partial" + self.path.suffix)
        try:
            os.close(os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            raise SinkError(
                f"cannot record to {self.path}: {self.partial.name} exists (another run is "
                "recording to this path, or an interrupted run left it: it holds a playable "
                "recording; rename it to keep it, or delete it)"
            ) from None
        except OSError as exc:
            raise SinkError(f"cannot record to {self.path}: {exc.strerror}") from None
        self._bytes_per_s = size[0] * size[1] * fps * _BITS_PER_PIXEL[suffix] / 8
        self._check_space(start=True)
        self._next_space_check = time.monotonic() + 10.0
        self._encoder: Encoder | None = None

    @classmethod
    def from_spec(cls, arg: str | None, options: SinkOptions) -> FileSink:
        if not arg:
            raise ConfigError("--sink file needs a path, e.g. --sink file:out.mp4")
        session = options.session
        quality = options.extra.get("record_quality")
        return cls(
            arg,
            session.size,
            session.fps,
            quality=int(quality) if isinstance(quality, int) else DEFAULT_QUALITY,
        )

    def _check_space(self, *, start: bool = False) -> None:
        try:
            free = shutil.disk_usage(self.partial.parent).free
        except OSError:
            return
        minutes = free / max(1.0, self._bytes_per_s) / 60
        if start and minutes < LOW_DISK_MINUTES:
            log.warning(
                "only %.0f MB free for %s: about %.0f minutes of recording; free some space "
                "or record to another disk",
                free / 1e6,
                self.path,
                minutes,
            )
        elif not start and minutes < 1:
            log.warning(
                "%s: the disk is almost full (%.0f MB free, about %.0f s of recording left)",
                self.path,
                free / 1e6,
                minutes * 60,
            )
            self._next_space_check = float("inf")  # once

    def note_dropped(self, index: int) -> None:
        """The pipeline could not queue frame ``index`` for this recording (counted)."""
        self.dropped += 1

    def _send(self, frame: StampedFrame) -> None:
        if self.failure is not None:
            raise self.failure
        try:
            if self._encoder is None:
                self._encoder = Encoder(
                    self.partial, self.size, self.fps, quality=self.quality, metadata=self.metadata
                )
            self._encoder.write(frame.image, frame.index)
        except Exception as exc:  # OSError (a full disk) or an encoder that will not open
            self._fail(exc)
        self.frames += 1
        if time.monotonic() >= self._next_space_check:
            self._next_space_check = time.monotonic() + 10.0
            self._check_space()

    def _fail(self, exc: Exception) -> None:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
        self.failure = SinkError(
            f"recording {self.path} failed after {self.frames} frames: {reason}; the frames "
            f"written before are kept, playable and unsigned, in {self.partial}; free some "
            "space or record to another disk"
        )
        if self._encoder is not None:
            self._encoder.abandon()
        if self.partial.suffix.lower() == ".mp4":
            try:
                trim_to_whole_boxes(self.partial)
            except OSError as again:
                log.debug("trimming %s: %s", self.partial, again)
        raise self.failure from None

    def _close(self) -> None:
        encoder, self._encoder = self._encoder, None
        if self.failure is not None:
            return  # raised by send() already; the partial file keeps the frames
        if encoder is not None:
            try:
                encoder.close()
            except Exception as exc:
                self._fail(exc)
        if self.frames == 0:
            self.partial.unlink(missing_ok=True)
            return
        final = _free_name(self.path)
        if final != self.path:
            log.warning(
                "%s appeared while recording; the recording is published as %s instead",
                self.path,
                final.name,
            )
        try:
            for finalize in self.finalizers:
                finalize(self.partial, final)
        except OverlayError:
            # The error says what failed; the CLI prints it in one line (no traceback).
            log.error("finishing %s failed; the unfinished file stays at %s", final, self.partial)
            raise
        except Exception:
            log.exception(
                "finishing %s failed; the unfinished file stays at %s", final, self.partial
            )
            raise
        while True:
            try:
                publish_no_replace(self.partial, final)
                break
            except FileExistsError:
                final = _free_name(final)
                log.warning("%s appeared while finishing; publishing as %s", self.path, final.name)
            except OSError as exc:
                raise SinkError(
                    f"cannot publish {self.partial} as {final}: {exc.strerror}; the finished "
                    f"recording stays at {self.partial}"
                ) from None
        self.published = final
        log.info(
            "recorded %d frames to %s%s",
            self.frames,
            final,
            f" ({self.dropped} frames dropped: the encoder fell behind)" if self.dropped else "",
        )
