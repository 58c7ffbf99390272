"""Disc-publisher hot folder: order files in, renamed by the robot as it works.

``<order>.ord`` (key=value lines) is picked up and renamed ``.inp`` while the robot works,
then ``.done``, or ``.err`` with ``<order>.log`` next to it."""

import os
import time

from .paths import safe_name

STATES = {".ord": "queued", ".inp": "producing", ".done": "done", ".err": "error"}


class HotFolder:
    def __init__(self, path):
        self.path = os.path.realpath(path)
        os.makedirs(self.path, exist_ok=True)

    def _file(self, order, ext):
        return os.path.join(self.path, safe_name(order) + ext)

    def submit(self, order, fields):
        """Write the order file atomically (the robot never sees half a file)."""
        lines = []
        for key, value in fields.items():
            value = str(value)
            if "\n" in value or "\r" in value or "=" in key:
                raise ValueError(f"order field {key!r} cannot hold a line break")
            lines.append(f"{key}={value}")
        tmp = self._file(order, ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(tmp, self._file(order, ".ord"))

    def state(self, order):
        for ext, state in STATES.items():
            if os.path.exists(self._file(order, ext)):
                return state
        return None

    def error_log(self, order):
        try:
            with open(self._file(order, ".log"), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def wait(self, order, timeout, poll=0.2, on_tick=None):
        """Wait for done or error; ``on_tick(state)`` runs at each poll (heartbeats)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state(order)
            if state in ("done", "error"):
                return state
            if on_tick:
                on_tick(state)
            time.sleep(poll)
        return "timeout"

    def clear(self, order):
        for ext in (*STATES, ".log", ".tmp"):
            try:
                os.unlink(self._file(order, ext))
            except FileNotFoundError:
                pass
