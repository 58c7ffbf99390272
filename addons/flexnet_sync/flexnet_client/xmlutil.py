"""Small helpers to build and read namespace-qualified FlexNet XML."""

import re
from datetime import date, datetime, timedelta, timezone

from lxml import etree


class Builder:
    """Builds elements of one target namespace (FlexNet qualifies every element)."""

    __slots__ = ("ns",)

    def __init__(self, ns):
        self.ns = ns

    def root(self, name):
        return etree.Element(f"{{{self.ns}}}{name}", nsmap={None: self.ns})

    def sub(self, parent, name, text=None):
        """Append ``name`` to ``parent``; a non-None ``text`` is converted to its XSD form."""
        element = etree.SubElement(parent, f"{{{self.ns}}}{name}")
        if text is not None:
            element.text = xsd_text(text)
        return element

    def opt(self, parent, name, value):
        """Append ``name`` only when ``value`` is not None."""
        if value is not None:
            self.sub(parent, name, value)

    def query(self, parent, name, value, search_type="EQUALS"):
        """A ``SimpleQueryType``/``DateQueryType``/``DateTimeQueryType`` criterion."""
        if value is None:
            return
        criterion = self.sub(parent, name)
        self.sub(criterion, "value", value)
        self.sub(criterion, "searchType", search_type)


def xsd_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def local(tag):
    return tag.rpartition("}")[2]


def to_bool(text):
    return text is not None and text.strip() in ("true", "1")


def to_int(text):
    return int(text) if text not in (None, "") else None


def to_date(text):
    return date.fromisoformat(text[:10]) if text else None


# xsd:dateTime: any number of fractional digits, "Z" or an offset (datetime.fromisoformat takes
# neither "Z" nor other than 3 or 6 digits before Python 3.11)
_XSD_DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")
# the form FNO writes (UTC, milliseconds or none): fromisoformat reads it on every supported
# Python once "Z" is spelled "+00:00", at a fraction of the cost of the general reading
_FNO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{3})?Z")
_fromisoformat = datetime.fromisoformat


def to_datetime(text):
    """Parse an xsd:dateTime into an aware UTC datetime (naive values are taken as UTC)."""
    if not text:
        return None
    stripped = text.strip()
    if _FNO_DATETIME.fullmatch(stripped):
        try:
            return _fromisoformat(stripped[:-1] + "+00:00")
        except ValueError:
            return _xsd_datetime(text, stripped)  # a field out of range: the usual error
    return _xsd_datetime(text, stripped)


def _xsd_datetime(text, stripped):
    """Every xsd:dateTime form, read field by field."""
    match = _XSD_DATETIME.fullmatch(stripped)
    if not match:
        raise ValueError(f"not an xsd:dateTime: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    micro = int((match[7] or "0")[:6].ljust(6, "0"))
    zone = timezone.utc
    if match[8] and match[8] != "Z":
        sign = -1 if match[8][0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(match[8][1:3]), minutes=int(match[8][4:6])))
    value = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    return value.astimezone(timezone.utc)


def single_key(element):
    """Fast read of an identifier whose primary key has one field (activationId,
    entitlementId, account id, partId): the schema puts ``primaryKeys`` last and its
    key first, so no tag needs to be read. Falls back to ``uniqueId``."""
    if len(element):
        last = element[-1]
        if len(last):
            return last[0].text
        return last.text
    return None


def identifier(element, key):
    """Read an ``xxxIdentifierType``: primaryKeys/<key> when present, else uniqueId."""
    unique = None
    suffix = "}" + key
    for child in element:
        tag = child.tag
        if tag.endswith("}primaryKeys"):
            for pk in child:
                if pk.tag.endswith(suffix):
                    return pk.text
        elif tag.endswith("}uniqueId"):
            unique = child.text
    return unique


def product_identifier(element):
    """Return (name, version) of a ``productIdentifierType`` (primaryKeys: name, version)."""
    if len(element):
        last = element[-1]
        if len(last) == 2:
            return last[0].text, last[1].text
    name = version = None
    for child in element:
        if child.tag.endswith("}primaryKeys"):
            for pk in child:
                if pk.tag.endswith("}name"):
                    name = pk.text
                elif pk.tag.endswith("}version"):
                    version = pk.text
    return name, version


def attributes(element):
    """Read an ``attributeDescriptorDataType`` into a dict of name -> value."""
    result = {}
    for attribute in element:
        name = None
        value = None
        for child in attribute:
            tag = local(child.tag)
            if tag == "attributeName":
                name = child.text
            elif tag in ("stringValue", "integerValue"):
                value = child.text if tag == "stringValue" else to_int(child.text)
            elif tag == "booleanValue":
                value = to_bool(child.text)
            elif tag == "dateValue":
                value = to_date(child.text)
            elif tag == "arrayValue":
                value = [*(value or []), child.text]
        if name:
            result[name] = value
    return result
