from odoo import api, models

from .product_template import clear_gating_cache


class FlexnetEntitledProduct(models.Model):
    _inherit = "flexnet.entitled.product"

    @api.model_create_multi
    def create(self, vals_list):
        clear_gating_cache(self.env)
        return super().create(vals_list)

    def write(self, vals):
        clear_gating_cache(self.env)
        return super().write(vals)

    def unlink(self):
        clear_gating_cache(self.env)
        return super().unlink()

    def _refresh(self, partner_ids):
        clear_gating_cache(self.env)
        return super()._refresh(partner_ids)
