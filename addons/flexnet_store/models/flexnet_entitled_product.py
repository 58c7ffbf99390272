from odoo import api, models

from .product_template import clear_gating_cache


class FlexnetEntitledProduct(models.Model):
    _inherit = "flexnet.entitled.product"

    @api.model
    def _sources_changed(self):
        clear_gating_cache(self.env)
        return super()._sources_changed()
