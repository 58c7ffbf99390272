from . import (
    base_partner_merge_automatic_wizard,
    maintenance_renewal_dashboard,
    maintenance_renewal_member_import,
    maintenance_renewal_member_import_column,
    maintenance_renewal_member_import_row,
)
