"""The face tag: a small "AI" label that stays beside every face in the frame."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overlay.frames import Frame
from overlay.render import SpriteBlender, render_label
from overlay.session import Session

if TYPE_CHECKING:
    from overlay.faces import Box
    from overlay.faces.watch import FaceWatch

__all__ = ["FaceTagStamp", "tag_place"]

#: Cap height of the tag's text as a fraction of the face box height.
TAG_SCALE = 0.13
#: A tag moves only when its place changes by more than this many pixels.
STILL_PX = 2
#: Gap between the face box and the tag, as a fraction of the face box width.
GAP = 0.06


def tag_place(box: Box, tag_w: int, tag_h: int, size: tuple[int, int]) -> tuple[int, int]:
    """Top-left corner of a tag beside ``box``: right of its top edge, else left; in frame."""
    w, h = size
    x0, y0, x1, _ = box
    gap = GAP * (x1 - x0)
    x = x1 + gap
    if x + tag_w > w:
        x = x0 - gap - tag_w
    x = min(max(x, 0.0), w - tag_w)
    y = min(max(y0, 0.0), h - tag_h)
    return round(x), round(y)


class FaceTagStamp:
    """Tags each face a :class:`~overlay.faces.watch.FaceWatch` follows.

    Args:
        session: gives the frame size.
        watch: the face watch; None (no model, faces off) makes this stamp a no-op.
        draw: False keeps watching faces (the banner still avoids them) without the tag.
        text: the tag's text.
    """

    name = "facetag"

    def __init__(
        self,
        session: Session,
        watch: FaceWatch | None,
        *,
        draw: bool = True,
        text: str = "AI",
    ) -> None:
        self.size = session.size
        self.watch = watch
        self.draw = draw
        self.text = text
        short = min(session.size)
        self._min_cap = max(8, round(0.018 * short))
        self._max_cap = max(self._min_cap, round(0.04 * short))  # below the banner's 5%
        self._sprites: dict[int, SpriteBlender] = {}
        self._placed: list[tuple[int, int]] = []
        #: Where the tags went on the last frame, as (x, y, w, h).
        self.last_tags: list[tuple[int, int, int, int]] = []

    def _sprite(self, face_h: float) -> SpriteBlender:
        # Sizes step by 2 px so a face moving closer re-renders a handful of sprites, once.
        cap = round(min(max(TAG_SCALE * face_h, self._min_cap), self._max_cap) / 2) * 2
        blender = self._sprites.get(cap)
        if blender is None:
            blender = render_label(self.text, cap, plate_opacity=0.85).blender()
            self._sprites[cap] = blender
        return blender

    def faces(self) -> list[Box]:
        """The face boxes at the last frame stamped (empty without a watch)."""
        return self.watch.boxes if self.watch is not None else []

    def apply(self, frame: Frame) -> Frame:
        self.last_tags = []
        if self.watch is None:
            return frame
        boxes = self.watch.update(frame)
        if not self.draw:
            return frame
        previous = self._placed
        self._placed = []
        for box in boxes:
            sprite = self._sprite(box[3] - box[1])
            if sprite.width > self.size[0] or sprite.height > self.size[1]:
                continue
            x, y = tag_place(box, sprite.width, sprite.height, self.size)
            # Sub-pixel wobble of a still face would make the tag shimmer: hold it.
            for px, py in previous:
                if abs(px - x) <= STILL_PX and abs(py - y) <= STILL_PX:
                    x, y = px, py
                    break
            sprite.blend(frame.image, x, y)
            self._placed.append((x, y))
            self.last_tags.append((x, y, sprite.width, sprite.height))
        return frame

    def close(self) -> None:
        """Stop the face watch (its worker thread and model). Idempotent."""
        if self.watch is not None:
            self.watch.close()
