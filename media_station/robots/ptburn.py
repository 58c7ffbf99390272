"""Primera PTBurn (Bravo and Disc Publisher robots): job request files in the Job Request Folder.

Every rule here comes from Primera Technology's "PTBurn 3 SDK - Network-capable, Text-based,
Shared Folder Burning & Printing" (revision 3.24, September 2011; the same sections in 3.25,
March 2017), cited by section, and, where marked, from the earlier "PTBurn SDK" (2005,
revision 2.61):

- 1: the client writes a text Job Request File into the Job Request Folder (the shared hot
  folder); PTBurn comes as an MBCS (ANSI) build and a Unicode build, the Unicode one "for
  burning and printing 2-byte characters".
- 2: the file's extension is .JRQ (it "can be changed in PTSETUP.INI"); it holds Key=Value
  lines. 2.1.1 JobID and 2.1.2 ClientID: ASCII, up to 32 characters. 2.1.6 ImageFile: the path
  of an .ISO or .GI image, "ImageFile = Filename, SessionX" (a comma starts the session part).
  2.1.7: job data PTBurn is to handle lies "within a subfolder of the Shared Job Folder".
  2.1.10 CloseDisc: YES or NO. 2.1.11 Copies: 1 to 10,000. 2.1.12 PrintLabel: a .STD
  (SureThing), .jpg, .bmp or .PRN file. 2.1.13 VolumeName: up to 32 characters.
  2.1.15 VerifyDisc: YES or NO (NO when absent). 2.1.16 RejectIfNotBlank: YES or NO.
  2.1.40 MergeField: one line per field of the SureThing design's merge file, filled in by
  position; PTBurn writes them into that file, whose fields are double-quoted and
  comma-separated (p. 17). 2.1.41 RobotName: one of [RobotList]; with AutoSwitchRobot PTBurn
  may move a job to another robot. 2.1.42 PrintReject: a rejected disc is printed with
  "Reject". 2005 SDK 2.1.4 DiscType: CDR or DVDR, CDR when absent (3.x still reads it, see
  2.1.33).
- 3: MyJob.JRQ becomes MyJob.QRJ (discovered), MyJob.INP (in process), then MyJob.DON
  (completed) or MyJob.ERR (finished with errors, or aborted); all four extensions can be
  specified in PTSETUP.INI.
  3.1 Status\\SystemStatus.txt: [RobotList] Robot0=<name>..., one section per robot whose
  StatusFile (3.1.3.5) names its status file in the same folder; [System].
  3.2 Status\\<RobotName>.txt: [JobList], [CompletedJobs] (recently completed jobs stay listed,
  3.2.3) and, per job, a section named after its job request file (3.2.4): GoodDiscs,
  BadDiscs, JobState (0 not started, 1 running, 2 completed successfully, 3 failed, 4 moved to
  another robot), JobErrorNumber, JobErrorString, and DiscErrorIndexX, DiscErrorNumberX,
  DiscErrorStringX (X from 0 to 9; the index is the number of the disc within the job, a
  retried disc can be listed more than once).
- 4.1: MyJob.PTM holding "Message=ABORT" and the job's ClientID aborts the job.
- Appendix C: job/disc errors. A disc error rejects the disc and the job goes on; 19 "Error
  verifying the disc" is one; 20 "The number of allowable rejects was exceeded" fails the job.
"""

import logging
import os
import re
import time

from .base import (
    DONE,
    ERROR,
    PRODUCING,
    QUEUED,
    Disc,
    Result,
    RobotDriver,
    UnsafeOrderValue,
    atomic_write,
    check_value,
    decode_text,
    lines,
    parse_ini,
)

_logger = logging.getLogger(__name__)

VERIFY_ERROR = 19  # Appendix C: "Error verifying the disc"
MAX_COPIES = 10_000  # 2.1.11
ID_LENGTH = 32  # 2.1.1, 2.1.2, 2.1.13
JOB_MOVED = "4"  # 3.2.4.12: the job went to another robot
JOB_ENDED = ("2", "3")  # 3.2.4.12: completed successfully, failed
# 2005 SDK 2.1.4, by the media type's code; no value for other media (Blu-ray came later)
DISC_TYPES = {"cd": "CDR", "dvd": "DVDR"}
# the file extensions of PTSETUP.INI's defaults: request, discovered, in process, completed,
# error, and the client's message (4)
EXTENSIONS = ("JRQ", "QRJ", "INP", "DON", "ERR", "PTM")


class PTBurnDriver(RobotDriver):
    kind = "ptburn"
    title = "Primera PTBurn"
    software = "PTBurn"
    extension = ".JRQ"
    states = ((".JRQ", QUEUED), (".QRJ", QUEUED), (".INP", PRODUCING), (".DON", DONE), (".ERR", ERROR))
    message_extension = ".PTM"
    verifies = True
    # PTBurn renames the job request and rewrites its status file independently: how long the
    # station waits for a finished job's section to say so, then how much longer for a job
    # renamed .DON whose section still says it runs
    status_grace = 10.0
    status_lag_limit = 60.0
    status_poll = 0.5

    def set_extensions(self, extensions):
        """PTSETUP.INI's extensions, as ``JRQ,QRJ,INP,DON,ERR,PTM`` (that order)."""
        if isinstance(extensions, str):
            extensions = extensions.split(",")
        values = [str(ext).strip().lstrip(".").upper() for ext in extensions]
        if (
            len(values) != len(EXTENSIONS)
            or len(set(values)) != len(values)
            or not all(re.fullmatch(r"[A-Z0-9_]{1,8}", ext) for ext in values)
        ):
            raise ValueError(
                "robot_extensions must be six different extensions (letters and digits): request, "
                f"discovered, in process, completed, error, message, e.g. {','.join(EXTENSIONS)}"
            )
        request, discovered, running, done, error, message = ("." + ext for ext in values)
        self.extension = request
        self.states = (
            (request, QUEUED),
            (discovered, QUEUED),
            (running, PRODUCING),
            (done, DONE),
            (error, ERROR),
        )
        self.message_extension = message

    @property
    def client_id(self):
        """The ClientID of this station's jobs (2.1.2; the abort command must repeat it)."""
        return re.sub(r"[^A-Za-z0-9@._-]", "_", self.client)[:ID_LENGTH] or "media_station"

    def __init__(self, hot_folder, **options):
        super().__init__(hot_folder, **options)
        if self.name:
            self.check("robot_name", self.name, forbidden="=", error=ValueError)

    def render(self, order):
        if not 1 <= order.copies <= MAX_COPIES:
            raise UnsafeOrderValue(f"PTBurn produces 1 to {MAX_COPIES} copies per job, not {order.copies}")
        pairs = [
            ("JobID", check_value("job ID", order.stem[:ID_LENGTH], encoding="ascii", forbidden="=")),
            ("ClientID", self.client_id),
        ]
        if disc_type := DISC_TYPES.get(order.media):
            pairs.append(("DiscType", disc_type))
        pairs += [
            (
                "ImageFile",
                self.check("image path", self.robot_path(order.image), forbidden=",="),
            ),
            ("CloseDisc", "YES"),
            ("Copies", str(order.copies)),
            (
                "VolumeName",
                self.check("volume name", order.volume, forbidden="=", limit=ID_LENGTH),
            ),
            ("VerifyDisc", "YES"),
            ("RejectIfNotBlank", "YES"),
        ]
        if self.label_template:
            pairs += [("PrintLabel", self.label_template), ("PrintReject", "YES")]
            # '"' would end the value in the design's merge file; '=' is the key's separator
            pairs += [
                (
                    "MergeField",
                    self.label_text(f"job {order.stem}: label field {key!r}", value, replaced='"='),
                )
                for key, value in order.label_values()
            ]
        if self.name:
            pairs.append(("RobotName", self.name))
        return {order.stem + self.extension: self.encode(lines(pairs))}

    # --- results -----------------------------------------------------------------------------

    def result(self, order):
        stem = order.stem
        state = self.state(stem)
        robot, section, moved = self._job_status(stem)
        deadline = time.monotonic() + self.status_grace
        while not _ended(section) and time.monotonic() < deadline:
            time.sleep(self.status_poll)
            robot, section, moved = self._job_status(stem)
        if state == DONE and (section is not None or moved) and not _ended(section):
            # the job request says completed, the status file not yet: it lags, read it again
            _logger.info("PTBurn's status of job %s lags behind its job request; reading it again", stem)
            deadline = time.monotonic() + self.status_lag_limit
            while not _ended(section) and time.monotonic() < deadline:
                time.sleep(self.status_poll)
                robot, section, moved = self._job_status(stem)
        log = self._log(stem, robot, section, moved)
        errors = _disc_errors(section or {})
        failed_verify = [e for e in errors if e[1] == VERIFY_ERROR]
        if failed_verify:
            # PTBurn rejects such a disc and burns another one; on robots that drop rejects in
            # the output bin it lies among the good ones (printed "Reject" when a label is
            # printed): by policy the job is not a success
            index, number, text = failed_verify[0]
            reason = (
                f"copy {index} of {order.copies} failed verification: {text} (PTBurn disc error {number})"
            )
            if state == ERROR and (job_error := _job_error(section)):
                reason += f"; {job_error}"
            return Result(ERROR, reason=reason, log=log)
        if state == ERROR:
            reason = _job_error(section or {}) or "PTBurn ended the job with errors"
            if errors:
                index, number, text = errors[-1]
                reason += f"; copy {index}: {text} (PTBurn disc error {number})"
            return Result(ERROR, reason=reason, log=log)
        if not _ended(section):
            if section is None and not moved:
                _logger.warning("no PTBurn status for job %s: its discs are reported unverified", stem)
            else:
                _logger.warning(
                    "PTBurn's status of job %s still says JobState=%s after %g s: its discs are "
                    "reported unverified",
                    stem,
                    (section or {}).get("JobState", JOB_MOVED),
                    self.status_grace + self.status_lag_limit,
                )
                log += (
                    f"(the job request was renamed completed, but the status still said "
                    f"JobState={(section or {}).get('JobState', JOB_MOVED)}: discs reported unverified)\n"
                )
            discs = tuple(Disc(order.serial(n), None) for n in range(1, order.copies + 1))
            return Result(DONE, discs, log=log)
        good = _int(section.get("GoodDiscs"), order.copies)
        if good < order.copies:
            return Result(ERROR, reason=f"PTBurn completed {good} of {order.copies} copies", log=log)
        # every disc of a job requested with VerifyDisc=YES was verified, or rejected
        discs = tuple(Disc(order.serial(n), True) for n in range(1, order.copies + 1))
        return Result(DONE, discs, log=log)

    def _status_dir(self):
        return os.path.join(self.hot_folder, "Status")

    def _read_status(self, file_name):
        try:
            with open(os.path.join(self._status_dir(), os.path.basename(file_name)), "rb") as handle:
                return parse_ini(decode_text(handle.read()))
        except OSError:
            return {}

    def _robots(self):
        """[(robot name, its status file)] of every robot in SystemStatus.txt (3.1), the one
        named by ``robot_name`` first: PTBurn may move a job to another robot (2.1.41)."""
        system = self._read_status("SystemStatus.txt")
        names = [
            value for key, value in system.get("RobotList", {}).items() if key.lower().startswith("robot")
        ]
        if self.name:
            names = [self.name] + [n for n in names if n != self.name]
        return [(name, system.get(name, {}).get("StatusFile") or f"{name}.txt") for name in names]

    def _job_status(self, stem):
        """(robot, the job's section of its status file, [robots it moved from]), followed
        from robot to robot; (None, None, moved) when no robot reports the job (yet)."""
        moved = []
        for robot, status_file in self._robots():
            sections = self._read_status(status_file)
            section = sections.get(stem) or next(
                (values for title, values in sections.items() if title.lower() == stem.lower()), None
            )
            if section is None:
                continue
            if section.get("JobState") == JOB_MOVED:
                moved.append(robot)
                continue
            return robot, section, moved
        return None, None, moved

    @staticmethod
    def _log(stem, robot, section, moved):
        if section is None:
            return f"PTBurn reported no status for job {stem}" + (
                f" (moved from {', '.join(moved)})" if moved else ""
            )
        head = f"PTBurn, robot {robot}" + (f" (moved from {', '.join(moved)})" if moved else "")
        return f"{head}, job {stem}:\n" + "".join(f"{k}={v}\n" for k, v in section.items())

    def attempts_seen(self, name):
        """Attempt numbers in the hot folder and in every robot's status file: PTBurn keeps
        the sections of recently completed jobs (3.2.3)."""
        seen = super().attempts_seen(name)
        pattern = re.compile(re.escape(name.lower()) + r"-a(\d+)")
        for _robot, status_file in self._robots():
            for title in self._read_status(status_file):
                if match := pattern.fullmatch(title.lower()):
                    seen.add(int(match.group(1)))
        return seen

    # --- withdrawal --------------------------------------------------------------------------

    def withdraw(self, stem):
        if self._unlink(stem, self.extension):
            return "the job request was withdrawn before PTBurn took it"
        if self.state(stem) in (QUEUED, PRODUCING):
            # 4.1: abort with the ClientID of the job request (that of the station that wrote it)
            client_id = self._order_client_id(stem) or self.client_id
            abort = lines([("Message", "ABORT"), ("ClientID", client_id)])
            atomic_write(os.path.join(self.hot_folder, stem + self.message_extension), self.encode(abort))
            return "PTBurn was asked to abort the job"
        return "the job had already ended"

    def _order_client_id(self, stem):
        for ext, state in self.states:
            if state in (QUEUED, PRODUCING) and (text := self._read(stem, ext)):
                client_id = parse_ini(text).get("", {}).get("ClientID", "")
                if client_id.isascii() and 0 < len(client_id) <= ID_LENGTH:
                    return client_id
        return ""

    def leftovers(self):
        return [*super().leftovers(), self.message_extension]

    def status(self):
        system = self._read_status("SystemStatus.txt")
        robots = self._robots()
        if not robots:
            return f"{self.title}: no robot listed in {os.path.join(self._status_dir(), 'SystemStatus.txt')}"
        described = []
        for robot, _file in robots:
            values = system.get(robot, {})
            described.append(
                f"{robot}: {values.get('Status') or values.get('SysErrorString') or 'no status'}"
            )
        return f"{self.title}: " + "; ".join(described)


def _ended(section):
    return section is not None and section.get("JobState") in JOB_ENDED


def _int(value, default):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _disc_errors(section):
    """[(disc index, error number, error text)] in the order PTBurn reported them (3.2.4)."""
    errors = []
    for x in range(10):
        number = _int(section.get(f"DiscErrorNumber{x}"), None)
        if number is None:
            continue
        index = _int(section.get(f"DiscErrorIndex{x}"), 0)
        errors.append(
            (index, number, section.get(f"DiscErrorString{x}", "").strip() or f"disc error {number}")
        )
    return errors


def _job_error(section):
    number = _int(section.get("JobErrorNumber"), 0)
    if not number:
        return ""
    text = section.get("JobErrorString", "").strip() or "job error"
    return f"{text} (PTBurn job error {number})"
