"""Provenance: signing keys, signed session manifests, frame logs, C2PA recordings, consent.

Heavy parts (c2pa, PyAV) load only when a recording is signed or checked. What is stored
where::

    config_dir()/keys/       Ed25519 signing keys (<id>.key, <id>.pub, current), mode 0600
    config_dir()/c2pa/       the local CA and the C2PA signing certificate
    config_dir()/consent/    signed consent records
    data_dir()/sessions/     <session>-<start>.manifest.json and .log.jsonl
"""

from __future__ import annotations

from overlay.provenance.checks import (
    BrokenRecord,
    C2paCheck,
    FrameMatch,
    LogCheck,
    ManifestCheck,
    Outcome,
    ProvenanceReport,
    SessionCheck,
    check_c2pa,
    check_log,
    check_manifest,
    check_session,
    check_watermark_session,
    find_session,
    match_recording,
    provenance_report,
)

__all__ = [
    "BrokenRecord",
    "C2paCheck",
    "FrameMatch",
    "LogCheck",
    "ManifestCheck",
    "Outcome",
    "ProvenanceReport",
    "SessionCheck",
    "check_c2pa",
    "check_log",
    "check_manifest",
    "check_session",
    "check_watermark_session",
    "find_session",
    "match_recording",
    "provenance_report",
]
