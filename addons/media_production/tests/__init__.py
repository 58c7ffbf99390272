from . import (
    test_media_production,
    test_media_production_discs,
    test_media_production_migration,
    test_media_production_routing,
    test_media_production_security,
    test_site_journey_http,
    test_site_wizard,
    test_station_api_http,
    test_station_e2e,
    test_station_files,
)
