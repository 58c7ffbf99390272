"""What the services share: the call context, paging, query criteria, identifiers, statuses."""

import copy
import re
from datetime import datetime, timezone

from ..store import now_stamp
from ..wire import BadRequest, Unsupported, render, status

NS_V4 = "urn:v4.webservices.operations.flexnet.com"
NS_V3 = "urn:v3.webservices.operations.flexnet.com"
NS_V2 = "urn:v2.webservices.operations.flexnet.com"
NS_V1 = "urn:v1.webservices.operations.flexnet.com"
NS_AUTH = "urn:v1.webservices.platform.flexnet.com"

READ_CAP = 2000
WRITE_CAP = 25
TOKEN_SECONDS = 300
# FlexNet's rules for an activation ID given by the caller (SOAP guide, createSimpleEntitlement);
# the simulator applies them to entitlement IDs too
ID_MAX_LENGTH = 255
ID_FORBIDDEN = ',"&%^()#@!~/<>`}{=|.'


class Context:
    """What a handler may know about the call besides its payload."""

    def __init__(self, store, user, partial=False):
        self.store = store
        self.user = user
        self.partial = partial  # fault injection: answer PARTIAL_FAILURE


class Refused(Exception):
    """One record of a write is refused (the others go on)."""


def local_name(tag):
    return tag.rpartition("}")[2]


# --- paging ----------------------------------------------------------------------------------


def paging(req, required_page=True):
    size = req.integer("batchSize")
    page = req.integer("pageNumber", None if required_page else 1)
    if size is None or page is None:
        raise BadRequest("batchSize and pageNumber are required")
    if page < 1 or size < 1:
        raise BadRequest("pageNumber and batchSize start at 1")
    return page, size


def too_many(ns, response, size):
    return render(
        ns, response, [status("FAILURE", f"batchSize {size} exceeds the maximum of {READ_CAP} records")]
    )


def too_many_writes(ns, response, count):
    return render(
        ns, response, [status("FAILURE", f"{count} records in one call; the maximum is {WRITE_CAP}")]
    )


def where_sql(where):
    return (" WHERE " + " AND ".join(where)) if where else ""


# --- query criteria --------------------------------------------------------------------------
#
# Each operation declares every criterion its schema type defines: a function that adds SQL
# to (where, params), or NOT_MODELLED with the reason. Nothing is dropped silently.

_LIKE = {"STARTS_WITH": "{}%", "CONTAINS": "%{}%", "ENDS_WITH": "%{}"}


def _escape_like(value):
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_condition(crit, column):
    value = crit.text("value")
    kind = crit.text("searchType", "EQUALS")
    if value is None:
        raise BadRequest(f"{crit.name}/value is missing")
    if kind == "EQUALS":
        return f"{column} = ?", value
    if kind in _LIKE:
        return f"{column} LIKE ? ESCAPE '\\'", _LIKE[kind].format(_escape_like(value))
    raise BadRequest(f"{crit.name}/searchType {kind!r} is not a simpleSearchType")


def text(column):
    """A ``SimpleQueryType`` (or ``StateQueryType``) on one column."""

    def apply(crit, where, params):
        sql, value = _text_condition(crit, column)
        where.append(sql)
        params.append(value)

    return apply


def text_in(template, column):
    """A ``SimpleQueryType`` on a column of a sub-query: ``template`` has ``{}`` for the test."""

    def apply(crit, where, params):
        sql, value = _text_condition(crit, column)
        where.append(template.format(sql))
        params.append(value)

    return apply


def within(template, handler):
    """Any criterion handler applied inside a sub-query: ``template`` has ``{}`` for its test."""

    def apply(crit, where, params):
        inner = []
        handler(crit, inner, params)
        where.append(template.format(" AND ".join(inner) or "1"))

    return apply


def _stamp_of(value):
    text_value = value.strip()
    # datetime.fromisoformat before Python 3.11 takes neither "Z" nor 1, 2, 4 or 5 decimals
    text_value = re.sub(r"Z$", "+00:00", text_value)
    text_value = re.sub(r"\.(\d+)", lambda m: "." + m[1][:6].ljust(6, "0"), text_value, count=1)
    try:
        moment = datetime.fromisoformat(text_value)
    except ValueError:
        raise BadRequest(f"not a dateTime: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return now_stamp(moment)


_DAY_OPS = {"BEFORE": "<", "AFTER": ">", "ON": "="}


def day(column, template="{}"):
    """A ``DateQueryType`` (BEFORE, AFTER, ON a day) on a date or timestamp column."""

    def apply(crit, where, params):
        kind = crit.text("searchType")
        if crit.text("value") is None or kind not in _DAY_OPS:
            raise BadRequest(f"{crit.name} needs a value and a searchType of BEFORE, AFTER or ON")
        where.append(template.format(f"substr({column}, 1, 10) {_DAY_OPS[kind]} ?"))
        params.append(crit.day("value"))

    return apply


def moment(column):
    """A ``DateTimeQueryType``: BEFORE and AFTER an instant, ON its (UTC) day."""

    def apply(crit, where, params):
        value = crit.text("value")
        kind = crit.text("searchType")
        if value is None or kind not in _DAY_OPS:
            raise BadRequest(f"{crit.name} needs a value and a searchType of BEFORE, AFTER or ON")
        stamp = _stamp_of(value)
        if kind == "ON":
            where.append(f"substr({column}, 1, 10) = ?")
            params.append(stamp[:10])
        else:
            where.append(f"{column} {_DAY_OPS[kind]} ?")
            params.append(stamp)

    return apply


_NUMBER_OPS = {
    "GREATER_THAN": ">",
    "GREATER_THAN_EQUALS": ">=",
    "LESS_THAN": "<",
    "LESS_THAN_EQUALS": "<=",
    "EQUALS": "=",
    "NOT_EQUALS": "<>",
}


def number(column):
    """A ``NumberQueryType`` on an integer column."""

    def apply(crit, where, params):
        kind = crit.text("searchType")
        value = crit.integer("value")
        if value is None or kind not in _NUMBER_OPS:
            raise BadRequest(f"{crit.name} needs a value and a numberSearchType")
        where.append(f"{column} {_NUMBER_OPS[kind]} ?")
        params.append(value)

    return apply


def as_bool(text_value):
    return (text_value or "").strip() in ("true", "1")


def boolean(true_sql, false_sql=None):
    """An ``xsd:boolean`` criterion: ``true_sql`` when true, ``false_sql`` (or its negation)."""

    def apply(crit, where, params):
        where.append(true_sql if as_bool(crit.el.text) else (false_sql or f"NOT ({true_sql})"))

    return apply


def equals(column):
    """A criterion whose element text is the value itself (``accountType``, ``orgType``)."""

    def apply(crit, where, params):
        where.append(f"{column} = ?")
        params.append((crit.el.text or "").strip())

    return apply


def one_of(column):
    """A list of values, any of which matches (``accountTypeList/acctType``)."""

    def apply(crit, where, params):
        values = [(c.el.text or "").strip() for c in crit.children()]
        where.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    return apply


def matches_nothing(crit, where, params):
    where.append("0")


def matches_everything(crit, where, params):
    pass


def enum_cases(cases):
    """An enumerated criterion: ``cases`` maps each value to its SQL condition."""

    def apply(crit, where, params):
        value = (crit.el.text or crit.text("value") or "").strip()
        if value not in cases:
            raise BadRequest(f"{crit.name} {value!r} is not one of {', '.join(cases)}")
        where.append(cases[value])

    return apply


def attributes(defined, what):
    """A custom-attribute query list; ``defined`` maps the attribute names that exist on the
    simulated site to their column. A name that is not defined is refused clearly."""

    def apply(crit, where, params):
        for attribute in crit.children():
            name = attribute.text("attributeName")
            if name not in defined:
                known = ", ".join(defined) or "none"
                raise BadRequest(f"no custom attribute {name!r} is defined for {what} (defined: {known})")
            for value in attribute.children():
                if value.name == "attributeName":
                    continue
                if value.name != "stringValue":
                    raise BadRequest(f"custom attribute {name} holds text: query it with stringValue")
                sql, param = _text_condition(value, defined[name])
                where.append(sql)
                params.append(param)

    return apply


class NotModelled:
    """A criterion of the real schema that the simulated site has no data for."""

    def __init__(self, reason):
        self.reason = reason


def criteria(q, spec, operation):
    """WHERE conditions for the criteria element ``q`` (None: no criteria)."""
    where, params = [], []
    if q is None:
        return where, params
    for crit in q.children():
        handler = spec.get(crit.name)
        if handler is None:
            raise BadRequest(f"{operation} has no query criterion {crit.name}")
        if isinstance(handler, NotModelled):
            raise Unsupported(
                f"{operation}: the simulator does not implement the criterion {crit.name} ({handler.reason})"
            )
        handler(crit, where, params)
    return where, params


# --- identifiers -----------------------------------------------------------------------------


def ident(unique_id, key, value):
    return [("uniqueId", unique_id), ("primaryKeys", [(key, value)])]


def pk(key, value):
    return [("primaryKeys", [(key, value)])]


def product_ident(unique, name, version):
    return [("uniqueId", unique), ("primaryKeys", [("name", name), ("version", version)])]


def attribute_pairs(values):
    return [("attribute", [("attributeName", k), ("stringValue", v)]) for k, v in values if v is not None]


def check_id(value, what):
    """FlexNet's rules for a caller's activation ID: not empty, at most 255 characters, none
    of , " & % ^ ( ) # @ ! ~ / < > ` } { = | ."""
    if not value or not value.strip():
        raise Refused(f"{what} must not be empty")
    if len(value) > ID_MAX_LENGTH:
        raise Refused(f"{what} {value[:40]}... is longer than {ID_MAX_LENGTH} characters")
    bad = sorted({ch for ch in value if ch in ID_FORBIDDEN})
    if bad:
        raise Refused(f"{what} {value!r} contains characters FlexNet does not allow: {' '.join(bad)}")
    return value


def entitlement_row(db, ident_req, kind=None):
    """The entitlement an ``entitlementIdentifierType`` names, or None."""
    if ident_req is None:
        return None
    key = ident_req.text("primaryKeys/entitlementId")
    unique = ident_req.text("uniqueId")
    if key:
        row = db.execute("SELECT * FROM entitlements WHERE entitlement_id = ?", (key,)).fetchone()
    elif unique:
        row = db.execute("SELECT * FROM entitlements WHERE unique_id = ?", (unique,)).fetchone()
    else:
        return None
    if row is not None and kind and row["kind"] != kind:
        return None
    return row


def identified(ident_req, key="activationId"):
    """The key an identifier type names (its primary key, else its unique ID)."""
    if ident_req is None:
        return None
    return ident_req.text(f"primaryKeys/{key}") or ident_req.text("uniqueId")


# --- writes ----------------------------------------------------------------------------------


def op_type(req):
    op = req.text("opType")
    if op not in (None, "CREATE_OR_UPDATE", "CREATE_OR_IGNORE"):
        raise BadRequest(f"opType {op!r} is not a CreateOrUpdateOperationType")
    return op


def failed_copy(element, ns, wrapper, item_name, reason):
    """FlexNet echoes each refused input record with its reason."""
    clone = copy.deepcopy(element)
    clone.tag = f"{{{ns}}}{item_name}"
    return (wrapper, [(item_name, clone), ("reason", reason)])


def write_status(ctx, created, failed):
    if ctx.partial and created:
        return "PARTIAL_FAILURE", "some records were refused"
    if failed and created:
        return "PARTIAL_FAILURE", "some records were refused"
    if failed:
        return "FAILURE", failed[0][1][-1][1]
    return "SUCCESS", None


def refuse_unmodelled(item, handled, what):
    """Refuse a record that sets something the simulator does not keep (rather than drop it)."""
    for child in item.children():
        if child.name not in handled:
            raise Refused(f"{what}: the simulator does not implement {child.name}")
