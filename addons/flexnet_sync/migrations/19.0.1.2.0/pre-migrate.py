"""flexnet.entitled.product became a SQL view over the entitlement lines: its table goes,
the view is created when the module loads."""

from odoo.tools import SQL
from odoo.tools.sql import TableKind, table_kind


def migrate(cr, version):
    if table_kind(cr, "flexnet_entitled_product") == TableKind.Regular:
        cr.execute(SQL("DROP TABLE flexnet_entitled_product CASCADE"))
    # the table's unique and foreign-key constraints went with it
    cr.execute(
        SQL(
            """
            WITH gone AS (
                DELETE FROM ir_model_constraint c
                 USING ir_model m
                 WHERE m.id = c.model AND m.model = 'flexnet.entitled.product'
             RETURNING c.id
            )
            DELETE FROM ir_model_data d
             USING gone
             WHERE d.model = 'ir.model.constraint' AND d.res_id = gone.id
            """
        )
    )
