"""What 19.0.1.1.0 and 19.0.1.2.0 add is filled in for the sites and jobs that existed before.

- Sites: their station predates disc reports (``station_reports_discs`` off): its success
  reports without discs stay accepted, the copies recorded as not verified, until the
  station, upgraded after the server, sends its first report with discs.
- Sites: their time zone (for the capacity per day) is their warehouse's address's, else
  their company's, rather than one value for all.
- Jobs: a job not cancelled was routed when it was created (``routed_at``), so that the
  jobs of the upgrade day count in their site's capacity.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE media_production_site SET station_reports_discs = FALSE")
    cr.execute(
        """
        UPDATE media_production_site site
           SET tz = COALESCE(
                   (SELECT NULLIF(partner.tz, '')
                      FROM stock_warehouse warehouse
                      JOIN res_partner partner ON partner.id = warehouse.partner_id
                     WHERE warehouse.id = site.warehouse_id),
                   (SELECT NULLIF(partner.tz, '')
                      FROM res_company company
                      JOIN res_partner partner ON partner.id = company.partner_id
                     WHERE company.id = site.company_id),
                   site.tz
               )
        """
    )
    cr.execute(
        """
        UPDATE media_production_job
           SET routed_at = create_date
         WHERE routed_at IS NULL AND site_id IS NOT NULL AND state != 'cancelled'
        """
    )
    _logger.info("media production: %s jobs get their creation as routing date", cr.rowcount)
