from urllib.parse import urlparse

from odoo import api, models


class LinkTracker(models.Model):
    _inherit = "link.tracker"

    @api.model
    def _get_title_from_url(self, url):
        # a renewal mailing links every recipient to their own quotation: naming those links
        # must not cost one request per recipient to fetch the page's title
        parsed = urlparse(url)
        if parsed.path.startswith("/my/orders/") and "access_token=" in parsed.query:
            return self.env._("Renewal quotation")
        return super()._get_title_from_url(url)
