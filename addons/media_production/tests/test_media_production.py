from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
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
        lease = package["lease"]
        self.assertEqual(package["id"], job.id)
        self.assertEqual(package["label"]["order"], order.name)
        self.assertEqual(package["label"]["part_number"], "CADS-MEDIA-DVD")
        self.assertEqual({f["md5"] for f in package["files"]}, {"0" * 32, "a" * 32})
        self.assertEqual(Job.station_claim(), [])  # nothing else queued
        Job.station_progress(job.id, "staging", lease=lease)
        Job.station_progress(job.id, "producing", "burning", lease=lease)
        with self.assertRaises(ValidationError):
            Job.station_report_success(  # fewer copies than ordered
                job.id, copies=1, checksums_verified=True, discs=self._discs(1), lease=lease
            )
        self.assertEqual(job.attempts, 1)
        self.assertEqual(
            Job.station_report_success(
                job.id,
                copies=2,
                serials=["S-1", "S-2"],
                checksums_verified=True,
                lease=lease,
                discs=self._discs(2, "S"),
                image_md5="d" * 32,
            ),
            "done",
        )
        self.assertEqual(job.production_id.state, "done")
        self.assertEqual(job.disc_ids.mapped("serial"), ["S-1", "S-2"])
        self.assertEqual(
            Job.station_report_success(job.id, copies=2, lease=lease), "done"
        )  # repeated: harmless
        self.assertEqual(Job.station_report_failure(job.id, "late failure", lease=lease), "done")  # harmless
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
        # nor the manifest lines of the other site's job (paths, file URLs, sale line)
        Files = self.env["media.production.job.file"]
        self.assertFalse(Files.with_user(self.station_us).search([("job_id", "=", job.id)]))
        with self.assertRaises(AccessError):
            job.manifest_line_ids.with_user(self.station_us).read(["path", "url"])
        self.assertEqual(
            Files.with_user(self.station_eu).search([("job_id", "=", job.id)]), job.manifest_line_ids
        )
        clerk = new_test_user(self.env, "clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["media.production.job"].with_user(clerk).station_claim()
        operator = new_test_user(self.env, "operator", groups="media_production.group_media_operator")
        with self.assertRaises(AccessError):
            job.with_user(operator).write({"state": "done"})  # state is driven by reports only

    def test_malformed_reports_are_refused(self):
        job = self._job(self._sell(self.customer_de))
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Job.station_claim()
        lease = package["lease"]
        for call in (
            lambda: Job.station_package("1; DROP"),
            lambda: Job.station_progress(job.id, "done", lease=lease),
            lambda: Job.station_report_failure(job.id, "", lease=lease),
            lambda: Job.station_claim(limit=500),
            lambda: Job.station_claim(limit=True),  # a bool is an int in Python, not a count
            lambda: Job.station_claim(lease_seconds=True),
            lambda: Job.station_claim(lease_seconds=10**9),
            lambda: Job.station_heartbeat({str(job.id): lease}, lease_seconds=10**9),
            lambda: Job.station_heartbeat([job.id]),
            lambda: Job.station_report_success(job.id, copies="all", lease=lease),
        ):
            with self.assertRaises(ValidationError):
                call()
        self.assertEqual(job.state, "claimed")

    def test_reports_on_a_job_nobody_claimed_are_refused(self):
        job = self._job(self._sell(self.customer_de))
        Job = self.env["media.production.job"].with_user(self.station_eu)
        for call in (
            lambda: Job.station_report_failure(job.id, "never claimed"),
            lambda: Job.station_progress(job.id, "producing"),
            lambda: Job.station_report_success(job.id, copies=1),
        ):
            with self.assertRaises(AccessError):
                call()
        with self.assertRaises(ValidationError):
            Job.station_report_failure(True, "a boolean is no job id")
        self.assertEqual(job.state, "queued")

    def test_expired_lease_returns_the_job_to_the_queue(self):
        job = self._job(self._sell(self.customer_de))
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [stale] = Job.station_claim(station="crashed")
        job.sudo().lease_until = fields.Datetime.now() - timedelta(seconds=1)
        [package] = Job.station_claim(station="second")  # claiming releases expired leases first
        self.assertEqual(package["id"], job.id)
        self.assertEqual((job.claimed_by, job.attempts), ("second", 2))
        self.assertNotEqual(package["lease"], stale["lease"])
        # the first station comes back: it holds no lease any more and changes nothing
        for call in (
            lambda: Job.station_report_success(job.id, copies=1, lease=stale["lease"]),
            lambda: Job.station_report_failure(job.id, "stale", lease=stale["lease"]),
            lambda: Job.station_progress(job.id, "producing", lease=stale["lease"]),
            lambda: Job.station_report_success(job.id, copies=1),
        ):
            with self.assertRaises(AccessError):
                call()
        self.assertEqual(Job.station_heartbeat({str(job.id): stale["lease"]}), [])
        self.assertEqual(Job.station_release({str(job.id): stale["lease"]}), [])
        self.assertEqual((job.state, job.claimed_by), ("claimed", "second"))
        self.assertEqual(Job.station_heartbeat({str(job.id): package["lease"]}), [job.id])
        self.assertEqual(self._success(job, package["lease"]), "done")

    def test_a_fleet_of_stations_writes_the_site_heartbeat_twice_a_minute_at_most(self):
        Job = self.env["media.production.job"].with_user(self.station_eu)
        with freeze_time("2026-03-02 10:00:00"):
            Job.station_heartbeat()
        self.assertEqual(self.site_eu.heartbeat, datetime(2026, 3, 2, 10, 0, 0))
        with freeze_time("2026-03-02 10:00:29"):
            # other stations of the site call within the 30 seconds: the row is left alone
            Job.station_claim(station="eu-2")
            Job.station_heartbeat()
        self.assertEqual(self.site_eu.heartbeat, datetime(2026, 3, 2, 10, 0, 0))
        with freeze_time("2026-03-02 10:00:30"):
            Job.station_claim(station="eu-3")
        self.assertEqual(self.site_eu.heartbeat, datetime(2026, 3, 2, 10, 0, 30))
        self.assertFalse(self.site_us.heartbeat)  # another site's station did not call
        with freeze_time("2026-03-02 10:31:00"):
            self.site_eu.invalidate_recordset(["is_down"])
            self.assertTrue(self.site_eu.is_down)  # 30 minutes without a beat: down, as before

    def test_failure_reroutes_automatically_per_site_policy(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        self.assertEqual(job.site_id, self.site_eu)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Job.station_claim()
        self.assertEqual(Job.station_report_failure(job.id, "robot jammed", lease=package["lease"]), "failed")
        # Eindhoven reroutes by default: the job waits in Denver's queue, people are told
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        self.assertEqual(job.rerouted_from_ids, self.site_eu)
        self.assertTrue(order.activity_ids)
        # the Eindhoven station repeating its report changes nothing
        self.assertEqual(Job.station_report_failure(job.id, "robot jammed", lease=package["lease"]), "failed")
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        # Denver fails too: no site is left, the job stays failed for a person
        Us = self.env["media.production.job"].with_user(self.station_us)
        [package] = Us.station_claim()
        Us.station_report_failure(job.id, "no blanks", lease=package["lease"])
        self.assertEqual((job.state, job.site_id), ("failed", self.site_us))
        with self.assertRaisesRegex(ValidationError, "No other site"):
            job.action_reroute()

    def test_a_failure_reason_is_text_in_the_salespersons_activity(self):
        self.site_eu.auto_reroute = False
        order = self._sell(self.customer_de)
        job = self._job(order)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Job.station_claim()
        reason = (
            'Jam. <a href="https://evil.example/reset">re-authorise</a><img src="https://evil.example/p.png">'
        )
        Job.station_report_failure(job.id, reason, lease=package["lease"])
        note = str(order.activity_ids.note)
        self.assertNotIn("<a ", note)
        self.assertNotIn("<img", note)
        self.assertIn("&lt;a href=", note)  # shown as the text the station sent

    def test_failure_notifies_and_reroutes(self):
        self.site_eu.auto_reroute = False
        order = self._sell(self.customer_de)
        job = self._job(order)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Job.station_claim()
        self.assertEqual(
            Job.station_report_failure(job.id, "robot jammed", "log text", package["lease"]), "failed"
        )
        self.assertEqual(Job.station_report_failure(job.id, "again", lease=package["lease"]), "failed")
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

    def test_md5s_are_checked_and_given_in_lowercase(self):
        File = self.env["media.title.file"]
        values = {
            "title": "CAD Studio",
            "name": "setup/cadstudio.exe",
            "version": "2025.3",
            "size": 1,
            "url": "u",
        }
        for md5 in ("c" * 31, "c" * 33, "g" * 32, "", " " + "c" * 31):
            with self.assertRaises(ValidationError):
                File.create(dict(values, md5=md5))
        queued = self._job(self._sell(self.customer_de))
        File.create(dict(values, md5="AB" * 16)).action_release()
        lines = queued.manifest_line_ids
        self.assertIn("ab" * 16, lines.mapped("md5"))
        queued._refresh_manifest()  # the same files in another case: the manifest stays as it is
        self.assertEqual(queued.manifest_line_ids, lines)

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

    def test_sale_order_shows_jobs_and_traceability(self):
        order = self._sell(self.customer_de, qty=2)
        job = self._job(order)
        salesman = new_test_user(self.env, "t_mp_salesman", groups="sales_team.group_sale_salesman")
        order.user_id = salesman  # a salesperson reads the orders they sell
        order_as_salesman = order.with_user(salesman)
        self.assertEqual(order_as_salesman.media_job_count, 1)
        action = order_as_salesman.action_view_media_traceability()
        rows = self.env["media.production.job.file"].with_user(salesman).search(action["domain"])
        self.assertEqual(rows, job.manifest_line_ids)
        self.assertEqual(set(rows.mapped("md5")), {"0" * 32, "a" * 32})
        self.assertEqual(rows.production_id, job.production_id)
        self.assertEqual(
            rows.delivery_id, order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        )

    def test_kit_is_made_and_shipped_in_the_sites_warehouse(self):
        warehouse = self.env["stock.warehouse"].create({"name": "Eindhoven plant", "code": "TEIN"})
        self.site_eu.warehouse_id = warehouse
        order = self._sell(self.customer_de)
        job = self._job(order)
        self.assertEqual(order.order_line.media_site_id, self.site_eu)
        self.assertEqual(job.site_id, self.site_eu)
        self.assertEqual(job.production_id.picking_type_id.warehouse_id, warehouse)
        delivery = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        self.assertEqual(delivery.picking_type_id.warehouse_id, warehouse)
        # a site without a warehouse of its own leaves the order's warehouse in charge
        order_us = self._sell(self.customer_br)  # no rule: the default site, Denver
        self.assertEqual(
            self._job(order_us).production_id.picking_type_id.warehouse_id, order_us.warehouse_id
        )

    def test_synced_media_kit_is_ready_for_production(self):
        blank = self.env["product.product"].create({"name": "Blank DVD", "type": "consu"})
        case = self.env["product.product"].create({"name": "DVD case", "type": "consu"})
        self.dvd.component_ids = [
            Command.clear(),
            Command.create({"product_id": blank.id, "product_qty": 1}),
            Command.create({"product_id": case.id, "product_qty": 1}),
        ]
        # as the FlexNet product sync creates it: kind and part number, nothing of production
        kit = self.env["product.template"].create(
            {
                "name": "Render Pro Media Kit",
                "default_code": "RNDR-MEDIA-DVD",
                "type": "consu",
                "flexnet_kind": "media_kit",
            }
        )
        self.assertEqual(kit.media_type_id, self.dvd)
        self.assertIn(self.env.ref("mrp.route_warehouse0_manufacture"), kit.route_ids)
        self.assertIn(self.env.ref("stock.route_warehouse0_mto"), kit.route_ids)
        bom = self.env["mrp.bom"].search([("product_tmpl_id", "=", kit.id)])
        self.assertEqual(bom.bom_line_ids.product_id, blank | case)
        kit.media_type_id = self.usb  # an existing BOM is kept
        self.assertEqual(self.env["mrp.bom"].search([("product_tmpl_id", "=", kit.id)]), bom)
        other = self.env["product.template"].create(
            {"name": "Manual", "default_code": "MAN-PDF", "type": "consu", "flexnet_kind": "media_kit"}
        )
        self.assertFalse(other.media_type_id)
        self.assertFalse(self.env["mrp.bom"].search([("product_tmpl_id", "=", other.id)]))
