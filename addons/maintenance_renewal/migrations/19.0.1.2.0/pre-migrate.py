"""The maintenance grace moves to flexnet_sync (19.0.1.2.0): one definition of past due.

flexnet_sync, updated first, added ``res_company.maintenance_grace_days`` (30); each company
keeps the grace it had in ``renewal_grace_days``, whose column goes at the end of the update.
"""

from odoo.tools import sql


def migrate(cr, version):
    if not version or not sql.column_exists(cr, "res_company", "renewal_grace_days"):
        return
    if not sql.column_exists(cr, "res_company", "maintenance_grace_days"):
        cr.execute("ALTER TABLE res_company ADD COLUMN maintenance_grace_days integer")
    cr.execute(
        "UPDATE res_company SET maintenance_grace_days = renewal_grace_days WHERE renewal_grace_days IS NOT NULL"
    )
