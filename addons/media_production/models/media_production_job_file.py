from odoo import fields, models


class MediaProductionJobFile(models.Model):
    """One file of a job's frozen manifest."""

    _name = "media.production.job.file"
    _description = "Media Production Job File"
    _order = "path"

    job_id = fields.Many2one("media.production.job", required=True, ondelete="cascade", index=True)
    sale_line_id = fields.Many2one(related="job_id.sale_line_id")
    production_id = fields.Many2one(related="job_id.production_id")
    job_state = fields.Selection(related="job_id.state", string="Job state")
    site_id = fields.Many2one(related="job_id.site_id")
    delivery_id = fields.Many2one(related="job_id.delivery_id")
    image_md5 = fields.Char(related="job_id.image_md5")
    file_id = fields.Many2one("media.title.file", readonly=True)
    path = fields.Char(required=True)
    version = fields.Char()
    size = fields.Integer()
    md5 = fields.Char(required=True)
    url = fields.Char(required=True)
