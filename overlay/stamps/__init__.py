"""Stamps: what every frame carries before any sink sees it."""

from __future__ import annotations

from overlay.config import BannerConfig
from overlay.session import Session
from overlay.stamps.banner import BannerStamp
from overlay.stamps.base import Stamp, StampChain
from overlay.stamps.mark import MarkStamp
from overlay.stamps.watermark import WatermarkStamp

__all__ = ["BannerStamp", "MarkStamp", "Stamp", "StampChain", "WatermarkStamp", "default_stamps"]


def default_stamps(session: Session, banner: BannerConfig) -> list[Stamp]:
    """The session's stamps in their required order: watermark, banner, mark."""
    return [
        WatermarkStamp(session),
        BannerStamp(session, banner),
        MarkStamp(session, banner.position),
    ]
