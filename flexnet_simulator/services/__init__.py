"""The simulated operations, one function each, one module per service."""

from . import accounts, authentication, entitlement_writes, entitlements, products
from .common import (
    NS_AUTH,
    NS_V1,
    NS_V2,
    NS_V3,
    NS_V4,
    READ_CAP,
    TOKEN_SECONDS,
    WRITE_CAP,
    Context,
    _stamp_of,
)


def _v1(handler):
    return lambda ctx, req: handler(ctx, req, v1=True)


# path -> (namespace, {request element: (operation, handler, response element)})
ROUTES = {
    "/flexnet/services/v2/ProductPackagingService": (
        NS_V2,
        {
            "getProductsQueryRequest": (
                "getProductsQuery",
                products.get_products,
                "getProductsQueryResponse",
            ),
            "getProductCountRequest": ("getProductCount", products.count_products, "getProductCountResponse"),
            "getFeaturesQueryRequest": (
                "getFeaturesQuery",
                products.get_features,
                "getFeaturesQueryResponse",
            ),
        },
    ),
    "/flexnet/services/v3/UserAcctHierarchyService": (
        NS_V3,
        {
            "getAccountsQueryRequest": (
                "getAccountsQuery",
                accounts.get_accounts,
                "getAccountsQueryResponse",
            ),
            "getAccountCountRequest": ("getAccountCount", accounts.count_accounts, "getAccountCountResponse"),
            "getUsersQueryRequest": ("getUsersQuery", accounts.get_users, "getUsersQueryResponse"),
            "getUserCountRequest": ("getUserCount", accounts.count_users, "getUserCountResponse"),
            "createAcctRequest": ("createAccount", accounts.create_accounts, "createAcctResponse"),
            "createUserRequest": ("createUser", accounts.create_users, "createUserResponse"),
        },
    ),
    "/flexnet/services/v1/UserOrgHierarchyService": (
        NS_V1,
        {
            "getOrganizationsQueryRequest": (
                "getOrganizationsQuery",
                _v1(accounts.get_accounts),
                "getOrganizationsQueryResponse",
            ),
            "getOrganizationCountRequest": (
                "getOrganizationCount",
                _v1(accounts.count_accounts),
                "getOrganizationCountResponse",
            ),
            "getUsersQueryRequest": ("getUsersQuery", _v1(accounts.get_users), "getUsersQueryResponse"),
            "getUserCountRequest": ("getUserCount", _v1(accounts.count_users), "getUserCountResponse"),
        },
    ),
    "/flexnet/services/v4/EntitlementOrderService": (
        NS_V4,
        {
            "searchEntitlementLineItemPropertiesRequest": (
                "getEntitlementLineItemPropertiesQuery",
                entitlements.get_line_items,
                "searchEntitlementLineItemPropertiesResponse",
            ),
            "searchEntitlementMaintenanceLineItemPropertiesRequest": (
                "getEntitlementMaintenanceLineItemPropertiesQuery",
                entitlements.get_maintenance_items,
                "searchEntitlementMaintenanceLineItemPropertiesResponse",
            ),
            "searchEntitlementRequest": (
                "getEntitlementsQuery",
                entitlements.get_entitlements,
                "searchEntitlementResponse",
            ),
            "getActivatableItemCountRequest": (
                "getActivatableItemCount",
                entitlements.count_line_items,
                "getActivatableItemCountResponse",
            ),
            "getEntitlementCountRequest": (
                "getEntitlementCount",
                entitlements.count_entitlements,
                "getEntitlementCountResponse",
            ),
            "createSimpleEntitlementRequest": (
                "createSimpleEntitlement",
                entitlement_writes.create_simple_entitlements,
                "createSimpleEntitlementResponse",
            ),
            "createBulkEntitlementRequest": (
                "createBulkEntitlement",
                entitlement_writes.create_bulk_entitlements,
                "createBulkEntitlementResponse",
            ),
            "createEntitlementLineItemRequest": (
                "createEntitlementLineItem",
                entitlement_writes.create_line_items,
                "createEntitlementLineItemResponse",
            ),
            "updateEntitlementLineItemRequest": (
                "updateEntitlementLineItem",
                entitlement_writes.update_line_items,
                "updateEntitlementLineItemResponse",
            ),
            "linkMaintenanceLineItemRequest": (
                "linkMaintenanceLineItem",
                entitlement_writes.link_maintenance,
                "linkMaintenanceLineItemResponse",
            ),
            "setEntitlementStateRequest": (
                "setEntitlementState",
                entitlement_writes.set_entitlement_state,
                "setEntitlementStateResponse",
            ),
            "emailEntitlementRequest": (
                "emailEntitlement",
                entitlements.email_entitlement,
                "emailEntitlementResponse",
            ),
        },
    ),
    "/flexnet/services/v1/FlexnetAuthentication": (
        NS_AUTH,
        {
            "AuthenticateUserInput": (
                "authenticateUser",
                authentication.authenticate_user,
                "AuthenticateUserReturn",
            ),
            "secureTokenRequest": ("getSecureToken", authentication.get_secure_token, "secureTokenResponse"),
            "validateTokenRequest": ("validateToken", authentication.validate_token, "validateTokenResponse"),
        },
    ),
}
OPERATIONS = sorted({entry[0] for _, table in ROUTES.values() for entry in table.values()})
# operations that answer statusInfo (an injected FAILURE can be expressed in their answer)
STATUS_OPERATIONS = frozenset(
    entry[0]
    for _, table in ROUTES.values()
    for entry in table.values()
    if entry[0]
    not in (
        "authenticateUser",
        "getSecureToken",
        "validateToken",
    )
)
