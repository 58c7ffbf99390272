"""A media kit sold, two production sites with their stations, released title files."""

from odoo.fields import Command
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class MediaProductionCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.ref("stock.route_warehouse0_mto").active = True
        cls.dvd = env.ref("media_production.media_type_dvd")
        cls.usb = env.ref("media_production.media_type_usb")
        blank = env["product.product"].create({"name": "Blank DVD-R", "type": "consu"})
        cls.kit = env["product.product"].create(
            {
                "name": "CAD Studio Media Kit",
                "default_code": "CADS-MEDIA-DVD",
                "type": "consu",
                "flexnet_kind": "media_kit",
                "flexnet_title": "CAD Studio",
                "media_type_id": cls.dvd.id,
                "route_ids": [
                    Command.set(
                        [
                            env.ref("stock.route_warehouse0_mto").id,
                            env.ref("mrp.route_warehouse0_manufacture").id,
                        ]
                    )
                ],
            }
        )
        env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.kit.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [Command.create({"product_id": blank.id, "product_qty": 1})],
            }
        )
        cls.station_eu = new_test_user(env, "station_eu", groups="media_production.group_media_station")
        cls.station_us = new_test_user(env, "station_us", groups="media_production.group_media_station")
        Site = env["media.production.site"]
        Site.search([]).active = False  # sites of demo data do not take part
        env["media.routing.rule"].search([]).active = False
        cls.site_us = Site.create(
            {
                "name": "Denver",
                "code": "T-US",
                "is_default": True,
                "media_type_ids": [Command.set([cls.dvd.id, cls.usb.id])],
                "station_user_id": cls.station_us.id,
                "sequence": 20,
            }
        )
        cls.site_eu = Site.create(
            {
                "name": "Eindhoven",
                "code": "T-EU",
                "media_type_ids": [Command.set(cls.dvd.ids)],
                "station_user_id": cls.station_eu.id,
                "sequence": 10,
            }
        )
        env["media.routing.rule"].create(
            {
                "site_id": cls.site_eu.id,
                "country_ids": [
                    Command.set((env.ref("base.de") | env.ref("base.nl") | env.ref("base.uk")).ids)
                ],
            }
        )
        Files = env["media.title.file"]
        cls.setup_v1 = Files.create(
            {
                "title": "CAD Studio",
                "name": "setup/cadstudio.exe",
                "version": "2025.1",
                "size": 1024,
                "md5": "0" * 32,
                "url": "https://files.example.com/1",
            }
        )
        cls.readme = Files.create(
            {
                "title": "CAD Studio",
                "name": "README.txt",
                "version": "2025.1",
                "size": 10,
                "md5": "a" * 32,
                "url": "https://files.example.com/2",
            }
        )
        (cls.setup_v1 | cls.readme).action_release()
        cls.customer_de = env["res.partner"].create(
            {"name": "Kunde GmbH", "country_id": env.ref("base.de").id}
        )
        cls.customer_br = env["res.partner"].create(
            {"name": "Cliente Ltda", "country_id": env.ref("base.br").id}
        )

    def _sell(self, partner, qty=1):
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [Command.create({"product_id": self.kit.id, "product_uom_qty": qty})],
            }
        )
        order.action_confirm()
        return order

    def _job(self, order):
        return self.env["media.production.job"].search([("order_id", "=", order.id)])

    @staticmethod
    def _discs(copies, prefix="SN", verified=True):
        """What a station reports of the copies it produced: one disc per copy."""
        return [{"serial": f"{prefix}-{n}", "verified": verified} for n in range(1, copies + 1)]

    def _success(self, job, lease, copies=None, **report):
        """A station's complete success report on ``job`` (verified checksums and discs)."""
        copies = job.copies if copies is None else copies
        report.setdefault("checksums_verified", True)
        report.setdefault("discs", self._discs(copies))
        report.setdefault("image_md5", "c" * 32)
        return (
            self.env["media.production.job"]
            .with_user(job.site_id.station_user_id)
            .station_report_success(job.id, copies, lease=lease, **report)
        )
