import base64
import hashlib

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError

from ..tools import STATION_GROUP, manifest_md5

SERVED_PATH = "/media_production/files/%s"


class MediaTitleFile(models.Model):
    """A file of a software title that goes on its media, in one version."""

    _name = "media.title.file"
    _description = "Software Title File"
    _order = "title, name, release_date desc, id desc"

    title = fields.Char(
        "Software title", required=True, index=True, help="FlexNet product name of the title."
    )
    name = fields.Char("Path on the media", required=True, help="e.g. setup/CADStudio-2025.exe")
    version = fields.Char(required=True)
    size = fields.Integer("Size (bytes)", required=True)
    md5 = fields.Char("MD5", required=True)
    url = fields.Char(
        "Download URL",
        required=True,
        help="Where stations fetch it with their API key: FlexNet's download URL for synced "
        "versions, this Odoo for uploaded files.",
    )
    file = fields.Binary(
        "Uploaded file", attachment=True, copy=False, help="Upload a file Odoo serves to the stations itself."
    )
    file_name = fields.Char()
    state = fields.Selection(
        [("draft", "Draft"), ("released", "Released"), ("superseded", "Superseded")],
        default="draft",
        required=True,
    )
    release_date = fields.Datetime(readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        uploaded = []
        for index, vals in enumerate(vals_list):
            if vals.get("file"):
                vals.update(self._upload_facts(vals["file"]))
                vals.setdefault("url", "/")  # replaced by this Odoo's address once the record exists
                uploaded.append(index)
        records = super().create(vals_list)
        for index in uploaded:
            records[index]._set_served_url()
        return records

    def write(self, vals):
        if vals.get("file"):
            if self.filtered(lambda f: f.state != "draft"):
                raise UserError(self.env._("A released file does not change; upload a new version instead."))
            vals.update(self._upload_facts(vals["file"]))
        res = super().write(vals)
        if vals.get("file"):
            for record in self:
                record._set_served_url()
        return res

    @api.onchange("file")
    def _onchange_file(self):
        if self.file and not self.env.context.get("bin_size"):
            try:
                self.update(self._upload_facts(self.file))
            except (ValueError, TypeError):
                return
            self.url = self.url or "/"

    @api.model
    def _upload_facts(self, value):
        raw = base64.b64decode(value)
        return {"size": len(raw), "md5": hashlib.md5(raw, usedforsecurity=False).hexdigest()}

    def _set_served_url(self):
        self.ensure_one()
        return super().write({"url": self.get_base_url() + SERVED_PATH % self.id})

    @api.constrains("md5", "name")
    def _check_file(self):
        for record in self:
            if not manifest_md5(record.md5):
                raise ValidationError(self.env._("%s: the MD5 must be 32 hexadecimal digits.", record.name))
            parts = (record.name or "").replace("\\", "/").split("/")
            if record.name.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise ValidationError(self.env._("%s: the path must be relative, without '..'.", record.name))

    def action_release(self):
        """Release these versions; the previously released version of each path is superseded
        and queued jobs of the title get the new manifest."""
        for record in self:
            older = self.search(
                [
                    ("title", "=", record.title),
                    ("name", "=", record.name),
                    ("state", "=", "released"),
                    ("id", "!=", record.id),
                ]
            )
            older.state = "superseded"
            record.write({"state": "released", "release_date": fields.Datetime.now()})
        self.env["media.production.job"].search(
            [("title", "in", self.mapped("title")), ("state", "=", "queued")]
        )._refresh_manifest()
        return True

    @api.model
    def _for_station(self, file_id):
        """The uploaded file ``file_id`` (as superuser) for the calling station user: only the
        station of a site with a job that lists the file gets it. AccessError for a user who
        is no station; MissingError when no job of the station's sites lists the file or the
        file was not uploaded here."""
        if not self.env.user.has_group(STATION_GROUP):
            raise AccessError(self.env._("Only production stations download title files."))
        listed = (
            self.env["media.production.job.file"]
            .sudo()
            .search_count(
                [("file_id", "=", file_id), ("job_id.site_id.station_user_id", "=", self.env.uid)], limit=1
            )
        )
        title_file = self.sudo().browse(file_id)
        if not listed or not title_file.with_context(bin_size=True).file:
            raise MissingError(self.env._("No job of this station lists file %s.", file_id))
        return title_file

    @api.model
    def _latest_released(self, title):
        files = self.search(
            [("title", "=", title), ("state", "=", "released")], order="release_date desc, id desc"
        )
        latest = {}
        for record in files:
            latest.setdefault(record.name, record)
        return self.browse([r.id for r in latest.values()]).sorted("name")
