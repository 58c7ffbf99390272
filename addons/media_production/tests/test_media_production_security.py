from contextlib import closing

import psycopg2.errors

from odoo import sql_db
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestMediaProductionGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="media_production.group_media_manager")
        self.assertTrue(manager.has_group("media_production.group_media_operator"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "t_user", groups="media_production.group_media_operator")
        self.assertFalse(user.has_group("media_production.group_media_manager"))

    def test_station_group_is_apart(self):
        station = new_test_user(self.env, "t_station", groups="media_production.group_media_station")
        self.assertFalse(station.has_group("media_production.group_media_operator"))

    def test_plain_employee_has_neither(self):
        employee = new_test_user(self.env, "t_employee", groups="base.group_user")
        self.assertFalse(employee.has_group("media_production.group_media_operator"))


@tagged("post_install", "-at_install")
class TestJobActionsAreForProductionStaff(MediaProductionCase):
    def test_only_production_staff_reroute_or_cancel_jobs(self):
        self.site_eu.auto_reroute = False
        job = self._job(self._sell(self.customer_de))
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        Eu.station_report_failure(job.id, "no blanks", lease=package["lease"])
        salesman = new_test_user(self.env, "t_action_salesman", groups="sales_team.group_sale_salesman")
        job.order_id.user_id = salesman  # the salesperson reads the order's job
        operator = new_test_user(
            self.env, "t_action_operator", groups="media_production.group_media_operator"
        )
        manager = new_test_user(self.env, "t_action_manager", groups="media_production.group_media_manager")
        for user in (salesman, self.station_eu):
            with self.subTest(user=user.login):
                self.assertEqual(job.with_user(user).state, "failed")  # they read it
                with self.assertRaises(AccessError):
                    job.with_user(user).action_reroute()
                with self.assertRaises(AccessError):
                    job.with_user(user).action_cancel()
        with self.assertRaises(AccessError):
            job.with_user(operator).action_cancel()  # cancelling is the managers'
        self.assertEqual((job.state, job.site_id), ("failed", self.site_eu))
        job.with_user(operator).action_reroute()
        self.assertEqual((job.state, job.site_id), ("queued", self.site_us))
        with self.assertRaisesRegex(UserError, "Only failed jobs"):
            job.with_user(operator).action_reroute()  # not silently nothing
        job.with_user(manager).action_cancel()
        self.assertEqual(job.state, "cancelled")
        self.assertIn(job.production_id.name, job.message_ids[0].body)  # its MO stays open: it says so

    def test_production_staff_edit_the_label_only(self):
        job = self._job(self._sell(self.customer_de, qty=2))
        Eu = self.env["media.production.job"].with_user(self.station_eu)
        [package] = Eu.station_claim()
        operator = new_test_user(self.env, "t_edit_operator", groups="media_production.group_media_operator")
        manager = new_test_user(self.env, "t_edit_manager", groups="media_production.group_media_manager")
        label = self.env["media.label.template"].create({"name": "Plain label"})
        forbidden = {
            "copies": 999,
            "media_type_id": False,
            "production_id": False,
            "sale_line_id": False,
            "product_id": self.kit.id,
            "company_id": self.env.company.id,
            "rerouted_from_ids": [Command.set([])],
            "failure_reason": "nothing",
            "station_log": "forged",
            "name": "MPJ/FAKE",
            "title": "Other",
            "state": "done",
            "lease_token": "mine",
        }
        for user in (operator, manager):
            for field, value in forbidden.items():
                with self.subTest(user=user.login, field=field), self.assertRaises(AccessError):
                    job.with_user(user).write({field: value})
            job.with_user(user).write({"label_template_id": label.id})
            job.with_user(user).message_post(body="Checked the blanks.")
        self.assertEqual((job.copies, job.state, job.name), (2, "claimed", job.name))
        self.assertEqual(job.label_template_id, label)
        # the station's honest report still finishes it
        self.assertEqual(self._success(job, package["lease"]), "done")


@tagged("post_install", "-at_install")
class TestRoutingLocksTheSitesItCounts(TransactionCase):
    def test_routing_locks_the_sites_with_a_capacity(self):
        # the demo sites, committed: another transaction that routes waits for this one
        sites = self.env["media.production.site"].search([("daily_capacity", ">", 0)])
        self.assertTrue(sites)
        self.env["media.routing.rule"]._route(
            self.env.ref("base.de"),
            self.env.ref("media_production.media_type_dvd"),
            self.env["product.product"],
        )
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:
            with self.assertRaises(psycopg2.errors.LockNotAvailable):
                other.execute(
                    "SELECT id FROM media_production_site WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                    [sites.ids],
                    log_exceptions=False,
                )

    def test_counting_alone_locks_nothing(self):
        sites = self.env["media.production.site"].search([("daily_capacity", ">", 0)])
        self.assertEqual(len(sites.mapped("today_job_count")), len(sites))  # the sites' form counts
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:
            other.execute(
                "SELECT id FROM media_production_site WHERE id = ANY(%s) FOR UPDATE NOWAIT", [sites.ids]
            )
            self.assertEqual(len(other.fetchall()), len(sites))
