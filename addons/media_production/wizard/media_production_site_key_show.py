from odoo import fields, models


class MediaProductionSiteKeyShow(models.AbstractModel):
    """The new key of a site's station, shown once: the value travels in the action that opens
    this dialog and is stored nowhere (no table)."""

    _name = "media.production.site.key.show"
    _description = "Show a Production Station Key"

    # the field 'id' is needed for the onchange that fills the dialog
    id = fields.Id()
    key = fields.Char(readonly=True)
    site_id = fields.Many2one("media.production.site", readonly=True)
    login = fields.Char("Station login", readonly=True)
    expiration_date = fields.Datetime("Valid until", readonly=True)
    station_settings = fields.Text(
        "Station settings",
        readonly=True,
        help="The settings of the site's station program (media_station --config).",
    )
