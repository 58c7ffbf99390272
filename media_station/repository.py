"""Content-addressed local store of title files, keyed by MD5, filled by resumable downloads."""

import concurrent.futures
import hashlib
import logging
import os
import time

import requests

from .errors import ChecksumMismatch, StationError

_logger = logging.getLogger(__name__)

CHUNK = 1 << 20
# network reads: small enough that a cut connection loses little of what arrived
DOWNLOAD_CHUNK = 1 << 18


def md5_file(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class Repository:
    def __init__(self, root, session=None, timeout=60, headers=None, progress=None):
        self.root = os.path.realpath(root)
        os.makedirs(self.root, exist_ok=True)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.headers = headers or {}
        self.progress = progress

    def path_for(self, md5):
        md5 = md5.lower()
        if len(md5) != 32 or any(c not in "0123456789abcdef" for c in md5):
            raise StationError(f"invalid MD5 {md5!r}")
        return os.path.join(self.root, md5[:2], md5)

    def has(self, md5):
        return os.path.isfile(self.path_for(md5))

    def fetch_many(self, entries, parallel=2, headers_for=None):
        """Fetch ``entries`` (dicts with url, md5, size, name) ``parallel`` at a time; the
        local paths in the same order. The first failure is raised once all have stopped."""
        entries = list(entries)
        if parallel <= 1 or len(entries) <= 1:
            return [self._fetch_entry(entry, headers_for) for entry in entries]
        with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = [pool.submit(self._fetch_entry, entry, headers_for) for entry in entries]
            concurrent.futures.wait(futures)
        return [future.result() for future in futures]

    def _fetch_entry(self, entry, headers_for):
        headers = headers_for(entry["url"]) if headers_for else None
        return self.fetch(
            entry["url"], entry["md5"], entry.get("size"), name=entry.get("name", ""), headers=headers
        )

    def fetch(self, url, md5, size=None, name="", headers=None):
        """The verified local copy of a file: downloaded once, resumed after an interruption,
        streamed (flat memory), MD5 checked before it is ever used."""
        path = self.path_for(md5)
        if os.path.isfile(path):
            os.utime(path)  # recently used: kept by prune
            return path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = path + ".part"
        digest = hashlib.md5(usedforsecurity=False)
        offset = 0
        if os.path.exists(partial):
            with open(partial, "rb") as done:  # re-hash what is already there
                while chunk := done.read(CHUNK):
                    digest.update(chunk)
                    offset += len(chunk)
        headers = dict(self.headers if headers is None else headers)
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with self.session.get(url, headers=headers, stream=True, timeout=self.timeout) as response:
            if response.status_code == 200 and offset:  # the server ignored the range: start over
                digest, offset = hashlib.md5(usedforsecurity=False), 0
                mode = "wb"
            elif response.status_code in (200, 206):
                mode = "ab" if offset else "wb"
            else:
                raise StationError(f"download of {name or url} failed: HTTP {response.status_code}")
            with open(partial, mode) as target:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    target.write(chunk)
                    digest.update(chunk)  # releases the GIL: parallel downloads hash on all cores
                    offset += len(chunk)
                    if self.progress:
                        self.progress(name or url, offset, size)
        if size is not None and offset < size:  # cut short: kept, the next fetch resumes
            raise StationError(f"{name or url}: {offset} of {size} bytes received; the download resumes")
        actual = digest.hexdigest()
        if actual != md5.lower() or (size is not None and offset != size):
            os.unlink(partial)  # never used, never resumed
            raise ChecksumMismatch(name or url, md5.lower(), actual)
        os.replace(partial, path)
        _logger.info("stored %s (%s bytes, md5 %s)", name or url, offset, actual)
        return path

    def verify(self):
        """(md5, ok) for every stored file: the content still matches its name."""
        for folder in sorted(os.listdir(self.root)):
            directory = os.path.join(self.root, folder)
            if not os.path.isdir(directory):
                continue
            for name in sorted(os.listdir(directory)):
                if name.endswith(".part"):
                    continue
                yield name, md5_file(os.path.join(directory, name)) == name

    def prune(self, max_age_days=30, max_bytes=None, keep=()):
        """Remove files unused for ``max_age_days``, then the least recently used ones
        while the store exceeds ``max_bytes``; never the MD5s in ``keep``."""
        keep = {k.lower() for k in keep}
        entries = []
        for folder in os.listdir(self.root):
            directory = os.path.join(self.root, folder)
            if os.path.isdir(directory):
                for name in os.listdir(directory):
                    path = os.path.join(directory, name)
                    stat = os.stat(path)
                    entries.append((stat.st_mtime, stat.st_size, name, path))
        entries.sort()
        now = time.time()
        total = sum(e[1] for e in entries)
        removed = []
        for mtime, size, name, path in entries:
            if name in keep:
                continue
            old = now - mtime > max_age_days * 86400
            if old or (max_bytes is not None and total > max_bytes):
                os.unlink(path)
                total -= size
                removed.append(name)
        return removed
