from odoo import fields, models

from .product_template import clear_gating_cache


class FlexnetStoreAccountType(models.Model):
    """A FlexNet account type (customer, channel partner, ...) as a record for rules."""

    _name = "flexnet.store.account.type"
    _description = "FlexNet Account Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="FlexNet's value, e.g. CHANNEL_PARTNER.")
    sequence = fields.Integer(default=10)

    _code_unique = models.Constraint("UNIQUE(code)", "Each FlexNet account type exists once.")

    def write(self, vals):
        if "code" in vals:
            clear_gating_cache(self.env)
        return super().write(vals)

    def unlink(self):
        # products limited to these types lose them (ON DELETE CASCADE of the relation)
        clear_gating_cache(self.env)
        return super().unlink()
