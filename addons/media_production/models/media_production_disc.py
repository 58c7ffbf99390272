from odoo import fields, models


class MediaProductionDisc(models.Model):
    """One copy a station produced for a job: its serial and whether it was verified against
    the burned image. Recorded by the station's success report only."""

    _name = "media.production.disc"
    _description = "Produced Media Disc"
    _order = "job_id, sequence, id"
    _rec_name = "serial"

    job_id = fields.Many2one(
        "media.production.job", required=True, readonly=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer("Copy", readonly=True, help="Which copy of the job this is (1, 2, ...).")
    serial = fields.Char(readonly=True)
    verified = fields.Boolean(
        readonly=True, help="The station read the disc back and it matched the image's checksum."
    )
    order_id = fields.Many2one(related="job_id.order_id", store=True, index="btree_not_null")
    company_id = fields.Many2one(related="job_id.company_id", store=True)
    site_id = fields.Many2one(related="job_id.site_id")
    product_id = fields.Many2one(related="job_id.product_id")
    image_md5 = fields.Char(related="job_id.image_md5")
