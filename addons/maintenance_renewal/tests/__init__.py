from . import test_maintenance_renewal_security
