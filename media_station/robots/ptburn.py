"""Primera PTBurn (Bravo and Disc Publisher robots): job request files in the Job Request Folder.

Every rule here comes from Primera Technology's "PTBurn 3 SDK - Network-capable, Text-based,
Shared Folder Burning & Printing" (revision 3.24, September 2011; the same sections in 3.25,
March 2017), cited by section:

- 1: the client writes an ASCII text Job Request File into the Job Request Folder (the shared
  hot folder); a Unicode build of PTBurn exists for 2-byte characters.
- 2: the file's extension is .JRQ; it holds Key=Value lines.
  2.1.1 JobID and 2.1.2 ClientID: ASCII, up to 32 characters. 2.1.6 ImageFile: the path of an
  .ISO or .GI image, "ImageFile = Filename, SessionX" (a comma starts the session part).
  2.1.11 Copies: 1 to 10,000. 2.1.12 PrintLabel: a .STD (SureThing), .jpg, .bmp or .PRN file.
  2.1.13 VolumeName: up to 32 characters. 2.1.15 VerifyDisc: YES or NO (NO when absent).
  2.1.16 RejectIfNotBlank: YES or NO. 2.1.40 MergeField: one line per field of the SureThing
  design's merge file, in its order; PTBurn writes them into that file, whose fields are
  double-quoted and comma-separated (p. 17). 2.1.41 RobotName: one of [RobotList].
- 3: MyJob.JRQ becomes MyJob.QRJ (discovered), MyJob.INP (in process), then MyJob.DON
  (completed) or MyJob.ERR (finished with errors, or aborted).
  3.1 Status\\SystemStatus.txt: [RobotList] Robot0=<name>..., one section per robot whose
  StatusFile (3.1.3.5) names its status file in the same folder; [System].
  3.2 Status\\<RobotName>.txt: [JobList], [CompletedJobs] and, per job, a section named after
  its job request file (3.2.4): GoodDiscs, BadDiscs, JobState (0 not started, 1 running,
  2 completed successfully, 3 failed, 4 moved), JobErrorNumber, JobErrorString, and
  DiscErrorIndexX, DiscErrorNumberX, DiscErrorStringX (X from 0 to 9; the index is the number
  of the disc within the job, a retried disc can be listed more than once).
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


class PTBurnDriver(RobotDriver):
    kind = "ptburn"
    title = "Primera PTBurn"
    extension = ".JRQ"
    states = ((".JRQ", QUEUED), (".QRJ", QUEUED), (".INP", PRODUCING), (".DON", DONE), (".ERR", ERROR))
    verifies = True
    # PTBurn renames the job request and rewrites its status file independently: how long a
    # finished job's section may lag behind the rename
    status_grace = 10.0

    @property
    def client_id(self):
        """The ClientID of this station's jobs (2.1.2; the abort command must repeat it)."""
        return re.sub(r"[^A-Za-z0-9@._-]", "_", self.client)[:ID_LENGTH] or "media_station"

    def render(self, order):
        encoding = self.encoding
        if not 1 <= order.copies <= MAX_COPIES:
            raise UnsafeOrderValue(f"PTBurn produces 1 to {MAX_COPIES} copies per job, not {order.copies}")
        pairs = [
            ("JobID", check_value("job ID", order.name[:ID_LENGTH], encoding="ascii", forbidden="=")),
            ("ClientID", self.client_id),
            (
                "ImageFile",
                check_value("image path", self.robot_path(order.image), encoding=encoding, forbidden=",="),
            ),
            ("Copies", str(order.copies)),
            (
                "VolumeName",
                check_value("volume name", order.volume, encoding="ascii", forbidden="=", limit=ID_LENGTH),
            ),
            ("VerifyDisc", "YES"),
            ("RejectIfNotBlank", "YES"),
        ]
        if self.label_template:
            pairs.append(
                (
                    "PrintLabel",
                    check_value("label design", self.label_template, encoding=encoding, forbidden="="),
                )
            )
            pairs += [
                ("MergeField", check_value(f"label field {key!r}", value, encoding=encoding, forbidden='="'))
                for key, value in order.label_values()
            ]
        if self.name:
            pairs.append(
                ("RobotName", check_value("robot name", self.name, encoding=encoding, forbidden="="))
            )
        return {order.name + self.extension: self.encode(lines(pairs))}

    # --- results -----------------------------------------------------------------------------

    def result(self, order):
        state = self.state(order.name)
        robot, section = self._job_status(order.name)
        deadline = time.monotonic() + self.status_grace
        while (section is None or section.get("JobState") not in ("2", "3")) and time.monotonic() < deadline:
            time.sleep(0.5)
            robot, section = self._job_status(order.name)
        log = self._log(order, robot, section)
        errors = _disc_errors(section or {})
        failed_verify = [e for e in errors if e[1] == VERIFY_ERROR]
        if failed_verify:
            # PTBurn rejects such a disc and burns another one; on robots that drop rejects in
            # the output bin it lies among the good ones, so the job is not a success
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
        if section is None:
            _logger.warning("no PTBurn status for job %s: its discs are reported unverified", order.name)
            discs = tuple(Disc(order.serial(n), False) for n in range(1, order.copies + 1))
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
        """[(robot name, its status file)] from SystemStatus.txt (3.1)."""
        system = self._read_status("SystemStatus.txt")
        listed = [
            value for key, value in system.get("RobotList", {}).items() if key.lower().startswith("robot")
        ]
        names = [self.name] if self.name else listed
        return [(name, system.get(name, {}).get("StatusFile") or f"{name}.txt") for name in names]

    def _job_status(self, name):
        """(robot, the job's section of its status file), or (None, None)."""
        for robot, status_file in self._robots():
            sections = self._read_status(status_file)
            section = sections.get(name) or next(
                (values for title, values in sections.items() if title.lower() == name.lower()), None
            )
            if section is not None and section.get("JobState") != JOB_MOVED:
                return robot, section
        return None, None

    @staticmethod
    def _log(order, robot, section):
        if section is None:
            return f"PTBurn reported no status for job {order.name}"
        return f"PTBurn, robot {robot}, job {order.name}:\n" + "".join(
            f"{k}={v}\n" for k, v in section.items()
        )

    # --- withdrawal --------------------------------------------------------------------------

    def withdraw(self, name):
        queued = self._path(name, ".JRQ")
        if queued:
            try:
                os.unlink(queued)
                return "the job request was withdrawn before PTBurn took it"
            except FileNotFoundError:
                pass
        if self.state(name) in (QUEUED, PRODUCING):
            # 4.1: abort with the ClientID of the job request
            abort = lines([("Message", "ABORT"), ("ClientID", self.client_id)])
            with open(os.path.join(self.hot_folder, name + ".PTM"), "wb") as handle:
                handle.write(self.encode(abort))
            return "PTBurn was asked to abort the job"
        return "the job had already ended"

    def leftovers(self):
        return [".DON", ".ERR", ".PTM"]

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
