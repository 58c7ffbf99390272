"""Journey: a site created with the wizard receives and completes a job over HTTP, with the
key the wizard showed; after a rotation the old key is refused and the new one works. Then
the order's trace page, for the people who may read it only."""

import json
from datetime import timedelta

from odoo import fields
from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from .common import MediaProductionCase
from .test_site_wizard import SiteWizardMixin


@tagged("post_install", "-at_install")
class TestSiteJourneyOverHttp(SiteWizardMixin, MediaProductionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, "t_journey_manager", groups="media_production.group_media_manager"
        )
        cls.customer_ca = cls.env["res.partner"].create(
            {"name": "Client Canada Inc.", "country_id": cls.env.ref("base.ca").id, "city": "Toronto"}
        )

    def _json2(self, method, key, **params):
        return self.url_open(
            f"/json/2/media.production.job/{method}",
            data=json.dumps(params),
            timeout=30,
            headers={
                "Authorization": f"bearer {key}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
        )

    def test_site_from_the_wizard_receives_and_completes_a_job(self):
        action = self._site_wizard(self.manager).action_apply()
        shown = self._shown_key(action, self.manager)
        key = shown["key"]
        site = self.env["media.production.site"].browse(shown["site_id"])
        # a confirmed kit order shipped to Canada goes to the new site, made in its warehouse
        order = self._sell(self.customer_ca, qty=2)
        job = self._job(order)
        self.assertEqual(job.site_id, site)
        self.assertEqual(job.production_id.picking_type_id.warehouse_id, site.warehouse_id)
        # the station protocol over JSON-2 with the shown key
        response = self._json2("station_claim", key, station="toronto-1", lease_seconds=300)
        self.assertEqual(response.status_code, 200, response.text)
        [package] = response.json()
        self.assertEqual((package["id"], package["copies"]), (job.id, 2))
        lease = package["lease"]
        for state in ("staging", "producing"):
            response = self._json2("station_progress", key, job_id=job.id, state=state, lease=lease)
            self.assertEqual(response.json(), state, response.text)
        self.assertEqual(self._json2("station_heartbeat", key, leases={str(job.id): lease}).status_code, 200)
        response = self._json2(
            "station_report_success",
            key,
            job_id=job.id,
            copies=2,
            lease=lease,
            checksums_verified=True,
            discs=self._discs(2, prefix="CA"),
            image_md5="d" * 32,
        )
        self.assertEqual(response.json(), "done", response.text)
        self.assertEqual((job.state, job.copies_done, job.claimed_by), ("done", 2, "toronto-1"))
        self.assertEqual(job.disc_ids.mapped("serial"), ["CA-1", "CA-2"])
        self.assertEqual(job.production_id.state, "done")
        self.assertTrue(site.heartbeat)
        delivery = job.delivery_id
        self.assertEqual(delivery.picking_type_id.warehouse_id, site.warehouse_id)
        self.assertEqual(delivery.state, "assigned")
        # rotated: the old key is refused, the new one works
        rotate = (
            self.env["media.production.site.key.wizard"].with_user(self.manager).create({"site_id": site.id})
        )
        new_key = self._shown_key(rotate.action_rotate(), self.manager)["key"]
        self.assertEqual(self._json2("station_claim", key).status_code, 401)
        response = self._json2("station_claim", new_key, station="toronto-1")
        self.assertEqual((response.status_code, response.json()), (200, []), response.text)
        # another site's key still works, and still sees none of this site's jobs
        eu_key = self.site_eu._station_issue_key(fields.Datetime.now() + timedelta(days=1))
        self.assertEqual(self._json2("station_package", eu_key, job_id=job.id).status_code, 403)


@tagged("post_install", "-at_install")
class TestOrderTracePage(MediaProductionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.salesman = new_test_user(env, "t_trace_salesman", groups="sales_team.group_sale_salesman")
        cls.other_salesman = new_test_user(env, "t_trace_other", groups="sales_team.group_sale_salesman")
        cls.operator = new_test_user(env, "t_trace_operator", groups="media_production.group_media_operator")
        cls.stock_user = new_test_user(env, "t_trace_stock", groups="stock.group_stock_user")
        cls.customer_portal = new_test_user(
            env, "t_trace_portal", groups="base.group_portal", partner_id=cls.customer_de.id
        )
        license_product = env["product.product"].create({"name": "CAD Studio seat", "type": "service"})
        cls.order = env["sale.order"].create(
            {
                "partner_id": cls.customer_de.id,
                "user_id": cls.salesman.id,
                "order_line": [
                    Command.create({"product_id": license_product.id}),
                    Command.create({"product_id": cls.kit.id, "product_uom_qty": 2}),
                ],
            }
        )
        cls.order.action_confirm()
        # a FlexNet license (known as such once the order is confirmed: no push is queued here)
        license_product.flexnet_kind = "license"
        # what the FlexNet push records on the order (its own tests cover the push)
        cls.order.flexnet_entitlement_ref = "ENT-TRACE-0001"
        cls.order.order_line[0].flexnet_activation_id = "ACT-TRACE-0001"

    def _complete(self):
        job = self._job(self.order)
        [package] = self.env["media.production.job"].with_user(self.station_eu).station_claim()
        self._success(
            job,
            package["lease"],
            discs=[
                {"serial": "EU-TRACE-1", "verified": True},
                {"serial": "EU-TRACE-2", "verified": True},
            ],
            image_md5="e" * 32,
        )
        return job

    def _page(self, login):
        self.authenticate(login, login)
        return self.url_open(f"/media_production/trace/{self.order.id}", allow_redirects=False)

    def test_salesperson_of_the_order_and_production_staff_read_the_whole_trace(self):
        job = self._complete()
        delivery = job.delivery_id
        has_carrier = "carrier_id" in delivery._fields
        if has_carrier:  # stock_delivery installed (by the shop's delivery methods)
            carrier = self.env["delivery.carrier"].create(
                {
                    "name": "Trace Express",
                    "product_id": self.env["product.product"]
                    .create({"name": "Trace shipping", "type": "service"})
                    .id,
                }
            )
            delivery.write({"carrier_id": carrier.id, "carrier_tracking_ref": "1Z-TRACE-42"})
        for login in ("t_trace_salesman", "t_trace_operator"):
            with self.subTest(login=login):
                response = self._page(login)
                self.assertEqual(response.status_code, 200, response.text[:500])
                page = response.text
                expected = [
                    self.order.name,
                    "ENT-TRACE-0001",
                    "ACT-TRACE-0001",
                    'class="o_trace_line_entitlement">ENT-TRACE-0001<',  # the license's entitlement
                    job.production_id.name,
                    job.name,
                    "Eindhoven",
                    *job.manifest_line_ids.mapped("md5"),
                    "EU-TRACE-1",
                    "EU-TRACE-2",
                    "e" * 32,
                    delivery.name,
                ]
                if has_carrier:
                    expected += ["Trace Express", "1Z-TRACE-42"]
                else:
                    expected += ["install Delivery"]
                for text in expected:
                    self.assertIn(text, page)
                self.assertIn("discs verified: 2", page)

    def test_carrier_and_tracking_reference(self):
        job = self._complete()
        if "carrier_id" not in job.delivery_id._fields:
            self.skipTest("Delivery (stock_delivery) is not installed: the page shows no carrier")
        job.delivery_id.carrier_tracking_ref = "1Z-ONLY-REF"
        page = self._page("t_trace_salesman").text
        self.assertIn("1Z-ONLY-REF", page)
        self.assertNotIn("install Delivery", page)

    def test_wrong_users_get_nothing(self):
        self._complete()
        # another salesperson (own orders only), a stock user, the customer's own portal user
        for login in ("t_trace_other", "t_trace_stock", "t_trace_portal"):
            with self.subTest(login=login):
                response = self._page(login)
                self.assertEqual(response.status_code, 404, response.text[:300])
                self.assertNotIn("EU-TRACE-1", response.text)
                self.assertNotIn("ENT-TRACE-0001", response.text)
        # a visitor is sent to the login page
        self.authenticate(None, None)
        response = self.url_open(f"/media_production/trace/{self.order.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        # an order that does not exist looks the same as one you may not read
        self.assertEqual(self._page("t_trace_salesman").status_code, 200)
        self.authenticate("t_trace_salesman", "t_trace_salesman")
        self.assertEqual(self.url_open("/media_production/trace/999999999").status_code, 404)
