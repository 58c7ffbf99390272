from datetime import timedelta

from odoo import api, fields, models

from ..tools import STATION_KEY_DURATIONS


class MediaProductionSiteKeyWizard(models.TransientModel):
    """Rotate the key of a site's station: a new key, shown once; the old ones revoked."""

    _name = "media.production.site.key.wizard"
    _description = "Rotate a Production Station Key"

    site_id = fields.Many2one("media.production.site", required=True, ondelete="cascade")
    station_user_id = fields.Many2one(related="site_id.station_user_id")
    key_duration = fields.Selection(
        STATION_KEY_DURATIONS, "Valid for", required=True, default="90", help="Station keys expire."
    )
    revoked_count = fields.Integer("Keys revoked", compute="_compute_revoked_count")

    @api.depends("site_id")
    def _compute_revoked_count(self):
        for wizard in self:
            wizard.revoked_count = len(wizard.site_id._station_keys()) if wizard.site_id else 0

    def action_rotate(self):
        self.ensure_one()
        site = self.site_id
        expiration = fields.Datetime.now() + timedelta(days=int(self.key_duration))
        key = site._station_issue_key(expiration)
        return site._station_key_show_action(key, expiration)
