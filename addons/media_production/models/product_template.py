from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    media_type_id = fields.Many2one(
        "media.type", "Media type", help="For media kits: what the kit is made of."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # kits synchronised from FlexNet: the media type from the part number's suffix
            if vals.get("flexnet_kind") == "media_kit" and not vals.get("media_type_id"):
                media_type = self.env["media.type"]._from_part_number(vals.get("default_code"))
                if media_type:
                    vals["media_type_id"] = media_type.id
        templates = super().create(vals_list)
        templates._media_prepare_production()
        return templates

    def write(self, vals):
        res = super().write(vals)
        if "media_type_id" in vals or vals.get("flexnet_kind") == "media_kit":
            self._media_prepare_production()
        return res

    def _media_prepare_production(self):
        """Media kits are made to order: MTO + Manufacture routes, and a bill of materials
        from the media type's components when the kit has none."""
        kits = self.filtered(lambda t: t.flexnet_kind == "media_kit" and t.media_type_id)
        if not kits:
            return
        routes = self.env["stock.route"]
        for xmlid in ("stock.route_warehouse0_mto", "mrp.route_warehouse0_manufacture"):
            route = self.env.ref(xmlid, raise_if_not_found=False)
            if route:
                routes |= route.sudo()
        Bom = self.env["mrp.bom"].sudo()
        with_bom = set(Bom.search([("product_tmpl_id", "in", kits.ids)]).product_tmpl_id.ids)
        bom_vals = []
        for kit in kits.filtered(lambda k: k.id not in with_bom and k.media_type_id.component_ids):
            bom_vals.append(
                {
                    "product_tmpl_id": kit.id,
                    "product_qty": 1.0,
                    "company_id": kit.company_id.id,
                    "bom_line_ids": [
                        fields.Command.create({"product_id": c.product_id.id, "product_qty": c.product_qty})
                        for c in kit.media_type_id.component_ids
                    ],
                }
            )
            with_bom.add(kit.id)
        if bom_vals:
            Bom.create(bom_vals)
        # made to order only when there is something to make it from: a kit without a bill
        # of materials stays as it is (sold from stock, or not produced here)
        targets = kits.filtered(lambda k: k.id in with_bom)
        if targets:
            routes.filtered(lambda r: not r.active).write({"active": True})  # MTO ships archived
        for kit in targets:
            missing = routes - kit.route_ids
            if missing:
                kit.sudo().route_ids = [fields.Command.link(r.id) for r in missing]
