"""From 19.0.1.4.0 a new backend removes what FlexNet no longer has (``reconcile_full_runs``
defaults to on, with a limit per run): a backend created before keeps the value it had, off
unless someone switched it on. A database from before the setting existed (19.0.1.2.0, or an
early 19.0.1.3.0) gets the column here, off for every backend it has, so that the module's
load does not fill it with the new default. The other columns 19.0.1.4.0 adds may take their
defaults on existing rows: the limit per run (``reconcile_max_share``) only narrows what a
backend that reconciles may remove, and a record to retry that has no next attempt nor gave up
is read again by the next incremental run.

An account partner that an earlier version bound to a FlexNet user (a company that bought as
itself) gives the user name up: the next synchronisation of users makes that user a member
contact under the account."""

from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column


def migrate(cr, version):
    if not version:
        return
    if not column_exists(cr, "flexnet_backend", "reconcile_full_runs"):
        create_column(cr, "flexnet_backend", "reconcile_full_runs", "boolean")
    cr.execute(
        SQL("UPDATE flexnet_backend SET reconcile_full_runs = FALSE WHERE reconcile_full_runs IS NULL")
    )
    cr.execute(
        SQL(
            """UPDATE res_partner
                  SET flexnet_user_name = NULL, flexnet_roles = NULL, flexnet_can_login = FALSE
                WHERE flexnet_user_name IS NOT NULL AND (is_company OR flexnet_account_id IS NOT NULL)"""
        )
    )
