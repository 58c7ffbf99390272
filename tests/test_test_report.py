"""The verdict of `make test` reads Odoo's log the way OCA's CI does."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))

import test_report

HEAD = "2026-11-29 01:00:00,000 42 {level} db {logger}: {msg}\n"


def write_log(tmp_path, *lines):
    path = tmp_path / "odoo.log"
    path.write_text("".join(HEAD.format(level=lv, logger=lg, msg=m) for lv, lg, m in lines))
    return str(path)


RESULT = ("INFO", "odoo.tests.result", "0 failed, 0 error(s) of 12 tests when loading database 'db'")


def test_clean_log_passes(tmp_path, capsys):
    log = write_log(tmp_path, RESULT, ("WARNING", "odoo.modules.module", "something of Odoo's own"))
    assert test_report.main(["--odoo-log", log]) == 0
    assert capsys.readouterr().out.strip().endswith("12 passed, 0 failed, 0 skipped")


def test_failures_errors_and_project_warnings_fail(tmp_path, capsys):
    failed = ("ERROR", "odoo.tests.result", "1 failed, 1 error(s) of 12 tests when loading database 'db'")
    assert test_report.main(["--odoo-log", write_log(tmp_path, failed)]) == 1
    assert "10 passed, 2 failed" in capsys.readouterr().out
    for line in (
        ("ERROR", "odoo.sql_db", "bad query"),
        ("WARNING", "odoo.addons.flexnet_sync.models.x", "careful"),
        ("WARNING", "odoo.addons.base.models.ir_model", "Rule flexnet.store.account.type has no group"),
    ):
        assert test_report.main(["--odoo-log", write_log(tmp_path, RESULT, line)]) == 1, line


def test_a_log_without_a_result_line_fails(tmp_path, capsys):
    log = write_log(tmp_path, ("INFO", "odoo.modules.loading", "loading"))
    assert test_report.main(["--odoo-log", log]) == 1
    assert "no test result line" in capsys.readouterr().out


def test_pytest_report_counts(tmp_path, capsys):
    junit = tmp_path / "pytest.xml"
    junit.write_text('<testsuites><testsuite tests="5" failures="1" errors="0" skipped="1"/></testsuites>')
    assert test_report.main(["--odoo-log", write_log(tmp_path, RESULT), "--junit", str(junit)]) == 1
    assert capsys.readouterr().out.strip().endswith("15 passed, 1 failed, 1 skipped")
