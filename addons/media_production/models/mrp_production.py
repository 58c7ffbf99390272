from odoo import api, models


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    @api.model_create_multi
    def create(self, vals_list):
        productions = super().create(vals_list)
        kits = productions.filtered(lambda p: p.sale_line_id and p.product_id.flexnet_kind == "media_kit")
        # a job moved to another warehouse takes the manufacturing order made there for it
        Job = self.env["media.production.job"].sudo()
        moved = Job.browse(self.env.context.get("media_production_job_id")).exists()
        if moved:
            replacement = kits.filtered(lambda p: p.sale_line_id == moved.sale_line_id)[:1]
            if replacement:
                moved.production_id = replacement
                kits -= replacement
                copies = int(replacement.product_qty)
                if copies != moved.copies:
                    moved.message_post(
                        body=self.env._(
                            "Manufacturing order %(mo)s makes %(new)s cop(ies), not %(old)s: the job "
                            "produces %(new)s now.",
                            mo=replacement.name,
                            new=copies,
                            old=moved.copies,
                        )
                    )
                    moved.copies = copies
        if kits:
            jobs = Job.create(
                [
                    {
                        "production_id": production.id,
                        "sale_line_id": production.sale_line_id.id,
                        "company_id": production.company_id.id,
                        "product_id": production.product_id.id,
                        "title": production.product_id.flexnet_title,
                        "media_type_id": production.product_id.media_type_id.id,
                        "copies": int(production.product_qty),
                    }
                    for production in kits
                ]
            )
            jobs._route()
        return productions
