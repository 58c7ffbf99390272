"""The real services' WSDLs, when a directory of them is known: request validation and ``?wsdl``.

The simulator ships no WSDL. Given the folder a FlexNet Operations site's descriptions were
saved into (``--wsdl-dir`` or ``FLEXNET_WSDL_DIR``), it checks every request against the
schema embedded in the WSDL of the request's namespace, answering what Axis 1.4 answers
when it cannot deserialise a request, and serves each WSDL at ``<service path>?wsdl``.
"""

import copy
import pathlib
import threading
from urllib.parse import urlsplit

from lxml import etree

from .wire import SAFE_PARSER, AxisFault

WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"


class ServiceDescription:
    """One WSDL file: its namespace, service path, compiled schema and operations."""

    def __init__(self, path):
        self.path = path
        self.raw = path.read_bytes()
        root = etree.fromstring(self.raw, SAFE_PARSER)
        self.namespace = root.get("targetNamespace")
        address = root.find(f".//{{{WSDL_NS}}}port/{{{WSDL_SOAP_NS}}}address")
        if self.namespace is None or address is None:
            raise ValueError(f"{path.name} is not a FlexNet service description (no namespace or address)")
        self.location = address.get("location")
        self.service_path = urlsplit(self.location).path.rstrip("/")
        embedded = root.find(f".//{{{XSD_NS}}}schema")
        nsmap = dict(root.nsmap)
        nsmap.update(embedded.nsmap)  # the WSDL root declares prefixes the schema uses
        standalone = etree.Element(embedded.tag, nsmap=nsmap, attrib=embedded.attrib)
        for child in embedded:
            standalone.append(copy.deepcopy(child))
        self.schema = etree.XMLSchema(standalone)
        self.lock = threading.Lock()  # an XMLSchema's error log is not safe across threads
        self.types = _type_map(standalone)
        messages = {
            m.get("name"): m.find(f"{{{WSDL_NS}}}part").get("element").rpartition(":")[2]
            for m in root.iter(f"{{{WSDL_NS}}}message")
        }
        port_type = root.find(f"{{{WSDL_NS}}}portType")
        # request element -> (operation, response element)
        self.operations = {}
        for op in port_type.iter(f"{{{WSDL_NS}}}operation"):
            request = messages[op.find(f"{{{WSDL_NS}}}input").get("message").rpartition(":")[2]]
            response = messages[op.find(f"{{{WSDL_NS}}}output").get("message").rpartition(":")[2]]
            self.operations[request] = (op.get("name"), response)

    def validate(self, payload):
        """Raise :class:`AxisFault` when ``payload`` is not valid for the schema."""
        detached = etree.fromstring(etree.tostring(payload))
        with self.lock:
            if self.schema.validate(detached):
                return
            errors = list(self.schema.error_log)
        raise AxisFault(self._axis_message(detached, errors[0]))

    def _axis_message(self, root, error):
        """Axis' wording for the first error: an unexpected element is reported as Axis'
        bean deserialiser does (``Invalid element in <Java class> - <element>``)."""
        prefixes = {k: v for el in root.iter() for k, v in el.nsmap.items() if k}
        try:
            found = root.xpath(error.path, namespaces=prefixes) if error.path else []
        except etree.XPathError:
            found = []
        text = error.message.replace(f"{{{self.namespace}}}", "")
        if found and "This element is not expected" in error.message:
            element = found[0]
            owner = element.getparent()
            type_name = self._type_of(owner) if owner is not None else None
            if type_name:
                return (
                    f"org.xml.sax.SAXException: Invalid element in {self.java_package}."
                    f"{type_name[:1].upper()}{type_name[1:]} - {etree.QName(element).localname} ({text})"
                )
        return f"org.xml.sax.SAXException: {text}"

    @property
    def java_package(self):
        # urn:v4.webservices.operations.flexnet.com -> com.flexnet.operations.webservices.v4
        return ".".join(reversed(self.namespace.removeprefix("urn:").split(".")))

    def _type_of(self, element):
        """The schema type name of ``element`` (walked down from the request element)."""
        chain = []
        while element is not None:
            chain.append(etree.QName(element).localname)
            element = element.getparent()
        chain.reverse()
        type_name = self.types["elements"].get(chain[0])
        for name in chain[1:]:
            type_name = self.types["children"].get(type_name, {}).get(name)
            if type_name is None:
                return None
        return type_name

    def document(self, base_url):
        """The WSDL with its ``soap:address`` pointing at ``base_url`` + the service path."""
        root = etree.fromstring(self.raw, SAFE_PARSER)
        for address in root.iter(f"{{{WSDL_SOAP_NS}}}address"):
            address.set("location", base_url.rstrip("/") + self.service_path)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _type_map(schema):
    """Top-level element -> type, and complex type -> {child element: type} (with extensions)."""
    local = lambda qname: (qname or "").rpartition(":")[2]  # noqa: E731
    elements = {el.get("name"): local(el.get("type")) for el in schema.findall(f"{{{XSD_NS}}}element")}
    children, bases = {}, {}
    for ctype in schema.findall(f"{{{XSD_NS}}}complexType"):
        name = ctype.get("name")
        children[name] = {el.get("name"): local(el.get("type")) for el in ctype.iter(f"{{{XSD_NS}}}element")}
        extension = ctype.find(f".//{{{XSD_NS}}}extension")
        if extension is not None:
            bases[name] = local(extension.get("base"))
    for name, base in bases.items():
        while base:
            children[name] = {**children.get(base, {}), **children[name]}
            base = bases.get(base)
    return {"elements": elements, "children": children}


class WsdlSet:
    """The service descriptions found in one folder, by namespace and by service path."""

    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"WSDL directory {directory} does not exist")
        self.by_namespace = {}
        self.by_path = {}
        for path in sorted(self.directory.glob("*.wsdl")):
            description = ServiceDescription(path)
            self.by_namespace[description.namespace] = description
            self.by_path[description.service_path] = description
        if not self.by_namespace:
            raise ValueError(f"no *.wsdl file in {directory}")

    def describe(self):
        return ", ".join(sorted(d.path.name for d in self.by_namespace.values()))
