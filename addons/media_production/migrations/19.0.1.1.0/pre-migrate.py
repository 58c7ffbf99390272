"""Production sites' capacity per day is applied by routing from 19.0.1.1.0.

Before, ``daily_capacity`` was shown but never applied, and new sites got 200. Sites still
at that old default (or at a negative value, which the new check refuses) get 0, "no
limit", so that routing behaves as before until someone sets the real capacity; a value
that someone chose applies from now on and is listed in the log.
"""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "UPDATE media_production_site SET daily_capacity = 0 "
        "WHERE daily_capacity IS NULL OR daily_capacity = 200 OR daily_capacity < 0"
    )
    cr.execute(
        "SELECT code, daily_capacity FROM media_production_site WHERE daily_capacity > 0 ORDER BY code"
    )
    for code, capacity in cr.fetchall():
        _logger.info(
            "production site %s: routing now applies its capacity of %s jobs per day", code, capacity
        )
