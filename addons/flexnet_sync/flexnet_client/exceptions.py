"""Typed errors raised by the FlexNet client.

Every message says what failed and what a person can do about it; none ever contains
credentials or authentication headers.
"""


class FlexNetError(Exception):
    """Base class of every error raised by the FlexNet client."""

    def __init__(self, message, *, operation=None, url=None):
        super().__init__(message)
        self.operation = operation
        self.url = url

    def __str__(self):
        where = " ".join(part for part in (self.operation, f"at {self.url}" if self.url else None) if part)
        base = super().__str__()
        return f"{base} ({where})" if where else base


class TransportError(FlexNetError):
    """The site could not be reached or answered with an HTTP error (retries exhausted)."""

    def __init__(self, message, *, status_code=None, **kwargs):
        super().__init__(message, **kwargs)
        self.status_code = status_code


class FlexNetTimeout(TransportError):
    """The site did not answer within the configured timeout."""


class AuthenticationError(FlexNetError):
    """The site refused the credentials (HTTP 401/403 or an authentication fault)."""


class SoapFault(FlexNetError):
    """The site answered with a SOAP Fault."""

    def __init__(self, message, *, fault_code=None, **kwargs):
        super().__init__(message, **kwargs)
        self.fault_code = fault_code


class MalformedResponse(FlexNetError):
    """The answer is not the SOAP message the operation promises."""


class OperationFailed(FlexNetError):
    """FlexNet answered ``statusInfo/status`` FAILURE (never retried)."""

    def __init__(self, message, *, reason=None, failed=(), **kwargs):
        super().__init__(message, **kwargs)
        self.reason = reason
        self.failed = tuple(failed)


class PartialFailure(OperationFailed):
    """FlexNet answered PARTIAL_FAILURE to a query: the page is incomplete."""

    def __init__(self, message, *, records=(), **kwargs):
        super().__init__(message, **kwargs)
        self.records = list(records)
