"""From 19.0.1.5.0 a sale line that renews an entitlement line keeps the end of that line's
maintenance when it was chosen (``flexnet_renews_from``), so that a push finding the maintenance
already extended in FlexNet (renewed meanwhile by another order) stops instead of extending it
twice. The column is made here and filled with the renewed line's current end for every line that
renews one, in one statement, rather than by the ORM computing it line by line on a large table."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version or column_exists(cr, "sale_order_line", "flexnet_renews_from"):
        return
    create_column(cr, "sale_order_line", "flexnet_renews_from", "date")
    cr.execute(
        SQL(
            """UPDATE sale_order_line sol
                  SET flexnet_renews_from = parent.maintenance_end
                 FROM flexnet_entitlement_line parent
                WHERE parent.id = sol.flexnet_parent_line_id AND parent.maintenance_end IS NOT NULL"""
        )
    )
