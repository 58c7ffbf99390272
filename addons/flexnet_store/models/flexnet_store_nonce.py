from datetime import timedelta

from odoo import api, fields, models

from .flexnet_backend import NONCE_RETENTION_DAYS


class FlexnetStoreNonce(models.Model):
    """Nonces of signed links already used: a link works once."""

    _name = "flexnet.store.nonce"
    _description = "Used FlexNet Link Nonce"
    _log_access = False

    name = fields.Char(required=True, readonly=True)
    used_at = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)

    _name_unique = models.UniqueIndex("(name)", "This link was already used.")

    @api.model
    def _consume(self, nonce):
        """Record the nonce; False when it was seen before (replay)."""
        self.env.cr.execute(
            "INSERT INTO flexnet_store_nonce (name, used_at) VALUES (%s, now() at time zone 'UTC') "
            "ON CONFLICT (name) DO NOTHING RETURNING id",
            (nonce,),
        )
        return bool(self.env.cr.fetchone())

    @api.autovacuum
    def _gc_old_nonces(self):
        """Links live at most a day (MAX_LINK_AGE_MINUTES); older nonces cannot be replayed."""
        self.search([("used_at", "<", fields.Datetime.now() - timedelta(days=NONCE_RETENTION_DAYS))]).unlink()
