from . import (
    flexnet_account_type,
    flexnet_backend,
    flexnet_entitled_product,
    flexnet_store_account_term,
    flexnet_store_login_failure,
    flexnet_store_nonce,
    product_product,
    product_template,
    res_partner,
    res_users,
    sale_order,
    website,
)
