"""The shop's account types are flexnet_sync's ``flexnet.account.type`` (19.0.1.1.0).

The products' "account types allowed" move to the new relation (same codes); the old
model's table, relation and record ids go.
"""

from odoo.tools import sql

from odoo.addons.flexnet_sync.upgrade import copy_account_type_relation, drop_account_type_model

OLD_TABLE = "flexnet_store_account_type"
OLD_RELATION = "flexnet_store_account_type_product_template_rel"


def migrate(cr, version):
    if not version or not sql.table_exists(cr, OLD_TABLE):
        return
    if sql.table_exists(cr, OLD_RELATION):
        copy_account_type_relation(
            cr,
            OLD_TABLE,
            OLD_RELATION,
            ("product_template_id", "flexnet_store_account_type_id"),
            "flexnet_account_type_product_template_rel",
            ("product_template_id", "flexnet_account_type_id"),
        )
    drop_account_type_model(cr, OLD_TABLE, "flexnet.store.account.type", relations=[OLD_RELATION])
