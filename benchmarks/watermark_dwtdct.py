"""invisible-watermark's dwtDct (the Stable Diffusion watermark), for comparison only.

Install it in your own venv, never as a dependency (it declares torch):
``pip install --no-deps invisible-watermark PyWavelets``. Its package ``__init__`` imports
torch, so the dwtDct module (``maxDct.py``) is loaded directly from its file.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import numpy as np

from overlay.frames import BGRImage

BITS = 32


def load() -> ModuleType | None:
    """The dwtDct module, or None when invisible-watermark is not installed."""
    try:
        spec = importlib.util.find_spec("imwatermark")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = f"{next(iter(spec.submodule_search_locations))}/maxDct.py"
    mod_spec = importlib.util.spec_from_file_location("_imwatermark_maxdct", path)
    if mod_spec is None or mod_spec.loader is None:
        return None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


class DwtDct:
    """32 bits per frame with dwtDct's default settings (as ``WatermarkEncoder`` uses)."""

    def __init__(self, module: ModuleType, bits: np.ndarray[Any, Any]) -> None:
        self.bits = bits.astype(bool)
        self._enc = module.EmbedMaxDct(list(self.bits.astype(int)), wmLen=BITS)
        self._dec = module.EmbedMaxDct([], wmLen=BITS)

    def embed(self, image: BGRImage) -> BGRImage:
        out: BGRImage = self._enc.encode(image)
        return out

    def read(self, image: BGRImage) -> bool:
        """All 32 bits read back correctly."""
        if image.shape[0] * image.shape[1] < 256 * 256:
            return False
        return bool(np.array_equal(self._dec.decode(image), self.bits))
