"""An archived production site no longer grants its vendors access (19.0.1.1.0).

Before, vendor access ignored whether a site was active, and archiving a site did not
refresh it: a database upgraded from 19.0.1.0.0 may hold access rows that only archived
sites grant. Make the vendor-access table exact once, now, rather than at the next nightly
check.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mrp.bom"]._refresh_vendor_access()
    _logger.info("vendor access recomputed: archived production sites grant none")
