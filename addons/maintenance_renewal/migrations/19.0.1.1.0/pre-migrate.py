"""Campaigns target flexnet_sync's ``flexnet.account.type`` (19.0.1.1.0).

Before the models load, the campaigns' account types point at the new records (same
code) in the same relation, and the old model's table and record ids go.
"""

from odoo.tools import sql

from odoo.addons.flexnet_sync.upgrade import drop_account_type_model, repoint_account_type_column

OLD_TABLE = "maintenance_renewal_account_type"


def migrate(cr, version):
    if not version or not sql.table_exists(cr, OLD_TABLE):
        return
    repoint_account_type_column(
        cr, OLD_TABLE, "maintenance_renewal_campaign_account_type_rel", "account_type_id"
    )
    drop_account_type_model(cr, OLD_TABLE, "maintenance.renewal.account.type")
