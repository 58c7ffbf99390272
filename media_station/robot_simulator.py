"""A disc-publisher stand-in for tests and the demo: watches a hot folder like the robot.

Picks ``*.ord``, renames it ``.inp``, checks the image or folder it names exists, waits,
then renames it ``.done`` or ``.err`` with a ``.log`` (failure rate, error text configurable).
    python -m media_station.robot_simulator HOT_FOLDER [--delay S] [--failure-rate R]
"""

import argparse
import os
import random
import threading
import time


class RobotSimulator:
    def __init__(self, hot_folder, delay=0.5, failure_rate=0.0, error_text="Printer ribbon out", seed=None):
        self.hot_folder = hot_folder
        self.delay = delay
        self.failure_rate = failure_rate
        self.error_text = error_text
        self.random = random.Random(seed)
        self.stop_event = threading.Event()
        self.processed = []

    def _read(self, path):
        fields = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _sep, value = line.rstrip("\n").partition("=")
                fields[key] = value
        return fields

    def step(self):
        for name in sorted(os.listdir(self.hot_folder)):
            if not name.endswith(".ord"):
                continue
            stem = os.path.join(self.hot_folder, name[:-4])
            os.replace(stem + ".ord", stem + ".inp")
            fields = self._read(stem + ".inp")
            time.sleep(self.delay)
            media = fields.get("ImageFile") or fields.get("Folder") or ""
            error = None
            if not media or not os.path.exists(media):
                error = f"Image not found: {media}"
            elif self.random.random() < self.failure_rate:
                error = self.error_text
            if error:
                with open(stem + ".log", "w", encoding="utf-8") as log:
                    log.write(f"{error}\nOrder {fields.get('OrderID', '')}, job {fields.get('JobID', '')}\n")
                os.replace(stem + ".inp", stem + ".err")
            else:
                os.replace(stem + ".inp", stem + ".done")
            self.processed.append((name[:-4], error))

    def run(self, poll=0.1):
        while not self.stop_event.is_set():
            self.step()
            self.stop_event.wait(poll)

    def start(self):
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread

    def stop(self):
        self.stop_event.set()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hot_folder")
    parser.add_argument("--delay", type=float, default=2.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--error-text", default="Printer ribbon out")
    args = parser.parse_args(argv)
    os.makedirs(args.hot_folder, exist_ok=True)
    robot = RobotSimulator(args.hot_folder, args.delay, args.failure_rate, args.error_text)
    try:
        robot.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
