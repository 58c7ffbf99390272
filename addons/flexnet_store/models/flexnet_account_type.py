from odoo import models

from .product_template import clear_gating_cache


class FlexnetAccountType(models.Model):
    _inherit = "flexnet.account.type"

    def write(self, vals):
        if "code" in vals:  # templates name the types they are open to
            clear_gating_cache(self.env)
        return super().write(vals)

    def unlink(self):
        # products limited to these types lose them (ON DELETE CASCADE of the relation)
        clear_gating_cache(self.env)
        return super().unlink()
