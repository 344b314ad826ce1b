"""One session's provenance: the signed manifest, the frame log, signed recordings.

``SessionRecorder.start()`` writes the manifest (``status: running``) and opens the frame
log; ``sink()`` is a FrameSink that logs every stamped frame; ``watch(file_sink)`` puts the
AIGC object in that recording's header and signs it when it finishes; ``finish()`` closes
the log and rewrites the manifest (``status: complete``) with the end time, the log's head
and each recording's SHA-256, frames and drops (a recording that failed is listed with its
error and the partial file that keeps its frames).
Files: ``data_dir()/sessions/<id>-<start>.manifest.json`` and ``...log.jsonl``, named by
:mod:`overlay.provenance.naming`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from overlay import __version__, paths
from overlay.config import BannerConfig
from overlay.errors import ProvenanceError
from overlay.frames import StampedFrame
from overlay.provenance._files import sha256_file, write_atomic
from overlay.provenance.consent import ConsentRecord
from overlay.provenance.framelog import FrameLog, utc_now
from overlay.provenance.keys import SigningKey, load_signing_key
from overlay.provenance.naming import SessionPaths
from overlay.provenance.policy import Disclosure
from overlay.provenance.recording import RecordingInfo, sign_recording
from overlay.provenance.signed import seal_document
from overlay.session import Session
from overlay.sinks.base import BaseSink
from overlay.sinks.file import FileSink

__all__ = [
    "MANIFEST_FORMAT",
    "ProvenanceSink",
    "SessionRecorder",
    "aigc_object",
    "watermark_key_id",
]

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "overlay.session-manifest/1"
PRODUCER = "overlay"


def watermark_key_id() -> str | None:
    """An id for the watermark key (``config_dir()/watermark.key``): 16 hex of its SHA-256.

    The file is only hashed, never copied or logged. None if there is no watermark key.
    """
    path = paths.config_dir() / "watermark.key"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def aigc_object(session_id: str, key_id: str) -> dict[str, str]:
    """The GB 45438-2025 (Annex E) ``AIGC`` object for a session.

    Label "1": AI-generated (overlay output is always disclosed as such). ProduceID: the
    session id. ReservedCode1: the key that signs the session record. The propagator
    fields are left empty for whoever distributes the content.
    """
    return {
        "Label": "1",
        "ContentProducer": f"{PRODUCER}/{__version__}",
        "ProduceID": session_id,
        "ReservedCode1": f"ed25519:{key_id}",
        "ContentPropagator": "",
        "PropagateID": "",
        "ReservedCode2": "",
    }


class SessionRecorder:
    """Writes a session's manifest and frame log; signs its recordings.

    Args:
        session: the session.
        source_spec: what the source is (``synthetic``, ``file:clip.mp4`` ...).
        source_origin: the source's ``origin``.
        disclosure: the declared digitalSourceType and consent need.
        banner: the banner settings.
        sinks: the sink specs.
        consent: the consent record that allowed the session, if one was needed.
        likeness_sha256: SHA-256 of the likeness image, if one was given.
        operator_policy: the operator policy the session was held to (its file, SHA-256
            and bounds), if any.
        key: the signing key (default: the installation's current key).
        exact_digests: keep each frame's exact BLAKE3 digest in the log (worth it only
            when an output is lossless; see :mod:`overlay.provenance.framelog`).
    """

    def __init__(
        self,
        session: Session,
        *,
        source_spec: str,
        source_origin: str,
        disclosure: Disclosure,
        banner: BannerConfig,
        sinks: list[str],
        consent: ConsentRecord | None = None,
        likeness_sha256: str | None = None,
        key: SigningKey | None = None,
        operator_policy: dict[str, Any] | None = None,
        exact_digests: bool = True,
    ) -> None:
        self.session = session
        self.exact_digests = exact_digests
        self.key = key or load_signing_key()
        self.disclosure = disclosure
        files = SessionPaths.new(session.id, session.started_utc)
        self.manifest_path, self.log_path = files.manifest, files.log
        self.aigc = aigc_object(session.id, self.key.key_id)
        self._lock = threading.Lock()
        self._recordings: list[dict[str, Any]] = []
        self._watched: list[FileSink] = []
        self._failures: list[str] = []
        self._log: FrameLog | None = None
        self._finished = False
        self._body: dict[str, Any] = {
            "format": MANIFEST_FORMAT,
            "status": "running",
            "session_id": session.id,
            "started_utc": session.started_utc.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "ended_utc": None,
            "software": {"name": "overlay", "version": __version__},
            "key_id": self.key.key_id,
            "source": {"spec": source_spec, "origin": source_origin},
            "digital_source_type": disclosure.digital_source_type,
            "digital_source_type_stated": disclosure.stated,
            "declared": disclosure.declared,
            "output": {"size": list(session.size), "fps": session.fps},
            "banner": dataclasses.asdict(banner),
            "sinks": sinks,
            "watermark": {"key_id": watermark_key_id(), "payload": "session_id"},
            "likeness_sha256": likeness_sha256,
            "consent": consent.summary() if consent else None,
            "consent_needed_because": disclosure.why,
            "operator_policy": operator_policy,
            "AIGC": self.aigc,
            "log": {"file": self.log_path.name},
            "recordings": [],
            "frames": None,
        }

    @property
    def body(self) -> dict[str, Any]:
        """The manifest content as last written."""
        return self._body

    def _write_manifest(self) -> None:
        write_atomic(self.manifest_path, seal_document(self._body, self.key), private=True)

    def start(self) -> None:
        """Write the running manifest and open the frame log."""
        if self.manifest_path.exists():
            raise ProvenanceError(
                f"session manifest {self.manifest_path} exists already; start a new session"
            )
        self._write_manifest()
        self._log = FrameLog(
            self.log_path,
            self.key,
            session_id=self.session.id,
            size=self.session.size,
            fps=self.session.fps,
            exact=self.exact_digests,
        )
        log.info("session %s: manifest %s", self.session.id, self.manifest_path)

    def log_frame(self, frame: StampedFrame) -> None:
        if self._log is not None:
            self._log.add(frame.image, frame.index, slate=frame.slate)

    def sink(self) -> ProvenanceSink:
        """A sink that logs every stamped frame and finishes the session when closed."""
        return ProvenanceSink(self)

    def watch(self, sink: FileSink) -> None:
        """Label ``sink``'s recording (AIGC in its header), sign it when it finishes (.mp4:
        C2PA; .mkv: listed with its SHA-256 only, C2PA has no Matroska binding) and list it
        in the final manifest, also when it failed."""
        sink.metadata["AIGC"] = json.dumps(
            self.aigc, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        sink.finalizers.append(self.finalizer_for(sink))
        self._watched.append(sink)

    def finalizer_for(self, sink: FileSink) -> Callable[[Path, Path], None]:
        """A FileSink finalizer: sign the finished file that will be published as ``final``."""

        def finalize(partial: Path, final: Path) -> None:
            info = RecordingInfo(
                session_id=self.session.id,
                digital_source_type=self.disclosure.digital_source_type,
                aigc=self.aigc,
                frames=sink.frames,
                fps=self.session.fps,
                watermark_key_id=self._watermark_key_id(),
            )
            signed = final.suffix.lower() == ".mp4"
            if signed:
                sign_recording(partial, info, title=final.name)
            digest = sha256_file(partial)
            with self._lock:
                self._recordings.append(
                    {
                        "file": final.name,
                        "path": str(final.resolve()),
                        "sha256": digest,
                        "bytes": partial.stat().st_size,
                        "frames": info.frames,
                        "frames_dropped": sink.dropped,
                        "c2pa": signed,
                    }
                )

        return finalize

    def note_failure(self, line: str) -> None:
        """Keep a line about a failed part (the first 100) for the final manifest."""
        with self._lock:
            if len(self._failures) < 100:
                self._failures.append(line)

    def note_sinks(self, counts: dict[str, dict[str, Any]]) -> None:
        """Per output (sink): its delivery, frames sent, frames dropped, the failure if any;
        the final manifest keeps the last report (under ``sink_counts``)."""
        with self._lock:
            self._body["sink_counts"] = {k: dict(v) for k, v in counts.items()}

    def _failed_recordings(self) -> list[dict[str, Any]]:
        return [
            {
                "file": s.partial.name,
                "path": str(s.partial.resolve()),
                "frames": s.frames,
                "frames_dropped": s.dropped,
                "c2pa": False,
                "error": str(s.failure),
            }
            for s in self._watched
            if s.failure is not None
        ]

    def _watermark_key_id(self) -> str | None:
        # The watermark stamp makes its key on first use, after the manifest was started.
        with self._lock:
            mark = self._body["watermark"]
            if mark["key_id"] is None:
                mark["key_id"] = watermark_key_id()
            return str(mark["key_id"]) if mark["key_id"] else None

    def finish(self) -> None:
        """Close the log and write the final manifest. Idempotent."""
        if self._finished:
            return
        self._finished = True
        frames = 0
        if self._log is not None:
            self._log.close()
            frames = self._log.frames
            self._body["log"] = {
                "file": self.log_path.name,
                "records": self._log.records,
                "head": self._log.head,
            }
        self._watermark_key_id()
        with self._lock:
            self._body["recordings"] = [*self._recordings, *self._failed_recordings()]
            self._body["failures"] = list(self._failures)
        self._body.update(status="complete", ended_utc=utc_now(), frames=frames)
        self._write_manifest()


class ProvenanceSink(BaseSink):
    """Logs every stamped frame into the session's frame log; closing finishes the session.

    Put it after the other sinks so their recordings are signed before the manifest is
    finalised. It runs on its own thread during ``Pipeline.run()`` (hashing is off the
    frame's path) and never drops a frame: a full queue makes the pipeline wait.
    """

    scope = "local"
    delivery = "every"  # a Companion: logs what the outputs get; not an output of its own

    def __init__(self, recorder: SessionRecorder) -> None:
        super().__init__(recorder.session.size)
        self.recorder = recorder
        self.spec = "provenance"

    def _send(self, frame: StampedFrame) -> None:
        self.recorder.log_frame(frame)

    def note_failure(self, line: str) -> None:
        """A part of the session failed (a sink, the source); listed in the manifest."""
        self.recorder.note_failure(line)

    def note_sinks(self, counts: dict[str, dict[str, Any]]) -> None:
        """What each output got and missed (sent, dropped, failed); kept in the manifest."""
        self.recorder.note_sinks(counts)

    def _close(self) -> None:
        self.recorder.finish()
