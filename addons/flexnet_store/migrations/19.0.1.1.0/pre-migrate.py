"""The shop's account types are flexnet_sync's ``flexnet.account.type`` (19.0.1.1.0).

Before the models load, the account-type terms point at the new records (same code), so
that their foreign key can follow. See post-migrate for the products' rules.
"""

from odoo.tools import sql

from odoo.addons.flexnet_sync.upgrade import repoint_account_type_column

OLD_TABLE = "flexnet_store_account_type"


def migrate(cr, version):
    if not version or not sql.table_exists(cr, OLD_TABLE):
        return
    repoint_account_type_column(cr, OLD_TABLE, "flexnet_store_account_term", "account_type_id")
