"""Assemble a disclosed session from settings: the one place the CLI and the app share.

``open_session(settings)`` picks the defaults (webcam if one opens, else the embedded
source; the virtual camera if available, else a recording), opens the source and the
sinks, starts provenance, and yields an :class:`OpenSession`: the ready
:class:`~overlay.pipeline.Pipeline`, the provenance recorder and the outputs with their
labels (nobody searches the pipeline's sinks by spec string). Leaving closes it all.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from overlay.config import BannerConfig, OutputConfig
from overlay.errors import SinkError, SourceError
from overlay.faces import FaceSettings
from overlay.operator_policy import OperatorPolicy
from overlay.pipeline import Pipeline
from overlay.session import Session
from overlay.sinks import FrameSink, SinkOptions, open_sink
from overlay.sinks.file import FileSink, default_recording_path
from overlay.sources import FrameSource, SourceOptions, open_source
from overlay.stamps import Stamp, close_stamps, default_stamps

if TYPE_CHECKING:
    from overlay.provenance.recorder import SessionRecorder

__all__ = ["DEFAULT_SOURCE", "OpenSession", "Output", "RunSettings", "open_session"]

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


@dataclass(frozen=True, slots=True)
class Output:
    """One place the session's frames go, as the settings named it (or the default).

    Attributes:
        name: the registry name it was opened by (``vcam``, ``file``, ``pipe``, ``null``).
        sink: the open sink.
        label: what to show a person (``vcam /dev/video2``, ``file clip.mp4``).
        where: the device (``vcam``) or the file (``file``); "" for the others.
    """

    name: str
    sink: FrameSink
    label: str
    where: str = ""

    @classmethod
    def of(cls, spec: str, sink: FrameSink) -> Output:
        name = spec.partition(":")[0].strip().lower()
        where = ""
        if isinstance(sink, FileSink):
            where = str(sink.path)
        elif name == "vcam":
            from overlay.sinks.vcam import VirtualCameraSink

            if isinstance(sink, VirtualCameraSink):
                where = sink.device
        return cls(name, sink, sink.spec, where)


@dataclass(frozen=True, slots=True)
class OpenSession:
    """An assembled, open session: what the CLI, the app and library users hold.

    Attributes:
        pipeline: the ready pipeline (``run()`` / ``step()``).
        provenance: the session's recorder (manifest, frame log), None without provenance.
        outputs: the sinks the settings named (or the defaults), in order; not the
            caller's extra sinks nor the frame log.
    """

    pipeline: Pipeline
    provenance: SessionRecorder | None
    outputs: tuple[Output, ...]

    @property
    def session(self) -> Session:
        return self.pipeline.session

    @property
    def recordings(self) -> tuple[FileSink, ...]:
        """The recordings of this session (their files, frames, drops and failures)."""
        return tuple(o.sink for o in self.outputs if isinstance(o.sink, FileSink))

    def output(self, name: str) -> Output | None:
        """The first output opened by registry name ``name`` (``vcam``), or None."""
        return next((o for o in self.outputs if o.name == name), None)


def _default_source(options: SourceOptions) -> FrameSource:
    try:
        source = open_source("webcam:0", options)
        source.open()
        return source
    except SourceError as exc:
        log.info("no webcam (%s); using the %s source", exc, DEFAULT_SOURCE)
        return open_source(DEFAULT_SOURCE, options)


def _default_outputs(options: SinkOptions, folder: Path | None) -> list[Output]:
    try:
        return [Output.of("vcam", open_sink("vcam", options))]
    except SinkError as exc:
        path = default_recording_path(options.session.id, folder)
        log.info("%s", exc)
        log.info("recording to %s instead", path)
        spec = f"file:{path}"
        return [Output.of(spec, open_sink(spec, options))]


@contextlib.contextmanager
def open_session(
    settings: RunSettings,
    *,
    extra_sinks: Sequence[FrameSink] = (),
    session: Session | None = None,
) -> Iterator[OpenSession]:
    """Open the source and sinks ``settings`` name and yield the session; close all on exit.

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
    outputs: list[Output] = []
    sinks: list[FrameSink] = []
    stamps: list[Stamp] = []
    plan = None
    recorder = None
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
                outputs.append(Output.of(spec, open_sink(spec, sink_options)))
        else:
            outputs = _default_outputs(sink_options, settings.recording_dir)
        sinks = [o.sink for o in outputs]
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
        opened = sinks or [o.sink for o in outputs]  # the outputs, then every sink
        closables: list[FrameSource | FrameSink] = [*opened, source]
        for thing in closables:
            with contextlib.suppress(Exception):
                thing.close()
        close_stamps(stamps)
        raise
    with pipeline:  # closes the source, the sinks and the stamps
        yield OpenSession(pipeline, recorder, tuple(outputs))
