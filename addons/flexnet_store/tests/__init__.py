from . import (
    test_flexnet_store_security,
    test_gating_property,
    test_gating_rules,
    test_maintenance_status_page,
    test_media_kit_journeys,
    test_reconciled_gating,
    test_renewal_payment,
    test_store,
    test_store_rules,
    test_tools,
)
