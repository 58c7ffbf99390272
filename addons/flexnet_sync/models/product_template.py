from odoo import fields, models

FLEXNET_KINDS = [
    ("license", "License"),
    ("addon", "Add-on"),
    ("seats", "Extra seats"),
    ("maintenance", "Maintenance"),
    ("media_kit", "Media kit"),
]
# kinds that become entitlements in FlexNet when sold
PUSHED_KINDS = ("license", "addon", "seats", "maintenance")


class ProductTemplate(models.Model):
    _inherit = "product.template"

    flexnet_backend_id = fields.Many2one(
        "flexnet.backend", "FlexNet backend", index="btree_not_null", copy=False
    )
    flexnet_kind = fields.Selection(FLEXNET_KINDS, "FlexNet kind", index="btree_not_null")
    flexnet_product_name = fields.Char("FlexNet product", copy=False)
    flexnet_product_version = fields.Char("FlexNet version", copy=False)
    flexnet_title = fields.Char(
        "Software title",
        index="btree_not_null",
        help="The software title this add-on, seat pack, maintenance or "
        "media kit belongs to (the FlexNet product name of its license).",
    )
    flexnet_title_tmpl_id = fields.Many2one(
        "product.template",
        "Title license product",
        compute="_compute_flexnet_title_tmpl_id",
        help="The license product of the software title.",
    )
    flexnet_esd_item = fields.Char(
        "ESD item (partner product ID)",
        index="btree_not_null",
        copy=False,
        help="Media kit: the partner product ID of the downloadable item this kit carries, as "
        "FlexNet's download page names it in its 'purchase media kit' link (one kit per item). "
        "Kept from the FlexNet product's EsdItem attribute when FlexNet carries one.",
    )
    flexnet_esd_item_synced = fields.Boolean(
        "ESD item from FlexNet",
        copy=False,
        help="The ESD item comes from FlexNet and is overwritten by each synchronisation.",
    )
    flexnet_term_months = fields.Integer(
        "Term (months)",
        help="Length of the entitlement or maintenance pushed to FlexNet when sold; 0 for a permanent license.",
    )

    def write(self, vals):
        res = super().write(vals)
        if "flexnet_product_name" in vals:  # the names flexnet.entitled.product shows
            self.env["flexnet.entitled.product"]._sources_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["flexnet.entitled.product"]._sources_changed()
        return res

    def _compute_flexnet_title_tmpl_id(self):
        titles = set(self.mapped("flexnet_title"))
        licenses = self.search(
            [("flexnet_kind", "=", "license"), ("flexnet_product_name", "in", list(titles))]
        )
        by_title = {t.flexnet_product_name: t for t in licenses}
        for template in self:
            template.flexnet_title_tmpl_id = (
                by_title.get(template.flexnet_title) if template.flexnet_kind != "license" else template
            )
