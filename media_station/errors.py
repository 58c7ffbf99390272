class StationError(Exception):
    """A failure the station reports on the job (reason shown to people in Odoo)."""


class ChecksumMismatch(StationError):
    def __init__(self, path, expected, actual):
        super().__init__(f"MD5 mismatch for {path}: expected {expected}, got {actual}")
        self.path, self.expected, self.actual = path, expected, actual


class IncompleteDownload(StationError):
    """A download ended before the whole file arrived; what arrived is kept and resumed.

    Raised the same way whatever the HTTP stack does with a body cut short: urllib3 1.26
    (pinned by Odoo 19 for Python < 3.12) ends the body quietly, urllib3 2.x raises."""

    def __init__(self, label, received, expected):
        super().__init__(f"{label}: {received} of {expected} bytes received; the download resumes")
        self.label, self.received, self.expected = label, received, expected


class UnsafePath(StationError):
    pass


class OdooUnavailable(Exception):
    """Odoo could not be reached after the retries; nothing was changed."""
