"""Routing by capacity per day, and reroutes that take the manufacturing order and the
delivery to the new site's warehouse."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
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

    def test_a_full_site_that_verifies_keeps_the_discs_that_must_be_verified(self):
        (self.site_fr | self.site_us).robot_verifies = False  # only Eindhoven verifies discs
        self.site_eu.daily_capacity = 1
        first, second = (self._job(self._sell(self.customer_de)) for _i in range(2))
        self.assertEqual((first.site_id, second.site_id), (self.site_eu, self.site_eu))
        self.assertEqual(second.sale_line_id.media_site_id, self.site_eu)
        self.assertIn("over its capacity of 1 jobs per day", self._notes(second))
        self.assertTrue(second._station_requires_verification())
        # when it fails there, no other site may take it: it waits for a person
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        leases = {package["id"]: package["lease"] for package in Eu.station_claim(limit=2)}
        Eu.station_report_failure(second.id, "robot jammed", lease=leases[second.id])
        self.assertEqual((second.state, second.site_id), ("failed", self.site_eu))
        self.assertFalse(second._next_site())

    def test_when_no_site_verifies_the_default_site_takes_the_discs_and_says_so(self):
        (self.site_eu | self.site_fr | self.site_us).robot_verifies = False
        job = self._job(self._sell(self.customer_de))
        self.assertEqual(job.site_id, self.site_us)
        self.assertIn("recorded as not verified", self._notes(job))
        self.assertFalse(job._station_requires_verification())
        # a site that verifies takes the next ones, without a note
        self.site_fr.robot_verifies = True
        job = self._job(self._sell(self.customer_de))
        self.assertEqual(job.site_id, self.site_fr)
        self.assertNotIn("not verified", self._notes(job))

    def test_routing_keeps_to_the_company_of_the_order(self):
        other = self.env["res.company"].create({"name": "Other Media Company"})
        lyon = self.env["media.production.site"].create(
            {
                "name": "Lyon",
                "code": "T-LY",
                "company_id": other.id,
                "is_default": True,
                "media_type_ids": [Command.set(self.dvd.ids)],
                "sequence": 1,
            }
        )
        self.env["media.routing.rule"].create(
            {"site_id": lyon.id, "sequence": 1, "country_ids": [Command.set(self.env.ref("base.de").ids)]}
        )
        job = self._job(self._sell(self.customer_de))
        self.assertEqual((job.site_id, job.sale_line_id.media_site_id), (self.site_eu, self.site_eu))
        # when every site of the company is left out, none of another company's takes over
        self.assertEqual(job._next_site(), self.site_fr)
        self.assertFalse(job._next_site(excluded=self.site_fr | self.site_us))
        with self.assertRaisesRegex(ValidationError, "cannot produce it"):
            job.sudo().write({"site_id": lyon.id})

    def test_a_batch_of_kits_reads_the_rules_and_default_sites_once(self):
        Rule = self.env["media.routing.rule"]
        load = self.env["media.production.site"]._routing_load()
        de, br, nl = self.env.ref("base.de"), self.env.ref("base.br"), self.env.ref("base.nl")
        cache = {}
        self.assertEqual(Rule._route(de, self.dvd, self.kit, load=load, cache=cache), self.site_eu)
        with self.assertQueryCount(0):
            sites = [
                Rule._route(country, self.dvd, self.kit, load=load, cache=cache)
                for country in (de, br, nl) * 10
            ]
        self.assertEqual(sites[:3], [self.site_eu, self.site_us, self.site_eu])


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

    def test_a_warehouse_that_cannot_make_the_kit_keeps_the_job_where_it_was(self):
        self.wh_us.manufacture_to_resupply = False  # Denver's warehouse has no manufacturing route
        order = self._sell(self.customer_de)
        job = self._job(order)
        mo = job.production_id
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        self.assertEqual(Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"]), "failed")
        # Denver cannot take it over: the job stays failed at Eindhoven, which still makes and ships it
        self.assertEqual((job.state, job.site_id, job.production_id), ("failed", self.site_eu, mo))
        self.assertFalse(job.rerouted_from_ids)
        self.assertEqual(order.order_line.media_site_id, self.site_eu)
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(self._delivery(order).picking_type_id.warehouse_id, self.wh_eu)
        notes = " ".join(job.message_ids.mapped("body"))
        self.assertIn("Not rerouted to Denver", notes)
        self.assertIn("stay in Eindhoven plant", notes)
        # a person asking for it hears why
        operator = new_test_user(
            self.env, "t_reroute_refused", groups="media_production.group_media_operator"
        )
        with self.assertRaisesRegex(ValidationError, "Denver: the manufacturing order"):
            job.with_user(operator).action_reroute()
        self.assertEqual((job.state, job.site_id), ("failed", self.site_eu))

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

    def _notes(self, job):
        return " ".join(job.message_ids.mapped("body"))

    def _open_outgoing(self, order, warehouse):
        """{manufacturing order: quantity} of the order's open delivery moves out of ``warehouse``."""
        moves = self._delivery(order).move_ids.filtered(
            lambda m: m.state != "cancel" and m.picking_type_id.warehouse_id == warehouse
        )
        result = {}
        for move in moves:
            result[move.move_orig_ids.production_id] = (
                result.get(move.move_orig_ids.production_id, 0) + move.product_qty
            )
        return result

    def _fail_first_of_two(self, order):
        jobs = self._job(order).sorted("id")
        self.assertEqual(len(jobs), 2)
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        leases = {package["id"]: package["lease"] for package in Eu.station_claim(limit=2)}
        Eu.station_report_failure(jobs[0].id, "robot jammed", lease=leases[jobs[0].id])
        return jobs

    def test_a_reroute_moves_its_own_copies_when_the_line_grew(self):
        order = self._sell(self.customer_de, qty=2)
        order.order_line.product_uom_qty = 3  # a second manufacturing order, for the third copy
        first, second = self._job(order).sorted("id")
        first_mo, second_mo = first.production_id, second.production_id
        # the delivery ships the copies of both orders
        self.assertEqual(self._open_outgoing(order, self.wh_eu), {first_mo: 2.0, second_mo: 1.0})
        self._fail_first_of_two(order)
        new_mo = first.production_id
        self.assertEqual(
            (first.state, first.site_id, first.copies), ("queued", self.site_us, 2), self._notes(first)
        )
        self.assertEqual((new_mo.picking_type_id.warehouse_id, new_mo.product_qty), (self.wh_us, 2.0))
        self.assertEqual(first_mo.state, "cancel")
        # the second job's order stays in Eindhoven, which ships its copy
        self.assertEqual(
            (second.site_id, second.production_id, second_mo.state), (self.site_eu, second_mo, "confirmed")
        )
        self.assertEqual(self._open_outgoing(order, self.wh_eu), {second_mo: 1.0})
        self.assertEqual(self._open_outgoing(order, self.wh_us), {new_mo: 2.0})

    def test_a_reroute_orders_what_is_still_to_deliver_when_the_line_was_lowered(self):
        order = self._sell(self.customer_de, qty=2)
        order.order_line.product_uom_qty = 1  # the delivery ships one now; the MO still makes two
        job = self._job(order)
        old_mo = job.production_id
        self.assertEqual((job.copies, old_mo.product_qty), (2, 2.0))
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"])
        new_mo = job.production_id
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us), self._notes(job))
        self.assertEqual((old_mo.state, new_mo.picking_type_id.warehouse_id), ("cancel", self.wh_us))
        # one kit ordered, made and shipped: not the two the old order made
        self.assertEqual((new_mo.product_qty, job.copies), (1.0, 1))
        self.assertEqual(self._open_outgoing(order, self.wh_us), {new_mo: 1.0})
        self.assertFalse(self._open_outgoing(order, self.wh_eu))

    def test_a_failed_job_no_site_can_take_says_so(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        self.site_us.active = False  # the only other site
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "robot jammed", lease=package["lease"])
        self.assertEqual((job.state, job.site_id), ("failed", self.site_eu))
        self.assertIn("Not rerouted automatically", self._notes(job))
