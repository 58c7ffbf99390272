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
from .media import build_folder, build_iso, volume_ident
from .paths import safe_join, safe_name
from .repository import Repository, md5_file
from .robots import DEFAULT_ROBOT, DRIVERS, ERROR, Order, make_driver
from .robots.base import ENCODING_HELP, codec_of

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
    robot: str = DEFAULT_ROBOT  # ptburn, rimage or folder (USB media)
    label_template: str = ""  # the site's label design, as the robot sees it
    robot_work: str = ""  # the work folder as the robot sees it, when it runs on another machine
    robot_name: str = ""  # PTBurn: the robot to use (RobotName), when several are connected
    # the text files written for the robot: ascii, ansi (Windows-1252), cp1250 to cp1258, or
    # utf-16 (PTBurn's Unicode build); empty: ansi
    robot_encoding: str = ""
    robot_pickup_timeout: float = 300.0  # seconds the robot software has to take an order
    robot_extensions: str = ""  # PTBurn: PTSETUP.INI's extensions, e.g. JRQ,QRJ,INP,DON,ERR,PTM

    def __post_init__(self):
        self.work = self.work or os.path.join(self.repo, "_work")
        self.station = self.station or f"{self.site}@{socket.gethostname()}"
        if self.protocol not in ("json2", "xmlrpc"):
            raise ValueError("protocol must be json2 or xmlrpc")
        if self.protocol == "xmlrpc" and not self.login:
            raise ValueError("XML-RPC needs the station user's login (--login)")
        if self.robot not in DRIVERS:
            raise ValueError(f"robot must be one of {', '.join(DRIVERS)}")
        if self.robot_encoding:
            try:
                codec_of(self.robot_encoding)
            except ValueError:
                raise ValueError(f"robot_encoding must be one of {ENCODING_HELP}") from None
        try:
            self.robot_pickup_timeout = float(self.robot_pickup_timeout)
        except (TypeError, ValueError):
            raise ValueError("robot_pickup_timeout must be a number of seconds") from None
        if self.robot_pickup_timeout < 0:
            raise ValueError("robot_pickup_timeout must be a number of seconds")
        if self.robot_extensions and self.robot != "ptburn":
            raise ValueError("robot_extensions is a PTBurn setting (robot = ptburn)")


class Station:
    def __init__(self, config, api=None, session=None, progress=None):
        self.config = config
        self.api = api or self._make_api(config, session)
        self.repository = Repository(config.repo, session=session, progress=progress)
        self._odoo_headers = {"Authorization": f"bearer {config.key}"}
        os.makedirs(config.work, exist_ok=True)
        self.robot = make_driver(
            config.robot,
            config.hot_folder,
            work=config.work,
            robot_work=config.robot_work,
            label_template=config.label_template,
            encoding=config.robot_encoding,
            client=config.station,
            name=config.robot_name,
            pickup_timeout=config.robot_pickup_timeout,
            extensions=config.robot_extensions or None,
        )
        if config.robot == "ptburn" and not config.label_template:
            _logger.warning("no label_template: PTBurn prints no label on the discs")
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
        order_name = safe_name(package["name"])
        is_disc = package.get("is_disc", True)
        self.running.add(job_id)
        try:
            self.robot.check_media(is_disc)
            if is_disc and package.get("requires_verification") and not self.robot.verifies:
                raise StationError(
                    f"{package['media_type']} discs must be verified and {self.robot.title} orders "
                    "cannot ask for it: in Odoo, untick 'Robot verifies discs' on this site, or "
                    "produce these discs at a site whose robot verifies"
                )
            # no new order while an earlier one of the job is at the robot
            attempt = self.robot.begin(order_name)
            self.api.progress(
                job_id, "staging", f"{self.config.station}: staging {len(package['files'])} files"
            )
            files, checksums_verified = self.stage(package)
            image = self.build(package, order_name, files)
            # the image as the robot will read it: from the disk, after it was written
            image_md5 = md5_file(image) if is_disc else ""
            label_pdf = self.write_label_pdf(job_id, order_name) if self.robot.wants_label_pdf() else ""
            order = Order(
                name=order_name,
                job_id=job_id,
                image=image,
                is_disc=is_disc,
                volume=volume_ident(package["volume_name"]) if is_disc else package["volume_name"],
                copies=package["copies"],
                label=package["label"],
                label_pdf=label_pdf,
                work=self.config.work,
                media=package["media_type"],
                attempt=attempt,
            )
            self.robot.submit(order)
            self.api.progress(
                job_id, "producing", f"{self.config.station}: order {order.stem} sent to the robot"
            )
            result = self.robot.wait(order, self.config.robot_timeout, on_tick=self._ticker(job_id))
            if result.ok and len(result.discs) != order.copies:
                reason = f"the robot reported {len(result.discs)} discs for {order.copies} copies"
                result = dataclasses.replace(result, state=ERROR, reason=reason)
            if result.ok:
                discs = [{"serial": disc.serial, "verified": disc.verified} for disc in result.discs]
                self.api.success(
                    job_id,
                    copies=len(discs),
                    serials=[disc["serial"] for disc in discs],
                    checksums_verified=checksums_verified,
                    discs=discs,
                    image_md5=image_md5,
                )
                _logger.info("job %s done (%s copies, image md5 %s)", package["name"], len(discs), image_md5)
            else:
                self.api.failure(job_id, f"Robot: {result.reason}", result.log)
                _logger.warning("job %s failed at the robot: %s", package["name"], result.reason)
            self.cleanup(order_name)
        except (ChecksumMismatch, StationError) as exc:
            _logger.warning("job %s failed: %s", package["name"], exc)
            self.api.failure(job_id, str(exc))
            self.cleanup(order_name)
        except OSError as exc:  # a full disk, a hot folder share gone
            _logger.error("job %s failed: %s", package["name"], exc)
            where = f": {exc.filename}" if exc.filename else ""
            self.api.failure(job_id, f"{self.config.station}: {exc.strerror or exc}{where}")
            self.cleanup(order_name)
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
        """Verified local copies of the manifest, as (path on the media, local path), and
        whether every one of them matched its MD5: a download is hashed as it arrives, a copy
        already in the repository is hashed again (and downloaded again when it no longer
        matches)."""
        entries = package["files"]
        for entry in entries:
            safe_join(self.config.work, entry["path"])  # hostile names never reach the disk
        stored = {entry["md5"].lower() for entry in entries if self.repository.has(entry["md5"])}
        named = [{**entry, "name": entry["path"]} for entry in entries]
        paths = self._fetch_all(named)
        matched = []
        for position, (entry, path) in enumerate(zip(named, paths, strict=True)):
            if entry["md5"].lower() in stored and md5_file(path) != entry["md5"].lower():
                _logger.warning(
                    "the stored copy of %s no longer matches its MD5; downloading it again", entry["name"]
                )
                os.unlink(path)
                paths[position] = self._fetch_all([entry])[0]
            # downloaded now: hashed as it arrived (a mismatch raised ChecksumMismatch); stored:
            # hashed again just above
            matched.append(entry["md5"])
        files = [(entry["path"], path) for entry, path in zip(named, paths, strict=True)]
        return files, len(matched) == len(entries)

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
        for name in (f"{order}.iso", f"{order}.label.txt", f"{order}.label.pdf", f"{order}.merge.txt"):
            path = os.path.join(self.config.work, name)
            if os.path.exists(path):
                os.unlink(path)
        folder = os.path.join(self.config.work, order)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
