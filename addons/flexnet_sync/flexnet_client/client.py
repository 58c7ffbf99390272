"""FlexNet Operations SOAP client: one method per operation, typed records in and out.

The operations live in one module per service (``products``, ``accounts``,
``entitlements``, ``authentication``); :class:`FlexNetClient` brings them together.
"""

from .accounts import UserAccountMixin
from .authentication import AuthenticationMixin
from .base import (
    ACCOUNT_API_V1,
    ACCOUNT_API_V3,
    MAX_PAGE_SIZE,
    MAX_WRITE_BATCH,
    NS_ACCOUNTS,
    NS_AUTH,
    NS_ENTITLEMENTS,
    NS_ORGANIZATIONS,
    NS_PRODUCTS,
    SERVICES,
    ClientBase,
)
from .entitlements import LINE_ITEM_FIELDS, LINE_ITEM_TAG, EntitlementOrderMixin, _line_item
from .products import ProductPackagingMixin

__all__ = [
    "ACCOUNT_API_V1",
    "ACCOUNT_API_V3",
    "LINE_ITEM_FIELDS",
    "LINE_ITEM_TAG",
    "MAX_PAGE_SIZE",
    "MAX_WRITE_BATCH",
    "NS_ACCOUNTS",
    "NS_AUTH",
    "NS_ENTITLEMENTS",
    "NS_ORGANIZATIONS",
    "NS_PRODUCTS",
    "SERVICES",
    "FlexNetClient",
    "_line_item",
]


class FlexNetClient(
    ProductPackagingMixin, UserAccountMixin, EntitlementOrderMixin, AuthenticationMixin, ClientBase
):
    """Talks to one FlexNet Operations site.

    ``account_api`` picks the account service: ``"v3"`` (UserAcctHierarchyService, accounts)
    or ``"v1"`` (UserOrgHierarchyService, organizations, on older sites).
    Query methods come in two forms: ``iter_xxx()`` yields records and ``iter_xxx_pages()``
    yields one list per page, so that memory stays flat whatever the data set; ``count_xxx()``
    counts what the same criteria select.
    """
