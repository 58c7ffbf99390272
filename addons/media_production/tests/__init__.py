from . import test_media_production_security
