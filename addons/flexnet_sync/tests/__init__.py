from . import test_flexnet_sync_security
