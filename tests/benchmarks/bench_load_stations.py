#!/usr/bin/env python3
"""A fleet of production stations against two prefork Odoo processes on one database.

``BENCH_FLEET_STATIONS`` (20) station processes (``python -m media_station run``, the real
program, each with a PTBurn robot simulator of its own) work off ``BENCH_FLEET_JOBS`` (500)
queued production jobs; half of them talk to one Odoo process, half to the other (two nodes
behind a proxy would be the same: one database, one filestore). Twice:

1. every station runs to the end;
2. a new batch of jobs, and a third of the stations are killed (SIGKILL) once a third of the
   jobs are done: the jobs they held come back when their lease runs out and other stations
   finish them.

All stations serve one site, each with an API key of its own on the site's station user: one
queue that every station claims from at once (``FOR UPDATE SKIP LOCKED``) is the hardest case
for "each job once"; several sites would split it into independent queues. The site's stations
run with the shortest lease Odoo accepts (``lease_seconds = 60``), so that phase 2 ends within
a minute or so of the kill.

The jobs are made the way the product makes them: sale orders of a media kit, confirmed
through the ORM in batches (procurement, manufacturing order, job, routing, manifest). Their
title files are three small files (64 KB) served by a plain HTTP file server (the object
storage or CDN of a real deployment): the benchmark measures the coordination, not MD5 rates.

Checked after each phase, in the database and in the stations' logs: every job done, none
failed; each job's success accepted exactly once (one "Produced" note in its chatter, its
discs recorded once); no job claimed twice in phase 1; in phase 2 only the jobs the killed
stations held came back to the queue (lease ran out), and no report was refused for a lost
lease. Printed: jobs/s of each phase.

Everything happens in a throw-away copy of ``BENCH_DB`` (``CREATE DATABASE ... TEMPLATE``),
dropped at the end. Run through ``make bench`` (which prepares the database).
"""

import collections
import datetime
import functools
import hashlib
import http.server
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(pathlib.Path(__file__).parent)]

from _bench_common import (  # noqa: E402
    BenchSetupError,
    PreforkServer,
    database_copy,
    db_args,
    free_port,
    report,
    wait_for_odoo,
)

import odoo  # noqa: E402
from odoo.fields import Command  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

from media_station.robots.simulators import PTBurnSimulator  # noqa: E402

DB = os.environ.get("BENCH_DB", "flexnet_bench")
STATIONS = int(os.environ.get("BENCH_FLEET_STATIONS", 20))
JOBS = int(os.environ.get("BENCH_FLEET_JOBS", 500))
LEASE = 60  # seconds: the shortest lease Odoo grants
SITE = "FLEET"
BATCH = 50
PHASE_TIMEOUT = int(os.environ.get("BENCH_FLEET_TIMEOUT", 300))
REFUSED = "does not hold the current lease"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_files(folder):
    """The title files over HTTP (a thread of this process); returns (base URL, server)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(Quiet, directory=str(folder))
    )
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def prepare(env, files_base, folder):
    """The media kit, its title files, the fleet's site with its station user and one API key
    per station; returns (kit product, customers, [API key])."""
    mto = env.ref("stock.route_warehouse0_mto")
    mto.active = True
    routes = [mto.id, env.ref("mrp.route_warehouse0_manufacture").id]
    dvd = env.ref("media_production.media_type_dvd")
    blank = env["product.product"].create({"name": "Fleet blank DVD", "type": "consu"})
    kit = env["product.product"].create(
        {
            "name": "Fleet media kit",
            "default_code": "FLEET-MEDIA-DVD",
            "type": "consu",
            "route_ids": [Command.set(routes)],
            "list_price": 25,
            "flexnet_kind": "media_kit",
            "flexnet_title": "Fleet title",
            "media_type_id": dvd.id,
        }
    )
    env["mrp.bom"].create(
        {
            "product_tmpl_id": kit.product_tmpl_id.id,
            "bom_line_ids": [Command.create({"product_id": blank.id, "product_qty": 1})],
        }
    )
    records = []
    for i in range(3):
        data = os.urandom(64 * 1024)
        (folder / f"file{i}.bin").write_bytes(data)
        records.append(
            {
                "title": "Fleet title",
                "name": f"setup/file{i}.bin",
                "version": "1",
                "size": len(data),
                "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                "url": f"{files_base}/file{i}.bin",
            }
        )
    env["media.title.file"].create(records).action_release()
    user = env["res.users"].create(
        {
            "name": "Fleet station",
            "login": "fleet-station",
            "group_ids": [Command.set([env.ref("media_production.group_media_station").id])],
        }
    )
    Site = env["media.production.site"]
    Site.search([("is_default", "=", True)]).is_default = False
    Site.create(
        {
            "name": "Fleet site",
            "code": SITE,
            "is_default": True,
            "media_type_ids": [Command.set(dvd.ids)],
            "station_user_id": user.id,
        }
    )
    expires = datetime.datetime.now() + datetime.timedelta(hours=2)
    keys = [
        env["res.users.apikeys"].with_user(user)._generate(None, f"fleet station {i:02d}", expires)
        for i in range(STATIONS)
    ]
    customers = env["res.partner"].create([{"name": f"Fleet buyer {i}"} for i in range(20)])
    return kit, customers, keys


def queue_jobs(registry, kit_id, customer_ids, count):
    """``count`` sale orders of the kit confirmed in batches (committed): the ids of the
    ``count`` production jobs they queued, and the seconds it took."""
    began = time.perf_counter()
    job_ids = []
    for start in range(0, count, BATCH):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": customer_ids[i % len(customer_ids)],
                        "order_line": [Command.create({"product_id": kit_id, "product_uom_qty": 1})],
                    }
                    for i in range(start, min(start + BATCH, count))
                ]
            )
            orders.action_confirm()
            jobs = env["media.production.job"].search([("order_id", "in", orders.ids)])
            job_ids += jobs.ids
    return job_ids, time.perf_counter() - began


def job_states(registry, job_ids):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM media_production_job WHERE id = ANY(%s) GROUP BY state",
            [job_ids],
        )
        return dict(cr.fetchall())


def held_by(registry, job_ids, names):
    """The jobs that the stations ``names`` hold now."""
    with registry.cursor() as cr:
        cr.execute(
            """SELECT id FROM media_production_job WHERE id = ANY(%s) AND claimed_by = ANY(%s)
               AND state IN ('claimed', 'staging', 'producing')""",
            [job_ids, list(names)],
        )
        return {row[0] for row in cr.fetchall()}


def audit(registry, job_ids):
    """Per job: (state, claims, accepted success reports, discs, copies, lease expiries)."""
    with registry.cursor() as cr:
        cr.execute(
            """SELECT j.id, j.state, j.attempts, j.copies,
                      (SELECT count(*) FROM media_production_disc d WHERE d.job_id = j.id),
                      (SELECT count(*) FROM mail_message m WHERE m.model = 'media.production.job'
                         AND m.res_id = j.id AND m.body::text LIKE %s),
                      (SELECT count(*) FROM mail_message m WHERE m.model = 'media.production.job'
                         AND m.res_id = j.id AND m.body::text LIKE %s)
                 FROM media_production_job j WHERE j.id = ANY(%s)""",
            ["%Produced %cop(ies)%", "%lease ran out%", job_ids],
        )
        return {
            row[0]: {
                "state": row[1],
                "claims": row[2],
                "copies": row[3],
                "discs": row[4],
                "accepted": row[5],
                "expired": row[6],
            }
            for row in cr.fetchall()
        }


class Fleet:
    """The station processes, each with its robot simulator (a thread here)."""

    def __init__(self, work, db, bases, keys, phase):
        self.work = work / f"phase{phase}"
        self.db, self.bases, self.keys, self.phase = db, bases, keys, phase
        self.processes, self.robots, self.logs = {}, {}, {}

    def name(self, i):
        return f"fleet-{self.phase}-{i:02d}"

    def start(self):
        for i, key in enumerate(self.keys):
            name = self.name(i)
            folder = self.work / name
            hot = folder / "hot"
            hot.mkdir(parents=True)
            robot = PTBurnSimulator(str(hot), delay=0.1)
            robot.start()
            self.robots[name] = robot
            self.logs[name] = folder / "station.log"
            with open(self.logs[name], "wb") as log:
                self.processes[name] = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "media_station",
                        "run",
                        "--url",
                        self.bases[i % len(self.bases)],
                        "--db",
                        self.db,
                        "--site",
                        SITE,
                        "--key",
                        key,
                        "--repo",
                        str(folder / "repo"),
                        "--hot-folder",
                        str(hot),
                        "--station",
                        name,
                        "--lease-seconds",
                        str(LEASE),
                    ],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )

    def kill(self, names):
        for name in names:
            self.processes[name].send_signal(signal.SIGKILL)
            self.processes[name].wait()

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for robot in self.robots.values():
            robot.stop()

    def crashed(self, killed=()):
        """Stations that ended by themselves (not killed, not stopped by us)."""
        return [
            name
            for name, process in self.processes.items()
            if name not in killed and process.poll() not in (None, -signal.SIGTERM, 0)
        ]

    def refused(self):
        """{station: reports Odoo refused for a lease the station no longer held}."""
        counts = {}
        for name, log in self.logs.items():
            text = log.read_text(errors="replace") if log.exists() else ""
            if text.count(REFUSED):
                counts[name] = text.count(REFUSED)
        return counts

    def robot_orders(self):
        """Orders the robots produced, per job name (attempts of a job counted apart)."""
        produced = collections.Counter()
        for robot in self.robots.values():
            for order in robot.produced:
                produced[order.rsplit("-a", 1)[0]] += 1
        return produced


def run_phase(registry, fleet, job_ids, kill_share=0.0):
    """Start the fleet, wait until every job has ended (killing ``kill_share`` of the stations
    once that share of the jobs is done); returns (seconds, killed stations, jobs they held)."""
    killed, held = [], set()
    began = time.perf_counter()
    fleet.start()
    deadline = time.monotonic() + PHASE_TIMEOUT
    try:
        while time.monotonic() < deadline:
            states = job_states(registry, job_ids)
            ended = states.get("done", 0) + states.get("failed", 0) + states.get("cancelled", 0)
            if kill_share and not killed and states.get("done", 0) >= len(job_ids) * kill_share:
                killed = [fleet.name(i) for i in range(round(STATIONS * kill_share))]
                fleet.kill(killed)
                time.sleep(3)  # a claim a killed station had in flight is committed by now
                held = held_by(registry, job_ids, killed)
                print(
                    f"  killed {len(killed)} stations after {states.get('done', 0)} jobs; "
                    f"they held {len(held)} job(s)"
                )
            if ended == len(job_ids):
                break
            if len(fleet.crashed(killed)) == STATIONS - len(killed):
                break  # no station left to finish the jobs
            time.sleep(0.5)
        seconds = time.perf_counter() - began
    finally:
        fleet.stop()
    return seconds, killed, held


def check_phase(label, registry, fleet, job_ids, seconds, killed, held):
    rows = audit(registry, job_ids)
    states = collections.Counter(row["state"] for row in rows.values())
    done = states.get("done", 0)
    twice = sum(1 for row in rows.values() if row["accepted"] > 1 or row["discs"] > row["copies"])
    missing = sum(1 for row in rows.values() if row["accepted"] < 1 or row["discs"] < row["copies"])
    reclaimed = {job_id for job_id, row in rows.items() if row["claims"] > 1 or row["expired"]}
    stolen = reclaimed - held
    refused = fleet.refused()
    refused_live = {name: n for name, n in refused.items() if name not in killed}
    crashed = fleet.crashed(killed)
    robots = fleet.robot_orders()
    produced_again = sum(1 for count in robots.values() if count > 1)
    print(
        f"  {label}: {done}/{len(job_ids)} done ({dict(states)}) in {seconds:.0f} s; "
        f"{len(reclaimed)} job(s) claimed again, {sum(robots.values())} robot orders "
        f"({produced_again} job(s) burned again after a kill)"
    )
    if crashed:
        print(f"  stations that stopped by themselves: {', '.join(crashed)} (see their logs)")
        for name in crashed[:3]:
            print("  " + "\n  ".join(fleet.logs[name].read_text(errors="replace").splitlines()[-5:]))
    ok_all = report(
        f"{label}: jobs done / queued",
        "all",
        f"{done} / {len(job_ids)}",
        done == len(job_ids),
    )
    ok_once = report(
        f"{label}: jobs reported done twice / never",
        "0 / 0",
        f"{twice} / {missing}",
        twice == 0 and missing == 0,
    )
    ok_lease = report(
        f"{label}: leases stolen / reports refused",
        "0 / 0",
        f"{len(stolen)} / {sum(refused_live.values())}",
        not stolen and not refused_live,
    )
    if killed:
        report(
            f"{label}: held by killed stations, finished elsewhere",
            "all",
            f"{sum(1 for j in held if rows[j]['state'] == 'done')} / {len(held)}",
            all(rows[j]["state"] == "done" for j in held),
        )
    rate = done / seconds if seconds else 0.0
    report(f"{label}: jobs/s", "(printed)", f"{rate:.1f} jobs/s ({done} in {seconds:.0f} s)", True)
    return ok_all and ok_once and ok_lease and not crashed


def main():
    copy = f"{DB}_fleet"
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    servers = []
    try:
        with database_copy(DB, copy):
            config.parse_config(
                ["-d", copy, "--addons-path", str(ROOT / "addons"), "--log-level", "warn", *db_args()]
            )
            registry = Registry(copy)
            files = work / "files"
            files.mkdir()
            files_base, file_server = serve_files(files)
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                kit, customers, keys = prepare(env, files_base, files)
                kit_id, customer_ids = kit.id, customers.ids
            servers = [PreforkServer(copy, free_port(), work / f"odoo-{n}.log", quiet=True) for n in "AB"]
            for server in servers:
                server.start(wait=False)
            first_jobs, spent = queue_jobs(registry, kit_id, customer_ids, JOBS)
            print(
                f"{len(first_jobs)} jobs queued in {spent:.0f} s; {STATIONS} stations, one site, "
                f"over 2 Odoo processes ({os.environ.get('ODOO_WORKERS', '3')} workers each), "
                f"lease {LEASE} s"
            )
            for server in servers:
                wait_for_odoo(server.base)
            bases = [server.base for server in servers]
            ok = True
            fleet = Fleet(work, copy, bases, keys, 1)
            seconds, killed, held = run_phase(registry, fleet, first_jobs)
            ok &= check_phase("fleet", registry, fleet, first_jobs, seconds, killed, held)
            second_jobs, _spent = queue_jobs(registry, kit_id, customer_ids, JOBS)
            fleet = Fleet(work, copy, bases, keys, 2)
            seconds, killed, held = run_phase(registry, fleet, second_jobs, kill_share=1 / 3)
            ok &= check_phase("fleet, a third killed", registry, fleet, second_jobs, seconds, killed, held)
            lines = [line for server in servers for line in server.errors()]
            # a transaction that lost a race on a row (two stations claiming, a heartbeat) fails
            # to serialise; Odoo logs it and runs the request again: counted, not an error
            text = "".join(pathlib.Path(server.log).read_text(errors="replace") for server in servers)
            conflicts = text.count("could not serialize access")
            errors = [line for line in lines if "bad query" not in line]
            if sum(1 for line in lines if "bad query" in line) != conflicts:
                errors += [line for line in lines if "bad query" in line]  # some other SQL error
            print(f"  {conflicts} serialisation conflict(s) in the Odoo logs, each run again by Odoo")
            if errors:
                print(f"  {len(errors)} ERROR line(s) in the Odoo logs, first ones:")
                print("  " + "\n  ".join(errors[:5]))
            file_server.shutdown()
            for server in servers:
                server.stop()
            Registry.delete(copy)
    except BenchSetupError as exc:
        print(f"station fleet benchmark not run: {exc}")
        return 1
    finally:
        for server in servers:
            server.stop(kill=True)
        if os.environ.get("BENCH_KEEP_LOGS"):
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
