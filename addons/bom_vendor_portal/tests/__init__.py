from . import (
    test_bom_vendor_access,
    test_bom_vendor_download,
    test_bom_vendor_portal,
    test_bom_vendor_portal_security,
    test_bom_vendor_ramp,
    test_vendor_access_property,
)
