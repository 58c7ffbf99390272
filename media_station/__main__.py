"""python -m media_station run|once|status|verify  (options, a config file or MEDIA_STATION_* variables)."""

import argparse
import configparser
import logging
import os
import sys

from .errors import OdooUnavailable, StationError
from .repository import Repository
from .station import Station, StationConfig

OPTIONS = {
    "url": "Odoo URL, e.g. https://odoo.example.com",
    "db": "Odoo database",
    "site": "production site code",
    "key": "API key of the site's station user",
    "repo": "local file repository",
    "hot_folder": "the robot's hot folder",
    "work": "folder for images (default: REPO/_work)",
    "protocol": "json2 (default) or xmlrpc",
    "login": "station user's login (XML-RPC only)",
    "station": "this station's name (default: SITE@host)",
    "robot": "the site's robot: ptburn (default), rimage, or folder (USB media)",
    "label_template": "the site's label design, as the robot sees it (PTBurn .std, Rimage .btw/.dml)",
    "robot_work": "the work folder as the robot sees it, when the robot runs on another machine",
    "robot_name": "PTBurn: the robot to use when several are connected (RobotName)",
    "robot_encoding": "the robot's text files: ansi (default, Windows-1252), cp1250 to cp1258, ascii, "
    "or utf-16 (PTBurn's Unicode build)",
    "robot_pickup_timeout": "seconds the robot software has to take an order (default 300)",
    "robot_extensions": "PTBurn: the extensions set in PTSETUP.INI (default JRQ,QRJ,INP,DON,ERR,PTM)",
    "lease_seconds": "seconds a claimed job stays this station's without a heartbeat (60-86400, default 900)",
}


def _settings(args):
    values = {}
    if args.config:
        parser = configparser.ConfigParser()
        if not parser.read(args.config):
            raise SystemExit(f"cannot read config file {args.config}")
        values.update(parser["station"] if parser.has_section("station") else {})
    for name in OPTIONS:
        env = os.environ.get(f"MEDIA_STATION_{name.upper()}")
        if env:
            values[name] = env
        if getattr(args, name, None):
            values[name] = getattr(args, name)
    missing = [n for n in ("url", "db", "site", "key", "repo", "hot_folder") if not values.get(n)]
    if missing:
        raise SystemExit("missing settings: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    try:
        return StationConfig(**{k: v for k, v in values.items() if k in OPTIONS})
    except ValueError as exc:
        raise SystemExit(f"invalid settings: {exc}") from exc


def _progress():
    if not sys.stderr.isatty():
        return None

    def show(name, done, total):
        if total:
            width = 30
            filled = int(width * done / total)
            sys.stderr.write(
                f"\r{name[:40]:40s} [{'#' * filled}{'.' * (width - filled)}] {done * 100 // total:3d}%"
            )
            if done >= total:
                sys.stderr.write("\n")

    return show


def main(argv=None):
    parser = argparse.ArgumentParser(prog="media_station", description="Media production station for Odoo")
    parser.add_argument("command", choices=("run", "once", "status", "verify"))
    parser.add_argument("--config", help="INI file with a [station] section")
    for name, help_text in OPTIONS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, help=help_text)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "verify" and (args.repo or os.environ.get("MEDIA_STATION_REPO")):
        bad = [
            md5 for md5, ok in Repository(args.repo or os.environ["MEDIA_STATION_REPO"]).verify() if not ok
        ]
        print(f"{len(bad)} corrupt file(s)" + (": " + ", ".join(bad) if bad else ""))
        return 1 if bad else 0
    config = _settings(args)
    try:
        station = Station(config, progress=_progress())
    except ValueError as exc:  # a robot setting no order could carry
        print(f"invalid settings: {exc}", file=sys.stderr)
        return 2
    except (StationError, OdooUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "run":
            station.run()
        elif args.command == "once":
            print(f"{station.run_once()} job(s) processed")
        elif args.command == "status":
            station.api.heartbeat([], config.lease_seconds)
            stored = sum(1 for _ in station.repository.verify())
            print(
                f"site {config.site}: Odoo reachable ({config.protocol}), {stored} file(s) in {config.repo}"
            )
            print(f"robot: {station.robot.status()}")
    except (StationError, OdooUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
