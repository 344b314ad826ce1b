"""Stamps: what every frame carries before any sink sees it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overlay.config import BannerConfig
from overlay.session import Session
from overlay.stamps.banner import BannerStamp
from overlay.stamps.base import Closable, Stamp, StampChain, close_stamps
from overlay.stamps.facetag import FaceTagStamp
from overlay.stamps.mark import MarkStamp
from overlay.stamps.watermark import WatermarkStamp

if TYPE_CHECKING:
    from overlay.faces import FaceSettings

__all__ = [
    "BannerStamp",
    "Closable",
    "FaceTagStamp",
    "MarkStamp",
    "Stamp",
    "StampChain",
    "WatermarkStamp",
    "close_stamps",
    "default_stamps",
]


def default_stamps(
    session: Session,
    banner: BannerConfig,
    faces: FaceSettings | None = None,
    *,
    watermark_key: bytes | None = None,
) -> list[Stamp]:
    """The session's stamps in their required order: face tag, banner, mark, watermark.

    The watermark comes last so that everything a frame shows carries it: the start
    card, the banner's plate, the mark and the slate cover a large part of the picture,
    and a watermark drawn first would be painted over there.

    ``faces`` defaults to ``FaceSettings()`` (tag on, detection inline). With no face
    model the face tag is a no-op and the banner stays where configured.
    ``watermark_key`` seals the session id (default: the installation's key, created in
    the config folder on first use).
    """
    from overlay.faces import FaceSettings, open_face_watch

    # The watermark is made first (it is stamped last): its key is checked (mode 0600)
    # before the face model loads.
    watermark = WatermarkStamp(session, installation_key=watermark_key)
    tag = FaceTagStamp(
        session,
        open_face_watch(faces or FaceSettings()),
        draw=(faces or FaceSettings()).tag,
    )
    mark = MarkStamp(session, banner.position)
    return [
        tag,
        BannerStamp(
            session,
            banner,
            faces=tag.faces if tag.watch is not None else None,
            keep_clear=[(mark.x, mark.y, mark.plate_w, mark.plate_h)],
        ),
        mark,
        watermark,
    ]
