"""Content-addressed local store of title files, keyed by MD5, filled by resumable downloads."""

import concurrent.futures
import errno
import hashlib
import http.client
import logging
import mmap
import os
import queue
import threading
import time

import requests

from .errors import ChecksumMismatch, IncompleteDownload, StationError

try:
    import fcntl
except ImportError:  # not a POSIX system: no direct I/O either
    fcntl = None

_logger = logging.getLogger(__name__)

CHUNK = 1 << 20
# network reads: small enough that a timeout loses little of what arrived (what a read that
# fails had received is not counted, the resume asks for it again)
DOWNLOAD_CHUNK = 1 << 18
# direct I/O block: a multiple of every device's logical block size
BLOCK = 1 << 20
# blocks per download: one being received while the others are written
DEPTH = 4
DIRECT = getattr(os, "O_DIRECT", 0) if fcntl else 0


def _hash_file(digest, path):
    """Add the content of ``path`` to ``digest``; its length."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    length = 0
    with open(path, "rb", buffering=0) as source:
        while size := source.readinto(buffer):
            digest.update(view[:size])
            length += size
    return length


def md5_file(path):
    digest = hashlib.md5(usedforsecurity=False)
    _hash_file(digest, path)
    return digest.hexdigest()


def _content_length(response):
    """The body length the server announced, or None (chunked, compressed or unparsable)."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


def _set_direct(fd, on):
    """Turn direct I/O on or off for ``fd``; whether it is on afterwards."""
    if not DIRECT:
        return False
    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | DIRECT if on else flags & ~DIRECT)
    except OSError:  # a filesystem without direct I/O
        return False
    return on


class _BlockWriter:
    """Appends to a partial download in whole blocks written past the page cache (direct I/O,
    where the filesystem allows it), the last partial block by an ordinary write.

    Staged titles are gigabytes read once more to build the image: through the page cache they
    would evict what the station and the robot read, and filling it costs about as much CPU as
    the MD5 on virtual machines. A direct write returns once the device has the block, so the
    blocks are written by a thread of their own while the next ones are received: ``DEPTH``
    page-aligned buffers, the download receives into :meth:`space` (no copy: the socket reads
    into it) and hands what arrived over with :meth:`commit`. ``keep`` bytes of an earlier
    attempt stay; the unaligned end of them is taken back into the first buffer, so that
    direct writes start on a block boundary.
    """

    def __init__(self, path, keep=0):
        self.buffer = mmap.mmap(-1, BLOCK * DEPTH)  # page aligned, as direct I/O requires
        whole = memoryview(self.buffer)
        self.blocks = [whole[i * BLOCK : (i + 1) * BLOCK] for i in range(DEPTH)]
        whole.release()
        self.current = 0  # the block being received
        aligned = keep - keep % BLOCK
        self.fill = keep - aligned  # bytes of it received
        self.free = queue.SimpleQueue()  # blocks written, ready to receive again
        for index in range(1, DEPTH):
            self.free.put(index)
        self.pending = queue.SimpleQueue()  # blocks to write, in file order; None: stop
        self.thread = None
        self.error = None  # what stopped the writes
        self.reported = False
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o644)
        try:
            if self.fill:
                os.lseek(self.fd, aligned, os.SEEK_SET)
                tail = os.read(self.fd, self.fill)
                if len(tail) != self.fill:
                    raise StationError(f"{path} changed while it was resumed")
                self.blocks[0][: self.fill] = tail
            os.ftruncate(self.fd, aligned)
            os.lseek(self.fd, aligned, os.SEEK_SET)
        except BaseException:
            self._release()
            raise
        self.direct = _set_direct(self.fd, True)

    def space(self):
        """The free rest of the block being received; fill it from the start, then :meth:`commit`."""
        return self.blocks[self.current][self.fill :]

    def commit(self, size):
        """``size`` more bytes were put at the start of :meth:`space`."""
        self.fill += size
        if self.fill == BLOCK:
            if self.thread is None:
                self.thread = threading.Thread(target=self._drain, name="block writer", daemon=True)
                self.thread.start()
            self.pending.put(self.current)
            self.current = self.free.get()  # waits while every other block is still being written
            self.fill = 0
            self._raise()

    def write(self, data):
        """Append ``data`` (copied into the blocks)."""
        data = memoryview(data)
        while data:
            space = self.space()
            size = min(len(data), len(space))
            space[:size] = data[:size]
            data = data[size:]
            self.commit(size)

    def _drain(self):
        while (index := self.pending.get()) is not None:
            if self.error is None:  # after a failed write nothing more: the file stays a prefix
                try:
                    self._write(self.blocks[index])
                except BaseException as exc:  # raised in the receiving thread
                    self.error = exc
            self.free.put(index)

    def _raise(self):
        if self.error is not None and not self.reported:
            self.reported = True
            raise self.error

    def _write(self, view):
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except OSError as error:
                if not (self.direct and error.errno == errno.EINVAL):
                    raise
                # the filesystem refuses these direct writes after all: ordinary ones
                self.direct = _set_direct(self.fd, False)

    def close(self, sync=False):
        """Write what is left (also after a cut: a resume continues from it); ``sync``: to the
        disk, before the file is given its final name."""
        try:
            if self.thread is not None:
                self.pending.put(None)
                self.thread.join()
            self._raise()
            if self.fill and self.error is None:
                self.direct = _set_direct(self.fd, False)
                self._write(self.blocks[self.current][: self.fill])
                self.fill = 0
            if sync and self.error is None:
                os.fsync(self.fd)
        finally:
            self._release()

    def _release(self):
        os.close(self.fd)
        for block in self.blocks:
            block.release()
        try:
            self.buffer.close()
        except BufferError:  # a view of it is still referenced (by a traceback): unmapped when freed
            pass


def _unencoded_body(response):
    """The ``http.client`` response under ``response`` when its body is the file as it is
    (no content coding): read into the station's blocks by the socket, without the copies of
    urllib3's reads; else None (the body is read, and decoded, through requests)."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    body = getattr(response.raw, "_fp", None)
    return body if isinstance(body, http.client.HTTPResponse) else None


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

    def fetch_many(self, entries, parallel=2, headers_for=None, hashed=None):
        """Fetch ``entries`` (dicts with url, md5, size, name) ``parallel`` at a time; the
        local paths in the same order. The first failure is raised once all have stopped.
        ``hashed`` (a dict) receives {md5: MD5 computed} of each file downloaded now."""
        entries = list(entries)
        if parallel <= 1 or len(entries) <= 1:
            return [self._fetch_entry(entry, headers_for, hashed) for entry in entries]
        with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
            futures = [pool.submit(self._fetch_entry, entry, headers_for, hashed) for entry in entries]
            concurrent.futures.wait(futures)
        return [future.result() for future in futures]

    def _fetch_entry(self, entry, headers_for, hashed=None):
        headers = headers_for(entry["url"]) if headers_for else None
        return self.fetch(
            entry["url"],
            entry["md5"],
            entry.get("size"),
            name=entry.get("name", ""),
            headers=headers,
            hashed=hashed,
        )

    def fetch(self, url, md5, size=None, name="", headers=None, hashed=None):
        """The verified local copy of a file: downloaded once, resumed after an interruption,
        streamed (flat memory), MD5 checked before it is ever used. A file downloaded now
        adds {md5: the MD5 computed} to ``hashed``; one already stored is not hashed here."""
        path = self.path_for(md5)
        if os.path.isfile(path):
            os.utime(path)  # recently used: kept by prune
            return path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = path + ".part"
        label = name or url
        try:
            digest, offset = self._resume(partial)
            resumed = bool(offset)
            if size is not None and offset > size:  # longer than the file: start over
                digest, offset = self._restart(partial)
            if size is None or offset < size:  # else stopped before the rename: verified as it is
                digest, offset = self._download(url, partial, digest, offset, size, label, headers)
            self._check_length(label, offset, size)
            if resumed and (digest.hexdigest() != md5.lower() or (size is not None and offset != size)):
                # what an earlier attempt left may be damaged: once more from the start
                _logger.warning("%s does not match its MD5 after a resume; downloading it again", label)
                digest, offset = self._download(url, partial, *self._restart(partial), size, label, headers)
                self._check_length(label, offset, size)
        except requests.RequestException:
            raise
        except OSError as exc:
            raise StationError(f"cannot store {label}: {exc}") from exc
        actual = digest.hexdigest()
        if actual != md5.lower() or (size is not None and offset != size):
            os.unlink(partial)  # never used, never resumed
            raise ChecksumMismatch(label, md5.lower(), actual)
        os.replace(partial, path)
        if hashed is not None:
            hashed[md5.lower()] = actual
        _logger.info("stored %s (%s bytes, md5 %s)", label, offset, actual)
        return path

    @staticmethod
    def _check_length(label, offset, size):
        if size is not None and offset < size:  # cut short: kept, the next fetch resumes
            raise IncompleteDownload(label, offset, size)

    @staticmethod
    def _resume(partial):
        """The digest and length of what an earlier attempt left."""
        digest = hashlib.md5(usedforsecurity=False)
        offset = _hash_file(digest, partial) if os.path.exists(partial) else 0
        return digest, offset

    def _download(self, url, partial, digest, offset, size, label, headers):
        """Receive the file from ``offset`` on into ``partial``, hashing it on the way; the
        digest and length reached."""
        while True:
            request_headers = dict(self.headers if headers is None else headers)
            if offset:
                request_headers["Range"] = f"bytes={offset}-"
            with self.session.get(
                url, headers=request_headers, stream=True, timeout=self.timeout
            ) as response:
                status = response.status_code
                if offset and (
                    status == 416  # the part is longer than the file
                    or (
                        status == 206
                        and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-")
                    )
                ):
                    digest, offset = self._restart(partial)  # start over
                    continue
                if offset and status == 200:  # the server ignored the range: start over with it
                    digest, offset = self._restart(partial)
                elif status not in (200, 206):
                    raise StationError(f"download of {label} failed: HTTP {status}")
                announced = _content_length(response)
                end = offset + announced if announced is not None else None
                target = _BlockWriter(partial, offset)
                complete = False
                try:
                    offset = self._receive(response, target, digest, offset, end, size, label)
                    if end is not None and offset < end:
                        # urllib3 1.26 and http.client: the same cut ends the body without an error
                        raise IncompleteDownload(label, offset, end)
                    complete = size is None or offset == size
                finally:
                    target.close(sync=complete)  # a complete file is on the disk before its rename
                return digest, offset

    def _receive(self, response, target, digest, offset, end, size, label):
        """Receive the body of ``response`` into ``target``, hashing it on the way; the
        length reached."""
        body = _unencoded_body(response)
        if body is None:
            try:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    target.write(chunk)
                    digest.update(chunk)  # releases the GIL: parallel downloads hash on all cores
                    offset += len(chunk)
                    if self.progress:
                        self.progress(label, offset, size)
            except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
                # urllib3 2.x: the body ended before its Content-Length
                raise IncompleteDownload(label, offset, end or size or "?") from exc
            return offset
        while True:
            space = target.space()[:DOWNLOAD_CHUNK]
            try:
                received = body.readinto(space)  # until it is full or the body ends
            except (http.client.HTTPException, OSError) as exc:  # cut, timeout, bad chunk
                raise IncompleteDownload(label, offset, end or size or "?") from exc
            if not received:
                break
            digest.update(space[:received])  # releases the GIL: parallel downloads hash on all cores
            target.commit(received)
            offset += received
            if self.progress:
                self.progress(label, offset, size)
        if body.isclosed() and (end is None or offset == end):
            # the whole body was read: the connection serves the next download, as after requests' reads
            response.raw.release_conn()
        return offset

    @staticmethod
    def _restart(partial):
        os.unlink(partial)
        return hashlib.md5(usedforsecurity=False), 0

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
