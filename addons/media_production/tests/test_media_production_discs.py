"""Verified discs: what a success report must say, what is recorded and who sees it."""

from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestMediaProductionDiscs(MediaProductionCase):
    def _claimed(self, partner=None, qty=2):
        """A job sold, claimed by its site's station: (job, lease)."""
        job = self._job(self._sell(partner or self.customer_de, qty=qty))
        Job = self.env["media.production.job"].with_user(job.site_id.station_user_id)
        [package] = Job.station_claim()
        self.assertEqual(package["id"], job.id)
        return job, package["lease"]

    def test_success_records_each_disc_its_verification_and_the_image_md5(self):
        job, lease = self._claimed()
        discs = [{"serial": "EU-0001", "verified": True}, {"serial": " EU-0002 ", "verified": True}]
        self.assertEqual(self._success(job, lease, discs=discs, image_md5="AB" * 16), "done")
        self.assertEqual(
            [(d.sequence, d.serial, d.verified) for d in job.disc_ids],
            [(1, "EU-0001", True), (2, "EU-0002", True)],
        )
        self.assertEqual(job.image_md5, "ab" * 16)
        self.assertEqual(job.serials, "EU-0001\nEU-0002")  # the serials follow the discs
        self.assertEqual((job.copies_done, job.disc_verified_count), (2, 2))
        self.assertEqual(job.production_id.state, "done")
        # the job form shows them
        form = Form(job)
        self.assertEqual(form.image_md5, "ab" * 16)
        self.assertEqual(len(form.disc_ids), 2)

    def test_serials_given_beside_the_discs_name_the_same_discs(self):
        job, lease = self._claimed(qty=2)
        with self.assertRaisesRegex(ValidationError, "name different discs"):
            self._success(job, lease, serials=["Q1", "Q3"], discs=self._discs(2, "Q"))
        self.assertEqual(job.state, "claimed")
        self._success(job, lease, serials=["Q-2", "Q-1"], discs=self._discs(2, "Q"))
        self.assertEqual((job.serials, job.disc_ids.mapped("serial")), ("Q-2\nQ-1", ["Q-1", "Q-2"]))

    def test_a_report_names_each_copy(self):
        job, lease = self._claimed(qty=2)
        self.site_eu.robot_verifies = False  # not even a site that verifies nothing skips them
        with self.assertRaisesRegex(ValidationError, "lists no disc"):
            self._success(job, lease, discs=None, serials=[], image_md5="c" * 32)
        self.assertEqual(job.state, "claimed")

    def test_serials_are_printable_text(self):
        job, lease = self._claimed(qty=2)
        for serial in ("EU-1\nEU-3", "EU-\u202e1", "EU-\x001"):
            with self.subTest(serial=serial), self.assertRaises(ValidationError):
                self._success(job, lease, discs=[{"serial": serial, "verified": True}, self._discs(2)[1]])
            with self.subTest(serials=serial), self.assertRaises(ValidationError):
                self._success(job, lease, serials=[serial, "SN-2"], discs=None)
        self.assertEqual((job.state, job.disc_ids), ("claimed", job.disc_ids.browse()))

    def test_sale_order_traces_discs_serials_verification_and_image_md5(self):
        order = self._sell(self.customer_de, qty=2)
        job = self._job(order)
        [package] = self.env["media.production.job"].with_user(self.station_eu).station_claim()
        self._success(job, package["lease"], discs=self._discs(2, "EU"), image_md5="e" * 32)
        salesman = new_test_user(self.env, "t_disc_salesman", groups="sales_team.group_sale_salesman")
        order.user_id = salesman  # a salesperson reads the orders they sell
        order = order.with_user(salesman)
        self.assertEqual(order.media_disc_ids.mapped("serial"), ["EU-1", "EU-2"])
        action = order.action_view_media_discs()
        discs = self.env["media.production.disc"].with_user(salesman).search(action["domain"])
        self.assertEqual(discs, job.disc_ids)
        self.assertEqual(
            [
                (d["serial"], d["verified"], d["image_md5"])
                for d in discs.read(["serial", "verified", "image_md5"])
            ],
            [("EU-1", True, "e" * 32), ("EU-2", True, "e" * 32)],
        )
        # the file trace carries the image MD5 the discs were verified against
        trace = order.action_view_media_traceability()
        rows = self.env["media.production.job.file"].with_user(salesman).search(trace["domain"])
        self.assertEqual(set(rows.mapped("image_md5")), {"e" * 32})

    def test_every_malformed_or_unverified_success_report_is_refused(self):
        job, lease = self._claimed(qty=2)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        good = {"checksums_verified": True, "discs": self._discs(2), "image_md5": "c" * 32, "lease": lease}
        refusals = {
            "checksums not confirmed (the default)": {"checksums_verified": None},
            "checksums confirmed by a truthy non-boolean": {"checksums_verified": 1},
            "checksums confirmed by a text": {"checksums_verified": "yes"},
            "fewer copies than the job": {"copies": 1, "discs": self._discs(1)},
            "copies as a boolean": {"copies": True},
            "discs not a list": {"discs": "SN-1,SN-2"},
            "a disc that is no object": {"discs": ["SN-1", "SN-2"]},
            "a disc without verification": {"discs": [{"serial": "SN-1"}, {"serial": "SN-2"}]},
            "verification as a text": {"discs": [{"serial": "SN-1", "verified": "true"}] * 2},
            "a serial that is no text": {"discs": [{"serial": 1, "verified": True}] * 2},
            "a serial too long": {"discs": [{"serial": "S" * 129, "verified": True}] * 2},
            "fewer discs than copies": {"discs": self._discs(1)},
            "more discs than copies": {"discs": self._discs(3)},
            "a disc that failed verification": {
                "discs": [{"serial": "SN-1", "verified": True}, {"serial": "SN-2", "verified": False}]
            },
            "no discs for disc media": {"discs": None, "serials": ["SN-1", "SN-2"]},
            "an image MD5 too short": {"image_md5": "c" * 31},
            "an image MD5 that is not hexadecimal": {"image_md5": "g" * 32},
            "an image MD5 that is no text": {"image_md5": 12345},
            "serials as one text": {"serials": "SN-1 SN-2"},
            "a serial too long in serials": {"serials": ["S" * 129]},
        }
        for what, change in refusals.items():
            report = {**good, **change}
            copies = report.pop("copies", 2)
            if report.get("checksums_verified") is None:
                report.pop("checksums_verified")
            with self.subTest(what), self.assertRaises(ValidationError):
                Job.station_report_success(job.id, copies, **report)
        self.assertEqual(job.state, "claimed")
        self.assertFalse(job.disc_ids)
        self.assertFalse(job.image_md5)
        self.assertNotEqual(job.production_id.state, "done")
        # the refusal says why
        with self.assertRaisesRegex(ValidationError, "SN-2 failed verification"):
            Job.station_report_success(
                job.id, 2, **{**good, "discs": [self._discs(1)[0], {"serial": "SN-2", "verified": False}]}
            )
        with self.assertRaisesRegex(ValidationError, "verified checksums"):
            Job.station_report_success(job.id, 2, discs=self._discs(2), lease=lease)
        self.assertEqual(Job.station_report_success(job.id, 2, **good), "done")

    def test_repeated_success_on_a_done_job_changes_nothing(self):
        job, lease = self._claimed(qty=1)
        self._success(job, lease, discs=[{"serial": "ONCE", "verified": True}])
        Job = self.env["media.production.job"].with_user(self.station_eu)
        self.assertEqual(Job.station_report_success(job.id, 1, lease=lease), "done")
        self.assertEqual(self._success(job, lease, discs=[{"serial": "TWICE", "verified": True}]), "done")
        self.assertEqual(job.disc_ids.mapped("serial"), ["ONCE"])

    def test_media_without_verification_take_serials_alone(self):
        usb_kit = self.env["product.product"].create(
            {
                "name": "CAD Studio USB Kit",
                "default_code": "CADS-MEDIA-USB",
                "type": "consu",
                "flexnet_kind": "media_kit",
                "flexnet_title": "CAD Studio",
                "media_type_id": self.usb.id,
                "route_ids": [Command.set(self.kit.route_ids.ids)],
            }
        )
        stick = self.env["product.product"].create({"name": "USB stick", "type": "consu"})
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": usb_kit.product_tmpl_id.id,
                "bom_line_ids": [Command.create({"product_id": stick.id, "product_qty": 1})],
            }
        )
        self.assertFalse(self.usb.requires_verification)  # no disc, nothing read back
        self.assertTrue(self.dvd.requires_verification)
        Job = self.env["media.production.job"].with_user(self.station_us)

        def sell_usb():
            order = self.env["sale.order"].create(
                {
                    "partner_id": self.customer_br.id,
                    "order_line": [Command.create({"product_id": usb_kit.id, "product_uom_qty": 2})],
                }
            )
            order.action_confirm()
            job = self._job(order)
            [package] = Job.station_claim()
            self.assertEqual(
                (package["id"], package["requires_verification"]), (job.id, self.usb.requires_verification)
            )
            return job, package["lease"]

        job, lease = sell_usb()
        report = {"serials": ["U1", "U2"], "checksums_verified": True, "lease": lease}
        self.assertEqual(Job.station_report_success(job.id, 2, **report), "done")
        self.assertEqual(
            [(d.serial, d.verified) for d in job.disc_ids], [("U1", False), ("U2", False)]
        )  # recorded, not verified
        self.assertFalse(job.image_md5)
        # a media type that requires verification refuses the same report
        self.usb.requires_verification = True
        job, lease = sell_usb()
        with self.assertRaisesRegex(ValidationError, "must be verified"):
            Job.station_report_success(job.id, 2, **dict(report, lease=lease))
        self.assertEqual(job.state, "claimed")

    def test_a_robot_that_cannot_verify_records_its_discs_as_not_verified(self):
        job, lease = self._claimed(qty=2)
        # Eindhoven's robot reads no disc back (its PTBurn was replaced by a Rimage, say)
        self.site_eu.robot_verifies = False
        self.assertFalse(job._station_requires_verification())
        Job = self.env["media.production.job"].with_user(self.station_eu)
        with self.assertRaisesRegex(ValidationError, "SN-2 failed verification"):
            Job.station_report_success(
                job.id,
                2,
                checksums_verified=True,
                lease=lease,
                discs=[{"serial": "SN-1", "verified": None}, {"serial": "SN-2", "verified": False}],
            )
        self.assertEqual(self._success(job, lease, discs=self._discs(2, "EU", verified=None)), "done")
        self.assertEqual([(d.serial, d.verified) for d in job.disc_ids], [("EU-1", False), ("EU-2", False)])

    def test_a_site_whose_robot_does_not_verify_makes_no_verified_disc(self):
        job, lease = self._claimed(qty=2)
        self.site_eu.robot_verifies = False
        # the station says its discs were verified: the site's robot reads nothing back
        self.assertEqual(self._success(job, lease, discs=self._discs(2, "EU", verified=True)), "done")
        self.assertEqual([(d.serial, d.verified) for d in job.disc_ids], [("EU-1", False), ("EU-2", False)])
        self.assertEqual(job.disc_verified_count, 0)

    def test_a_robot_that_verifies_must_say_so_for_every_disc(self):
        job, lease = self._claimed(qty=2)
        self.assertTrue(job._station_requires_verification())
        Job = self.env["media.production.job"].with_user(self.station_eu)
        discs = [{"serial": "SN-1", "verified": True}, {"serial": "SN-2", "verified": None}]
        with self.assertRaisesRegex(ValidationError, "SN-2 of job .* were not"):
            Job.station_report_success(job.id, 2, checksums_verified=True, lease=lease, discs=discs)
        self.assertEqual(job.state, "claimed")
        self.assertFalse(job.disc_ids)

    def test_a_station_of_another_site_cannot_report_success(self):
        job, lease = self._claimed()  # Eindhoven's
        us = self.env["media.production.job"].with_user(self.station_us)
        with self.assertRaises(AccessError):
            us.station_report_success(
                job.id, 2, checksums_verified=True, lease=lease, discs=self._discs(2), image_md5="c" * 32
            )
        self.assertEqual(job.state, "claimed")
        self.assertFalse(job.disc_ids)

    def test_who_reads_discs_and_that_nobody_writes_them(self):
        job, lease = self._claimed()
        self._success(job, lease)
        discs = job.disc_ids
        Disc = self.env["media.production.disc"]
        values = {"job_id": job.id, "sequence": 3, "serial": "FORGED", "verified": True}
        # the site's station reads its discs, writes none
        self.assertEqual(Disc.with_user(self.station_eu).search([("job_id", "=", job.id)]), discs)
        # another site's station sees none
        self.assertFalse(Disc.with_user(self.station_us).search([]))
        with self.assertRaises(AccessError):
            discs.with_user(self.station_us).read(["serial"])
        operator = new_test_user(self.env, "t_disc_operator", groups="media_production.group_media_operator")
        manager = new_test_user(self.env, "t_disc_manager", groups="media_production.group_media_manager")
        salesman = new_test_user(self.env, "t_disc_sales", groups="sales_team.group_sale_salesman")
        job.order_id.user_id = salesman  # the salesperson of the order
        for user in (self.station_eu, operator, manager, salesman):
            with self.subTest(user=user.login):
                self.assertEqual(discs.with_user(user).mapped("serial"), ["SN-1", "SN-2"])
                with self.assertRaises(AccessError):
                    Disc.with_user(user).create(values)
                with self.assertRaises(AccessError):
                    discs.with_user(user).write({"verified": False})
                with self.assertRaises(AccessError):
                    discs.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    job.with_user(user).write({"disc_ids": [Command.create(values)]})
        employee = new_test_user(self.env, "t_disc_employee", groups="base.group_user")
        portal = new_test_user(self.env, "t_disc_portal", groups="base.group_portal")
        for user in (employee, portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                discs.with_user(user).read(["serial"])
        self.assertEqual(job.disc_ids.mapped("verified"), [True, True])

    def test_a_success_report_gives_the_jobs_copies_and_one_distinct_serial_each(self):
        job, lease = self._claimed(qty=2)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        good = {"checksums_verified": True, "discs": self._discs(2), "image_md5": "c" * 32, "lease": lease}
        refusals = {
            "more copies than the job": {"copies": 3, "discs": self._discs(3)},
            "more copies than an integer holds": {"copies": 2**31, "discs": None},
            "no image MD5 for discs": {"image_md5": ""},
            "a disc without a serial": {"discs": [{"serial": " ", "verified": True}, self._discs(2)[1]]},
            "two discs with one serial": {"discs": [self._discs(1)[0]] * 2},
            "an empty serial": {"serials": ["", "S2"]},
            "the same serial twice": {"serials": ["S1", "S1"]},
            "serials as numbers": {"serials": [1, 2]},
            "fewer serials than copies": {"serials": ["S1"]},
        }
        for what, change in refusals.items():
            report = {**good, **change}
            copies = report.pop("copies", 2)
            with self.subTest(what), self.assertRaises(ValidationError):
                Job.station_report_success(job.id, copies, **report)
        self.assertEqual(job.state, "claimed")
        self.assertFalse(job.disc_ids)
        with self.assertRaisesRegex(ValidationError, "repeats serial SN-1"):
            Job.station_report_success(job.id, 2, **{**good, "discs": [self._discs(1)[0]] * 2})
        with self.assertRaisesRegex(ValidationError, "job .* has 2, the report gives 3"):
            Job.station_report_success(job.id, 3, **{**good, "discs": self._discs(3)})
        self.assertEqual(Job.station_report_success(job.id, 2, **good, serials=["SN-1", "SN-2"]), "done")
        self.assertEqual((job.copies_done, len(job.disc_ids), job.serials), (2, 2, "SN-1\nSN-2"))

    def test_a_station_older_than_disc_reports_is_heard_until_it_reports_discs(self):
        # a site that existed before disc verification: its station does not report discs yet
        self.site_eu.station_reports_discs = False
        job, lease = self._claimed(qty=2)
        Job = self.env["media.production.job"].with_user(self.station_eu)
        old_report = {"serials": ["OLD-1", "OLD-2"], "checksums_verified": True}
        self.assertEqual(Job.station_report_success(job.id, 2, lease=lease, **old_report), "done")
        self.assertEqual([(d.serial, d.verified) for d in job.disc_ids], [("OLD-1", False), ("OLD-2", False)])
        self.assertFalse(job.image_md5)
        self.assertIn("predates disc verification", " ".join(job.message_ids.mapped("body")))
        self.assertEqual(job.production_id.state, "done")
        # the old station still gives every copy, no more
        job, lease = self._claimed(qty=1)
        with self.assertRaises(ValidationError):
            Job.station_report_success(job.id, 2, lease=lease, **old_report)
        # the upgraded station's first report with discs: the site's station reports discs now
        self._success(job, lease)
        self.assertTrue(self.site_eu.station_reports_discs)
        job, lease = self._claimed(qty=1)
        with self.assertRaisesRegex(ValidationError, "must be verified"):
            Job.station_report_success(job.id, 1, lease=lease, serials=["OLD-3"], checksums_verified=True)
        self.assertEqual(job.state, "claimed")

    def test_salespeople_who_see_their_own_orders_see_their_own_discs(self):
        own_job, lease = self._claimed(qty=1)
        self._success(own_job, lease)
        other_job, lease = self._claimed(qty=1)
        self._success(other_job, lease, discs=self._discs(1, "OTHER"))
        salesman = new_test_user(self.env, "t_disc_own", groups="sales_team.group_sale_salesman")
        colleague = new_test_user(self.env, "t_disc_colleague", groups="sales_team.group_sale_salesman")
        own_job.order_id.user_id = salesman
        other_job.order_id.user_id = colleague
        Disc = self.env["media.production.disc"]
        both = [("job_id", "in", (own_job | other_job).ids)]
        self.assertEqual(Disc.with_user(salesman).search(both), own_job.disc_ids)
        self.assertEqual(
            self.env["media.production.job"].with_user(salesman).search([("id", "in", both[0][2])]), own_job
        )
        with self.assertRaises(AccessError):
            other_job.disc_ids.with_user(salesman).read(["serial"])
        with self.assertRaises(AccessError):
            other_job.manifest_line_ids.with_user(salesman).read(["md5"])
        self.assertEqual(other_job.order_id.with_user(colleague).media_disc_ids.serial, "OTHER-1")
        # who sees every order, and production staff, see every disc
        all_orders = new_test_user(
            self.env, "t_disc_all_orders", groups="sales_team.group_sale_salesman_all_leads"
        )
        operator = new_test_user(
            self.env,
            "t_disc_operator_seller",
            groups="media_production.group_media_operator,sales_team.group_sale_salesman",
        )
        for user in (all_orders, operator):
            with self.subTest(user=user.login):
                self.assertEqual(Disc.with_user(user).search(both), (own_job | other_job).disc_ids)

    def test_who_reads_sale_orders_but_not_discs_reads_the_orders_all_the_same(self):
        job, lease = self._claimed(qty=1)
        self._success(job, lease)
        clerk = new_test_user(self.env, "t_disc_stock_clerk", groups="stock.group_stock_user")
        order = job.order_id.with_user(clerk)
        for name in ("media_disc_ids", "media_job_ids", "media_job_count"):
            self.assertNotIn(name, order.fields_get())
        self.assertEqual(order.read(["name"])[0]["name"], job.order_id.name)
        with self.assertRaises(AccessError):
            order.read(["media_disc_ids"])
