import os
import posixpath

from .errors import UnsafePath


def safe_join(root, relative):
    """``root``/``relative`` for a manifest path: relative, no ``..``, no drive, inside ``root``."""
    if not isinstance(relative, str) or not relative or "\x00" in relative:
        raise UnsafePath(f"invalid path {relative!r}")
    normalized = relative.replace("\\", "/")
    parts = normalized.split("/")
    if normalized.startswith("/") or ":" in parts[0] or any(p in ("", ".", "..") for p in parts):
        raise UnsafePath(f"unsafe path {relative!r}: it must be relative, without '..'")
    root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(root, *parts))
    if os.path.commonpath([root, target]) != root:
        raise UnsafePath(f"unsafe path {relative!r}: it leaves {root}")
    return target


def safe_name(name):
    """A file name (no directory) from a job's order or volume name: ASCII letters, digits,
    '-', '_' and '.' (robot software on Windows shares reads these whatever its code page)."""
    cleaned = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in str(name))
    cleaned = posixpath.basename(cleaned).lstrip(".")
    if not cleaned:
        raise UnsafePath(f"invalid name {name!r}")
    return cleaned
