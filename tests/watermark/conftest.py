"""Shared watermark fixtures (the content itself is in watermark_content.py)."""

from __future__ import annotations

import pytest
from watermark_content import PAYLOAD, SIZE, clip

from overlay.frames import BGRImage
from overlay.watermark import Embedder


@pytest.fixture(scope="session")
def coffee_clip() -> list[BGRImage]:
    """Eight 1280x720 frames of a pan over scikit-image's coffee photo (unmarked)."""
    return clip("coffee", 8)


@pytest.fixture(scope="session")
def marked_coffee(coffee_clip: list[BGRImage]) -> list[BGRImage]:
    embedder = Embedder(PAYLOAD, SIZE)
    return [embedder.apply(f.copy()) for f in coffee_clip]
