"""The upgrade to 19.0.1.5.0: a sale line renewing an entitlement line keeps the end of the
maintenance it renews from, filled for the lines of an existing database."""

from datetime import date

from odoo import Command
from odoo.tests import TransactionCase, tagged
from odoo.tools.sql import column_exists

from .migration import migration_script


def _pre_migrate():
    return migration_script("flexnet_sync", "19.0.1.5.0", "pre")


@tagged("post_install", "-at_install")
class TestUpgradeTo150(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        backend = cls.env["flexnet.backend"].create({"name": "Site", "url": "https://fno.example.com"})
        account = cls.env["res.partner"].create({"name": "Account", "is_company": True})
        entitlement = cls.env["flexnet.entitlement"].create(
            {"name": "ENT-1", "backend_id": backend.id, "partner_id": account.id}
        )
        cls.line = cls.env["flexnet.entitlement.line"].create(
            {
                "activation_id": "ACT-1",
                "backend_id": backend.id,
                "entitlement_id": entitlement.id,
                "partner_id": account.id,
                "maintenance_end": date(2027, 3, 31),
            }
        )
        product = cls.env["product.product"].create({"name": "Maintenance", "type": "service"})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": account.id,
                "order_line": [
                    Command.create({"product_id": product.id, "flexnet_parent_line_id": cls.line.id}),
                    Command.create({"product_id": product.id}),
                ],
            }
        )
        cls.env.flush_all()

    def _values(self):
        self.env.cr.execute(
            "SELECT flexnet_renews_from FROM sale_order_line WHERE order_id = %s ORDER BY id", [self.order.id]
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_the_renewed_end_is_kept_when_chosen(self):
        self.assertEqual(self._values(), [date(2027, 3, 31), None])
        # a snapshot: the renewed line's maintenance moving on does not change it
        self.line.maintenance_end = date(2028, 3, 31)
        self.env.flush_all()
        self.assertEqual(self._values(), [date(2027, 3, 31), None])

    def test_from_a_version_without_the_column(self):
        self.env.cr.execute("ALTER TABLE sale_order_line DROP COLUMN flexnet_renews_from")
        _pre_migrate().migrate(self.env.cr, "19.0.1.4.0")
        self.assertTrue(column_exists(self.env.cr, "sale_order_line", "flexnet_renews_from"))
        self.assertEqual(self._values(), [date(2027, 3, 31), None])

    def test_a_new_installation_changes_nothing(self):
        self.env.cr.execute("ALTER TABLE sale_order_line DROP COLUMN flexnet_renews_from")
        _pre_migrate().migrate(self.env.cr, None)
        self.assertFalse(column_exists(self.env.cr, "sale_order_line", "flexnet_renews_from"))
