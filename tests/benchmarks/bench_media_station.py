#!/usr/bin/env python3
"""Station staging throughput versus md5sum, and its memory, in one run.

2 GB of files (8 x 256 MB) served over HTTP by a separate process (sendfile); the station's
repository fetches and verifies them (download, MD5, store) ``BENCH_STATION_PARALLEL`` (2,
the station's default) at a time, and the same files are hashed by as many ``md5sum``
processes at once (the baseline: the machine's MD5 rate at the station's parallelism). Prints both rates, their ratio and the station's peak RSS after the first file and
after all of them. Goals: >= 80 % of md5sum's rate; RSS flat (no growth with the data).
"""

import hashlib
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import report  # noqa: E402

from media_station.repository import Repository  # noqa: E402

FILES = int(os.environ.get("BENCH_STATION_FILES", 8))
SIZE = 256 << 20
PARALLEL = int(os.environ.get("BENCH_STATION_PARALLEL", 2))  # the station default: parallel_downloads


# the file server, in a process of its own: sendfile(2), as nginx serves Odoo's filestore
# with --x-sendfile
SERVER = """
import http.server, os, sys

class Handler(http.server.SimpleHTTPRequestHandler):
    def copyfile(self, source, outputfile):
        outputfile.flush()
        self.connection.sendfile(source)

    def log_message(self, *args):
        pass

os.chdir(sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def md5sum_rate_of(paths, parallel, size):
    """MB/s of ``parallel`` md5sum processes hashing ``paths`` (files dealt round-robin)."""
    shares = [paths[i::parallel] for i in range(parallel)]
    start = time.perf_counter()
    processes = [subprocess.Popen(["md5sum", *share], stdout=subprocess.DEVNULL) for share in shares if share]
    for process in processes:
        if process.wait() != 0:
            raise RuntimeError("md5sum failed")
    return len(paths) * size / (time.perf_counter() - start) / 1e6


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-station-"))
    try:
        served = work / "served"
        served.mkdir()
        md5s = {}
        block = os.urandom(1 << 20)
        for i in range(FILES):
            digest = hashlib.md5(usedforsecurity=False)
            with open(served / f"file{i}.bin", "wb") as handle:
                for j in range(SIZE >> 20):
                    shift = (i * 131 + j) % 997  # every file and block different
                    chunk = block[shift:] + block[:shift]
                    handle.write(chunk)
                    digest.update(chunk)
            md5s[f"file{i}.bin"] = digest.hexdigest()
        assert len(set(md5s.values())) == FILES, "files must differ, or the store would download one"
        # the server's files are at rest on its disk, not gigabytes of dirty pages still being
        # written back while the station writes its own copies
        os.sync()
        total = FILES * SIZE
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), str(served)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)
            # md5sum over the files the station stages in parallel (page cache warm, as for the
            # server), with the station's parallelism: PARALLEL md5sum processes sharing the
            # files as the station's downloads do; one md5sum alone for context
            paths = sorted(str(p) for p in served.iterdir())
            staged = paths[1:]
            md5sum_rate = md5sum_rate_of(staged, PARALLEL, SIZE)
            md5sum_single = md5sum_rate_of(staged, 1, SIZE)
            repo = Repository(work / "repo")
            entries = [
                {"url": f"http://127.0.0.1:{port}/{name}", "md5": md5, "size": SIZE, "name": name}
                for name, md5 in md5s.items()
            ]
            repo.fetch_many(entries[:1])  # one file alone: the memory baseline
            after_first = peak_rss_mb()
            start = time.perf_counter()
            repo.fetch_many(entries[1:], parallel=PARALLEL)  # as the station stages a manifest
            station_rate = (total - SIZE) / (time.perf_counter() - start) / 1e6
            after_all = peak_rss_mb()
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = station_rate / md5sum_rate
    growth = after_all - after_first
    print(
        f"{FILES} files, {total / 1e9:.1f} GB; {PARALLEL} downloads and {PARALLEL} md5sum processes at a time"
    )
    report(
        f"station stage + verify / md5sum, {PARALLEL} at a time",
        ">= 0.80",
        f"{station_rate:,.0f} / {md5sum_rate:,.0f} MB/s = {ratio:.2f}",
        ratio >= 0.8,
    )
    report("one md5sum process (context)", "", f"{md5sum_single:,.0f} MB/s", True)
    report(
        "station peak RSS, first file -> all files",
        "flat",
        f"{after_first:.0f} -> {after_all:.0f} MB",
        growth < 20,
    )
    return 0 if ratio >= 0.8 and growth < 20 else 1


if __name__ == "__main__":
    sys.exit(main())
