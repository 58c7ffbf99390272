"""Routing by capacity per day, and reroutes that take the manufacturing order and the
delivery to the new site's warehouse."""

from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestRoutingCapacity(MediaProductionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a second site for Germany, after Eindhoven
        cls.site_fr = cls.env["media.production.site"].create(
            {"name": "Paris", "code": "T-FR", "media_type_ids": [Command.set(cls.dvd.ids)], "sequence": 15}
        )
        cls.env["media.routing.rule"].create(
            {
                "site_id": cls.site_fr.id,
                "sequence": 20,
                "country_ids": [Command.set(cls.env.ref("base.de").ids)],
            }
        )

    def _notes(self, job):
        return " ".join(job.message_ids.mapped("body"))

    def test_a_full_site_overflows_to_the_next_rule_then_the_default_site(self):
        (self.site_eu | self.site_fr | self.site_us).daily_capacity = 1
        jobs = [self._job(self._sell(self.customer_de)) for _i in range(4)]
        self.assertEqual(
            [job.site_id for job in jobs[:3]], [self.site_eu, self.site_fr, self.site_us]
        )  # rules by priority, then the default site
        self.assertEqual(jobs[1].sale_line_id.media_site_id, self.site_fr)  # where it is made and shipped
        for job in jobs[:3]:
            self.assertNotIn("capacity", self._notes(job))
            self.assertTrue(job.routed_at)
        # every site is full: the first matching site takes it all the same, and says so
        self.assertEqual(jobs[3].site_id, self.site_eu)
        self.assertIn("over its capacity of 1 jobs per day", self._notes(jobs[3]))
        self.assertEqual(
            (self.site_eu | self.site_fr | self.site_us).mapped("today_job_count"), [2, 1, 1]
        )  # ordered by sequence: Eindhoven, Paris, Denver

    def test_discs_that_must_be_verified_go_to_a_robot_that_verifies(self):
        self.site_eu.robot_verifies = False
        self.assertEqual(self._job(self._sell(self.customer_de)).site_id, self.site_fr)
        self.site_fr.robot_verifies = False
        # no rule's site verifies: the default site
        job = self._job(self._sell(self.customer_de))
        self.assertEqual(job.site_id, self.site_us)
        self.site_us.robot_verifies = True
        self.dvd.requires_verification = False
        self.assertEqual(self._job(self._sell(self.customer_de)).site_id, self.site_eu)

    def test_orders_confirmed_together_share_the_capacity(self):
        self.site_eu.daily_capacity = 2
        orders = self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer_de.id,
                    "order_line": [Command.create({"product_id": self.kit.id, "product_uom_qty": 1})],
                }
                for _i in range(3)
            ]
        )
        orders.action_confirm()  # one routing batch: each job placed counts for the next
        jobs = orders.media_job_ids
        self.assertEqual(sorted(jobs.mapped("site_id.name")), ["Eindhoven", "Paris"])
        self.assertEqual(sorted(job.site_id.name for job in jobs), ["Eindhoven", "Eindhoven", "Paris"])
        for job in jobs:
            self.assertEqual(job.site_id, job.sale_line_id.media_site_id)

    def test_the_load_of_all_sites_is_one_grouped_query(self):
        sites = self.site_eu | self.site_fr | self.site_us
        sites.daily_capacity = 5
        for partner in (self.customer_de, self.customer_de, self.customer_br):
            self._sell(partner)
        sites.mapped("tz")
        self.env.flush_all()
        with self.assertQueryCount(1):
            load = self.env["media.production.site"]._routing_load(sites)
        self.assertEqual(load, {self.site_eu.id: 2, self.site_us.id: 1})  # Paris got none

    def test_zero_capacity_means_no_limit(self):
        self.site_eu.daily_capacity = 0
        jobs = [self._job(self._sell(self.customer_de)) for _i in range(3)]
        self.assertEqual({job.site_id for job in jobs}, {self.site_eu})
        self.assertEqual(self.site_eu.today_job_count, 3)

    def test_what_counts_in_a_day(self):
        self.site_eu.daily_capacity = 2
        self.site_eu.tz = "Pacific/Kiritimati"  # UTC+14: its day is not the UTC day
        first, second = (self._job(self._sell(self.customer_de)) for _i in range(2))
        self.assertEqual(self.site_eu.today_job_count, 2)
        start, end = self.site_eu._today_bounds()
        self.assertTrue(start <= fields.Datetime.now() < end)
        self.assertEqual(end - start, timedelta(days=1))
        local_midnight = (start + timedelta(hours=14)).time()
        self.assertEqual((local_midnight.hour, local_midnight.minute), (0, 0))
        # a job routed before the site's midnight counts no more; a cancelled one neither
        first.sudo().routed_at = start - timedelta(seconds=1)
        second.action_cancel()
        self.env.invalidate_all()
        self.assertEqual(self.site_eu.today_job_count, 0)
        self.assertEqual(self._job(self._sell(self.customer_de)).site_id, self.site_eu)
        self.assertEqual(self.env["media.production.site"]._routing_load()[self.site_eu.id], 1)
        first.sudo().routed_at = start  # the site's midnight is part of its day
        self.assertEqual(self.env["media.production.site"]._routing_load()[self.site_eu.id], 2)

    def test_reroute_skips_a_full_site(self):
        failing = self._job(self._sell(self.customer_de))
        self.assertEqual(failing.site_id, self.site_eu)
        (self.site_eu | self.site_fr).daily_capacity = 1  # Eindhoven is full now
        filler = self._job(self._sell(self.customer_de))
        self.assertEqual(filler.site_id, self.site_fr)  # and now Paris too
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(failing.id, "robot jammed", lease=package["lease"])
        # the next site of the rules is full: the default site, which has no limit
        self.assertEqual((failing.state, failing.site_id), ("queued", self.site_us))
        self.assertNotIn("capacity", self._notes(failing))
        self.assertEqual(self.site_us.today_job_count, 1)
        self.assertEqual(self.site_eu.today_job_count, 0)  # the rerouted job left Eindhoven's count


@tagged("post_install", "-at_install")
class TestRerouteMovesStock(MediaProductionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Warehouse = cls.env["stock.warehouse"]
        cls.wh_eu = Warehouse.create({"name": "Eindhoven plant", "code": "TEIN"})
        cls.wh_us = Warehouse.create({"name": "Denver plant", "code": "TDEN"})
        cls.site_eu.warehouse_id = cls.wh_eu
        cls.site_us.warehouse_id = cls.wh_us

    def _open_moves_in(self, order, warehouse):
        """The order's stock moves, neither done nor cancelled, that touch the warehouse."""
        productions = self.env["mrp.production"].search([("sale_line_id", "in", order.order_line.ids)])
        moves = self.env["stock.move"].search(
            [
                "|",
                "|",
                ("sale_line_id", "in", order.order_line.ids),
                ("production_id", "in", productions.ids),
                ("raw_material_production_id", "in", productions.ids),
            ]
        )
        self.assertTrue(moves)
        inside = self.env["stock.location"].search([("id", "child_of", warehouse.view_location_id.id)])
        return moves.filtered(
            lambda m: m.state not in ("done", "cancel") and (m.location_id | m.location_dest_id) & inside
        )

    def _delivery(self, order):
        return order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")

    def test_failure_reroute_moves_the_order_and_delivery_to_the_new_warehouse(self):
        order = self._sell(self.customer_de, qty=2)
        job = self._job(order)
        first_mo = job.production_id
        self.assertEqual((job.site_id, first_mo.picking_type_id.warehouse_id), (self.site_eu, self.wh_eu))
        self.assertEqual(self._delivery(order).picking_type_id.warehouse_id, self.wh_eu)
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"])
        # rerouted to Denver: the kit is made and shipped there now
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        self.assertEqual(order.order_line.media_site_id, self.site_us)
        self.assertFalse(self._open_moves_in(order, self.wh_eu))
        self.assertEqual(first_mo.state, "cancel")
        new_mo = job.production_id
        self.assertNotEqual(new_mo, first_mo)
        self.assertEqual(
            (new_mo.picking_type_id.warehouse_id, new_mo.state, new_mo.product_qty, new_mo.sale_line_id),
            (self.wh_us, "confirmed", 2.0, order.order_line),
        )
        self.assertEqual(self._job(order), job)  # still one job, linked to the new order
        delivery = self._delivery(order)
        self.assertEqual(len(delivery), 1)
        self.assertEqual(delivery.picking_type_id.warehouse_id, self.wh_us)
        self.assertEqual(job.delivery_id, delivery)
        self.assertEqual(delivery.move_ids.move_orig_ids.production_id, new_mo)
        self.assertIn("Manufacturing order", " ".join(job.message_ids.mapped("body")))
        # Denver produces it: the new manufacturing order is done, the delivery ready
        Us = self.env["media.production.job"].with_user(self.station_us)
        [package] = Us.station_claim()
        self.assertEqual(self._success(job, package["lease"]), "done")
        self.assertEqual((new_mo.state, first_mo.state), ("done", "cancel"))
        self.assertEqual(delivery.state, "assigned")
        self.assertEqual(order.order_line.qty_delivered, 0)
        delivery.button_validate()
        self.assertEqual(order.order_line.qty_delivered, 2)
        self.assertFalse(self._open_moves_in(order, self.wh_eu) | self._open_moves_in(order, self.wh_us))

    def test_manual_reroute_by_an_operator_moves_the_stock_too(self):
        self.site_eu.auto_reroute = False
        order = self._sell(self.customer_de)
        job = self._job(order)
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "no blanks", lease=package["lease"])
        self.assertEqual((job.state, job.production_id.picking_type_id.warehouse_id), ("failed", self.wh_eu))
        operator = new_test_user(
            self.env, "t_reroute_operator", groups="media_production.group_media_operator"
        )
        job.with_user(operator).action_reroute()
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        self.assertEqual(job.production_id.picking_type_id.warehouse_id, self.wh_us)
        self.assertFalse(self._open_moves_in(order, self.wh_eu))
        self.assertEqual(self._delivery(order).picking_type_id.warehouse_id, self.wh_us)

    def test_a_reroute_within_the_same_warehouse_keeps_the_order(self):
        self.site_us.warehouse_id = self.wh_eu  # both sites ship from one warehouse
        order = self._sell(self.customer_de)
        job = self._job(order)
        mo, delivery = job.production_id, self._delivery(order)
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"])
        self.assertEqual(job.site_id, self.site_us)
        self.assertEqual((job.production_id, mo.state), (mo, "confirmed"))
        self.assertEqual(self._delivery(order), delivery)

    def test_a_warehouse_that_cannot_make_the_kit_leaves_the_stock_where_it_was(self):
        self.wh_us.manufacture_to_resupply = False  # Denver's warehouse has no manufacturing route
        order = self._sell(self.customer_de)
        job = self._job(order)
        mo = job.production_id
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        self.assertEqual(Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"]), "failed")
        # the job is rerouted; its manufacturing order and delivery stay, and the chatter says why
        self.assertEqual((job.state, job.site_id, job.production_id), ("queued", self.site_us, mo))
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(self._delivery(order).picking_type_id.warehouse_id, self.wh_eu)
        self.assertIn("stay in Eindhoven plant", " ".join(job.message_ids.mapped("body")))

    def test_more_copies_after_confirmation_get_a_job_of_their_own(self):
        order = self._sell(self.customer_de, qty=2)
        first = self._job(order)
        order.order_line.product_uom_qty = 3
        jobs = self._job(order)
        self.assertEqual(len(jobs), 2)
        second = jobs - first
        self.assertEqual((first.copies, first.production_id.product_qty), (2, 2.0))
        self.assertEqual((second.copies, second.production_id.product_qty), (1, 1.0))
        self.assertNotEqual(first.production_id, second.production_id)
