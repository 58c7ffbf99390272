"""From 19.0.1.4.0 a new backend removes what FlexNet no longer has (``reconcile_full_runs``
defaults to on, with a limit per run): a backend created before keeps the value it had, off
unless someone switched it on."""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL("UPDATE flexnet_backend SET reconcile_full_runs = FALSE WHERE reconcile_full_runs IS NULL")
    )
