from odoo import api, fields, models
from odoo.exceptions import UserError

from .res_partner import ACCOUNT_TYPES


class FlexnetAccountType(models.Model):
    """A FlexNet account type (customer, channel partner, ...) as a record.

    FlexNet gives every account one of a fixed set of types (``res.partner``'s
    ``flexnet_account_type``); one record per type lets other addons attach settings to a
    type and let rules or campaigns target several types. Addons extend this model with
    what they need per type."""

    _name = "flexnet.account.type"
    _description = "FlexNet Account Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(ACCOUNT_TYPES, required=True, help="FlexNet's value, e.g. CHANNEL_PARTNER.")
    sequence = fields.Integer(default=10)

    _code_unique = models.Constraint("UNIQUE(code)", "Each FlexNet account type exists once.")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_flexnet_type(self):
        # the types are FlexNet's fixed set, and products, prices and campaigns name them: a
        # deleted type would silently open products limited to it to every account type
        if self:
            raise UserError(
                self.env._(
                    "FlexNet account types are FlexNet's own and cannot be deleted "
                    "(%(types)s); rename them if their names do not suit you.",
                    types=", ".join(self.mapped("name")),
                )
            )
