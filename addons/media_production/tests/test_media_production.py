from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestMediaProduction(MediaProductionCase):
    def test_confirmation_creates_a_routed_job_with_a_frozen_manifest(self):
        order = self._sell(self.customer_de, qty=3)
        job = self._job(order)
        self.assertEqual(len(job), 1)
        self.assertEqual(job.production_id.product_id, self.kit)
        self.assertEqual(job.production_id.sale_line_id, order.order_line)
        self.assertEqual((job.site_id, job.state, job.copies), (self.site_eu, "queued", 3))
        self.assertEqual(sorted(job.manifest_line_ids.mapped("path")), ["README.txt", "setup/cadstudio.exe"])
        self.assertTrue(job.volume_name.startswith("CAD_STUDIO_"))
        # no rule for Brazil: the default site
        self.assertEqual(self._job(self._sell(self.customer_br)).site_id, self.site_us)

    def test_new_release_refreshes_queued_jobs_only(self):
        queued = self._job(self._sell(self.customer_de))
        claimed = self._job(self._sell(self.customer_de))
        self.env["media.production.job"].with_user(self.station_eu).station_claim(
            limit=1
        )  # claims the oldest
        self.assertEqual(queued.state, "claimed")
        v2 = self.env["media.title.file"].create(
            {
                "title": "CAD Studio",
                "name": "setup/cadstudio.exe",
                "version": "2025.2",
                "size": 2048,
                "md5": "b" * 32,
                "url": "https://files.example.com/3",
            }
        )
        v2.action_release()
        self.assertEqual(self.setup_v1.state, "superseded")
        self.assertIn("b" * 32, claimed.manifest_line_ids.mapped("md5"))
        self.assertIn("0" * 32, queued.manifest_line_ids.mapped("md5"))  # frozen once claimed

    def test_station_flow_completes_the_production(self):
        order = self._sell(self.customer_de, qty=2)
        job = self._job(order)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Job.station_claim(station="eu-1", lease_seconds=600)
        self.assertEqual(package["id"], job.id)
        self.assertEqual(package["label"]["order"], order.name)
        self.assertEqual(package["label"]["part_number"], "CADS-MEDIA-DVD")
        self.assertEqual({f["md5"] for f in package["files"]}, {"0" * 32, "a" * 32})
        self.assertEqual(Job.station_claim(), [])  # nothing else queued
        Job.station_progress(job.id, "staging")
        Job.station_progress(job.id, "producing", "burning")
        with self.assertRaises(ValidationError):
            Job.station_report_success(job.id, copies=1)  # fewer copies than ordered
        self.assertEqual(Job.station_report_success(job.id, copies=2, serials=["S1", "S2"]), "done")
        self.assertEqual(job.production_id.state, "done")
        self.assertEqual(Job.station_report_success(job.id, copies=2), "done")  # repeated: harmless
        self.assertEqual(Job.station_report_failure(job.id, "late failure"), "done")  # out of order: harmless
        self.assertEqual(job.state, "done")

    def test_station_sees_its_own_site_only(self):
        job = self._job(self._sell(self.customer_de))
        us = self.env["media.production.job"].with_user(self.station_us)
        self.assertEqual(us.station_claim(), [])
        for call in (
            lambda: us.station_package(job.id),
            lambda: us.station_report_success(job.id, copies=1),
            lambda: us.station_report_failure(job.id, "x"),
            lambda: us.station_progress(job.id, "staging"),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertFalse(us.search([("id", "=", job.id)]))  # record rule
        clerk = new_test_user(self.env, "clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["media.production.job"].with_user(clerk).station_claim()
        operator = new_test_user(self.env, "operator", groups="media_production.group_media_operator")
        with self.assertRaises(AccessError):
            job.with_user(operator).write({"state": "done"})  # state is driven by reports only

    def test_malformed_reports_are_refused(self):
        job = self._job(self._sell(self.customer_de))
        Job = self.env["media.production.job"].with_user(self.station_eu)
        Job.station_claim()
        for call in (
            lambda: Job.station_package("1; DROP"),
            lambda: Job.station_progress(job.id, "done"),
            lambda: Job.station_report_failure(job.id, ""),
            lambda: Job.station_claim(limit=500),
            lambda: Job.station_report_success(job.id, copies="all"),
        ):
            with self.assertRaises(ValidationError):
                call()
        self.assertEqual(job.state, "claimed")

    def test_expired_lease_returns_the_job_to_the_queue(self):
        job = self._job(self._sell(self.customer_de))
        Job = self.env["media.production.job"].with_user(self.station_eu)
        Job.station_claim(station="crashed")
        job.sudo().lease_until = fields.Datetime.now() - timedelta(seconds=1)
        [package] = Job.station_claim(station="second")  # claiming releases expired leases first
        self.assertEqual(package["id"], job.id)
        self.assertEqual(job.claimed_by, "second")

    def test_failure_notifies_and_reroutes(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        Job.station_claim()
        self.assertEqual(Job.station_report_failure(job.id, "robot jammed", "log text"), "failed")
        self.assertEqual(Job.station_report_failure(job.id, "again"), "failed")
        self.assertEqual(job.failure_reason, "robot jammed")
        self.assertTrue(order.activity_ids)
        job.action_reroute()
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        self.assertIn(self.site_eu, job.rerouted_from_ids)

    def test_hostile_file_names_are_refused(self):
        for name in ("../etc/passwd", "/abs/path", "a/../../b", "ok\\..\\bad"):
            with self.assertRaises(ValidationError):
                self.env["media.title.file"].create(
                    {"title": "X", "name": name, "version": "1", "size": 1, "md5": "c" * 32, "url": "u"}
                )

    def test_label_shows_order_and_part_numbers(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        job.label_template_id = self.env["media.label.template"].create({"name": "Brand", "color": "#aa0000"})
        report = self.env["ir.actions.report"]
        html = report._render_qweb_html("media_production.report_media_label", job.ids)[0].decode()
        self.assertIn(order.name, html)
        self.assertIn("CADS-MEDIA-DVD", html)
        self.assertIn("CAD Studio", html)
        self.assertIn("#aa0000", html)
