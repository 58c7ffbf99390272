"""Shared pytest set-up: the project's packages on the path, the FlexNet schemas."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "addons" / "flexnet_sync"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

try:
    import odoo.release  # noqa: F401
except ImportError:
    # a virtual environment without Odoo (scripts/pins.sh): the pure-Python suites only
    SCENARIO_LINES = ATTACK_LINES = []
    collect_ignore = ["e2e", "reliability", "security"]
else:
    # the end-to-end world (FlexNet simulator, Odoo server, API keys), shared by tests/e2e and
    # tests/reliability; skipped unless make test names its database in E2E_DB
    from e2e_world import ATTACK_LINES, SCENARIO_LINES, e2e_simulator, world  # noqa: F401


def pytest_terminal_summary(terminalreporter):
    if SCENARIO_LINES:
        terminalreporter.section("reliability scenarios")
        for line in SCENARIO_LINES:
            terminalreporter.write_line(line)
    if ATTACK_LINES:
        terminalreporter.section("attacks")
        for line in ATTACK_LINES:
            terminalreporter.write_line(line)
        refused = sum(line.startswith("refused") for line in ATTACK_LINES)
        terminalreporter.write_line(f"{refused} attacks refused, {len(ATTACK_LINES) - refused} succeeded")
