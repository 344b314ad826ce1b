"""MediaPipe, loaded lean and offline.

Two things the mediapipe wheel does on its own that overlay does not allow at run time:

- ``import mediapipe`` imports every task: the audio ones import ``sounddevice`` (which
  runs ``ldconfig`` and ``gcc`` to find PortAudio) and the drawing helpers import
  ``matplotlib`` (which writes a font cache). :func:`load_mediapipe` imports only the face
  detector and landmarker modules, under empty stand-ins for the package ``__init__``
  files that would import the rest.
- Its native library (``libmediapipe.so``) sends usage telemetry to
  ``play.googleapis.com/log`` from a background thread (``CurlClient::Post``; there is
  no documented switch). The library resolves host names through the C library's
  ``getaddrinfo``, imported through its global offset table; :func:`block_native_dns`
  points that one entry at a function that answers "no such host", so the library cannot
  look up (and therefore cannot reach) any host. Python's own sockets (the documented
  model download) are not touched. Linux only (ELF); elsewhere it reports that it could
  not block, and the README says so.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.machinery
import importlib.util
import logging
import mmap
import os
import struct
import sys
import threading
import types
from pathlib import Path
from typing import Any

__all__ = ["BLOCKED_LOOKUPS", "block_native_dns", "blocked_lookups", "load_mediapipe"]

log = logging.getLogger(__name__)

#: Host names the native library tried to look up (recorded where the refusal is a
#: Python function; on x86-64 it is machine code and only :func:`blocked_lookups` counts).
BLOCKED_LOOKUPS: list[str] = []

_lock = threading.Lock()
_loaded: dict[str, types.ModuleType] = {}
_blocked_libs: set[str] = set()

_GetAddrInfo = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p
)
_EAI_NONAME = -2


def _refuse_lookup(node: bytes | None, service: bytes | None, hints: int, res: int) -> int:
    name = (node or b"").decode("ascii", "replace")
    BLOCKED_LOOKUPS.append(name)
    with _count_lock:
        _COUNT.value += 1
    if res:
        ctypes.c_void_p.from_address(res).value = None
    return _EAI_NONAME


#: Kept alive for as long as the process: the library holds its address.
_REFUSE = _GetAddrInfo(_refuse_lookup)
_COUNT = ctypes.c_uint64(0)
_count_lock = threading.Lock()
_stub: list[object] = []  # the executable page, kept mapped for the process's life
_stub_address: list[int] = []


def blocked_lookups() -> int:
    """How many host-name lookups the native library made and was refused."""
    return int(_COUNT.value)


def _native_refusal() -> int | None:
    """Address of a machine-code ``getaddrinfo`` that counts and answers EAI_NONAME.

    Machine code, not a Python callback: the library may look up a host from its own
    thread while the interpreter shuts down, when calling into Python would crash.
    x86-64 only (None elsewhere).
    """
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    if _stub_address:
        return _stub_address[0]
    counter = ctypes.addressof(_COUNT)
    code = (
        b"\x48\xb8" + struct.pack("<Q", counter)  # mov rax, counter
        + b"\xf0\x48\xff\x00"  # lock inc qword ptr [rax]
        + b"\xb8" + struct.pack("<i", _EAI_NONAME)  # mov eax, EAI_NONAME
        + b"\xc3"  # ret
    )  # fmt: skip
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    page.write(code)
    buf = ctypes.c_char.from_buffer(page)
    address = ctypes.addressof(buf)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    if libc.mprotect(address, mmap.PAGESIZE, mmap.PROT_READ | mmap.PROT_EXEC) != 0:
        return None  # no executable memory allowed here: the Python refusal is used
    _stub.extend([page, buf])
    _stub_address.append(address)
    return address


# (relocation types of a GOT slot that holds a function address) per ELF machine.
_SLOT_TYPES = {62: (6, 7), 183: (1025, 1026)}  # x86-64: GLOB_DAT, JUMP_SLOT; AArch64


def _package(name: str, path: Path) -> types.ModuleType:
    """An importable package ``name`` at ``path`` whose ``__init__`` is not run."""
    module = types.ModuleType(name)
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(path)]
    module.__spec__ = spec
    module.__path__ = [str(path)]
    module.__package__ = name
    module.__file__ = str(path / "__init__.py")
    sys.modules[name] = module
    return module


def load_mediapipe() -> types.ModuleType:
    """The ``mediapipe`` package with only what overlay uses, telemetry blocked.

    ``mediapipe.Image``, ``mediapipe.ImageFormat``, ``mediapipe.tasks.python.BaseOptions``
    and ``mediapipe.tasks.python.vision.{FaceDetector, FaceLandmarker, ...Options,
    RunningMode}`` are there; other submodules can still be imported by name.
    """
    with _lock:
        if "mediapipe" in _loaded:
            return _loaded["mediapipe"]
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        existing = sys.modules.get("mediapipe")
        if existing is not None and getattr(existing, "__spec__", None) is not None:
            mp = existing  # someone imported the whole package already: use it
        else:
            spec = importlib.util.find_spec("mediapipe")
            if spec is None or not spec.submodule_search_locations:
                raise ImportError("mediapipe is not installed")
            root = Path(next(iter(spec.submodule_search_locations)))
            mp = _package("mediapipe", root)
            tasks = _package("mediapipe.tasks", root / "tasks")
            python = _package("mediapipe.tasks.python", root / "tasks" / "python")
            vision = _package("mediapipe.tasks.python.vision", root / "tasks" / "python" / "vision")
            mp.tasks = tasks  # type: ignore[attr-defined]
            tasks.python = python  # type: ignore[attr-defined]
            python.vision = vision  # type: ignore[attr-defined]
            image = importlib.import_module("mediapipe.tasks.python.vision.core.image")
            mp.Image = image.Image  # type: ignore[attr-defined]
            mp.ImageFormat = image.ImageFormat  # type: ignore[attr-defined]
            base = importlib.import_module("mediapipe.tasks.python.core.base_options")
            python.BaseOptions = base.BaseOptions  # type: ignore[attr-defined]
            detector = importlib.import_module("mediapipe.tasks.python.vision.face_detector")
            landmarker = importlib.import_module("mediapipe.tasks.python.vision.face_landmarker")
            mode = importlib.import_module(
                "mediapipe.tasks.python.vision.core.vision_task_running_mode"
            )
            for module in (detector, landmarker):
                for name in dir(module):
                    if name.startswith("Face"):
                        setattr(vision, name, getattr(module, name))
            vision.RunningMode = mode.VisionTaskRunningMode  # type: ignore[attr-defined]
        bindings = importlib.import_module("mediapipe.tasks.python.core.mediapipe_c_bindings")
        lib = bindings.load_raw_library()
        block_native_dns(str(lib._name))
        _loaded["mediapipe"] = mp
        return mp


def _maps_for(path: str) -> list[tuple[int, int, str, int]]:
    """(start, end, perms, file offset) of the mappings of ``path`` in this process."""
    real = os.path.realpath(path)
    out = []
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split(maxsplit=5)
            if len(parts) == 6 and parts[5].strip() == real:
                start, end = (int(x, 16) for x in parts[0].split("-"))
                out.append((start, end, parts[1], int(parts[2], 16)))
    return out


def _getaddrinfo_slots(data: Any) -> tuple[int, list[int]]:
    """The first PT_LOAD's address and the GOT offsets holding ``getaddrinfo``."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise OSError("not a 64-bit little-endian ELF file")
    machine = struct.unpack_from("<H", data, 0x12)[0]
    slot_types = _SLOT_TYPES.get(machine)
    if slot_types is None:
        raise OSError(f"ELF machine {machine} is not supported")
    phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
    phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
    first_load = None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_offset == 0:
            first_load = p_vaddr
            break
    if first_load is None:
        raise OSError("no loadable segment at offset 0")
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    dynsym = next((s for s in sections if s[1] == 11), None)  # SHT_DYNSYM
    if dynsym is None:
        raise OSError("no dynamic symbol table")
    dynstr = sections[dynsym[6]]
    sym_off, sym_size, str_off = dynsym[4], dynsym[9] or 24, dynstr[4]

    def sym_name(index: int) -> bytes:
        st_name = struct.unpack_from("<I", data, sym_off + index * sym_size)[0]
        end = data.find(b"\0", str_off + st_name)
        return bytes(data[str_off + st_name : end])

    slots = []
    for s in sections:
        if s[1] != 4:  # SHT_RELA
            continue
        offset, size, entsize = s[4], s[5], s[9] or 24
        for pos in range(offset, offset + size, entsize):
            r_offset, r_info = struct.unpack_from("<QQ", data, pos)
            if (r_info & 0xFFFFFFFF) in slot_types and sym_name(r_info >> 32) == b"getaddrinfo":
                slots.append(r_offset)
    return first_load, slots


def block_native_dns(library: str) -> bool:
    """Make the loaded native ``library`` unable to resolve host names; True when done.

    Only that library's own ``getaddrinfo`` entry changes; every other module (Python's
    sockets included) keeps the C library's.
    """
    real = os.path.realpath(library)
    if real in _blocked_libs:
        return True
    if not sys.platform.startswith("linux"):
        log.warning("cannot block MediaPipe's telemetry on %s (Linux only)", sys.platform)
        return False
    try:
        maps = _maps_for(real)
        base_map = next((m for m in maps if m[3] == 0), None)
        if base_map is None:
            raise OSError(f"{real} is not mapped in this process")
        with open(real, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            first_load, slots = _getaddrinfo_slots(data)
        bias = base_map[0] - (first_load & ~(mmap.PAGESIZE - 1))
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        target = _native_refusal() or ctypes.cast(_REFUSE, ctypes.c_void_p).value
        for r_offset in slots:
            address = bias + r_offset
            page = address & ~(mmap.PAGESIZE - 1)
            perms = next((m[2] for m in _maps_for(real) if m[0] <= address < m[1]), "r--p")
            if "w" not in perms and libc.mprotect(page, mmap.PAGESIZE, 3) != 0:  # RW
                raise OSError(ctypes.get_errno(), "mprotect failed")
            ctypes.c_void_p.from_address(address).value = target
            if "w" not in perms:
                libc.mprotect(page, mmap.PAGESIZE, 1)  # back to read-only (RELRO)
    except (OSError, ValueError, StopIteration) as exc:
        log.warning("cannot block MediaPipe's telemetry in %s: %s", real, exc)
        return False
    if not slots:
        log.debug("%s imports no getaddrinfo: nothing to block", real)
    _blocked_libs.add(real)
    return True
