"""Stand-ins for the robots' software, for the tests and the demo.

Each one watches a hot folder and answers as its maker's documentation says (the sources are
cited in ptburn.py and rimage.py): it takes the order file, renames it as the robot does,
checks the image and label files it names, "records" each copy (the image's MD5 at the start of
the job) and, where the order asks for it, verifies each copy against the image (its MD5
read again), then reports the way the protocol reports. It can be told to fail: a failure rate
with an error text, or a verification failure on copy N.

    python -m media_station.robots.simulators HOT_FOLDER [--robot ptburn|rimage|folder]
        [--delay S] [--failure-rate R] [--error-text TEXT] [--verify-failure-copy N] [--seed N]
        [--robots NAME,NAME] [--move-to NAME] [--status-lag S]

A simulator that is not running stands for robot software that is stopped, or watches another
folder: nothing picks the orders up.
"""

import argparse
import hashlib
import logging
import ntpath
import os
import random
import threading
import time

from .base import decode_text, lines, parse_ini
from .ptburn import EXTENSIONS as PTBURN_EXTENSIONS
from .ptburn import PTBurnDriver
from .rimage import MERGE_REPLACED

_logger = logging.getLogger(__name__)


def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class JobFailed(Exception):
    def __init__(self, message, number=0):
        super().__init__(message)
        self.number = number


class Simulator:
    """What the three simulators share: the watch loop, the delay, the failures asked for."""

    kind = ""
    extension = ""

    def __init__(
        self,
        hot_folder,
        delay=0.5,
        failure_rate=0.0,
        error_text="Printer ribbon out",
        seed=None,
        verify_failure_copy=0,
        verify_failures=1,
        path_map=None,
    ):
        self.hot_folder = os.path.realpath(hot_folder)
        os.makedirs(self.hot_folder, exist_ok=True)
        self.delay = delay
        self.failure_rate = failure_rate
        self.error_text = error_text
        self.random = random.Random(seed)
        self.verify_failure_copy = verify_failure_copy
        self.verify_failures = verify_failures
        # {robot-side prefix: local prefix}: paths in orders written for another machine
        self.path_map = dict(path_map or {})
        self.stop_event = threading.Event()
        self.processed = []  # (order name, error text or None)
        self.labels = {}  # order name: the merge fields printed on its discs
        self.produced = {}  # order name: copies delivered
        self.images = {}  # order name: MD5 of the image its copies were recorded from

    def local(self, path):
        for robot_prefix, local_prefix in self.path_map.items():
            if path.startswith(robot_prefix):
                rest = path[len(robot_prefix) :].replace(ntpath.sep, "/").lstrip("/")
                return os.path.join(local_prefix, rest)
        return path

    def step(self):
        ext = self.extension.lower()
        for entry in sorted(os.listdir(self.hot_folder)):
            if entry.lower().endswith(ext) and len(entry) > len(ext):
                name = entry[: -len(ext)]
                error = self.process(name, os.path.join(self.hot_folder, entry))
                self.processed.append((name, error))

    def process(self, name, path):
        raise NotImplementedError

    def run(self, poll=0.1):
        while not self.stop_event.is_set():
            try:
                self.step()
            except OSError as exc:  # the station removed a file under our feet
                _logger.warning("%s", exc)
            self.stop_event.wait(poll)

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self.thread

    def stop(self, timeout=10):
        """Stop watching the hot folder: once this returns, no order is picked up any more
        (the watcher's pass under way, if any, has ended)."""
        self.stop_event.set()
        thread = getattr(self, "thread", None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _fails_now(self):
        return self.failure_rate and self.random.random() < self.failure_rate

    def _verify_fails(self, copy, attempts):
        """Whether verifying ``copy`` fails at its ``attempts``-th try (the injected failure)."""
        return copy == self.verify_failure_copy and attempts <= self.verify_failures


class PTBurnSimulator(Simulator):
    """PTBurn: .JRQ -> .QRJ -> .INP -> .DON / .ERR, with Status\\SystemStatus.txt and
    Status\\<robot>.txt kept up to date; rejected discs are retried until ``reject_limit``
    rejects in a row fail the job (PTSETUP.INI holds that limit on a real robot).

    ``robot_names``: the robots PTBurn drives (the first takes jobs that name none);
    ``move_to``: a robot that takes over every job another robot started (AutoSwitchRobot,
    2.1.41: the first robot's section says JobState=4); ``status_lag``: seconds the status file
    lags behind the renamed job request; ``extensions``: PTSETUP.INI's (request, discovered, in
    process, completed, error, message). The merge fields each job printed are kept in
    ``labels`` as a label design filled by position would get them: empty values skipped.
    A job request named like a job the status file still lists gets that job's section back,
    updated rather than replaced (what is left of it, e.g. a disc error, stays)."""

    kind = "ptburn"
    extension = ".JRQ"
    JOB_ERRORS = {
        3: "Internal robotics error.",
        4: "The file/s you are trying to burn are invalid.",
        7: "The print file is invalid.",
        8: "The job request file is invalid.",
        16: "The job was aborted.",
        20: "The number of allowable rejects was exceeded.",
    }
    VERIFY_ERROR = "Error verifying the disc, see the log file for further information."

    def __init__(
        self,
        hot_folder,
        robot_name="Disc Publisher XRP",
        reject_limit=3,
        robot_names=None,
        move_to="",
        status_lag=0.0,
        extensions=PTBURN_EXTENSIONS,
        **options,
    ):
        super().__init__(hot_folder, **options)
        self.robot_names = list(robot_names or [robot_name])
        self.robot_name = self.robot_names[0]
        self.move_to = move_to
        self.status_lag = status_lag
        self.reject_limit = reject_limit
        self.ext = dict(
            zip(("request", "found", "running", "done", "error", "message"), extensions, strict=True)
        )
        self.extension = "." + self.ext["request"]
        # per robot: {job name: its status section}, its running and completed jobs
        self.sections = {robot: {} for robot in self.robot_names}
        self.running = {robot: [] for robot in self.robot_names}
        self.completed = {robot: [] for robot in self.robot_names}
        self.stale = {}  # job name: (until, the section as the status file still shows it)
        self.requests = {}  # job name: the keys of its job request
        self.printed_rejects = {}  # job name: rejected discs printed "Reject" (2.1.42)
        self._lock = threading.Lock()
        self._write_status()

    # --- status files (SDK 3.1, 3.2) -------------------------------------------------------

    def _write_status(self):
        with self._lock:
            status = os.path.join(self.hot_folder, "Status")
            os.makedirs(status, exist_ok=True)
            system = [("[RobotList]", None), *((f"Robot{i}", r) for i, r in enumerate(self.robot_names))]
            for robot in self.robot_names:
                system += [
                    (f"[{robot}]", None),
                    ("SysErrorString", "No Errors"),
                    ("SysErrorNumber", "0"),
                    ("SystemDrives", "1"),
                    ("RobotType", "5"),
                    ("NumJobs", str(len(self.running[robot]))),
                    ("Status", "System OK"),
                    ("StatusFile", f"{robot}.txt"),
                ]
            system += [("[System]", None), ("ServerTime", time.strftime("%m/%d/%Y %H:%M:%S"))]
            files = [("SystemStatus.txt", system)]
            now = time.monotonic()
            for robot in self.robot_names:
                running, completed = self.running[robot], self.completed[robot]
                detail = [("[JobList]", None), *((f"Job{i}", job) for i, job in enumerate(running))]
                detail += [("[CompletedJobs]", None), *((f"Job{i}", job) for i, job in enumerate(completed))]
                for job in (*running, *completed):
                    section = self.sections[robot][job]
                    until, shown = self.stale.get(job, (0, None))
                    if shown is not None and now < until and section.get("JobState") != "4":
                        section = shown
                    detail.append((f"[{job}]", None))
                    detail += list(section.items())
                detail += [("[System]", None), ("SystemDesc", robot), ("SystemStatus", "System OK")]
                files.append((f"{robot}.txt", detail))
            for file_name, pairs in files:
                text = "".join(
                    f"{key}\r\n" if value is None else lines([(key, value)]) for key, value in pairs
                )
                tmp = os.path.join(status, file_name + ".tmp")
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
                os.replace(tmp, os.path.join(status, file_name))

    @staticmethod
    def _now():
        return time.strftime("%m/%d/%Y %I:%M:%S %p")

    def _path(self, name, phase):
        return os.path.join(self.hot_folder, f"{name}.{self.ext[phase]}")

    # --- one job -----------------------------------------------------------------------------

    def _parse(self, path):
        with open(path, "rb") as handle:
            text = decode_text(handle.read())
        keys, merge = {}, []
        for line in text.splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise JobFailed(self.JOB_ERRORS[8], 8)
            key, value = key.strip(), value.strip()
            if key == "MergeField":
                merge.append(value)
            else:
                keys[key] = value
        return keys, merge

    def _robot_of(self, path):
        """The robot a job request names (RobotName), or the first one; None: not listed."""
        try:
            keys, _merge = self._parse(path)
        except JobFailed:
            return self.robot_name
        robot = keys.get("RobotName", self.robot_name)
        return robot if robot in self.robot_names else None

    def process(self, name, path):
        named = self._robot_of(path)
        robot = named or self.robot_name
        os.replace(path, self._path(name, "found"))
        # a job request named like one the status file still lists gets that section back,
        # updated: the SDK keeps one section per file name (3.2.4) and does not say more
        if name in self.completed[robot]:
            self.completed[robot].remove(name)
        section = self.sections[robot].setdefault(name, {})
        section.update(
            {
                "JobID": name,
                "ClientID": "Unknown",
                "JobsAhead": "0",
                "DiscsAhead": "0",
                "DiscsRemaining": "0",
                "GoodDiscs": "0",
                "BadDiscs": "0",
                "CurrentStatus": "Job initializing...",
                "CurrentStatusState": "14",
                "TimeCreated": self._now(),
                "TimeStarted": " ",
                "TimeCompleted": " ",
                "JobState": "0",
            }
        )
        self.running[robot].append(name)
        self._write_status()
        current = self._path(name, "found")
        try:
            keys, merge = self._parse(current)
            self.requests[name] = keys
            section["JobID"] = keys.get("JobID", name)
            section["ClientID"] = keys.get("ClientID", "Unknown")
            if named is None:
                raise JobFailed(self.JOB_ERRORS[8], 8)
            os.replace(current, self._path(name, "running"))
            current = self._path(name, "running")
            section.update(JobState="1", TimeStarted=self._now())
            if self.move_to and self.move_to != robot and self.move_to in self.robot_names:
                robot, section = self._move(name, robot, section)
            self._burn(name, keys, merge, section, robot)
        except JobFailed as failure:
            section.update(
                JobState="3",
                JobErrorNumber=str(failure.number),
                JobErrorString=str(failure),
                CurrentStatus="The job failed...",
                CurrentStatusState="13" if failure.number == 16 else "15",
                TimeCompleted=self._now(),
            )
            self._finish(name, robot, current, self._path(name, "error"))
            return str(failure)
        section.update(
            JobState="2",
            CurrentStatus="The job is complete...",
            CurrentStatusState="10",
            TimeCompleted=self._now(),
        )
        self._finish(name, robot, current, self._path(name, "done"))
        self.produced[name] = int(section["GoodDiscs"])
        return None

    def _move(self, name, robot, section):
        """AutoSwitchRobot: the job leaves ``robot`` (JobState=4) for ``move_to``."""
        target = self.move_to
        moved = dict(section)
        section.update(JobState="4", CurrentStatus="The job was moved to another robot...")
        self.running[robot].remove(name)
        self.completed[robot].insert(0, name)
        self.sections[target][name] = moved
        self.running[target].append(name)
        self._write_status()
        return target, moved

    def _finish(self, name, robot, current, final):
        self.running[robot].remove(name)
        self.completed[robot].insert(0, name)
        for job in self.completed[robot][20:]:
            self.sections[robot].pop(job, None)
        del self.completed[robot][20:]
        if self.status_lag:
            # the status file shows the job running a while after its request was renamed
            section = self.sections[robot][name]
            good = int(section["GoodDiscs"])
            shown = dict(
                section,
                JobState="1",
                GoodDiscs=str(max(good - 1, 0)),
                DiscsRemaining="1" if good else section["DiscsRemaining"],
                CurrentStatus="Printing disc...",
            )
            self.stale[name] = (time.monotonic() + self.status_lag, shown)
            self._write_status()
            os.replace(current, final)
            timer = threading.Timer(self.status_lag, self._write_status)
            timer.daemon = True
            timer.start()
            return
        self._write_status()  # the status first: a client that sees .DON finds it complete
        os.replace(current, final)

    def _burn(self, name, keys, merge, section, robot):
        try:
            copies = int(keys.get("Copies", "1"))
        except ValueError:
            raise JobFailed(self.JOB_ERRORS[8], 8) from None
        if not 1 <= copies <= 10_000:
            raise JobFailed(self.JOB_ERRORS[8], 8)
        for key, allowed in (
            ("DiscType", ("CDR", "DVDR")),
            ("CloseDisc", ("YES", "NO")),
            ("VerifyDisc", ("YES", "NO")),
            ("PrintReject", ("YES", "NO")),
        ):
            if key in keys and keys[key].upper() not in allowed:
                raise JobFailed(self.JOB_ERRORS[8], 8)
        image = self.local(keys.get("ImageFile", "").split(",")[0].strip())
        if not image or not os.path.isfile(image):
            raise JobFailed(self.JOB_ERRORS[4], 4)
        label = keys.get("PrintLabel")
        if label and not os.path.isfile(self.local(label)):
            raise JobFailed(self.JOB_ERRORS[7], 7)
        if label:
            # 2.1.40: the design's merge fields are filled by position from the values given
            self.labels[name] = [value for value in merge if value]
        print_reject = bool(label) and keys.get("PrintReject", "NO").upper() == "YES"
        if self._fails_now():
            raise JobFailed(self.error_text, 3)
        verify = keys.get("VerifyDisc", "NO").upper() == "YES"
        recorded = self.images[name] = _md5(image)  # what every copy is burned with
        section["DiscsRemaining"] = str(copies)
        errors, attempts, rejects_in_row = 0, {}, 0
        copy = 1
        while copy <= copies:
            self._check_abort(name, section["ClientID"])
            time.sleep(self.delay / copies)
            section.update(CurrentStatus=f"Recording disc {copy}...", CurrentStatusState="0")
            attempts[copy] = attempts.get(copy, 0) + 1
            if verify and (self._verify_fails(copy, attempts[copy]) or _md5(image) != recorded):
                section["BadDiscs"] = str(int(section["BadDiscs"]) + 1)
                if print_reject:
                    self.printed_rejects[name] = self.printed_rejects.get(name, 0) + 1
                if errors < 10:  # SDK 3.2.4: at most ten disc errors are reported
                    section[f"DiscErrorIndex{errors}"] = str(copy)
                    section[f"DiscErrorNumber{errors}"] = "19"
                    section[f"DiscErrorString{errors}"] = self.VERIFY_ERROR
                    errors += 1
                rejects_in_row += 1
                self._write_status()
                if rejects_in_row >= self.reject_limit:
                    raise JobFailed(self.JOB_ERRORS[20], 20)
                continue  # a new blank disc for the same copy
            rejects_in_row = 0
            section["GoodDiscs"] = str(int(section["GoodDiscs"]) + 1)
            section["DiscsRemaining"] = str(copies - copy)
            self._write_status()
            copy += 1
        if merge and not label:
            _logger.info("job %s: merge fields without a label design are not printed", name)

    def _check_abort(self, name, client_id):
        """SDK 4.1: <job>.PTM with Message=ABORT and the job's ClientID (or Administrator)."""
        path = self._path(name, "message")
        if not os.path.exists(path):
            return
        with open(path, "rb") as handle:
            command = parse_ini(decode_text(handle.read())).get("", {})
        os.unlink(path)
        if command.get("Message", "").upper() == "ABORT" and command.get("ClientID") in (
            client_id,
            "Administrator",
        ):
            raise JobFailed(self.JOB_ERRORS[16], 16)


class RimageSimulator(Simulator):
    """Rimage Network Publisher: .NWP -> .INP -> .DON, or .ERR with a .LOG. Verification is a
    setting of the Rimage system (``verify``), not of the order; a verification failure ends
    the order with an error that names the copy. The merge file is read one field per line;
    a field with a character merge fields cannot contain fails the order (its text is the
    simulator's own); the fields each order printed are kept in ``labels``."""

    kind = "rimage"
    extension = ".NWP"

    def __init__(self, hot_folder, verify=False, **options):
        super().__init__(hot_folder, **options)
        self.verify = verify or bool(self.verify_failure_copy)

    def process(self, name, path):
        base = os.path.join(self.hot_folder, name)
        os.replace(path, base + ".INP")
        order_id = name
        try:
            with open(base + ".INP", "rb") as handle:
                keys = parse_ini(decode_text(handle.read())).get("", {})
            order_id = keys.get("order_id", name)
            copies = self._produce(name, keys)
        except JobFailed as failure:
            with open(base + ".LOG", "w", encoding="utf-8", newline="") as log:
                log.write(f"{failure}\r\nOrder {order_id}\r\n")
            os.replace(base + ".INP", base + ".ERR")
            return str(failure)
        self.produced[name] = copies
        os.replace(base + ".INP", base + ".DON")
        return None

    def _produce(self, name, keys):
        for key in ("order_id", "filetype", "file", "copies"):
            if not keys.get(key):
                raise JobFailed(f"Invalid order: {key} is missing")
        filetype = keys["filetype"].upper()
        if filetype not in ("IMAGE", "PARENT"):
            raise JobFailed(f"Invalid order: filetype {keys['filetype']}")
        source = self.local(keys["file"])
        if not (os.path.isfile(source) if filetype == "IMAGE" else os.path.isdir(source)):
            raise JobFailed(f"{'Image file' if filetype == 'IMAGE' else 'Folder'} not found: {keys['file']}")
        for key in ("label", "merge"):
            if keys.get(key) and not os.path.isfile(self.local(keys[key])):
                raise JobFailed(f"{key.capitalize()} file not found: {keys[key]}")
        if keys.get("merge"):
            with open(self.local(keys["merge"]), "rb") as handle:
                fields = decode_text(handle.read()).split("\r\n")
            if fields and fields[-1] == "":
                fields.pop()
            for number, field in enumerate(fields, 1):
                if bad := sorted(set(field) & set(MERGE_REPLACED)):
                    raise JobFailed(f"Merge field {number} contains invalid characters: {' '.join(bad)}")
            self.labels[name] = fields
        try:
            copies = int(keys["copies"])
        except ValueError:
            raise JobFailed(f"Invalid order: copies {keys['copies']}") from None
        if copies < 1:
            raise JobFailed(f"Invalid order: copies {copies}")
        if self._fails_now():
            raise JobFailed(self.error_text)
        recorded = self.images[name] = _md5(source) if filetype == "IMAGE" else ""
        for copy in range(1, copies + 1):
            time.sleep(self.delay / copies)
            if self.verify and (self._verify_fails(copy, 1) or (recorded and _md5(source) != recorded)):
                raise JobFailed(f"Copy {copy} of {copies} failed verification: data miscompare")
        return copies


class FolderSimulator(Simulator):
    """The station's own hand-off folder: .ord -> .inp -> .done, or .err with a .log."""

    kind = "folder"
    extension = ".ord"

    def process(self, name, path):
        base = os.path.join(self.hot_folder, name)
        os.replace(path, base + ".inp")
        with open(base + ".inp", encoding="utf-8") as handle:
            fields = dict(line.rstrip("\n").partition("=")[::2] for line in handle if "=" in line)
        time.sleep(self.delay)
        media = fields.get("ImageFile") or fields.get("Folder") or ""
        error = None
        if not media or not os.path.exists(self.local(media)):
            error = f"Image not found: {media}"
        elif self.verify_failure_copy:
            error = f"Copy {self.verify_failure_copy} failed verification"
        elif self._fails_now():
            error = self.error_text
        if error:
            with open(base + ".log", "w", encoding="utf-8") as log:
                log.write(f"{error}\nOrder {fields.get('OrderID', '')}, job {fields.get('JobID', '')}\n")
            os.replace(base + ".inp", base + ".err")
        else:
            self.produced[name] = int(fields.get("Copies") or 1)
            os.replace(base + ".inp", base + ".done")
        return error


SIMULATORS = {simulator.kind: simulator for simulator in (PTBurnSimulator, RimageSimulator, FolderSimulator)}


def make_simulator(robot, hot_folder, **options):
    return SIMULATORS[robot](hot_folder, **options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hot_folder")
    parser.add_argument("--robot", choices=sorted(SIMULATORS), default=PTBurnDriver.kind)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds per order")
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--error-text", default="Printer ribbon out")
    parser.add_argument("--verify-failure-copy", type=int, default=0, help="this copy fails verification")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--robots", help="PTBurn: comma-separated robot names (the first takes jobs)")
    parser.add_argument("--move-to", default="", help="PTBurn: the robot every started job moves to")
    parser.add_argument("--status-lag", type=float, default=0.0, help="PTBurn: seconds the status lags")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = {}
    if args.robot == PTBurnDriver.kind:
        options = {"move_to": args.move_to, "status_lag": args.status_lag}
        if args.robots:
            options["robot_names"] = [name.strip() for name in args.robots.split(",") if name.strip()]
    simulator = make_simulator(
        args.robot,
        args.hot_folder,
        delay=args.delay,
        failure_rate=args.failure_rate,
        error_text=args.error_text,
        verify_failure_copy=args.verify_failure_copy,
        seed=args.seed,
        **options,
    )
    try:
        simulator.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
