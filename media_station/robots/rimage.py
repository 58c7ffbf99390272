"""Rimage Network Publisher (NWP) order files, for Rimage Producer and Professional systems.

The NWP interface as documented in "NWP - Rimage Network Publisher Multi-Platform", the appendix
of the Disc Manager specifications that describes it for Rimage compatibility (CopyTrax
Artmaster 600 specifications, Disc Manager appendix, p. 75); Rimage's own "Network Publisher
8.2 User Guide" (110798_F) describes the same product:

- an order is a file ``<name>.NWP`` dropped in the watched folder; while it runs the robot
  software renames it ``.INP``; then ``.DON`` when it succeeded, or ``.ERR`` with a ``.LOG``
  file describing the error;
- keywords: ``order_id`` (the job's name in the job scheduler), ``filetype`` (``IMAGE``: an
  image is recorded; ``PARENT``: a folder is), ``file`` (the image, NRG or ISO, or the folder),
  ``volume`` (the disc's volume name, for ``PARENT``), ``label`` (the file to print: PRN, DML,
  BTW or PDF), ``merge`` (a file of texts for the merge fields of a DML or BTW label),
  ``copies``.

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


class RimageDriver(RobotDriver):
    kind = "rimage"
    title = "Rimage Network Publisher"
    extension = ".NWP"
    states = ((".NWP", QUEUED), (".INP", PRODUCING), (".DON", DONE), (".ERR", ERROR))

    def wants_label_pdf(self):
        # the label printed is the site's design fed with the merge file, else Odoo's PDF
        return not self.label_template

    def render(self, order):
        encoding = self.encoding
        if order.copies < 1:
            raise UnsafeOrderValue(f"an order needs at least one copy, not {order.copies}")
        files = {}
        pairs = [
            ("order_id", check_value("order ID", order.name, encoding="ascii", forbidden="=")),
            ("filetype", "IMAGE"),
            (
                "file",
                check_value("image path", self.robot_path(order.image), encoding=encoding, forbidden="="),
            ),
        ]
        if self.label_template:
            pairs.append(
                ("label", check_value("label design", self.label_template, encoding=encoding, forbidden="="))
            )
            merge_name = f"{order.name}.merge.txt"
            merge_path = os.path.join(order.work or self.work, merge_name)
            pairs.append(
                (
                    "merge",
                    check_value("merge file", self.robot_path(merge_path), encoding=encoding, forbidden="="),
                )
            )
            # one field per line, in the order of the label design's merge fields
            values = [
                check_value(f"label field {key!r}", value, encoding=encoding)
                for key, value in order.label_values()
            ]
            files[merge_name] = self.encode("".join(f"{value}\r\n" for value in values))
        elif order.label_pdf:
            pairs.append(
                (
                    "label",
                    check_value("label", self.robot_path(order.label_pdf), encoding=encoding, forbidden="="),
                )
            )
        pairs.append(("copies", str(order.copies)))
        files[order.name + self.extension] = self.encode(lines(pairs))
        return files

    def result(self, order):
        if self.state(order.name) == DONE:
            discs = tuple(Disc(order.serial(n), False) for n in range(1, order.copies + 1))
            return Result(DONE, discs, log=f"Rimage order {order.name} done ({order.copies} copies)")
        log = self._read(order.name, ".LOG")
        reason = next((line.strip() for line in log.splitlines() if line.strip()), "")
        return Result(ERROR, reason=reason or "Rimage ended the order with an error and no log", log=log)

    def leftovers(self):
        return [".DON", ".ERR", ".LOG"]
