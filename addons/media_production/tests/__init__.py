from . import test_media_production, test_media_production_security
