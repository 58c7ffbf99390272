"""From 19.0.1.4.0 a new backend removes what FlexNet no longer has (``reconcile_full_runs``
defaults to on, with a limit per run): a backend created before keeps the value it had, off
unless someone switched it on.

An account partner that an earlier version bound to a FlexNet user (a company that bought as
itself) gives the user name up: the next synchronisation of users makes that user a member
contact under the account."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
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
