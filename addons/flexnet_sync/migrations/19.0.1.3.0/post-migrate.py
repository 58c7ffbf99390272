"""Entitlement IDs of pushed orders take the backend's prefix from 19.0.1.3.0: orders sent
before keep the ID they were sent under (the order's reference), so that sending them again
finds their entitlement instead of creating a second one."""

from odoo.addons.flexnet_sync.flexnet_client import safe_id


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """SELECT so.id, so.name, e.name
             FROM sale_order so
             LEFT JOIN flexnet_entitlement e ON e.id = so.flexnet_entitlement_id
            WHERE so.flexnet_state <> 'none' AND so.flexnet_entitlement_ref IS NULL"""
    )
    # an entitlement FlexNet holds keeps its ID as it is; an order FlexNet never accepted was
    # refused when its reference had characters FlexNet does not allow: sent again without them
    updates = [(entitlement or safe_id(name), order_id) for order_id, name, entitlement in cr.fetchall()]
    if updates:
        cr.executemany("UPDATE sale_order SET flexnet_entitlement_ref = %s WHERE id = %s", updates)
    cr.execute(
        """UPDATE flexnet_backend b
              SET entitlement_id_prefix = 'ODOO-' || b.company_id || '-'
            WHERE entitlement_id_prefix IS NULL"""
    )
