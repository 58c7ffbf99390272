"""The upgrade to 19.0.1.4.0: backends that existed before keep reconciliation off unless
someone switched it on, whatever version the database comes from."""

from odoo.tests import TransactionCase, tagged
from odoo.tools.sql import column_exists

from .migration import migration_script


def _pre_migrate():
    return migration_script("flexnet_sync", "19.0.1.4.0", "pre")


@tagged("post_install", "-at_install")
class TestUpgradeTo140(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backends = cls.env["flexnet.backend"].create(
            [{"name": f"Site {n}", "url": f"https://fno{n}.example.com"} for n in range(2)]
        )
        cls.env.flush_all()

    def _settings(self):
        self.env.cr.execute(
            "SELECT reconcile_full_runs FROM flexnet_backend WHERE id = ANY(%s) ORDER BY id",
            [self.backends.ids],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_from_a_version_without_the_setting(self):
        # 19.0.1.2.0 (and the first 19.0.1.3.0) had no reconcile_full_runs column
        self.env.cr.execute("ALTER TABLE flexnet_backend DROP COLUMN reconcile_full_runs")
        _pre_migrate().migrate(self.env.cr, "19.0.1.2.0")
        self.assertTrue(column_exists(self.env.cr, "flexnet_backend", "reconcile_full_runs"))
        # filled, not left NULL for the module's load to fill with the new default (on)
        self.assertEqual(self._settings(), [False, False])

    def test_from_a_version_with_the_setting(self):
        # 19.0.1.3.0: off by default (NULL), on where someone switched it on
        self.env.cr.execute(
            "UPDATE flexnet_backend SET reconcile_full_runs = (id = %s) WHERE id = ANY(%s)",
            [self.backends[1].id, self.backends.ids],
        )
        self.env.cr.execute(
            "UPDATE flexnet_backend SET reconcile_full_runs = NULL WHERE id = %s", [self.backends[0].id]
        )
        _pre_migrate().migrate(self.env.cr, "19.0.1.3.0")
        self.assertEqual(self._settings(), [False, True])

    def test_a_new_installation_changes_nothing(self):
        _pre_migrate().migrate(self.env.cr, None)
        self.assertEqual(self._settings(), [True, True])
