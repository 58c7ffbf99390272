from odoo import models

from odoo.addons.flexnet_sync.models.flexnet_sync_run import RUN_RUNNING


class FlexnetSyncRun(models.Model):
    _inherit = "flexnet.sync.run"

    def _job_import_page(self, records, retried=False):
        """A page job of a lines run commits on its own: the terms of the entitlements it
        touched follow at once (a transfer to another account, new or corrected maintenance),
        not only when the run ends."""
        refresh = self.kind == "lines" and self.state == RUN_RUNNING
        result = super()._job_import_page(records, retried=retried)
        if refresh:
            self._renewal_refresh_page(records)
        return result

    def _renewal_refresh_page(self, records):
        """Refresh the terms of every entitlement line of the entitlements of a page of
        serialized FlexNet line items (all lines of a transferred entitlement move with it)."""
        self.ensure_one()
        activations = {item.get("activation_id") for item in records} - {None}
        entitlements = {item.get("entitlement_id") for item in records} - {None}
        lines = (
            self.env["flexnet.entitlement.line"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("line_type", "=", "entitlement"),
                    "|",
                    ("activation_id", "in", list(activations)),
                    ("entitlement_id.name", "in", list(entitlements)),
                ]
            )
        )
        self.env["maintenance.renewal.term"].sudo()._refresh(line_ids=lines.ids)

    def _close(self, state, error=None):
        """The end of a lines run that fetched or removed something, done or failed (the pages
        it imported stay): every term follows. A synchronisation runs products before lines, so
        titles and maintenance SKUs changed in FlexNet come along."""
        result = super()._close(state, error)
        if any(run.kind == "lines" and (run.fetched_count or run.removed_count) for run in self):
            self.env["maintenance.renewal.term"].sudo()._refresh()
        return result
