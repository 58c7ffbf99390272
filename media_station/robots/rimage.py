"""Rimage Network Publisher (NWP) order files, for Rimage Producer and Professional systems.

Rimage's own description of Network Publisher orders ("Rimage Network Publisher 8.2 User
Guide", 110798) was not available when this driver was written. It follows a third party's
description of the same interface: "NWP - Rimage Network Publisher Multi-Platform", the
appendix of the Disc Manager specifications that describes it for Rimage compatibility
(CopyTrax Artmaster 600 specifications, Disc Manager appendix, p. 75):

- an order is a file ``<name>.NWP`` dropped in the watched folder; while it runs the robot
  software renames it ``.INP``; then ``.DON`` when it succeeded, or ``.ERR`` with a ``.LOG``
  file describing the error;
- keywords: ``order_id`` (the job's name in the job scheduler), ``filetype`` (``IMAGE``: an
  image is recorded; ``PARENT``: a folder is), ``file`` (the image, NRG or ISO, or the folder),
  ``volume`` (the disc's volume name, for ``PARENT``), ``label`` (the file to print: PRN, DML,
  BTW or PDF), ``merge`` (a file of texts for the merge fields of a DML or BTW label),
  ``copies``.

What that description leaves open is assumed here, and listed in the README (keyword case,
required keywords, encoding, line ends, where the .LOG is, the merge file's format, what
.DON means). IBM Content Manager OnDemand's documentation of its Rimage output adds: "Merge
fields cannot contain the comma, single quote, double quote, left bracket, or right bracket
characters".

The station always masters the ISO image itself (it knows the image's MD5), so its orders are
``filetype=IMAGE``. Nothing in this interface asks the robot to verify discs or reports which
disc was verified: discs produced through it are reported unverified.
"""

import os

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
    lines,
)

# what a merge field cannot carry (IBM CMOD on Rimage merge fields), and '=' (the keyword files'
# separator): each becomes a space
MERGE_REPLACED = ",'\"[]="


class RimageDriver(RobotDriver):
    kind = "rimage"
    title = "Rimage Network Publisher"
    software = "Network Publisher"
    extension = ".NWP"
    states = ((".NWP", QUEUED), (".INP", PRODUCING), (".DON", DONE), (".ERR", ERROR))

    def wants_label_pdf(self):
        # the label printed is the site's design fed with the merge file, else Odoo's PDF
        return not self.label_template

    def render(self, order):
        if order.copies < 1:
            raise UnsafeOrderValue(f"an order needs at least one copy, not {order.copies}")
        files = {}
        pairs = [
            ("order_id", check_value("order ID", order.stem, encoding="ascii", forbidden="=")),
            ("filetype", "IMAGE"),
            ("file", self.check("image path", self.robot_path(order.image), forbidden="=")),
        ]
        if self.label_template:
            pairs.append(("label", self.label_template))
            merge_name = f"{order.stem}.merge.txt"  # per attempt, like the image
            merge_path = os.path.join(order.work or self.work, merge_name)
            pairs.append(
                (
                    "merge",
                    self.check("merge file", self.robot_path(merge_path), forbidden="="),
                )
            )
            # one field per line, in the order of the label design's merge fields
            values = [
                self.label_text(f"order {order.stem}: label field {key!r}", value, replaced=MERGE_REPLACED)
                for key, value in order.label_values()
            ]
            files[merge_name] = self.encode("".join(f"{value}\r\n" for value in values))
        elif order.label_pdf:
            pairs.append(
                (
                    "label",
                    self.check("label", self.robot_path(order.label_pdf), forbidden="="),
                )
            )
        pairs.append(("copies", str(order.copies)))
        files[order.stem + self.extension] = self.encode(lines(pairs))
        return files

    def result(self, order):
        if self.state(order.stem) == DONE:
            discs = tuple(Disc(order.serial(n), None) for n in range(1, order.copies + 1))
            return Result(DONE, discs, log=f"Rimage order {order.stem} done ({order.copies} copies)")
        log = self._read(order.stem, ".LOG")
        reason = next((line.strip() for line in log.splitlines() if line.strip()), "")
        return Result(ERROR, reason=reason or "Rimage ended the order with an error and no log", log=log)

    def withdraw(self, stem):
        if self._unlink(stem, self.extension):
            return "the order was withdrawn before Network Publisher took it"
        if self.at_robot(stem):
            return "Network Publisher had taken the order, which it cannot be asked to abort"
        return "the order had already ended"

    def leftovers(self):
        return [".DON", ".ERR", ".LOG"]
