import base64
import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from odoo import fields, models

MANAGER_GROUP = "flexnet_sync.group_flexnet_manager"
LINK_FIELDS = ("account", "email", "name", "part", "ts", "nonce")


def _new_secret(*_args):
    return secrets.token_urlsafe(32)


class FlexnetBackend(models.Model):
    _inherit = "flexnet.backend"

    media_link_secret = fields.Char(
        "Media-kit link secret",
        groups=MANAGER_GROUP,
        copy=False,
        default=_new_secret,
        help="Shared with the FlexNet download page: signs the 'purchase media kit' links (HMAC-SHA256).",
    )
    media_link_max_age = fields.Integer(
        "Link validity (minutes)", default=10, required=True, help="How old a signed link may be."
    )
    download_center_url = fields.Char(
        "Download centre URL", help="FlexNet end-user portal where customers download what they bought."
    )
    media_link_template = fields.Char(compute="_compute_media_link_template")

    _check_media_link_max_age = models.Constraint(
        "CHECK(media_link_max_age > 0)", "The media-kit link validity must be positive."
    )

    def _compute_media_link_template(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            query = "&".join(f"{key}={{{key}}}" for key in LINK_FIELDS)
            backend.media_link_template = f"{base}/flexnet/media-kit?backend={backend.id}&{query}&sig={{sig}}"

    def _media_link_signature(self, values):
        """HMAC-SHA256 over the link fields in a fixed order, URL-safe Base64 without padding."""
        self.ensure_one()
        secret = (self.sudo().media_link_secret or "").encode()
        message = "\n".join(str(values.get(key, "")) for key in LINK_FIELDS).encode()
        digest = hmac.new(secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _media_link_url(self, account, email, name, part, ts=None, nonce=None):
        """A signed link, as FlexNet's download page builds it (used by tests and the demo)."""
        self.ensure_one()
        values = {
            "account": account,
            "email": email,
            "name": name,
            "part": part,
            "ts": int(ts if ts is not None else time.time()),
            "nonce": nonce or secrets.token_hex(12),
        }
        values["sig"] = self._media_link_signature(values)
        return f"/flexnet/media-kit?{urlencode(dict(values, backend=self.id))}"

    def action_regenerate_media_link_secret(self):
        self._check_manager()
        for backend in self:
            backend.sudo().media_link_secret = _new_secret()
        return True

    def action_copy_media_link_template(self):
        """Show the URL template to paste into FlexNet's download page configuration."""
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Media-kit link template"),
                "message": self.media_link_template,
                "sticky": True,
                "type": "info",
            },
        }
