from odoo import models


class FlexnetSyncRun(models.Model):
    _inherit = "flexnet.sync.run"

    def _close(self, state, error=None):
        result = super()._close(state, error)
        if any(run.kind == "lines" and run.state == "done" for run in self):
            # entitlement lines changed: the installed base follows at once
            self.env["maintenance.renewal.term"].sudo()._refresh()
        return result
