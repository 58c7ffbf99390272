from . import test_bom_vendor_portal_security
