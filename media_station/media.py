"""The media image of a job: an ISO 9660 + Joliet image for discs, a folder for USB media."""

import os
import re
import shutil

import pycdlib

from .paths import safe_join


def _d_chars(text, limit):
    return re.sub(r"[^A-Z0-9_]", "_", text.upper())[:limit] or "_"


def volume_ident(name):
    # 32 bytes in the primary descriptor, but the Joliet one holds it in UTF-16: 16 characters
    return _d_chars(name, 16)


class _IsoNames:
    """Unique ISO 9660 level-3 names per directory (Joliet keeps the real ones)."""

    def __init__(self):
        self.used = {}

    def name(self, parent, part, is_file):
        if is_file:
            stem, _dot, ext = part.rpartition(".")
            if not stem:
                stem, ext = ext, ""
            ext = _d_chars(ext, 3) if ext else ""
            stem = _d_chars(stem, 30 - len(ext) - 1)
            candidate = f"{stem}.{ext}" if ext else stem
        else:
            candidate = _d_chars(part, 31)
        taken = self.used.setdefault(parent, set())
        base, counter = candidate, 1
        while candidate in taken:
            suffix = f"_{counter}"
            if is_file and "." in base:
                stem, ext = base.rsplit(".", 1)
                candidate = f"{stem[: 30 - len(ext) - 1 - len(suffix)]}{suffix}.{ext}"
            else:
                candidate = f"{base[: 31 - len(suffix)]}{suffix}"
            counter += 1
        taken.add(candidate)
        return candidate


def build_iso(files, volume_name, out_path):
    """Write an ISO image of ``files`` ((path on the media, local path) pairs) to ``out_path``;
    file contents are streamed, never held in memory."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, vol_ident=volume_ident(volume_name))
    names = _IsoNames()
    directories = {"": ("/", "/")}
    handles = []
    try:
        for media_path, local_path in sorted(files):
            parts = media_path.replace("\\", "/").split("/")
            safe_join("/", media_path)  # refuses '..' and absolute paths
            parent = ""
            for depth, part in enumerate(parts[:-1]):
                key = "/".join(parts[: depth + 1])
                if key not in directories:
                    iso_parent, joliet_parent = directories[parent]
                    iso_dir = f"{iso_parent.rstrip('/')}/{names.name(parent, part, False)}"
                    joliet_dir = f"{joliet_parent.rstrip('/')}/{part[:64]}"
                    iso.add_directory(iso_dir, joliet_path=joliet_dir)
                    directories[key] = (iso_dir, joliet_dir)
                parent = key
            iso_parent, joliet_parent = directories[parent]
            # kept open until the image is written
            handle = open(local_path, "rb")
            handles.append(handle)
            iso.add_fp(
                handle,
                os.fstat(handle.fileno()).st_size,
                iso_path=f"{iso_parent.rstrip('/')}/{names.name(parent, parts[-1], True)};1",
                joliet_path=f"{joliet_parent.rstrip('/')}/{parts[-1][:64]}",
            )
        tmp = out_path + ".tmp"
        iso.write(tmp)
        os.replace(tmp, out_path)
    finally:
        iso.close()
        for handle in handles:
            handle.close()
    return out_path


def build_folder(files, out_dir):
    """A folder image for USB media: the files at their paths (hard links when possible)."""
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    for media_path, local_path in files:
        target = safe_join(out_dir, media_path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.link(local_path, target)
        except OSError:
            shutil.copyfile(local_path, target)
    return out_dir
