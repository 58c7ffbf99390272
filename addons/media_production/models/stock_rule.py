from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _make_mo_get_domain(self, procurement, bom):
        """A media kit sold gets a manufacturing order of its own for each procurement: each
        is one production job (its copies, its site), so no open order is enlarged instead."""
        domain = super()._make_mo_get_domain(procurement, bom)
        if procurement.values.get("sale_line_id") and procurement.product_id.flexnet_kind == "media_kit":
            domain += (("id", "=", False),)
        return domain
