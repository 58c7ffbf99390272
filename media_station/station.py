"""One station: claim jobs of its site, stage and verify files, build the image, hand the
order to the robot, report to Odoo."""

import base64
import dataclasses
import logging
import os
import shutil
import signal
import socket
import threading
import time

import requests

from .api import Json2Api, XmlRpcApi
from .errors import ChecksumMismatch, OdooUnavailable, StationError
from .media import build_folder, build_iso
from .paths import safe_join, safe_name
from .repository import Repository
from .robot import HotFolder

_logger = logging.getLogger(__name__)


@dataclasses.dataclass
class StationConfig:
    url: str
    db: str
    site: str
    key: str
    repo: str
    hot_folder: str
    work: str = ""
    protocol: str = "json2"
    login: str = ""
    station: str = ""
    lease_seconds: int = 900
    robot_timeout: int = 3600
    poll: float = 5.0
    heartbeat_every: float = 60.0
    batch: int = 1
    parallel_downloads: int = 2

    def __post_init__(self):
        self.work = self.work or os.path.join(self.repo, "_work")
        self.station = self.station or f"{self.site}@{socket.gethostname()}"
        if self.protocol not in ("json2", "xmlrpc"):
            raise ValueError("protocol must be json2 or xmlrpc")
        if self.protocol == "xmlrpc" and not self.login:
            raise ValueError("XML-RPC needs the station user's login (--login)")


class Station:
    def __init__(self, config, api=None, session=None, progress=None):
        self.config = config
        self.api = api or self._make_api(config, session)
        self.repository = Repository(config.repo, session=session, progress=progress)
        self._odoo_headers = {"Authorization": f"bearer {config.key}"}
        self.hot_folder = HotFolder(config.hot_folder)
        os.makedirs(config.work, exist_ok=True)
        self.running = set()
        self.stopping = threading.Event()

    @staticmethod
    def _make_api(config, session):
        if config.protocol == "xmlrpc":
            return XmlRpcApi(config.url, config.db, config.key, config.login)
        return Json2Api(config.url, config.db, config.key, session=session)

    # --- loop -------------------------------------------------------------------------------

    def run(self):
        """Until SIGTERM / SIGINT: claim, produce, report; leases released on the way out."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_args: self.stopping.set())
        _logger.info(
            "station %s of site %s started (%s)", self.config.station, self.config.site, self.config.protocol
        )
        try:
            while not self.stopping.is_set():
                try:
                    done = self.run_once()
                except OdooUnavailable as exc:
                    _logger.error("%s", exc)
                    done = 0
                if not done:
                    self.stopping.wait(self.config.poll)
        finally:
            self.shutdown()

    def run_once(self):
        """Claim what is queued for the site and produce it; the number of jobs handled."""
        self.api.heartbeat([], self.config.lease_seconds)
        packages = self.api.claim(self.config.station, self.config.batch, self.config.lease_seconds)
        for package in packages:
            if self.stopping.is_set():
                break
            self.process(package)
        return len(packages)

    def shutdown(self):
        if self.running:
            _logger.info("releasing jobs %s", sorted(self.running))
            try:
                self.api.release(sorted(self.running))
            except (OdooUnavailable, StationError) as exc:
                _logger.error("could not release the jobs (their leases will expire): %s", exc)
            self.running.clear()

    # --- one job ----------------------------------------------------------------------------

    def process(self, package):
        job_id = package["id"]
        order = safe_name(package["name"])
        self.running.add(job_id)
        try:
            self.api.progress(
                job_id, "staging", f"{self.config.station}: staging {len(package['files'])} files"
            )
            files = self.stage(package)
            image = self.build(package, order, files)
            label = self.write_label(package, order)
            label_pdf = self.write_label_pdf(job_id, order)
            self.api.progress(job_id, "producing", f"{self.config.station}: order {order} sent to the robot")
            self.hot_folder.clear(order)
            self.hot_folder.submit(
                order,
                {
                    "JobID": job_id,
                    "OrderID": package["label"].get("order", ""),
                    "ImageFile" if package.get("is_disc", True) else "Folder": image,
                    "VolumeName": package["volume_name"],
                    "MergeFile": label,
                    "LabelFile": label_pdf,
                    "Copies": package["copies"],
                    "Media": package["media_type"],
                },
            )
            result = self.hot_folder.wait(order, self.config.robot_timeout, on_tick=self._ticker(job_id))
            if result == "done":
                self.api.success(job_id, package["copies"], checksums_verified=True)
                _logger.info("job %s done", package["name"])
            elif result == "error":
                log = self.hot_folder.error_log(order)
                reason = next((line for line in log.splitlines() if line.strip()), "robot error")
                self.api.failure(job_id, f"Robot: {reason.strip()}", log)
                _logger.warning("job %s failed at the robot: %s", package["name"], reason)
            else:
                self.api.failure(job_id, f"Robot did not finish within {self.config.robot_timeout} s")
            self.cleanup(order)
        except (ChecksumMismatch, StationError) as exc:
            _logger.warning("job %s failed: %s", package["name"], exc)
            self.api.failure(job_id, str(exc))
            self.cleanup(order)
        finally:
            self.running.discard(job_id)

    def _ticker(self, job_id):
        last = [time.monotonic()]

        def tick(_state):
            if time.monotonic() - last[0] >= self.config.heartbeat_every:
                self.api.heartbeat([job_id], self.config.lease_seconds)
                last[0] = time.monotonic()

        return tick

    def stage(self, package):
        """Verified local copies of the manifest, as (path on the media, local path)."""
        entries = package["files"]
        for entry in entries:
            safe_join(self.config.work, entry["path"])  # hostile names never reach the disk
        paths = self._fetch_all([{**entry, "name": entry["path"]} for entry in entries])
        return [(entry["path"], path) for entry, path in zip(entries, paths, strict=True)]

    def _headers_for(self, url):
        # the API key goes to this Odoo only, never to FlexNet's or anyone's download servers
        return self._odoo_headers if url.startswith(self.config.url.rstrip("/") + "/") else {}

    def _fetch_all(self, entries, attempts=4):
        """Download the manifest (``parallel_downloads`` at a time), resuming after cuts and
        timeouts; a checksum mismatch is final."""
        for attempt in range(1, attempts + 1):
            try:
                return self.repository.fetch_many(entries, self.config.parallel_downloads, self._headers_for)
            except ChecksumMismatch:
                raise
            except (StationError, requests.RequestException) as exc:
                if attempt == attempts:
                    raise StationError(f"download failed: {exc}") from exc
                _logger.warning("download interrupted (%s); resuming", exc)
                time.sleep(min(2**attempt, 30))
        return []

    def build(self, package, order, files):
        if package.get("is_disc", True):
            return build_iso(files, package["volume_name"], os.path.join(self.config.work, f"{order}.iso"))
        return build_folder(files, os.path.join(self.config.work, order))

    def write_label(self, package, order):
        path = os.path.join(self.config.work, f"{order}.label.txt")
        with open(path, "w", encoding="utf-8") as handle:
            for key, value in sorted(package["label"].items()):
                handle.write(f"{key}={str(value).replace(chr(10), ' ')}\n")
        return path

    def write_label_pdf(self, job_id, order):
        """The label PDF from Odoo, or nothing (the merge file still prints a label)."""
        try:
            content = base64.b64decode(self.api.label_pdf(job_id))
        except (StationError, ValueError, TypeError) as exc:
            _logger.warning("no label PDF for job %s: %s", job_id, exc)
            return ""
        path = os.path.join(self.config.work, f"{order}.label.pdf")
        with open(path, "wb") as handle:
            handle.write(content)
        return path

    def cleanup(self, order):
        for name in (f"{order}.iso", f"{order}.label.txt", f"{order}.label.pdf"):
            path = os.path.join(self.config.work, name)
            if os.path.exists(path):
                os.unlink(path)
        folder = os.path.join(self.config.work, order)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
