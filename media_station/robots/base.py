"""What every robot driver offers the station, and the text rules their order files share.

A driver turns an :class:`Order` (an image the station built and verified, the number of
copies, the label) into the files one maker's robot software reads from its hot folder, and
reads back what that software reports: a :class:`Result` with one :class:`Disc` per copy
produced, or the reason the job failed.

Every attempt at a job gets its own order file name, ``<order>-a<n>`` (see :meth:`RobotDriver.begin`):
robot software keeps what it reports per file name, so a name used twice could be answered
with what the robot said of the earlier attempt.
"""

import abc
import dataclasses
import logging
import ntpath
import os
import posixpath
import re
import time
import unicodedata

from ..errors import StationError

_logger = logging.getLogger(__name__)

QUEUED, PRODUCING, DONE, ERROR = "queued", "producing", "done", "error"
TIMEOUT = "timeout"

# the label fields the site's label design receives, in this order (a design's merge fields are
# positional); fields Odoo adds later follow, sorted by name
LABEL_FIELDS = ("order", "part_number", "title", "version", "customer", "barcode")

# what is written for a label field that is empty: label designs fill their merge fields by
# position, and an empty value could be skipped and shift the fields after it
PLACEHOLDER = "-"

# robot_encoding: "ansi" is Windows' ANSI code page of Western Europe and the Americas
# (Windows-1252); cp1250 to cp1258 are the other Windows ANSI code pages
ENCODING_HELP = "ascii, ansi (Windows-1252), cp1250 to cp1258, or utf-16"

# characters that Unicode's compatibility decomposition leaves outside ASCII
_FOLDED = {
    "ß": "ss",
    "ẞ": "SS",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "Ø": "O",
    "ø": "o",
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ð": "D",
    "ð": "d",
    "Þ": "Th",
    "þ": "th",
    "\u0131": "i",
    "€": "EUR",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2022": "*",
}


def codec_of(encoding):
    """The Python codec of a ``robot_encoding`` value, or ValueError."""
    value = str(encoding or "").strip().lower()
    if value == "ansi":
        return "cp1252"
    if value in ("ascii", "utf-16") or re.fullmatch(r"cp125[0-8]", value):
        return value
    raise ValueError(f"robot_encoding must be one of {ENCODING_HELP}, not {encoding!r}")


class EarlierOrderAtRobot(StationError):
    """An earlier order of the job is still at the robot: no new order may be written, and the
    job has not failed (the robot may still produce it)."""

    def __init__(self, message, stem):
        super().__init__(message)
        self.stem = stem


class UnsafeOrderValue(StationError):
    """A value the robot's order file cannot carry (the job fails with this message)."""


def attempt_name(name, attempt):
    """The order file name (without extension) of attempt ``attempt`` at order ``name``."""
    return f"{name}-a{attempt}"


@dataclasses.dataclass(frozen=True)
class Order:
    """One job for the robot, as the station prepared it."""

    name: str  # the job's order name: ASCII letters, digits, '-', '_', '.'
    job_id: int  # the job's id in Odoo
    image: str  # local path of the ISO image (discs) or of the folder image (USB media)
    is_disc: bool
    volume: str  # the image's volume identifier
    copies: int
    label: dict  # merge fields of the label
    label_pdf: str = ""  # local path of the label rendered by Odoo, or ""
    work: str = ""  # the station's folder for images and label files
    media: str = ""  # the media type's code (cd, dvd, bluray, usb, ...)
    attempt: int = 1  # the how-manieth order this station writes for the job

    @property
    def stem(self):
        """The order file's name in the hot folder, without its extension."""
        return attempt_name(self.name, self.attempt)

    def label_values(self):
        """The label fields in the order the label designs expect them."""
        keys = [k for k in LABEL_FIELDS if k in self.label]
        keys += sorted(k for k in self.label if k not in LABEL_FIELDS)
        return [(key, "" if self.label[key] is None else str(self.label[key])) for key in keys]

    def serial(self, copy):
        """The serial the station gives copy ``copy`` (1-based): neither maker's protocol
        reports one, so the order name and the copy number identify the disc (the same for
        every attempt at the job)."""
        width = max(3, len(str(self.copies)))
        return f"{self.name}-{copy:0{width}d}"


@dataclasses.dataclass(frozen=True)
class Disc:
    serial: str
    # True when the robot verified this disc against the image, None when nothing verified it
    # (a protocol without verification, or a status the robot never wrote); a disc that failed
    # verification fails its job and is never reported as produced
    verified: bool | None


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
    ``robot_work``: the station's work folder as the robot sees it (e.g.
    ``\\\\ROBOTPC\\PTBurnJobs\\station``), when the robot runs on another machine;
    ``label_template``: the site's label design, as the robot sees it; ``encoding``: the
    ``robot_encoding`` of the text files written for the robot (see :func:`codec_of`; UTF-16 is
    UTF-16LE with a byte-order mark, what Windows programs call "Unicode"); ``pickup_timeout``:
    seconds the robot software has to take an order from the hot folder; ``extensions``: the
    robot software's own file extensions, where it lets a site change them.
    """

    kind = ""
    title = ""
    software = ""  # the program that watches the hot folder, for messages to people
    extension = ""  # of the order file
    # (extension, state) of the order file as the robot renames it; the first is the station's
    states = ()
    disc_only = True
    verifies = False  # the protocol asks the robot to verify each disc and reports it
    default_encoding = "ansi"
    fixed_encoding = ""  # the codec of a format that has one, whatever robot_encoding says
    default_pickup_timeout = 300.0
    settle_poll = 0.5  # seconds between looks at an earlier order that is ending

    def __init__(
        self,
        hot_folder,
        *,
        work="",
        robot_work="",
        label_template="",
        encoding="",
        client="",
        name="",
        pickup_timeout=None,
        extensions=None,
    ):
        self.encoding = self.fixed_encoding or encoding or self.default_encoding
        self.codec = self.fixed_encoding or codec_of(self.encoding)
        self.hot_folder = os.path.realpath(hot_folder)
        os.makedirs(self.hot_folder, exist_ok=True)
        self.work = os.path.realpath(work) if work else ""
        self.robot_work = robot_work
        self.label_template = label_template
        self.client = client
        self.name = name
        self.pickup_timeout = float(self.default_pickup_timeout if pickup_timeout is None else pickup_timeout)
        if self.pickup_timeout < 0:
            raise ValueError("robot_pickup_timeout cannot be negative")
        if extensions:
            self.set_extensions(extensions)
        # settings end up in every order: refuse at start-up what no order could carry
        for setting, value in (("robot_work", robot_work), ("label_template", label_template)):
            if value:
                self.check(setting, value, forbidden="=", error=ValueError)

    def set_extensions(self, extensions):
        raise ValueError(f"the file extensions of {self.title} cannot be changed")

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

    def begin(self, name):
        """The number of the next attempt at order ``name``, once every earlier one has left
        the robot: one still waiting is withdrawn, one the robot took is aborted where the
        protocol allows it, and the station waits (``pickup_timeout`` at most) until it ended;
        then what they left in the hot folder is removed. :class:`EarlierOrderAtRobot` when an
        earlier order is still at the robot after that wait: no new order is written."""
        seen = self.attempts_seen(name)
        for stem in [name] + [attempt_name(name, n) for n in sorted(seen)]:
            self._settle(stem)
        attempt = max([self._saved_attempt(name), *seen], default=0) + 1
        self._save_attempt(name, attempt)
        return attempt

    @abc.abstractmethod
    def render(self, order):
        """{file name: bytes} to write for ``order``: the order file (``<stem><extension>``,
        in the hot folder) and any file it refers to (in the work folder)."""

    def submit(self, order):
        """Write the order's files; the order file last and atomically, so that the robot
        never reads half of it."""
        self.check_media(order.is_disc)
        files = self.render(order)
        order_file = order.stem + self.extension
        for file_name, content in files.items():
            if file_name != order_file:
                atomic_write(os.path.join(order.work or self.work, file_name), content)
        atomic_write(os.path.join(self.hot_folder, order_file), files[order_file])

    def state(self, stem, present=None):
        """QUEUED, PRODUCING, DONE, ERROR, or None when no order of that name is here
        (``present``: what :meth:`_present` found, when the caller just listed the folder)."""
        present = self._present(stem) if present is None else present
        for ext, state in self.states:
            if ext.lower() in present:
                return state
        return None

    @abc.abstractmethod
    def result(self, order):
        """The :class:`Result` of a finished order (its state is DONE or ERROR)."""

    def wait(self, order, timeout, poll=0.2, on_tick=None):
        """Wait until the robot finished ``order``; ``on_tick(state)`` runs at each poll. An
        order the robot software has not taken within ``pickup_timeout`` is withdrawn and the
        job fails: the software is not running, or watches another folder."""
        stem = order.stem
        started = time.monotonic()
        deadline = started + timeout
        picked_up = False
        while time.monotonic() < deadline:
            present = self._present(stem)  # the hot folder is listed once per poll
            state = self.state(stem, present)
            if state in (DONE, ERROR):
                return self.result(order)
            if not picked_up:
                picked_up = self.extension.lower() not in present
                if (
                    not picked_up
                    and self.pickup_timeout
                    and time.monotonic() - started >= self.pickup_timeout
                ):
                    if self._unlink(stem, self.extension):
                        return Result(
                            TIMEOUT,
                            reason=(
                                f"the robot did not pick up the order within {self.pickup_timeout:g} s: "
                                f"is {self.software} running and watching {self.hot_folder}? "
                                f"(the order was withdrawn)"
                            ),
                        )
                    picked_up = True  # taken in the meantime
            if on_tick:
                on_tick(state)
            time.sleep(poll)
        withdrawn = self.withdraw(stem)
        return Result(TIMEOUT, reason=f"the robot did not finish within {timeout:g} s ({withdrawn})")

    def withdraw(self, stem):
        """Take back an order the robot has not finished; what was done, for the log."""
        if self._unlink(stem, self.extension):
            return "the order was withdrawn before the robot took it"
        return "the robot had taken the order; it may still produce it"

    def at_robot(self, stem):
        """Whether order ``stem`` is still the robot's: a file of it other than those an
        ended order leaves (an extension this driver does not know counts as the robot's)."""
        ended = {ext.lower() for ext in self.leftovers()}
        return any(ext not in ended for ext in self._present(stem))

    def clear(self, stem):
        """Remove what an ended order left in the hot folder."""
        paths = [self._path(stem, ext) for ext in self.leftovers()]
        paths.append(os.path.join(self.hot_folder, stem + self.extension + ".tmp"))  # a crash mid-write
        for path in filter(None, paths):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def forget(self, name):
        """Drop the count of attempts at order ``name``: Odoo accepted the job as done."""
        path = self._attempts_file(name)
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    def leftovers(self):
        """Extensions of the files a finished order leaves in the hot folder."""
        return [ext for ext, state in self.states if state in (DONE, ERROR)]

    def attempts_seen(self, name):
        """Attempt numbers of order ``name`` the hot folder shows."""
        pattern = re.compile(re.escape(name.lower()) + r"-a(\d+)\.[^.]+(\.tmp)?")
        try:
            entries = os.listdir(self.hot_folder)
        except FileNotFoundError:
            return set()
        return {int(m.group(1)) for m in map(pattern.fullmatch, map(str.lower, entries)) if m}

    def status(self):
        """One line on the robot for ``python -m media_station status``."""
        return f"{self.title}, hot folder {self.hot_folder}"

    # --- helpers -----------------------------------------------------------------------------

    def _settle(self, stem):
        if self.at_robot(stem):
            what = self.withdraw(stem)
            _logger.warning("an earlier order %s of this job is still at the robot: %s", stem, what)
            deadline = time.monotonic() + self.pickup_timeout
            while self.at_robot(stem):
                if time.monotonic() >= deadline:
                    waited = (
                        f" and did not end within {self.pickup_timeout:g} s" if self.pickup_timeout else ""
                    )
                    raise EarlierOrderAtRobot(
                        f"an earlier order {stem} of this job is still at the robot ({what}){waited}; "
                        f"no new order is written while it is there",
                        stem,
                    )
                time.sleep(self.settle_poll)
        self.clear(stem)

    def _attempts_file(self, name):
        return os.path.join(self.work, "attempts", name) if self.work else ""

    def _saved_attempt(self, name):
        path = self._attempts_file(name)
        try:
            with open(path, encoding="ascii") as handle:
                return int(handle.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _save_attempt(self, name, attempt):
        path = self._attempts_file(name)
        if path:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write(path, f"{attempt}\n".encode())

    def _present(self, stem):
        """{lower-case extension: file name} of the files ``stem.*`` in the hot folder (the
        robot software runs on Windows: extensions are matched whatever their case)."""
        found = {}
        prefix = stem.lower() + "."
        try:
            entries = os.listdir(self.hot_folder)
        except FileNotFoundError:
            return found
        for entry in entries:
            lower = entry.lower()
            if lower.startswith(prefix) and "." not in lower[len(prefix) :]:
                found["." + lower[len(prefix) :]] = entry
        return found

    def _path(self, stem, ext):
        entry = self._present(stem).get(ext.lower())
        return os.path.join(self.hot_folder, entry) if entry else None

    def _unlink(self, stem, ext):
        """Delete ``stem.ext``; False when it is not (or no longer) there."""
        path = self._path(stem, ext)
        if not path:
            return False
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def _read(self, stem, ext):
        path = self._path(stem, ext)
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

    def check(self, what, value, forbidden="", limit=None, error=UnsafeOrderValue):
        """:func:`check_value` in this robot's encoding."""
        return check_value(
            what,
            value,
            encoding=self.codec,
            forbidden=forbidden,
            limit=limit,
            error=error,
            setting=f"robot_encoding = {self.encoding}",
        )

    def label_text(self, what, value, replaced=""):
        """``value`` made fit for a label field, see :func:`label_text`."""
        return label_text(what, value, encoding=self.encoding, codec=self.codec, replaced=replaced)

    def encode(self, text):
        """The bytes of a text file for the robot: CR LF line ends, in ``self.encoding``."""
        if self.codec == "utf-16":
            return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
        return text.encode(self.codec)


def _encodable(text, codec):
    try:
        text.encode("utf-16-le" if codec == "utf-16" else codec)
    except UnicodeEncodeError:
        return False
    return True


def check_value(what, value, *, encoding, forbidden="", limit=None, error=UnsafeOrderValue, setting=""):
    """``value`` as one line of an order file, written as it is (a path, an identifier, a
    setting: changing it would change what it names), or ``error`` naming ``what``;
    ``setting`` names the encoding's setting for the message."""
    value = str(value)
    bad = sorted({c for c in value if _is_control(c) or c in forbidden})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise error(f"{what} {value!r} cannot be written in the robot's order file ({shown})")
    if not _encodable(value, encoding):
        outside = ", ".join(repr(c) for c in sorted({c for c in value if not _encodable(c, encoding)}))
        if setting:
            raise error(
                f"{what} {value!r} has characters the robot's files cannot hold ({setting}): {outside}"
            )
        raise error(f"{what} {value!r} has characters outside {encoding.upper()}: {outside}")
    if limit is not None and len(value) > limit:
        raise error(f"{what} {value!r} is longer than the {limit} characters the robot accepts")
    return value


def _is_control(char):
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def transliterate(char, codec):
    """``char`` written with characters ``codec`` holds: a known folding (ß: ss), else its
    compatibility decomposition without combining marks (é: e, ﬁ: fi), else '?'."""
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    for candidate in (_FOLDED.get(char), decomposed):
        if candidate and _encodable(candidate, codec):
            return candidate
    return "?"


def label_text(what, value, *, encoding, codec, replaced=""):
    """``value`` as a label field: what cannot be printed as it is never fails a job, it is
    written differently and the station logs a warning. Characters ``codec`` cannot hold are
    transliterated (:func:`transliterate`); then control characters and ``replaced`` (the
    characters the field's format cannot carry) become spaces; an empty value becomes
    :data:`PLACEHOLDER`."""
    original = str(value)
    outside = sorted({c for c in original if not _encodable(c, codec)})
    text = "".join(transliterate(c, codec) if c in outside else c for c in original)
    spaced = sorted({c for c in text if _is_control(c) or c in replaced})
    text = "".join(" " if c in spaced else c for c in text).strip() or PLACEHOLDER
    reasons = []
    if outside:
        reasons.append(f"{encoding} cannot hold {', '.join(repr(c) for c in outside)}")
    if spaced:
        reasons.append(f"{', '.join(repr(c) for c in spaced)} cannot be written there")
    if reasons:
        _logger.warning("%s %r is written %r: %s", what, original, text, "; ".join(reasons))
    elif not original.strip():
        _logger.info("%s is empty: %r is written in its place", what, PLACEHOLDER)
    return text


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


def atomic_write(path, content):
    """Write ``path`` through ``<path>.tmp`` and a rename: whoever watches the folder sees the
    whole file or none of it."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
