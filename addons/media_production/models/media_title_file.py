from odoo import api, fields, models
from odoo.exceptions import ValidationError


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
    url = fields.Char("Download URL", required=True, help="Where stations fetch it (with their API key).")
    state = fields.Selection(
        [("draft", "Draft"), ("released", "Released"), ("superseded", "Superseded")],
        default="draft",
        required=True,
    )
    release_date = fields.Datetime(readonly=True)

    @api.constrains("md5", "name")
    def _check_file(self):
        for record in self:
            if len(record.md5 or "") != 32 or any(c not in "0123456789abcdef" for c in record.md5.lower()):
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
    def _latest_released(self, title):
        files = self.search(
            [("title", "=", title), ("state", "=", "released")], order="release_date desc, id desc"
        )
        latest = {}
        for record in files:
            latest.setdefault(record.name, record)
        return self.browse([r.id for r in latest.values()]).sorted("name")
