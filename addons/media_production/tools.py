"""Constants and helpers the media production models share, in a module that imports
no model so that each model file can use them."""

STATION_GROUP = "media_production.group_media_station"


def manifest_md5(value):
    """An MD5 as manifests give it (32 lowercase hexadecimal digits), from ``value`` in
    either case; ``False`` if ``value`` is not 32 hexadecimal digits."""
    value = (value or "").lower()
    return len(value) == 32 and all(c in "0123456789abcdef" for c in value) and value
