from . import test_flexnet_store_security, test_store, test_tools
