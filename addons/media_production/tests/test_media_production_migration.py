"""The upgrade to 19.0.1.2.0 fills in what sites and jobs that existed before lack."""

from odoo.tests import tagged

from odoo.addons.flexnet_sync.tests.migration import migration_script

from .common import MediaProductionCase


def _post_migrate():
    return migration_script("media_production", "19.0.1.2.0", "post")


@tagged("post_install", "-at_install")
class TestUpgrade(MediaProductionCase):
    def test_existing_sites_and_jobs_get_their_time_zone_station_protocol_and_routing_date(self):
        routed = self._job(self._sell(self.customer_de))
        cancelled = self._job(self._sell(self.customer_de))
        cancelled.action_cancel()
        self.env.company.partner_id.tz = "Asia/Tokyo"
        plant = self.env["stock.warehouse"].create(
            {
                "name": "Denver upgrade plant",
                "code": "TUPG",
                "partner_id": self.env["res.partner"]
                .create({"name": "Denver plant", "tz": "America/Denver"})
                .id,
            }
        )
        self.site_us.warehouse_id = plant
        (self.site_eu | self.site_us).tz = "UTC"  # what the upgrade gave every site
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE media_production_job SET routed_at = NULL WHERE id = ANY(%s)", [(routed | cancelled).ids]
        )
        _post_migrate().migrate(self.env.cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(routed.routed_at, routed.create_date)  # it counts on the day it was made
        self.assertFalse(cancelled.routed_at)
        self.assertEqual((self.site_eu.tz, self.site_us.tz), ("Asia/Tokyo", "America/Denver"))
        self.assertEqual((self.site_eu | self.site_us).mapped("station_reports_discs"), [False, False])
        # a new installation changes nothing
        self.site_eu.station_reports_discs = True
        self.env.flush_all()
        _post_migrate().migrate(self.env.cr, None)
        self.env.invalidate_all()
        self.assertTrue(self.site_eu.station_reports_discs)
