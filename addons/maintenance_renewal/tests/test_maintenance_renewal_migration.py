"""The upgrade to 19.0.1.2.0: the maintenance grace moves to flexnet_sync's company setting
and each company keeps the grace it had."""

from odoo.tests import TransactionCase, tagged

from odoo.addons.flexnet_sync.tests.migration import migration_script


def _pre_migrate():
    return migration_script("maintenance_renewal", "19.0.1.2.0", "pre")


@tagged("post_install", "-at_install")
class TestUpgradeTo120(TransactionCase):
    def _graces(self):
        self.env.cr.execute("SELECT id, maintenance_grace_days FROM res_company ORDER BY id")
        return dict(self.env.cr.fetchall())

    def test_each_company_keeps_its_grace(self):
        other = self.env["res.company"].create({"name": "Renewals Elsewhere"})
        self.env.flush_all()
        # the column of the earlier version, with the graces the companies had
        self.env.cr.execute("ALTER TABLE res_company ADD COLUMN renewal_grace_days integer")
        self.env.cr.execute("UPDATE res_company SET renewal_grace_days = 45")
        self.env.cr.execute("UPDATE res_company SET renewal_grace_days = 7 WHERE id = %s", [other.id])
        _pre_migrate().migrate(self.env.cr, "19.0.1.1.0")
        graces = self._graces()
        self.assertEqual(graces[other.id], 7)
        self.assertEqual(graces[self.env.company.id], 45)

    def test_a_new_install_changes_nothing(self):
        before = self._graces()
        _pre_migrate().migrate(self.env.cr, None)  # no column of the earlier version either
        _pre_migrate().migrate(self.env.cr, "19.0.1.1.0")
        self.assertEqual(self._graces(), before)
