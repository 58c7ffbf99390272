"""Constants and helpers the media production models share, in a module that imports
no model so that each model file can use them."""

STATION_GROUP = "media_production.group_media_station"
MANAGER_GROUP = "media_production.group_media_manager"

# the API keys a site's station uses are named "<prefix> <site code>": rotating the key of a
# site revokes these keys of its station user, no other key
STATION_KEY_PREFIX = "Production station"
# how long a station key lasts, in days: the choices of the wizards (Odoo 19 keys expire)
STATION_KEY_DURATIONS = [("30", "1 month"), ("90", "3 months"), ("180", "6 months"), ("365", "1 year")]

# states of a production job
QUEUED, CLAIMED, STAGING, PRODUCING = "queued", "claimed", "staging", "producing"
DONE, FAILED, CANCELLED = "done", "failed", "cancelled"
ACTIVE_STATES = (CLAIMED, STAGING, PRODUCING)
ENDED_STATES = (DONE, FAILED, CANCELLED)

# bounds of what a station may ask for or report
MIN_LEASE_SECONDS, MAX_LEASE_SECONDS = 60, 86400
MAX_SERIAL_LENGTH = 128
MAX_DISCS_PER_REPORT = 10000


def manifest_md5(value):
    """An MD5 as manifests give it (32 lowercase hexadecimal digits), from ``value`` in
    either case; ``False`` if ``value`` is not 32 hexadecimal digits."""
    value = (value or "").lower()
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value) and value
