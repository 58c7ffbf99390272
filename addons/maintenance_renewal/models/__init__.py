from . import (
    flexnet_backend,
    flexnet_sync_run,
    link_tracker,
    maintenance_renewal_campaign,
    maintenance_renewal_followup_step,
    maintenance_renewal_recipient,
    maintenance_renewal_term,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
    sale_order_line,
)
