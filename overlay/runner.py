"""Assemble a disclosed session from settings: the one place the CLI and the app share.

``open_pipeline(settings)`` picks the defaults (webcam if one opens, else the embedded
source; the virtual camera if available, else a recording), opens the source and the
sinks, and yields a ready :class:`~overlay.pipeline.Pipeline`; leaving closes it all.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from overlay.config import BannerConfig, OutputConfig
from overlay.errors import SinkError, SourceError
from overlay.faces import FaceSettings
from overlay.operator_policy import OperatorPolicy
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks import FrameSink, SinkOptions, open_sink
from overlay.sinks.file import default_recording_path
from overlay.sources import FrameSource, SourceOptions, open_source
from overlay.stamps import Stamp, default_stamps

__all__ = ["DEFAULT_SOURCE", "RunSettings", "open_pipeline"]

log = logging.getLogger("overlay")

#: The source used when no camera opens: overlay's own disclosed avatar.
DEFAULT_SOURCE = "avatar"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything a session is built from (the CLI's flags, the app's form).

    Attributes:
        source: a ``--source`` string; None: webcam if one opens, else DEFAULT_SOURCE.
        sinks: ``--sink`` strings; empty: the virtual camera if one opens, else a recording
            in ``recording_dir``.
        output: output size and rate.
        banner: banner settings.
        device: virtual camera device.
        backend: pyvirtualcam backend.
        loop: files loop.
        pipe_size: raw frame size for ``pipe:``.
        mirror: mirror the local preview only.
        likeness: image of the person the source shows (consent rules apply).
        declared_generator: the source is a face-swap/generator output.
        recording_dir: where the fallback recording goes (default: the current folder).
        declare: what the source is: ``face-swap``, ``avatar`` or ``generated``
            (see :mod:`overlay.provenance.policy`).
        digital_source_type: the IPTC digitalSourceType the user states.
        provenance: write the signed manifest and frame log, sign recordings, enforce
            consent (off only for measurements).
        faces: the face tag and the banner's face avoidance.
        policy: an operator's policy the session is held to (refused before anything
            opens if outside it; its SHA-256 goes into the manifest).
        record_quality: x264 CRF of .mp4 recordings (None: the default).
    """

    source: str | None = None
    sinks: tuple[str, ...] = ()
    output: OutputConfig = field(default_factory=OutputConfig)
    banner: BannerConfig = field(default_factory=BannerConfig)
    device: str | None = None
    backend: str | None = None
    loop: bool = True
    pipe_size: tuple[int, int] | None = None
    mirror: bool = False
    likeness: str | None = None
    declared_generator: bool = False
    recording_dir: Path | None = None
    declare: str | None = None
    digital_source_type: str | None = None
    provenance: bool = True
    faces: FaceSettings = field(default_factory=FaceSettings)
    policy: OperatorPolicy | None = None
    record_quality: int | None = None

    def source_options(self) -> SourceOptions:
        return SourceOptions(
            size=self.output.size,
            fps=self.output.fps,
            loop=self.loop,
            pipe_size=self.pipe_size,
            likeness=self.likeness,
            declared_generator=self.declared_generator or self.declare == "face-swap",
            face_model=self.faces.model,
        )

    def sink_options(self, session: Session) -> SinkOptions:
        return SinkOptions(
            session=session,
            device=self.device,
            backend=self.backend,
            extra={"mirror": self.mirror, "record_quality": self.record_quality},
        )


def _default_source(options: SourceOptions) -> FrameSource:
    try:
        source = open_source("webcam:0", options)
        source.open()
        return source
    except SourceError as exc:
        log.info("no webcam (%s); using the %s source", exc, DEFAULT_SOURCE)
        return open_source(DEFAULT_SOURCE, options)


def _default_sinks(options: SinkOptions, folder: Path | None) -> list[FrameSink]:
    try:
        return [open_sink("vcam", options)]
    except SinkError as exc:
        path = default_recording_path(options.session.id, folder)
        log.info("%s", exc)
        log.info("recording to %s instead", path)
        return [open_sink(f"file:{path}", options)]


@contextlib.contextmanager
def open_pipeline(
    settings: RunSettings,
    *,
    extra_sinks: Sequence[FrameSink] = (),
    session: Session | None = None,
) -> Iterator[Pipeline]:
    """Open the source and sinks ``settings`` name and yield the pipeline; close all on exit.

    Args:
        settings: what to build.
        extra_sinks: sinks the caller made (the app's preview), added after the others.
        session: the session to use (default: a new one for ``settings.output``).
    """
    if settings.policy is not None:
        settings.policy.check(settings)  # before any device opens or record is written
    output = settings.output
    session = session or Session(size=output.size, fps=output.fps)
    src_options = settings.source_options()
    sink_options = settings.sink_options(session)
    source = (
        open_source(settings.source, src_options)
        if settings.source
        else _default_source(src_options)
    )
    sinks: list[FrameSink] = []
    stamps: list[Stamp] = []
    plan = None
    try:
        # The stamps first: a banner that does not fit or a missing face model is refused
        # before any record is written or device opened.
        stamps = default_stamps(session, settings.banner, settings.faces)
        if settings.provenance:
            from overlay.provenance import setup as provenance

            # Before anything opens: a likeness without valid consent never starts.
            plan = provenance.plan(
                source,
                settings.source or source.spec,
                likeness=settings.likeness,
                declared=settings.declare,
                declared_generator=settings.declared_generator,
                digital_source_type=settings.digital_source_type,
            )
        source.open()
        if settings.sinks:
            for spec in settings.sinks:
                sinks.append(open_sink(spec, sink_options))
        else:
            sinks = _default_sinks(sink_options, settings.recording_dir)
        sinks.extend(extra_sinks)
        if plan is not None:
            recorder = provenance.start(
                plan, session, sinks, settings.banner, policy=settings.policy
            )
            guard = provenance.consent_guard(plan, session, sinks, settings.banner)
            if guard is not None:
                stamps.insert(0, guard)  # consent re-checked while the session runs
            sinks.append(recorder.sink())  # last: recordings are signed before it finishes
        pipeline = Pipeline(source, sinks, session=session, banner=settings.banner, stamps=stamps)
    except BaseException:
        closables: list[FrameSource | FrameSink] = [*sinks, source]
        for thing in closables:
            with contextlib.suppress(Exception):
                thing.close()
        _close_stamps(stamps)
        raise
    with pipeline:  # closes the source, the sinks and the stamps
        yield pipeline


def _close_stamps(stamps: Sequence[Stamp]) -> None:
    """Release what stamps hold (the face tag's worker thread and model)."""
    for stamp in stamps:
        close = getattr(stamp, "close", None)
        if close is not None:
            close()
