"""What every robot driver offers the station, and the text rules their order files share.

A driver turns an :class:`Order` (an image the station built and verified, the number of
copies, the label) into the files one maker's robot software reads from its hot folder, and
reads back what that software reports: a :class:`Result` with one :class:`Disc` per copy
produced, or the reason the job failed.
"""

import abc
import dataclasses
import logging
import ntpath
import os
import posixpath
import time

from ..errors import StationError

_logger = logging.getLogger(__name__)

QUEUED, PRODUCING, DONE, ERROR = "queued", "producing", "done", "error"
TIMEOUT = "timeout"

# the label fields the site's label design receives, in this order (a design's merge fields are
# positional); fields Odoo adds later follow, sorted by name
LABEL_FIELDS = ("order", "part_number", "title", "version", "customer", "barcode")

ENCODINGS = ("ascii", "utf-16")


class UnsafeOrderValue(StationError):
    """A value the robot's order file cannot carry (the job fails with this message)."""


@dataclasses.dataclass(frozen=True)
class Order:
    """One job for the robot, as the station prepared it."""

    name: str  # file name stem in the hot folder: ASCII letters, digits, '-', '_', '.'
    job_id: int  # the job's id in Odoo
    image: str  # local path of the ISO image (discs) or of the folder image (USB media)
    is_disc: bool
    volume: str  # the image's volume identifier
    copies: int
    label: dict  # merge fields of the label
    label_pdf: str = ""  # local path of the label rendered by Odoo, or ""
    work: str = ""  # the station's folder for images and label files
    media: str = ""  # the media type's code (dvd, bluray, usb, ...)

    def label_values(self):
        """The label fields in the order the label designs expect them."""
        keys = [k for k in LABEL_FIELDS if k in self.label]
        keys += sorted(k for k in self.label if k not in LABEL_FIELDS)
        return [(key, "" if self.label[key] is None else str(self.label[key])) for key in keys]

    def serial(self, copy):
        """The serial the station gives copy ``copy`` (1-based): neither maker's protocol
        reports one, so the order name and the copy number identify the disc."""
        width = max(3, len(str(self.copies)))
        return f"{self.name}-{copy:0{width}d}"


@dataclasses.dataclass(frozen=True)
class Disc:
    serial: str
    verified: bool  # True only when the robot verified this disc against the image


@dataclasses.dataclass(frozen=True)
class Result:
    state: str  # DONE, ERROR or TIMEOUT
    discs: tuple = ()
    reason: str = ""  # one line for people (failures)
    log: str = ""  # what the robot reported, for the job's log in Odoo

    @property
    def ok(self):
        return self.state == DONE


class RobotDriver(abc.ABC):
    """One maker's hot-folder protocol.

    ``hot_folder``: the folder the robot software watches (as the station sees it);
    ``robot_work``: the station's work folder as the robot sees it (e.g. ``\\\\STATION\\work``),
    when the robot runs on another machine; ``label_template``: the site's label design, as the
    robot sees it; ``encoding``: ``ascii`` or ``utf-16`` (UTF-16LE with a byte-order mark, what
    Windows programs call "Unicode") for the text files written for the robot.
    """

    kind = ""
    title = ""
    extension = ""  # of the order file
    # (extension, state) of the order file as the robot renames it; the first is the station's
    states = ()
    disc_only = True
    verifies = False  # the protocol asks the robot to verify each disc and reports it

    def __init__(
        self, hot_folder, *, work="", robot_work="", label_template="", encoding="ascii", client="", name=""
    ):
        if encoding not in ENCODINGS:
            raise ValueError(f"robot encoding must be one of {', '.join(ENCODINGS)}")
        self.hot_folder = os.path.realpath(hot_folder)
        os.makedirs(self.hot_folder, exist_ok=True)
        self.work = os.path.realpath(work) if work else ""
        self.robot_work = robot_work
        self.label_template = label_template
        self.encoding = encoding
        self.client = client
        self.name = name

    # --- what the station calls ------------------------------------------------------------

    def wants_label_pdf(self):
        """Whether the label rendered by Odoo goes to the robot (else it is not fetched)."""
        return False

    def check_media(self, is_disc):
        """Refuse what this robot cannot produce, before anything is staged or built."""
        if self.disc_only and not is_disc:
            raise StationError(
                f"the site's robot ({self.title}) produces discs only; USB media need a station "
                f"with robot = folder"
            )

    @abc.abstractmethod
    def render(self, order):
        """{file name: bytes} to write for ``order``: the order file (``<name><extension>``,
        in the hot folder) and any file it refers to (in the work folder)."""

    def submit(self, order):
        """Write the order's files; the order file last and atomically, so that the robot
        never reads half of it."""
        self.check_media(order.is_disc)
        files = self.render(order)
        order_file = order.name + self.extension
        for file_name, content in files.items():
            if file_name != order_file:
                _atomic_write(os.path.join(order.work or self.work, file_name), content)
        _atomic_write(os.path.join(self.hot_folder, order_file), files[order_file])

    def state(self, name):
        """QUEUED, PRODUCING, DONE, ERROR, or None when no order of that name is here."""
        present = self._present(name)
        for ext, state in self.states:
            if ext.lower() in present:
                return state
        return None

    @abc.abstractmethod
    def result(self, order):
        """The :class:`Result` of a finished order (its state is DONE or ERROR)."""

    def wait(self, order, timeout, poll=0.2, on_tick=None):
        """Wait until the robot finished ``order``; ``on_tick(state)`` runs at each poll."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(order.name)
            if state in (DONE, ERROR):
                return self.result(order)
            if on_tick:
                on_tick(state)
            time.sleep(poll)
        withdrawn = self.withdraw(order.name)
        return Result(TIMEOUT, reason=f"the robot did not finish within {timeout:g} s ({withdrawn})")

    def withdraw(self, name):
        """Take back an order the robot has not finished; what was done, for the log."""
        first_ext = self.states[0][0]
        path = self._path(name, first_ext)
        if path:
            try:
                os.unlink(path)
                return "the order was withdrawn before the robot took it"
            except FileNotFoundError:
                pass
        return "the robot had taken the order; it may still produce it"

    def clear(self, name):
        """Remove what an earlier order of the same name left; one still at the robot is
        withdrawn (after the clean-up, which would remove an abort command)."""
        paths = [self._path(name, ext) for ext in self.leftovers()]
        paths.append(os.path.join(self.hot_folder, name + self.extension + ".tmp"))  # a crash mid-write
        for path in filter(None, paths):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        if self.state(name) in (QUEUED, PRODUCING):
            _logger.warning("an earlier order %s is still at the robot: %s", name, self.withdraw(name))

    def leftovers(self):
        """Extensions of the files a finished order leaves in the hot folder."""
        return [ext for ext, state in self.states if state in (DONE, ERROR)]

    def status(self):
        """One line on the robot for ``python -m media_station status``."""
        return f"{self.title}, hot folder {self.hot_folder}"

    # --- helpers -----------------------------------------------------------------------------

    def _present(self, name):
        """{lower-case extension: file name} of the files ``name.*`` in the hot folder (the
        robot software runs on Windows: extensions are matched whatever their case)."""
        found = {}
        prefix = name.lower() + "."
        try:
            entries = os.listdir(self.hot_folder)
        except FileNotFoundError:
            return found
        for entry in entries:
            lower = entry.lower()
            if lower.startswith(prefix) and "." not in lower[len(prefix) :]:
                found["." + lower[len(prefix) :]] = entry
        return found

    def _path(self, name, ext):
        entry = self._present(name).get(ext.lower())
        return os.path.join(self.hot_folder, entry) if entry else None

    def _read(self, name, ext):
        path = self._path(name, ext)
        if not path:
            return ""
        try:
            with open(path, "rb") as handle:
                return decode_text(handle.read())
        except OSError:
            return ""

    def robot_path(self, local_path):
        """``local_path`` (in the work folder) as the robot sees it."""
        if not self.robot_work or not self.work:
            return local_path
        relative = os.path.relpath(os.path.realpath(local_path), self.work)
        if relative.startswith(".."):
            return local_path
        windows = "\\" in self.robot_work or (len(self.robot_work) > 1 and self.robot_work[1] == ":")
        if windows:
            return ntpath.join(self.robot_work, relative.replace("/", "\\"))
        return posixpath.join(self.robot_work, relative)

    def encode(self, text):
        """The bytes of a text file for the robot: CR LF line ends, in ``self.encoding``."""
        if self.encoding == "utf-16":
            return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
        return text.encode("ascii")


def check_value(what, value, *, encoding, forbidden="", limit=None):
    """``value`` as one line of an order file, or :class:`UnsafeOrderValue` naming ``what``."""
    value = str(value)
    bad = sorted({c for c in value if ord(c) < 32 or ord(c) == 127 or c in forbidden})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise UnsafeOrderValue(f"{what} {value!r} cannot be written in the robot's order file ({shown})")
    if encoding == "ascii" and not value.isascii():
        raise UnsafeOrderValue(
            f"{what} {value!r} has characters outside ASCII; the robot's order file is ASCII "
            f"(set robot_encoding = utf-16 for robot software that reads Unicode files)"
        )
    if limit is not None and len(value) > limit:
        raise UnsafeOrderValue(f"{what} {value!r} is longer than the {limit} characters the robot accepts")
    return value


def decode_text(data):
    """Text the robot software wrote: UTF-16 with a byte-order mark, UTF-8, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_ini(text):
    """{section: {key: value}} of an INI-like status file (keys keep their case; a repeated
    section is merged)."""
    sections = {}
    current = sections.setdefault("", {})
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key.strip()] = value.strip()
    return sections


def lines(pairs):
    """``Key=Value`` lines with CR LF ends (the robots' software runs on Windows)."""
    return "".join(f"{key}={value}\r\n" for key, value in pairs)


def _atomic_write(path, content):
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
