#!/usr/bin/env python3
"""Read an Odoo test log (and optional pytest JUnit XML files) and print one verdict.

Fails, like OCA's CI log check, on any ERROR or CRITICAL line, on failed Odoo tests, on
warnings raised by this project's own addons, and when no test ran at all.
Ends with the line ``N passed, N failed, N skipped``.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>[\w.]+): (?P<msg>.*)$"
)
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
PROJECT_ADDONS = (
    "flexnet_sync",
    "flexnet_store",
    "media_production",
    "bom_vendor_portal",
    "maintenance_renewal",
)
# model names of the project: a warning about one of them is the project's too
PROJECT_MODELS = ("flexnet.", "media.production", "media.station", "bom.vendor", "maintenance.renewal")


def scan_odoo_log(path):
    """Return (tests_run, failed, skipped, problems) for one Odoo log file."""
    run = failed = skipped = 0
    problems = []
    seen_result = False
    with open(path, encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            match = LINE.match(raw.rstrip("\n"))
            if not match:
                continue
            level, logger, msg = match["level"], match["logger"], match["msg"]
            result = RESULT.search(msg)
            if logger == "odoo.tests.result" and result:
                seen_result = True
                failed += int(result[1]) + int(result[2])
                run += int(result[3])
                continue
            if logger.startswith("odoo.tests.result") and " skipped " in f" {msg}":
                skipped += 1
            if level in ("ERROR", "CRITICAL"):
                problems.append(raw.rstrip())
            elif level == "WARNING" and (
                any(name in logger or f"/{name}/" in msg for name in PROJECT_ADDONS)
                or any(model in msg for model in PROJECT_MODELS)
            ):
                problems.append(raw.rstrip())
    if not seen_result:
        problems.append(f"{path}: Odoo printed no test result line (did it stop early?)")
    return run, failed, skipped, problems


def scan_junit(path):
    """Return (tests, failed, skipped) from a pytest JUnit XML report."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests, failed, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--odoo-log", action="append", default=[])
    parser.add_argument("--junit", action="append", default=[])
    args = parser.parse_args(argv)

    passed = failed = skipped = 0
    problems = []
    for path in args.odoo_log:
        run, bad, skip, found = scan_odoo_log(path)
        passed += run - bad - skip
        failed += bad
        skipped += skip
        problems.extend(found)
    for path in args.junit:
        try:
            tests, bad, skip = scan_junit(path)
        except (OSError, ET.ParseError) as exc:
            problems.append(f"{path}: no pytest report ({exc})")
            continue
        passed += tests - bad - skip
        failed += bad
        skipped += skip
    if problems:
        print(f"\n{len(problems)} problem(s) in the logs:")
        for line in problems[:50]:
            print(f"  {line}")
    if passed + failed == 0:
        problems.append("no test ran")
        print("no test ran")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if (failed or problems) else 0


if __name__ == "__main__":
    sys.exit(main())
