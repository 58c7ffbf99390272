#!/usr/bin/env python3
"""Print the rows the benchmark scripts recorded (JSON lines) as one table."""

import json
import sys


def main(path):
    try:
        with open(path, encoding="utf-8") as rows_file:
            rows = [json.loads(line) for line in rows_file if line.strip()]
    except FileNotFoundError:
        rows = []
    if not rows:
        print("no benchmark recorded a result")
        return 1
    widths = [
        max(len("benchmark"), *(len(r["script"]) for r in rows)),
        max(len("measure"), *(len(r["measure"]) for r in rows)),
        max(len("goal"), *(len(r["goal"]) for r in rows)),
        max(len("measured"), *(len(r["value"]) for r in rows)),
    ]
    line = "  ".join(f"{{:{w}s}}" for w in widths) + "  {}"
    print(line.format("benchmark", "measure", "goal", "measured", "result"))
    print(line.format(*("-" * w for w in widths), "------"))
    for r in rows:
        print(line.format(r["script"], r["measure"], r["goal"], r["value"], "PASS" if r["ok"] else "FAIL"))
    failed = sum(not r["ok"] for r in rows)
    print(f"\n{len(rows) - failed} of {len(rows)} goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
