"""Reading requests and writing responses, the simulator's own way.

Deliberately independent of the client's serialisation: responses are written from
nested ``(name, value)`` pairs with an Axis-style ``ns1`` prefix, requests are read with
namespace-aware XPath.
"""

from datetime import date

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PLATFORM_NS = "urn:com.macrovision:flexnet/platform"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
AXIS_NS = "http://xml.apache.org/axis/"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SoapFault(Exception):
    """Answered with a SOAP fault (HTTP 500) carrying ``code`` and the message."""

    code = "Server"


class BadRequest(SoapFault):
    """The request asks for something the operation cannot do: a SOAP ``Client`` fault."""

    code = "Client"


class AxisFault(SoapFault):
    """What Axis 1.4 answers when it cannot read a request into the service's Java types
    (a SAX error while deserialising): ``Server.userException`` and the exception's text."""

    code = "Server.userException"


class Unsupported(SoapFault):
    """The request is valid for FlexNet but uses something this simulator does not model."""

    code = "Server"


def parse_envelope(raw):
    """Return (header element or None, payload element)."""
    try:
        root = etree.fromstring(raw, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise AxisFault(f"org.xml.sax.SAXParseException: {exc}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise AxisFault(f"org.xml.sax.SAXException: the root element {root.tag} is not a SOAP 1.1 Envelope")
    header = root.find(f"{{{SOAP_ENV}}}Header")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) == 0:
        raise AxisFault("org.xml.sax.SAXException: the SOAP Body is empty")
    return header, body[0]


def drop_nil(element):
    """Remove the elements sent as ``xsi:nil="true"``: to the services they are absent."""
    for nil in element.xpath("//*[@xsi:nil='true' or @xsi:nil='1']", namespaces={"xsi": XSI}):
        nil.getparent().remove(nil)
    return element


class Req:
    """Namespace-aware reader over one request element."""

    def __init__(self, element, ns):
        self.el = element
        self.ns = ns

    @property
    def name(self):
        return etree.QName(self.el).localname

    def children(self):
        """The child elements, in document order (comments left out)."""
        return [Req(child, self.ns) for child in self.el if isinstance(child.tag, str)]

    def _path(self, path):
        return "/".join(f"x:{step}" for step in path.split("/"))

    def all(self, path):
        return [Req(e, self.ns) for e in self.el.xpath(self._path(path), namespaces={"x": self.ns})]

    def one(self, path):
        found = self.all(path)
        return found[0] if found else None

    def text(self, path, default=None):
        found = self.el.xpath(self._path(path) + "/text()", namespaces={"x": self.ns})
        return found[0].strip() if found else default

    def flag(self, path, default=False):
        value = self.text(path)
        return default if value is None else value in ("true", "1")

    def integer(self, path, default=None):
        value = self.text(path)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise AxisFault(
                f'java.lang.NumberFormatException: For input string: "{value}" ({path})'
            ) from None

    def day(self, path):
        value = self.text(path)
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise AxisFault(
                f'java.lang.NumberFormatException: Invalid date/time "{value}" ({path})'
            ) from None


def render(ns, name, pairs):
    """Build ``<ns1:name>`` from ``pairs``: (child, value) where value is a scalar, a list
    of pairs (a nested element) or None (left out). Repeat a name to repeat an element."""
    root = etree.Element(f"{{{ns}}}{name}", nsmap={"ns1": ns})
    _fill(root, ns, pairs)
    return root


def _fill(parent, ns, pairs):
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, etree._Element):
            parent.append(value)
            continue
        child = etree.SubElement(parent, f"{{{ns}}}{key}")
        if isinstance(value, list):
            _fill(child, ns, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def envelope(payload):
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault(code, message, hostname="flexnet-simulator"):
    """A SOAP 1.1 fault as Axis 1.4 writes it (the host name in the detail)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    flt = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(flt, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(flt, "faultstring").text = message
    detail = etree.SubElement(flt, "detail")
    etree.SubElement(detail, f"{{{AXIS_NS}}}hostname", nsmap={"ns1": AXIS_NS}).text = hostname
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def status(state="SUCCESS", reason=None):
    return ("statusInfo", [("status", state), ("reason", reason)])
