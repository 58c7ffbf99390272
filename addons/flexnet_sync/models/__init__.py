from . import (
    flexnet_account_match,
    flexnet_account_type,
    flexnet_backend,
    flexnet_entitlement,
    flexnet_entitlement_line,
    flexnet_sync_run,
    product_product,
    product_template,
    res_partner,
    sale_order,
    sale_order_line,
)
