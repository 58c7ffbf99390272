"""What every service of the client shares: endpoints, the call, statuses, paging, writes."""

from .exceptions import MalformedResponse, OperationFailed, PartialFailure
from .records import STATUS_FAILURE, STATUS_PARTIAL_FAILURE, STATUS_SUCCESS, FailedRecord, WriteResult
from .transport import Transport
from .xmlutil import local, to_int

NS_ENTITLEMENTS = "urn:v4.webservices.operations.flexnet.com"
NS_ACCOUNTS = "urn:v3.webservices.operations.flexnet.com"
NS_PRODUCTS = "urn:v2.webservices.operations.flexnet.com"
NS_ORGANIZATIONS = "urn:v1.webservices.operations.flexnet.com"
NS_AUTH = "urn:v1.webservices.platform.flexnet.com"

SERVICES = {
    NS_ENTITLEMENTS: "v4/EntitlementOrderService",
    NS_ACCOUNTS: "v3/UserAcctHierarchyService",
    NS_PRODUCTS: "v2/ProductPackagingService",
    NS_ORGANIZATIONS: "v1/UserOrgHierarchyService",
    NS_AUTH: "v1/FlexnetAuthentication",
}
MAX_PAGE_SIZE = 2000
MAX_WRITE_BATCH = 25
ACCOUNT_API_V3 = "v3"
ACCOUNT_API_V1 = "v1"


class ClientBase:
    """One FlexNet Operations site: the transport and the plumbing every service uses."""

    def __init__(
        self, base_url, auth=None, *, account_api=ACCOUNT_API_V3, page_size=200, **transport_options
    ):
        if account_api not in (ACCOUNT_API_V3, ACCOUNT_API_V1):
            raise ValueError(f"account_api must be 'v3' or 'v1', not {account_api!r}")
        self.transport = Transport(base_url, auth, **transport_options)
        self.account_api = account_api
        self.page_size = check_page_size(page_size)

    def _call(self, ns, operation, payload, response_element, *, idempotent=True):
        body = self.transport.call(SERVICES[ns], operation, payload, idempotent=idempotent)
        if body.tag != f"{{{ns}}}{response_element}":
            raise MalformedResponse(
                f"expected <{response_element}> in {ns}, got {body.tag}",
                operation=operation,
                url=self.transport.endpoint(SERVICES[ns]),
            )
        return body

    def _status(self, body, operation):
        status = reason = None
        info = next((c for c in body if local(c.tag) == "statusInfo"), None)
        if info is None:
            raise MalformedResponse("the answer has no statusInfo", operation=operation)
        for child in info:
            if local(child.tag) == "status":
                status = (child.text or "").strip()
            elif local(child.tag) == "reason":
                reason = child.text
        if status not in (STATUS_SUCCESS, STATUS_FAILURE, STATUS_PARTIAL_FAILURE):
            raise MalformedResponse(f"unknown status {status!r}", operation=operation)
        return status, reason

    def _pages(self, ns, operation, response_element, build, parse, page_size, key=None, entries=None):
        """Walk a query page by page until a short page.

        A page is short when the site answered fewer entries than asked for: ``entries(body)``
        counts them where ``parse`` keeps only some (getEntitlementsQuery answers bulk
        entitlements besides the simple ones the client reads); by default, the records parsed.

        FlexNet's guide says nothing of the order of the pages: if the site orders by
        modification time, a record changed during the walk can come twice. With ``key``, a
        record already yielded comes again only when it is newer (its ``last_modified``), so
        that a repeat costs nothing and a change is not lost.
        """
        size = check_page_size(page_size or self.page_size)
        page = 1
        seen = {}
        while True:
            body = self._call(ns, operation, build(page, size), response_element)
            status, reason = self._status(body, operation)
            if status == STATUS_FAILURE:
                raise OperationFailed(
                    f"FlexNet refused the query: {reason}", reason=reason, operation=operation
                )
            records = parse(body)
            if status == STATUS_PARTIAL_FAILURE:
                raise PartialFailure(
                    f"FlexNet answered page {page} only in part: {reason}",
                    reason=reason,
                    records=records,
                    operation=operation,
                )
            fresh = records if key is None else _first_or_newer(records, key, seen)
            if fresh:
                yield fresh
            if (len(records) if entries is None else entries(body)) < size:
                return
            page += 1

    def _count(self, ns, operation, payload, response_element):
        """A getXxxCount answer: ``count`` under ``responseData`` (or directly, as
        getEntitlementCount answers)."""
        body = self._call(ns, operation, payload, response_element)
        status, reason = self._status(body, operation)
        if status != STATUS_SUCCESS:
            raise OperationFailed(f"FlexNet refused the count: {reason}", reason=reason, operation=operation)
        for child in body:
            name = local(child.tag)
            if name == "count":
                return to_int(child.text)
            if name == "responseData":
                for part in child:
                    if local(part.tag) == "count":
                        return to_int(part.text)
        raise MalformedResponse("the answer has no count", operation=operation)

    def _write(self, ns, operation, response_element, records, build, parse):
        """Send ``records`` in calls of at most 25 and fold the results into one.

        ``parse(body, chunk)`` returns (created, failed) of one answer."""
        records = list(records)
        result = WriteResult()
        for start in range(0, len(records), MAX_WRITE_BATCH):
            chunk = records[start : start + MAX_WRITE_BATCH]
            body = self._call(ns, operation, build(chunk), response_element, idempotent=False)
            status, reason = self._status(body, operation)
            created, failed = parse(body, chunk)
            if status == STATUS_FAILURE and not failed:
                failed = [FailedRecord(None, reason)]
                created = []
            result.merge(WriteResult(status=status, reason=reason, created=created, failed=failed))
        if result.status == STATUS_FAILURE:
            raise OperationFailed(
                f"FlexNet refused {operation}: {result.reason or '; '.join(str(f.reason) for f in result.failed)}",
                reason=result.reason,
                failed=result.failed,
                operation=operation,
            )
        return result


def _first_or_newer(records, key, seen):
    fresh = []
    for record in records:
        name = key(record)
        stamp = getattr(record, "last_modified", None)
        if name in seen:
            before = seen[name]
            if stamp is None or before is None or stamp <= before:
                continue
        seen[name] = stamp
        fresh.append(record)
    return fresh


def response_data(body, parse_one):
    """Records of a query answer's ``responseData`` element (none when it is absent)."""
    data = next((c for c in body if local(c.tag) == "responseData"), None)
    return [] if data is None else [parse_one(el) for el in data]


def check_page_size(size):
    size = int(size)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"page size must be between 1 and {MAX_PAGE_SIZE}, not {size}")
    return size


def failed_records(body, container, key_of):
    """``FailedRecord`` of each ``failedData`` item: ``key_of(element)`` reads the key from the
    echoed ``container`` element of an item."""
    failed = []
    for child in body:
        if local(child.tag) != "failedData":
            continue
        for item in child:
            key = reason = None
            for part in item:
                tag = local(part.tag)
                if tag == container:
                    key = key_of(part)
                elif tag == "reason":
                    reason = part.text
            failed.append(FailedRecord(key, reason))
    return failed
