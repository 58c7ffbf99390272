#!/usr/bin/env python3
"""Run one Odoo app's own test suite on an existing database, with every installed module
loaded, and write what happened as JSON.

Odoo runs an app's ``at_install`` tests only while that app is being installed, before the
modules that extend it are loaded; a peer who tests an app on a database where other addons
are installed wants both its ``at_install`` and ``post_install`` tests to run against the
full registry. This launcher starts Odoo's own server (HTTP included, for ``HttpCase``) with
``--stop-after-init``, makes its post-install test phase take both kinds of test of the app
(and only that phase: not the run Odoo makes of at_install tests while it loads the modules),
and records the id of every test that failed or errored.

    neighbours.py --app sale_mrp --json out.json [--no-tours] [--only ids.txt] -- <odoo options>

``--only`` narrows the run to the test ids listed in a file (one per line): used to prove on a
database without this project's addons that a failure is Odoo's own.
"""

import argparse
import inspect
import json
import sys


def parse(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--app", required=True, help="technical name of the app whose tests run")
    parser.add_argument("--json", required=True, help="where the result is written")
    parser.add_argument("--no-tours", action="store_true", help="leave out tests that start a browser tour")
    parser.add_argument("--only", help="file of test ids: run only these")
    parser.add_argument("odoo_args", nargs=argparse.REMAINDER, help="options given to Odoo's server")
    args = parser.parse_args(argv)
    if args.odoo_args and args.odoo_args[0] == "--":
        args.odoo_args = args.odoo_args[1:]
    return args


def starts_a_tour(test):
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    try:
        return "start_tour" in inspect.getsource(method)
    except (OSError, TypeError):
        return False


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    only = None
    if args.only:
        with open(args.only, encoding="utf-8") as handle:
            only = {line.strip() for line in handle if line.strip()}
    # a class whose setUpClass failed is reported as "setUpClass (module.Class)": all its tests
    only_classes = tuple(
        entry[len("setUpClass (") : -1] + "." for entry in only or () if entry.startswith("setUpClass (")
    )

    def wanted(test):
        return only is None or test.id() in only or test.id().startswith(only_classes or ("\0",))

    import odoo  # noqa: PLC0415
    from odoo.service import server  # noqa: PLC0415
    from odoo.tests import loader, result  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config(
        [*args.odoo_args, "--test-enable", "--test-tags", f"/{args.app}", "--stop-after-init"],
        setup_logging=True,
    )
    record = {"app": args.app, "run": 0, "failed": [], "errors": [], "skipped": 0, "left_out": 0}

    make_suite = loader.make_suite

    def both_positions(module_names, position="at_install"):
        if position == "at_install":
            # Odoo also runs a module's at_install tests as it loads it on an existing database,
            # in a registry where the modules loaded after it are missing though installed (their
            # NOT NULL columns without their defaults): those runs fail for that reason alone,
            # with or without these addons. They run once, in the post-install phase, below.
            return loader.OdooSuite([])
        tests = list(make_suite(module_names, "at_install")) + list(make_suite(module_names, position))
        kept = [test for test in tests if wanted(test) and not (args.no_tours and starts_a_tour(test))]
        record["left_out"] += len(tests) - len(kept)
        return loader.OdooSuite(kept)

    loader.make_suite = both_positions

    add_failure, add_error = result.OdooTestResult.addFailure, result.OdooTestResult.addError

    def test_id(test):
        # a failing subtest ("test_x (login='pauline')") is its test's failure: the proof on
        # the other database runs that test, and its subtests with it
        return getattr(test, "test_case", test).id()

    def on_failure(self, test, err):
        if test_id(test) not in record["failed"]:
            record["failed"].append(test_id(test))
        return add_failure(self, test, err)

    def on_error(self, test, err):
        if test_id(test) not in record["errors"]:
            record["errors"].append(test_id(test))
        return add_error(self, test, err)

    result.OdooTestResult.addFailure, result.OdooTestResult.addError = on_failure, on_error

    (db_name,) = config["db_name"]
    rc = server.start(preload=[db_name], stop=True)
    registry = odoo.modules.registry.Registry.registries.get(db_name)
    if registry is not None:
        report = registry._assertion_report
        record["run"], record["skipped"] = report.testsRun, report.skipped
    record["rc"] = rc
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
    return rc


if __name__ == "__main__":
    sys.exit(main())
