"""``avatar[:SOURCE]``: a synthetic 2D character rendered by overlay itself.

With no argument it plays an idle-and-talking animation (head sway, blinks, glances,
speech-like mouth movement, brows and smiles), the same on every run. With a source
(``avatar:webcam:0``, ``avatar:file:me.mp4``) it follows the face in that source through
MediaPipe's FaceLandmarker: blendshapes drive the eyes, brows and mouth, the facial
transformation matrix the head pose. Its pixels are always ``origin = "synthetic"``.

Everything is drawn with OpenCV's anti-aliased polygons at sub-pixel precision on a
backdrop rendered once, so a 720p frame costs a few milliseconds.
"""

from __future__ import annotations

from overlay.sources.avatar.pose import AvatarPose, IdleAnimation, pose_from_reading, still_pose
from overlay.sources.avatar.render import AvatarRenderer, Palette, palette_from_image
from overlay.sources.avatar.source import AvatarSource

__all__ = [
    "AvatarPose",
    "AvatarRenderer",
    "AvatarSource",
    "IdleAnimation",
    "Palette",
    "palette_from_image",
    "pose_from_reading",
    "still_pose",
]
