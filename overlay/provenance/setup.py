"""Provenance for a session being assembled (used by :mod:`overlay.runner`).

``plan(...)`` runs before any device opens: it decides the digitalSourceType and refuses a
likeness without a valid consent record. ``start(...)`` runs once the sinks exist: it
checks the consent's scope against them, writes the manifest, opens the frame log and
hooks C2PA signing into every recording.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overlay.config import BannerConfig
from overlay.errors import ConsentError
from overlay.operator_policy import OperatorPolicy
from overlay.provenance.consent import ConsentRecord, file_sha256, find_consent
from overlay.provenance.keys import check_key_files
from overlay.provenance.likeness import check_likeness
from overlay.provenance.policy import Disclosure, decide
from overlay.provenance.recorder import SessionRecorder
from overlay.session import Session
from overlay.sinks.base import FrameSink
from overlay.sinks.file import FileSink
from overlay.sources.base import FrameSource

if TYPE_CHECKING:
    from overlay.provenance.guard import ConsentGuard

__all__ = ["Plan", "consent_guard", "plan", "scopes_of", "start"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Plan:
    """What was decided before the session opened anything."""

    source_spec: str
    origin: str
    disclosure: Disclosure
    likeness_sha256: str | None
    consent: ConsentRecord | None


def plan(
    source: FrameSource,
    source_spec: str,
    *,
    likeness: str | None,
    declared: str | None,
    declared_generator: bool,
    digital_source_type: str | None,
) -> Plan:
    """Decide the declaration and find the consent record (before anything opens).

    Raises:
        ConfigError: unknown declaration/type, unreadable likeness image.
        ConsentError: consent needed and no valid record (or no likeness named).
    """
    origin = source.origin
    name = re.split(r"[: ]", source_spec.strip(), maxsplit=1)[0].lower()
    disclosure = decide(
        origin=origin,
        source_name=name,
        source_spec=source_spec,
        likeness=likeness,
        declared=declared,
        declared_generator=declared_generator,
        digital_source_type=digital_source_type,
    )
    # Every private key 0600 before anything is recorded (not found out when signing).
    check_key_files()
    # The likeness must be a real picture (not /dev/null or an empty file that a record
    # was once made for); the face was checked when the record was added.
    digest = (
        file_sha256(check_likeness(likeness, face=False), "likeness image") if likeness else None
    )
    consent = None
    if disclosure.consent_needed and digest is not None:
        consent = find_consent(digest, (), likeness_name=str(likeness))
        log.info("consent %s (%s) allows this likeness", consent.id, consent.subject)
    return Plan(source_spec, origin, disclosure, digest, consent)


def scopes_of(sinks: Sequence[FrameSink]) -> tuple[str, ...]:
    """The consent scopes these sinks need, from each sink's declared ``scope``.

    ``record`` for recordings, ``live`` for frames sent out as they happen (a virtual
    camera, ``pipe:``, any sink that does not declare otherwise); ``local`` sinks (a
    preview, memory, the frame log) need none.
    """
    return tuple(sorted({sink.scope for sink in sinks if sink.scope != "local"}))


def start(
    the_plan: Plan,
    session: Session,
    sinks: Sequence[FrameSink],
    banner: BannerConfig,
    *,
    policy: OperatorPolicy | None = None,
) -> SessionRecorder:
    """Check the consent's scope, write the manifest, open the log, sign recordings.

    Returns the recorder; add ``recorder.sink()`` after all other sinks.
    """
    if the_plan.consent is not None:
        problem = the_plan.consent.problem(scope=scopes_of(sinks))
        if problem:
            raise ConsentError(
                f"{problem}; add a record with that scope: overlay consent add --scope "
                "live,record ..."
            )
    recorder = SessionRecorder(
        session,
        source_spec=the_plan.source_spec,
        source_origin=the_plan.origin,
        disclosure=the_plan.disclosure,
        banner=banner,
        sinks=[s.spec for s in sinks],
        consent=the_plan.consent,
        likeness_sha256=the_plan.likeness_sha256,
        operator_policy=policy.summary() if policy is not None else None,
        # exact digests prove something only where someone can hold the exact frames
        exact_digests=any(s.lossless for s in sinks),
    )
    recorder.start()
    for sink in sinks:
        if isinstance(sink, FileSink):
            recorder.watch(sink)
    return recorder


def consent_guard(
    the_plan: Plan, session: Session, sinks: Sequence[FrameSink], banner: BannerConfig
) -> ConsentGuard | None:
    """The stamp that re-checks the session's consent while it runs (None: no consent)."""
    if the_plan.consent is None:
        return None
    from overlay.provenance.guard import ConsentGuard

    return ConsentGuard(the_plan.consent, scopes_of(sinks), session.size, banner)
