import random
import time
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.tools import SQL

ATTEMPTS = 5  # tries to count an attempt against other processes counting for the same address


class FlexnetStoreLoginFailure(models.Model):
    """Sign-ins with a FlexNet password that FlexNet was asked about, per address, shared by
    every Odoo process.

    Odoo's own failed-login cooldown (``res.users._on_login_cooldown``) counts failures in each
    server process: with several workers, or several servers behind a proxy, an address gets
    its allowance in each of them. FlexNet is asked only while this shared count allows it,
    with Odoo's own rule and settings (``base.login_cooldown_after`` failures, then
    ``base.login_cooldown_duration`` seconds after each one), so FlexNet cannot be used to
    guess passwords faster than Odoo allows, nor to lock members out of FlexNet.
    """

    _name = "flexnet.store.login.failure"
    _description = "FlexNet Sign-in Failures per Address"
    _log_access = False

    address = fields.Char(required=True, readonly=True)
    failures = fields.Integer(readonly=True)
    last_failure = fields.Datetime(readonly=True)

    _address_unique = models.UniqueIndex("(address)", "One count per address.")

    @api.model
    def _attempt(self, address):
        """Count an attempt of ``address`` to be checked by FlexNet; False when the address is on
        cooldown (nothing counted then, as Odoo does). Committed at once, in a transaction of its
        own: the sign-in's own transaction is rolled back when it fails. Two processes counting
        for one address at the same moment: the later one counts again after the first
        (PostgreSQL refuses its stale view of the row); one that cannot count asks nothing."""
        for _try in range(ATTEMPTS):
            try:
                with self.env.registry.cursor() as cr:
                    return self._count_attempt(cr, address)
            except psycopg2.errors.SerializationFailure:
                time.sleep(random.uniform(0.01, 0.1))
        return False

    def _count_attempt(self, cr, address):
        cr.execute(
            SQL(
                "INSERT INTO flexnet_store_login_failure (address, failures) VALUES (%s, 0) "
                "ON CONFLICT (address) DO NOTHING",
                address,
            )
        )
        cr.execute(
            SQL(
                "SELECT failures, last_failure FROM flexnet_store_login_failure WHERE address = %s FOR UPDATE",
                address,
            )
        )
        failures, previous = cr.fetchone()
        if previous and self.env["res.users"].with_env(self.env(cr=cr))._on_login_cooldown(
            failures, previous
        ):
            return False
        cr.execute(
            SQL(
                """UPDATE flexnet_store_login_failure
                      SET failures = failures + 1, last_failure = now() at time zone 'UTC'
                    WHERE address = %s""",
                address,
            )
        )
        return True

    @api.model
    def _succeeded(self, address):
        """The address signed in: it starts afresh, as after any successful login."""
        with self.env.registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM flexnet_store_login_failure WHERE address = %s", address))

    @api.autovacuum
    def _gc_old_failures(self):
        """Counts a day old restrict nothing any more (cooldowns last seconds to minutes)."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM flexnet_store_login_failure WHERE last_failure < %s",
                fields.Datetime.now() - timedelta(days=1),
            )
        )
