"""Pure-Python client for Flexera FlexNet Operations SOAP services.

No Odoo import anywhere in this package: the Odoo models of ``flexnet_sync`` call it, and
it can be used on its own::

    from flexnet_client import FlexNetClient, BasicAuth

    client = FlexNetClient("https://fno.example.com", BasicAuth("admin", "secret"))
    for line in client.iter_line_items(modified_since=watermark):
        ...
"""

from .client import ACCOUNT_API_V1, ACCOUNT_API_V3, MAX_PAGE_SIZE, MAX_WRITE_BATCH, FlexNetClient
from .exceptions import (
    AuthenticationError,
    FlexNetError,
    FlexNetTimeout,
    MalformedResponse,
    OperationFailed,
    PartialFailure,
    SoapFault,
    TransportError,
)
from .records import (
    ACCOUNT_TYPES,
    ENTITLEMENT_STATES,
    ID_FORBIDDEN,
    ID_MAX_LENGTH,
    OP_CREATE_OR_IGNORE,
    OP_CREATE_OR_UPDATE,
    Account,
    AccountRoles,
    Address,
    CreatedEntitlement,
    Entitlement,
    EntitlementState,
    FailedRecord,
    LineItem,
    LineItemAddition,
    MaintenanceLineItem,
    MaintenanceLink,
    NewAccount,
    NewEntitlement,
    NewLineItem,
    NewMaintenanceLineItem,
    NewUser,
    PartNumber,
    Product,
    TokenStatus,
    User,
    WriteResult,
    safe_id,
)
from .transport import BasicAuth, BearerAuth, SoapHeaderAuth, Transport
