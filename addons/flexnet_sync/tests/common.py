"""Test helpers other addons reuse: a FlexNet simulator on a loopback port and a backend.

Usage::

    from odoo.addons.flexnet_sync.tests.common import FlexnetSimulatorCase

    class TestSomething(FlexnetSimulatorCase):
        def test_x(self):
            self.backend.sync_all()
            self.sim_arm("getUsersQuery", "http503", count=2)
            ...
"""

import os
import sys
import time

import requests

from odoo.tests.common import TransactionCase
from odoo.tools import SQL

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import ENQUEUED, Job
from odoo.addons.queue_job.jobrunner.channels import ChannelManager

try:
    import flexnet_simulator
except ImportError:  # a source checkout: the simulator sits at the repository's root
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
    import flexnet_simulator

from flexnet_simulator.data import DEMO_ACCOUNTS, DEMO_CATALOG, DEMO_ENTITLEMENTS, DEMO_USERS, load_demo

SIM_USER = "admin"
SIM_PASSWORD = "admin"

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_CATALOG",
    "DEMO_ENTITLEMENTS",
    "DEMO_USERS",
    "FlexnetSimulatorCase",
    "FlexnetSimulatorMixin",
]


class FlexnetSimulatorMixin:
    """A fresh demo simulator per test class, reached over real HTTP, and a backend on it.

    Mix into any Odoo test case (TransactionCase, HttpCase) and call
    ``cls._start_flexnet_simulator()`` in ``setUpClass``.
    """

    simulator_loader = staticmethod(load_demo)
    backend_page_size = 3  # small pages: every sync crosses page boundaries

    @classmethod
    def _start_flexnet_simulator(cls):
        store = flexnet_simulator.Store(":memory:")
        cls.simulator_loader(store)
        cls.simulator = flexnet_simulator.Simulator(store, SIM_USER, SIM_PASSWORD, ("test-api-token",))
        cls.sim_server = flexnet_simulator.serve(cls.simulator, "127.0.0.1", 0)
        cls.addClassCleanup(cls.sim_server.server_close)
        cls.addClassCleanup(cls.sim_server.shutdown)
        host, port = cls.sim_server.server_address
        cls.sim_url = f"http://{host}:{port}"
        cls.sim_admin = requests.Session()
        cls.sim_admin.auth = (SIM_USER, SIM_PASSWORD)
        cls.backend = cls.env["flexnet.backend"].create(
            {
                "name": "Simulator",
                "url": cls.sim_url,
                "username": SIM_USER,
                "password": SIM_PASSWORD,
                "page_size": cls.backend_page_size,
                "timeout": 5,
                "retries": 1,
            }
        )

    def setUp(self):
        super().setUp()
        self.addCleanup(self.sim_admin.delete, f"{self.sim_url}/admin/faults", timeout=5)
        self.env.cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM queue_job"))
        self._jobs_before = self.env.cr.fetchone()[0]

    # --- queue_job's runner --------------------------------------------------------------

    def run_queued_jobs(
        self,
        channels="root:4,root.flexnet:4",
        until=None,
        max_rounds=500,
        models=("flexnet.backend", "flexnet.sync.run"),
    ):
        """Run the jobs of ``models`` (the FlexNet ones by default) stored since the test began
        as queue_job's runner does.

        Its channel manager, configured with ``channels`` (the ``[queue_job] channels``
        option), picks as many jobs as the channels' capacities allow; each runs as
        queue_job's controller runs it (performed, marked done, its dependants released).
        The jobs of one round would run at the same time: here the last picked runs first.
        ``until(method, records, args)``: stop after the round of the job it is true for.
        Returns the rounds, each a list of ``(method, records, args)`` of the jobs it ran."""
        manager = ChannelManager()
        manager.simple_configure(channels)
        rounds = []
        for _round in range(max_rounds):
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """SELECT channel, uuid, id, date_created, priority, EXTRACT(EPOCH FROM eta), state
                         FROM queue_job WHERE id > %s AND model_name IN %s
                        ORDER BY id""",
                    self._jobs_before,
                    tuple(models),
                )
            )
            for row in self.env.cr.fetchall():
                manager.notify(self.env.cr.dbname, *row)
            picked = list(manager.get_jobs_to_run(time.time()))
            if not picked:
                return rounds
            ran = []
            for channel_job in reversed(picked):
                self.env.cr.execute(
                    SQL("UPDATE queue_job SET state = %s WHERE uuid = %s", ENQUEUED, channel_job.uuid)
                )
                self.env["queue.job"].invalidate_model()
                job = Job.load(self.env, channel_job.uuid)
                job.set_started()
                job.store()
                RunJobController._runjob(self.env, job)
                ran.append((job.method_name, job.recordset, job.args))
            rounds.append(ran)
            if until and any(until(*done) for done in ran):
                return rounds
        raise AssertionError(f"the jobs still run after {max_rounds} rounds")

    # --- simulator admin API -------------------------------------------------------------

    def sim_arm(self, operation, fault, count=1, delay=0, skip=0):
        response = self.sim_admin.post(
            f"{self.sim_url}/admin/faults",
            json={"operation": operation, "fault": fault, "count": count, "delay": delay, "skip": skip},
            timeout=5,
        )
        response.raise_for_status()

    def sim_clear_faults(self):
        self.sim_admin.delete(f"{self.sim_url}/admin/faults", timeout=5).raise_for_status()

    def sim_stats(self):
        return self.sim_admin.get(f"{self.sim_url}/admin/stats", timeout=5).json()

    def sim_touch(self, kind, count):
        response = self.sim_admin.post(
            f"{self.sim_url}/admin/touch", json={"kind": kind, "count": count}, timeout=5
        )
        response.raise_for_status()
        return response.json()["keys"]

    def sim_delete(self, kind, keys):
        """Delete records in FlexNet behind the API's back (an administrator's deletion)."""
        response = self.sim_admin.post(
            f"{self.sim_url}/admin/delete", json={"kind": kind, "keys": keys}, timeout=5
        )
        response.raise_for_status()
        return response.json()["deleted"]

    def sim_update(self, kind, keys, values):
        """Change records in FlexNet behind the API's back (see the simulator's README)."""
        response = self.sim_admin.post(
            f"{self.sim_url}/admin/update", json={"kind": kind, "keys": keys, "values": values}, timeout=5
        )
        response.raise_for_status()
        return response.json()["updated"]

    def sim_transfer(self, keys, entitlement_id):
        """Move line items to another entitlement, keeping their activation IDs (FlexNet's
        ``transferLineItems``)."""
        response = self.sim_admin.post(
            f"{self.sim_url}/admin/transfer", json={"keys": keys, "entitlement_id": entitlement_id}, timeout=5
        )
        response.raise_for_status()
        return response.json()["transferred"]

    def sim_outbox(self, entitlement_id=None, **filters):
        """E-mails the simulated FlexNet sent; ``filters``: kind ('entitlement', 'welcome'), user_name."""
        params = dict(filters, entitlement_id=entitlement_id) if entitlement_id else filters or None
        return self.sim_admin.get(f"{self.sim_url}/admin/outbox", params=params, timeout=5).json()

    def client(self):
        return self.backend._get_client()

    # --- expectations from the demo data -------------------------------------------------

    @staticmethod
    def demo_line_count():
        return sum(len(lines) for _e, _a, lines in DEMO_ENTITLEMENTS)

    @staticmethod
    def demo_maintenance_count():
        return sum(1 for _e, _a, lines in DEMO_ENTITLEMENTS for line in lines if line[2])

    @staticmethod
    def demo_part_count():
        return sum(len(items) for _t, _v, items in DEMO_CATALOG)


class FlexnetSimulatorCase(FlexnetSimulatorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the simulator dates its demo data from the machine's (UTC) date: "today" in the
        # tests is that day, not the test user's, which is already tomorrow east of UTC
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        cls._start_flexnet_simulator()
