class StationError(Exception):
    """A failure the station reports on the job (reason shown to people in Odoo)."""


class ChecksumMismatch(StationError):
    def __init__(self, path, expected, actual):
        super().__init__(f"MD5 mismatch for {path}: expected {expected}, got {actual}")
        self.path, self.expected, self.actual = path, expected, actual


class UnsafePath(StationError):
    pass


class OdooUnavailable(Exception):
    """Odoo could not be reached after the retries; nothing was changed."""
