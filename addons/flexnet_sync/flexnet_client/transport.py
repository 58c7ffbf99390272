"""SOAP 1.1 transport: one HTTP session per client, auth, timeouts and retries."""

import base64
import logging
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from lxml import etree

from .exceptions import (
    AuthenticationError,
    FlexNetTimeout,
    MalformedResponse,
    SoapFault,
    TransportError,
)

_logger = logging.getLogger(__name__)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PLATFORM_NS = "urn:com.macrovision:flexnet/platform"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# statuses that prove the server did not act on the request: safe to retry writes
NOT_PROCESSED_STATUSES = frozenset({429, 503})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


class Auth:
    """How requests prove who they are. Subclasses never expose the secret in repr()."""

    def apply(self, session):
        """Prepare the HTTP session (headers, basic auth)."""

    def soap_header(self):
        """Return the SOAP header children, or an empty list."""
        return []

    def __repr__(self):
        return f"<{type(self).__name__} user={getattr(self, 'user', None)!r}>"


@dataclass(repr=False)
class BasicAuth(Auth):
    """HTTP Basic authentication (user names may be ``user##domain``)."""

    user: str
    password: str

    def apply(self, session):
        session.auth = (self.user, self.password)


@dataclass(repr=False)
class SoapHeaderAuth(Auth):
    """Credentials in the SOAP header: ``UserId`` and a Base64 ``UserPassword``."""

    user: str
    password: str

    def soap_header(self):
        user = etree.Element(f"{{{PLATFORM_NS}}}UserId", nsmap={"flex": PLATFORM_NS})
        user.text = self.user
        password = etree.Element(f"{{{PLATFORM_NS}}}UserPassword", nsmap={"flex": PLATFORM_NS})
        password.text = base64.b64encode(self.password.encode()).decode()
        return [user, password]


@dataclass(repr=False)
class BearerAuth(Auth):
    """An access token sent as ``Authorization: Bearer``."""

    token: str

    def apply(self, session):
        session.headers["Authorization"] = f"Bearer {self.token}"


def public_url(url):
    """The URL without any user:password part, fit for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class Transport:
    """Posts SOAP envelopes to one FlexNet site and returns the body's payload element."""

    def __init__(self, base_url, auth=None, *, timeout=30.0, retries=3, backoff=0.5, session=None):
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/flexnet/services"):
            base_url += "/flexnet/services"
        self.base_url = base_url
        self.auth = auth or Auth()
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.update({"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
        self.auth.apply(self.session)

    def endpoint(self, service_path):
        return f"{self.base_url}/{service_path}"

    def envelope(self, payload):
        env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
        header_children = self.auth.soap_header()
        if header_children:
            header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
            header.extend(header_children)
        etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(payload)
        return etree.tostring(env, xml_declaration=True, encoding="UTF-8")

    def call(self, service_path, operation, payload, *, idempotent=True):
        """Send ``payload`` (the body element) and return the response's body element.

        Queries (``idempotent``) are retried on connection errors, timeouts, 429 and 5xx;
        writes only when the server provably did not process them (connection refused,
        429, 503). A FlexNet FAILURE status is never retried: it is not seen here.
        """
        url = self.endpoint(service_path)
        shown = public_url(url)
        data = self.envelope(payload)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.post(url, data=data, timeout=self.timeout)
            except requests.ConnectionError as exc:
                retryable = idempotent or _refused_before_sending(exc)
                error = TransportError(
                    f"cannot connect to the FlexNet site: {_short(exc)}", operation=operation, url=shown
                )
            except requests.Timeout:
                retryable = idempotent
                error = FlexNetTimeout(f"no answer within {self.timeout:g} s", operation=operation, url=shown)
            except requests.RequestException as exc:
                raise TransportError(
                    f"HTTP request failed: {_short(exc)}", operation=operation, url=shown
                ) from None
            else:
                body = self._handle(response, operation, shown)
                if body is not None:
                    return body
                retryable = idempotent or response.status_code in NOT_PROCESSED_STATUSES
                error = TransportError(
                    f"the FlexNet site answered HTTP {response.status_code}",
                    status_code=response.status_code,
                    operation=operation,
                    url=shown,
                )
            if not retryable or attempt > self.retries:
                if attempt > 1:
                    error.args = (f"{error.args[0]} after {attempt} attempts",)
                raise error
            delay = self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)
            _logger.info("FlexNet %s: %s; retrying in %.2f s", operation, error, delay)
            time.sleep(delay)

    def _handle(self, response, operation, shown):
        """Return the payload element, None for a retryable HTTP status, or raise."""
        status = response.status_code
        if status in (401, 403):
            raise AuthenticationError(
                f"the FlexNet site refused the credentials (HTTP {status}); check the user, "
                "password or token of the backend",
                operation=operation,
                url=shown,
            )
        content = response.content
        fault = None
        root = None
        if content and (status == 200 or status == 500):
            try:
                root = etree.fromstring(content, _PARSER)
            except etree.XMLSyntaxError as exc:
                if status == 200:
                    raise MalformedResponse(
                        f"the answer is not well-formed XML: {exc}", operation=operation, url=shown
                    ) from None
            if root is not None:
                fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
        if fault is not None:
            code = (fault.findtext("faultcode") or "").strip()
            text = (fault.findtext("faultstring") or "").strip() or "no fault string"
            if "auth" in code.lower() or "authenticat" in text.lower():
                raise AuthenticationError(f"authentication fault: {text}", operation=operation, url=shown)
            raise SoapFault(f"SOAP fault {code}: {text}", fault_code=code, operation=operation, url=shown)
        if status in RETRY_STATUSES:
            return None
        if status != 200:
            raise TransportError(
                f"the FlexNet site answered HTTP {status}", status_code=status, operation=operation, url=shown
            )
        if root is None:
            raise MalformedResponse("the answer is empty", operation=operation, url=shown)
        if root.tag != f"{{{SOAP_ENV}}}Envelope":
            raise MalformedResponse(
                f"the answer is not a SOAP 1.1 envelope (root element {root.tag})",
                operation=operation,
                url=shown,
            )
        body = root.find(f"{{{SOAP_ENV}}}Body")
        if body is None or len(body) == 0:
            raise MalformedResponse("the SOAP envelope has no body element", operation=operation, url=shown)
        return body[0]


def _refused_before_sending(exc):
    text = str(exc)
    return "Connection refused" in text or "Name or service not known" in text or "NewConnectionError" in text


def _short(exc):
    text = str(exc)
    # requests embeds the pool and URL; keep the reason only
    if "Caused by" in text:
        text = text.split("Caused by", 1)[1].strip(" ()'")
    return text[:200]
