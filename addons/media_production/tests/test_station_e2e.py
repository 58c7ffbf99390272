"""The station program (media_station/) against this Odoo over HTTP, with the robot simulators."""

import base64
import hashlib
import os
import pathlib
import sys
import tempfile
import unittest
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import Transport

from .common import MediaProductionCase

ROOT = pathlib.Path(__file__).resolve().parents[3]
if (ROOT / "media_station").is_dir() and str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
try:
    from media_station.api import XmlRpcApi
    from media_station.paths import safe_name
    from media_station.robots.simulators import make_simulator
    from media_station.station import Station, StationConfig
except ImportError:  # the addon installed without the project's station program
    Station = None


@tagged("post_install", "-at_install")
class TestStationEndToEnd(MediaProductionCase, HttpCase):
    def setUp(self):
        super().setUp()
        if Station is None:
            raise unittest.SkipTest("media_station is not next to the addons")
        self.key = (
            self.env["res.users.apikeys"]
            .with_user(self.station_eu)
            ._generate(None, "Eindhoven station", fields.Datetime.now() + timedelta(days=1))
        )
        self.setup_bytes = os.urandom(200_000)
        uploads = self.env["media.title.file"].create(
            [
                {
                    "title": "CAD Studio",
                    "name": "setup/cadstudio.exe",
                    "version": "2025.2",
                    "file": base64.b64encode(self.setup_bytes),
                    "file_name": "cadstudio.exe",
                },
                {
                    "title": "CAD Studio",
                    "name": "README.txt",
                    "version": "2025.2",
                    "file": base64.b64encode(b"Read me first"),
                    "file_name": "README.txt",
                },
            ]
        )
        uploads.action_release()
        self.uploads = uploads
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = pathlib.Path(folder.name)

    def _station(self, protocol="json2", name="eu-1", robot="ptburn"):
        config = StationConfig(
            url=self.base_url(),
            db=self.env.cr.dbname,
            site="T-EU",
            key=self.key,
            repo=str(self.folder / "repo"),
            hot_folder=str(self.folder / "hot"),
            protocol=protocol,
            robot=robot,
            login=self.station_eu.login,
            station=name,
            poll=0.1,
            robot_timeout=60,
            # the test client's session (which carries the test cursor) is not for threads
            parallel_downloads=1,
        )
        api = None
        if protocol == "xmlrpc":
            api = XmlRpcApi(config.url, config.db, config.key, config.login, transport=Transport(self))
        # the test client's session carries the test cursor cookie
        return Station(config, api=api, session=self.opener)

    def _robot(self, kind="ptburn", **kwargs):
        robot = make_simulator(kind, str(self.folder / "hot"), delay=0.05, seed=1, **kwargs)
        robot.start()
        self.addCleanup(robot.stop)
        return robot

    @staticmethod
    def _delivery(order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")

    def test_order_to_disc(self):
        order = self._sell(self.customer_de, qty=2)
        job = self._job(order)
        robot = self._robot()
        station = self._station()
        self.assertEqual(station.run_once(), 1)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.copies_done, 2)
        self.assertEqual(job.production_id.state, "done")
        # every disc verified by PTBurn against the image the station built, and shipped from here
        self.assertEqual(job.disc_ids.mapped("verified"), [True, True])
        self.assertEqual(len(job.image_md5), 32)
        self.assertEqual(self._delivery(order).state, "assigned")
        # the first attempt at the job: <order>-a1
        stem = f"{safe_name(job.name)}-a1"
        self.assertEqual(robot.processed, [(stem, None)])
        # the PTBurn job request as the robot read it; once Odoo accepted the report the
        # ended order leaves nothing in the hot folder
        request = robot.requests[stem]
        self.assertEqual(
            (request["JobID"], request["Copies"], request["VerifyDisc"]), (stem[:32], "2", "YES")
        )
        self.assertEqual(robot.images[stem], job.image_md5)
        self.assertFalse(list((self.folder / "hot").glob(f"{stem}.*")))
        stored = station.repository.path_for(hashlib.md5(self.setup_bytes).hexdigest())
        self.assertEqual(pathlib.Path(stored).read_bytes(), self.setup_bytes)
        self.assertEqual(station.run_once(), 0)

    def test_rimage_robot_records_the_image_the_station_reported(self):
        # Eindhoven's robot is a Rimage, which verifies no disc; its DVDs need not be verified
        self.site_eu.robot_verifies = False
        self.dvd.requires_verification = False
        order = self._sell(self.customer_de)
        job = self._job(order)
        self.assertEqual(job.site_id, self.site_eu)
        robot = self._robot("rimage")
        self.assertEqual(self._station(robot="rimage").run_once(), 1)
        self.assertEqual(job.state, "done")
        self.assertEqual(job.disc_ids.mapped("verified"), [False])  # recorded, not verified
        self.assertEqual(len(job.image_md5), 32)
        self.assertEqual(job.production_id.state, "done")
        self.assertEqual(self._delivery(order).state, "assigned")
        stem = f"{safe_name(job.name)}-a1"
        self.assertEqual(robot.processed, [(stem, None)])
        # the discs were recorded from the image the station reported, then the order was
        # cleared from the hot folder
        self.assertEqual((robot.produced[stem], robot.images[stem]), (1, job.image_md5))
        self.assertFalse(list((self.folder / "hot").glob(f"{stem}.*")))

    def test_disc_failing_verification_fails_the_job(self):
        self.site_eu.auto_reroute = False
        job = self._job(self._sell(self.customer_de, qty=2))
        self._robot(verify_failure_copy=2)
        self._station().run_once()
        self.assertEqual(job.state, "failed")
        self.assertIn("copy 2 of 2 failed verification", job.failure_reason)
        self.assertIn("DiscErrorNumber0=19", job.station_log)

    def test_xmlrpc_protocol(self):
        job = self._job(self._sell(self.customer_de))
        self._robot()
        self.assertEqual(self._station(protocol="xmlrpc").run_once(), 1)
        self.assertEqual(job.state, "done")

    def test_corrupted_download_fails_the_job_without_an_order_file(self):
        self.site_eu.auto_reroute = False
        readme = self.uploads.filtered(lambda f: f.name == "README.txt")
        job = self._job(self._sell(self.customer_de))
        line = job.manifest_line_ids.filtered(lambda f: f.file_id == readme)
        line.sudo().md5 = "f" * 32  # what the manifest promises is not what the server sends
        self._station().run_once()
        self.assertEqual(job.state, "failed")
        self.assertIn("f" * 32, job.failure_reason)
        self.assertIn(hashlib.md5(b"Read me first").hexdigest(), job.failure_reason)
        self.assertIn("README.txt", job.failure_reason)
        self.assertFalse(list((self.folder / "hot").glob("*.JRQ")))

    def test_robot_error_is_reported_with_its_log(self):
        self.site_eu.auto_reroute = False
        job = self._job(self._sell(self.customer_de))
        self._robot(failure_rate=1.0, error_text="Printer ribbon out")
        self._station().run_once()
        self.assertEqual(job.state, "failed")
        self.assertIn("Printer ribbon out", job.failure_reason)
        self.assertIn("Printer ribbon out", job.station_log)

    def test_station_killed_mid_job_is_completed_once_by_the_next_run(self):
        job = self._job(self._sell(self.customer_de))
        crashed = self._station(name="eu-crashed")
        crashed.api.claim("eu-crashed", 1, 600)  # claims, then dies before doing anything
        self.assertEqual((job.state, job.claimed_by), ("claimed", "eu-crashed"))
        self._robot()
        second = self._station(name="eu-2")
        self.assertEqual(second.run_once(), 0)  # the lease still holds: nobody else takes it
        job.sudo().lease_until = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(second.run_once(), 1)
        self.assertEqual((job.state, job.claimed_by), ("done", "eu-2"))
        self.assertEqual(len(job.production_id.filtered(lambda p: p.state == "done")), 1)

    def test_shutdown_releases_the_jobs_in_hand(self):
        job = self._job(self._sell(self.customer_de))
        station = self._station()
        station.api.claim("eu-1", 1, 600)
        station.running.add(job.id)
        station.shutdown()
        self.assertEqual((job.state, job.claimed_by), ("queued", False))
