"""One station: claim jobs of its site, stage and verify files, build the image, hand the
order to the robot, report to Odoo."""

import base64
import contextlib
import dataclasses
import json
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
from .robots import DEFAULT_ROBOT, DRIVERS, ERROR, EarlierOrderAtRobot, Order, make_driver
from .robots.base import ENCODING_HELP, atomic_write, attempt_name, codec_of

_logger = logging.getLogger(__name__)

# the states of a job in Odoo that no report changes any more
ENDED = ("done", "failed", "cancelled")


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
        try:
            self.lease_seconds = int(self.lease_seconds)
        except (TypeError, ValueError):
            raise ValueError("lease_seconds must be a whole number of seconds from 60 to 86400") from None
        if not 60 <= self.lease_seconds <= 86400:  # the bounds Odoo accepts
            raise ValueError("lease_seconds must be a whole number of seconds from 60 to 86400")
        # a lease is renewed three times within its length: one late heartbeat never loses it
        self.heartbeat_every = min(float(self.heartbeat_every), self.lease_seconds / 3)
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
        """Send the reports Odoo has not accepted yet, then claim what is queued for the site
        and produce it; the number of jobs handled."""
        self.api.heartbeat([], self.config.lease_seconds)
        self.resend_reports()
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

    # --- one job ---------------------------------------------------------------------------

    def process(self, package):
        """Produce one claimed job and report it. A report is kept on disk
        (``work/reports/<job id>.json``) until Odoo accepted it; an order the robot finished
        before the station could report it is reported, not produced again."""
        job_id = package["id"]
        order_name = safe_name(package["name"])
        self.running.add(job_id)
        try:
            record = self._load_record(job_id)
            if record and record.get("report"):
                # an earlier result Odoo never accepted: reported now, with this claim's lease
                _logger.info("job %s: reporting the result of order %s", package["name"], record.get("stem"))
                self._send(record)
                return
            order = self._resumed_order(record, package, order_name)
            if order is None:
                order, record = self._produce(package, order_name)
            result = self.robot.wait(order, self.config.robot_timeout, on_tick=self._ticker(job_id))
            self._conclude(record, order, result)
        except EarlierOrderAtRobot as exc:
            # the robot may still produce that order: neither a failure nor a cleanup; the job
            # goes back to the queue and is claimed again once the robot is done with it
            _logger.warning("job %s handed back: %s", package["name"], exc)
            try:
                self.api.release([job_id])
            except (OdooUnavailable, StationError) as error:
                _logger.error(
                    "could not hand job %s back (its lease will expire): %s", package["name"], error
                )
        except (ChecksumMismatch, StationError) as exc:
            _logger.warning("job %s failed: %s", package["name"], exc)
            self._report_failure(job_id, order_name, str(exc))
        except OSError as exc:  # a full disk, a hot folder share gone
            _logger.error("job %s failed: %s", package["name"], exc)
            where = f": {exc.filename}" if exc.filename else ""
            self._report_failure(job_id, order_name, f"{self.config.station}: {exc.strerror or exc}{where}")
        except OdooUnavailable as exc:
            # the report stays on disk: sent again by the next run_once, or when the job is
            # claimed again
            _logger.error(
                "job %s: %s; a report Odoo has not accepted is kept and sent again", package["name"], exc
            )
        finally:
            self.running.discard(job_id)

    def _produce(self, package, order_name):
        """Begin a new attempt, stage, build and submit: (the order, its record)."""
        job_id = package["id"]
        is_disc = package.get("is_disc", True)
        self.robot.check_media(is_disc)
        if is_disc and package.get("requires_verification") and not self.robot.verifies:
            raise StationError(
                f"{package['media_type']} discs must be verified and {self.robot.title} orders "
                "cannot ask for it: in Odoo, untick 'Robot verifies discs' on this site, or "
                "produce these discs at a site whose robot verifies"
            )
        # no new order while an earlier one of the job is at the robot
        attempt = self.robot.begin(order_name)
        stem = attempt_name(order_name, attempt)
        self._save_record({"job_id": job_id, "name": order_name, "stem": stem, "submitted": False})
        self.api.progress(job_id, "staging", f"{self.config.station}: staging {len(package['files'])} files")
        files, checksums_verified = self.stage(package)
        image = self.build(package, stem, files)
        # the image as the robot will read it: from the disk, after it was written
        image_md5 = md5_file(image) if is_disc else ""
        label_pdf = self.write_label_pdf(job_id, stem) if self.robot.wants_label_pdf() else ""
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
        # what the report of this order needs, kept before the robot gets it: a station that
        # stops while the robot works reports the order's result when it claims the job again
        record = {
            "job_id": job_id,
            "name": order_name,
            "stem": order.stem,
            "submitted": True,
            "attempt": attempt,
            "copies": order.copies,
            "image": image,
            "is_disc": is_disc,
            "volume": order.volume,
            "media": order.media,
            "label_pdf": label_pdf,
            "image_md5": image_md5,
            "checksums_verified": checksums_verified,
        }
        self._save_record(record)
        self.robot.submit(order)
        self.api.progress(job_id, "producing", f"{self.config.station}: order {order.stem} sent to the robot")
        return order, record

    def _resumed_order(self, record, package, order_name):
        """The order an earlier run of this station submitted for the job and the robot still
        has (waiting, running or ended), when it is the job's as claimed now; else None (and a
        record that no longer describes anything is dropped)."""
        if not record:
            return None
        stem = record.get("stem")
        if (
            record.get("submitted")
            and record.get("name") == order_name
            and record.get("copies") == package["copies"]
            and self.robot.state(stem) is not None
        ):
            _logger.info("job %s: order %s of an earlier run is still at the robot", package["name"], stem)
            return Order(
                name=order_name,
                job_id=package["id"],
                image=record["image"],
                is_disc=record["is_disc"],
                volume=record["volume"],
                copies=record["copies"],
                label=package["label"],
                label_pdf=record.get("label_pdf", ""),
                work=self.config.work,
                media=record["media"],
                attempt=record["attempt"],
            )
        if stem and not self.robot.at_robot(stem):
            self.cleanup(stem)
        self._drop_record(package["id"])
        return None

    def _conclude(self, record, order, result):
        """Report the robot's result on ``order``."""
        if result.ok and len(result.discs) != order.copies:
            reason = f"the robot reported {len(result.discs)} discs for {order.copies} copies"
            result = dataclasses.replace(result, state=ERROR, reason=reason)
        if result.ok:
            discs = [{"serial": disc.serial, "verified": disc.verified} for disc in result.discs]
            record["report"] = {
                "kind": "success",
                "copies": len(discs),
                "serials": [disc["serial"] for disc in discs],
                "checksums_verified": record["checksums_verified"],
                "discs": discs,
                "image_md5": record["image_md5"],
            }
        else:
            record["report"] = {"kind": "failure", "reason": f"Robot: {result.reason}", "log": result.log}
        self._send(record)

    def _report_failure(self, job_id, order_name, reason):
        # the record on disk names the attempt begun, if one was
        record = self._load_record(job_id) or {"job_id": job_id, "name": order_name}
        if record.get("report") and not self._holds(job_id):
            # Odoo refused the report because this station lost the job's lease: the result
            # stays, for when the station claims the job again
            _logger.warning("job %s: %s; its report is kept", order_name, reason)
            return
        record["report"] = {"kind": "failure", "reason": reason, "log": ""}
        try:
            self._send(record)
        except (OdooUnavailable, StationError) as exc:
            _logger.error(
                "job %s: the failure could not be reported (%s); its report is kept", order_name, exc
            )

    def _holds(self, job_id):
        """Whether this station still holds the job's lease (Odoo renews it, then)."""
        try:
            return job_id in self.api.heartbeat([job_id], self.config.lease_seconds)
        except (OdooUnavailable, StationError):
            return False

    def _send(self, record, lease=None):
        """Send the record's report (kept on disk first); once Odoo accepted it, remove what
        the order left, unless the robot still has it (then once it no longer has it)."""
        job_id = record["job_id"]
        if lease is None:  # the lease of this claim, for a resend after Odoo was unreachable
            record["lease"] = self.api.lease(job_id)
        try:
            self._save_record(record)
        except OSError as exc:  # a full disk: the report is still sent
            _logger.error("job %s: the report cannot be kept on disk (%s)", record["name"], exc)
        report = dict(record["report"])
        kind = report.pop("kind")
        if kind == "success":
            self.api.success(job_id, lease=lease, **report)
            _logger.info(
                "job %s done (%s copies, image md5 %s)", record["name"], report["copies"], report["image_md5"]
            )
        else:
            self.api.failure(job_id, report["reason"], report["log"], lease=lease)
            _logger.warning("job %s failed: %s", record["name"], report["reason"])
        self._finish(record, done=kind == "success")

    def _finish(self, record, done):
        stem = record.get("stem")
        if stem:
            if self.robot.at_robot(stem):
                # the robot still reads the image: removed once it no longer has the order
                _logger.warning("order %s is still at the robot: its files are kept until it ends", stem)
                self._mark_leftover(stem)
            else:
                self.robot.clear(stem)
                self.cleanup(stem)
        if done:  # no further attempt at this job
            self.robot.forget(record["name"])
        self._drop_record(record["job_id"])

    def resend_reports(self):
        """Send again the reports Odoo has not accepted, with the lease they were made under,
        and remove the files of orders the robot has since finished. A report refused because
        the lease ran out stays until the job is claimed again (then it is sent with the new
        lease); one of a job that ended meanwhile, or is no longer this site's, is dropped."""
        for record in self._records():
            if not record.get("report"):
                continue
            job_id = record["job_id"]
            try:
                self._send(record, lease=record.get("lease"))
                continue
            except StationError as exc:
                refused = exc
            try:
                state = self.api.package(job_id).get("state")
            except StationError:
                state = None
            if state is None or state in ENDED:
                _logger.warning(
                    "job %s: the report of order %s is dropped (%s; the job is %s)",
                    record["name"],
                    record.get("stem"),
                    refused,
                    state or "not this site's",
                )
                # a failed job may be queued here again: its attempts stay counted
                self._finish(record, done=state != "failed")
            else:
                _logger.info(
                    "job %s: the report waits until the job is claimed again (%s)", record["name"], refused
                )
        self.sweep()

    def sweep(self):
        """Remove the files of orders that were reported while the robot still had them."""
        folder = os.path.join(self.config.work, "leftovers")
        for stem in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
            if not self.robot.at_robot(stem):
                self.robot.clear(stem)
                self.cleanup(stem)
                os.unlink(os.path.join(folder, stem))
        with contextlib.suppress(OSError):
            os.rmdir(folder)

    # --- records of jobs on disk -----------------------------------------------------------

    def _record_path(self, job_id):
        return os.path.join(self.config.work, "reports", f"{int(job_id)}.json")

    def _load_record(self, job_id):
        try:
            with open(self._record_path(job_id), encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None
        except ValueError:
            _logger.warning("the record of job %s cannot be read; it is ignored", job_id)
            return None

    def _records(self):
        folder = os.path.join(self.config.work, "reports")
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        ids = [name[: -len(".json")] for name in names if name.endswith(".json")]
        records = (self._load_record(job_id) for job_id in ids if job_id.isdigit())
        return [record for record in records if record]

    def _save_record(self, record):
        path = self._record_path(record["job_id"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, json.dumps(record, indent=1, sort_keys=True).encode())

    def _drop_record(self, job_id):
        path = self._record_path(job_id)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with contextlib.suppress(OSError):  # not left behind empty
            os.rmdir(os.path.dirname(path))

    def _mark_leftover(self, stem):
        folder = os.path.join(self.config.work, "leftovers")
        os.makedirs(folder, exist_ok=True)
        atomic_write(os.path.join(folder, stem), b"")

    def _ticker(self, job_id):
        last = [time.monotonic()]

        def tick(_state):
            if time.monotonic() - last[0] >= self.config.heartbeat_every:
                self.api.heartbeat([job_id], self.config.lease_seconds)
                last[0] = time.monotonic()

        return tick

    def stage(self, package):
        """Verified local copies of the manifest, as (path on the media, local path), and
        whether every one of them matched its MD5 when it was hashed for this job: a download
        is hashed as it arrives, a copy already in the repository is hashed again (and
        downloaded again when it no longer matches). A file that does not match fails the job
        (:class:`ChecksumMismatch`)."""
        entries = package["files"]
        for entry in entries:
            safe_join(self.config.work, entry["path"])  # hostile names never reach the disk
        stored = {entry["md5"].lower() for entry in entries if self.repository.has(entry["md5"])}
        named = [{**entry, "name": entry["path"]} for entry in entries]
        hashed = {}  # md5: the MD5 computed for this job
        paths = self._fetch_all(named, hashed=hashed)
        for position, (entry, path) in enumerate(zip(named, paths, strict=True)):
            expected = entry["md5"].lower()
            if expected in hashed:  # downloaded now, or hashed again just above
                continue
            if expected not in stored:
                # in the repository without having been there before: hashed like a stored copy
                _logger.info("%s was stored meanwhile; hashing it", entry["name"])
            actual = hashed[expected] = md5_file(path)
            if actual != expected:
                _logger.warning(
                    "the stored copy of %s no longer matches its MD5; downloading it again", entry["name"]
                )
                os.unlink(path)
                del hashed[expected]
                paths[position] = self._fetch_all([entry], hashed=hashed)[0]
                if expected not in hashed:  # stored again by someone else: hashed once more
                    hashed[expected] = md5_file(paths[position])
            if hashed[expected] != expected:
                raise ChecksumMismatch(entry["name"], expected, hashed[expected])
        files = [(entry["path"], path) for entry, path in zip(named, paths, strict=True)]
        return files, all(hashed.get(entry["md5"].lower()) == entry["md5"].lower() for entry in entries)

    def _headers_for(self, url):
        # the API key goes to this Odoo only, never to FlexNet's or anyone's download servers
        return self._odoo_headers if url.startswith(self.config.url.rstrip("/") + "/") else {}

    def _fetch_all(self, entries, attempts=4, hashed=None):
        """Download the manifest (``parallel_downloads`` at a time), resuming after cuts and
        timeouts; a checksum mismatch is final. ``hashed`` receives the MD5 of each download."""
        for attempt in range(1, attempts + 1):
            try:
                return self.repository.fetch_many(
                    entries, self.config.parallel_downloads, self._headers_for, hashed=hashed
                )
            except ChecksumMismatch:
                raise
            except (StationError, requests.RequestException) as exc:
                if attempt == attempts:
                    raise StationError(f"download failed: {exc}") from exc
                _logger.warning("download interrupted (%s); resuming", exc)
                time.sleep(min(2**attempt, 30))
        return []

    def build(self, package, stem, files):
        """The image of attempt ``stem``: an ISO file for discs, a folder for USB media."""
        if package.get("is_disc", True):
            return build_iso(files, package["volume_name"], os.path.join(self.config.work, f"{stem}.iso"))
        return build_folder(files, os.path.join(self.config.work, stem))

    def write_label_pdf(self, job_id, stem):
        """The label PDF from Odoo, or nothing (the merge file still prints a label)."""
        try:
            content = base64.b64decode(self.api.label_pdf(job_id))
        except (StationError, ValueError, TypeError) as exc:
            _logger.warning("no label PDF for job %s: %s", job_id, exc)
            return ""
        path = os.path.join(self.config.work, f"{stem}.label.pdf")
        with open(path, "wb") as handle:
            handle.write(content)
        return path

    def cleanup(self, stem):
        """Remove the image and label files of attempt ``stem`` from the work folder."""
        for name in (f"{stem}.iso", f"{stem}.label.txt", f"{stem}.label.pdf", f"{stem}.merge.txt"):
            path = os.path.join(self.config.work, name)
            if os.path.exists(path):
                os.unlink(path)
        folder = os.path.join(self.config.work, stem)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
