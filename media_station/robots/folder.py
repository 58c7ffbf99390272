"""The station's own hand-off folder, for media no disc robot produces (USB sticks).

``<order>.ord`` holds ``Key=Value`` lines (UTF-8, LF): JobID, OrderID, ImageFile or Folder,
VolumeName, MergeFile, LabelFile, Copies, Media. Whoever produces the media (a USB duplicator's
script, an operator) renames it ``.inp`` while working, then ``.done``, or ``.err`` with
``<order>-a<n>.log`` whose first line says what went wrong. No robot maker defines this format; it
is this project's.
"""

import os

from .base import DONE, ERROR, PRODUCING, QUEUED, Disc, Result, RobotDriver, UnsafeOrderValue, check_value


class FolderDriver(RobotDriver):
    kind = "folder"
    title = "hand-off folder"
    software = "the hand-off"
    extension = ".ord"
    states = ((".ord", QUEUED), (".inp", PRODUCING), (".done", DONE), (".err", ERROR))
    disc_only = False
    fixed_encoding = "utf-8"  # the station's own format, whatever robot_encoding says
    # whoever takes an order from this folder may be a person: there is no pick-up timeout
    default_pickup_timeout = 0.0

    def __init__(self, hot_folder, **options):
        options["pickup_timeout"] = 0.0
        super().__init__(hot_folder, **options)

    def wants_label_pdf(self):
        return True

    def render(self, order):
        if order.copies < 1:
            raise UnsafeOrderValue(f"an order needs at least one copy, not {order.copies}")
        label_name = f"{order.stem}.label.txt"  # per attempt, like the image
        label_path = os.path.join(order.work or self.work, label_name)
        fields = [
            ("JobID", order.job_id),
            ("OrderID", order.label.get("order", "")),
            ("ImageFile" if order.is_disc else "Folder", self.robot_path(order.image)),
            ("VolumeName", order.volume),
            ("MergeFile", self.robot_path(label_path)),
            ("LabelFile", self.robot_path(order.label_pdf) if order.label_pdf else ""),
            ("Copies", order.copies),
            ("Media", order.media),
        ]
        body = "".join(f"{key}={check_value(key, value or '', encoding='utf-8')}\n" for key, value in fields)
        label = "".join(f"{key}={' '.join(str(value).splitlines())}\n" for key, value in order.label_values())
        return {label_name: label.encode(), order.stem + self.extension: body.encode()}

    def encode(self, text):
        return text.encode()

    def result(self, order):
        if self.state(order.stem) == DONE:
            discs = tuple(Disc(order.serial(n), None) for n in range(1, order.copies + 1))
            return Result(DONE, discs, log=f"order {order.stem} done")
        log = self._read(order.stem, ".log")
        reason = next((line.strip() for line in log.splitlines() if line.strip()), "")
        return Result(ERROR, reason=reason or "the order ended with an error and no log", log=log)

    def leftovers(self):
        return [".done", ".err", ".log"]
