"""FlexNet records -> Odoo values. Pure functions; lookups are passed in."""

from datetime import timezone

PRODUCT_KINDS = {"license", "addon", "seats", "maintenance", "media_kit"}
CATEGORY_KINDS = {
    "licenses": "license",
    "add-ons": "addon",
    "extra seats": "seats",
    "maintenance": "maintenance",
    "media kits": "media_kit",
}
INACTIVE_STATES = ("INACTIVE", "OBSOLETE")
# the state of an entitlement or line that FlexNet no longer has (set by a full run's
# reconciliation; FlexNet itself never uses it)
REMOVED = "REMOVED"
# lines in these states entitle to nothing (flexnet.entitled.product) and are not renewed
CLOSED_LINE_STATES = (*INACTIVE_STATES, REMOVED)


class MappingError(ValueError):
    """A record cannot be mapped; it is logged with its key and skipped."""


def naive_utc(moment):
    """Odoo stores naive UTC datetimes."""
    if moment is None:
        return False
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def product_kind(product):
    kind = (product.attributes.get("ProductKind") or "").strip().lower()
    if kind in PRODUCT_KINDS:
        return kind
    return CATEGORY_KINDS.get((product.category or "").strip().lower(), "license")


def map_product(product, part, backend):
    if not part.part_id:
        raise MappingError("part number without an ID")
    kind = product_kind(product)
    values = {
        "name": product.name,
        "default_code": part.part_id,
        "flexnet_backend_id": backend.id,
        "flexnet_kind": kind,
        "flexnet_product_name": product.name,
        "flexnet_product_version": product.version or False,
        "flexnet_title": (product.attributes.get("BaseProduct") or product.name)
        if kind != "license"
        else product.name,
        "description_sale": product.description or False,
        "type": "consu" if kind == "media_kit" else "service",
        "sale_ok": True,
        "active": (product.state or "") not in INACTIVE_STATES,
    }
    if kind == "media_kit":
        # the ESD item the kit carries: FlexNet's value when it has one; otherwise the
        # value set in Odoo stays
        esd_item = (product.attributes.get("EsdItem") or "").strip()
        values["flexnet_esd_item_synced"] = bool(esd_item)
        if esd_item:
            values["flexnet_esd_item"] = esd_item
    return values


def map_account(account, backend, countries, states=None):
    """``countries``: ISO code -> id; ``states``: (country id, state code or name in capitals) -> id."""
    if not account.account_id or not account.name:
        raise MappingError("account without an ID or a name")
    address = account.address
    country = (address.country or "").upper() if address else ""
    country_id = countries.get(country, False)
    state = (address.state or "").strip().upper() if address else ""
    return {
        "name": account.name,
        "is_company": True,
        "flexnet_backend_id": backend.id,
        "flexnet_account_id": account.account_id,
        "flexnet_account_type": account.account_type or "CUSTOMER",
        "street": (address.address1 if address else None) or False,
        "street2": (address.address2 if address else None) or False,
        "city": (address.city if address else None) or False,
        "zip": (address.zipcode if address else None) or False,
        "country_id": country_id,
        "state_id": (states or {}).get((country_id, state), False) if state else False,
    }


def user_key(user):
    return user.user_name or user.email


def map_user(user, backend, parent):
    if not user_key(user):
        raise MappingError("user without a user name or e-mail")
    name = user.display_name or " ".join(p for p in (user.first_name, user.last_name) if p) or user_key(user)
    # the roles of the membership in the account the contact is filed under; all of them
    # when FlexNet lists none for that account
    own = [m for m in user.accounts if m.account_id and m.account_id == parent.flexnet_account_id]
    roles = sorted({role for membership in (own or user.accounts) for role in membership.roles})
    values = {
        "name": name,
        "email": user.email or False,
        "phone": user.phone or False,
        "parent_id": parent.id,
        "type": "contact",
        "is_company": False,
        "flexnet_backend_id": backend.id,
        "flexnet_user_name": user_key(user),
        "flexnet_former_user_name": False,
        "flexnet_roles": ", ".join(roles) or False,
        "flexnet_can_login": bool(user.active),
        "flexnet_last_login": naive_utc(user.last_login),
    }
    if user.unique_id:
        values["flexnet_user_unique_id"] = user.unique_id
    return values


def map_line(line, backend, entitlement, partner, product):
    return {
        "activation_id": line.activation_id,
        "backend_id": backend.id,
        # the backend's company: given, it is not computed record by record
        "company_id": backend.company_id.id,
        "entitlement_id": entitlement.id,
        "partner_id": partner.id,
        "line_type": "entitlement",
        "product_id": product.id,
        "part_number": line.part_number,
        "product_name": line.product_name or False,
        "product_version": line.product_version or False,
        "description": line.description or False,
        "seats": line.number_of_copies or 0,
        "start_date": line.start_date or False,
        "expiration_date": (line.expiration_date if not line.is_permanent else None) or False,
        "is_permanent": bool(line.is_permanent),
        "state": line.state or False,
        "order_ref": line.order_id or False,
        "order_line_number": line.order_line_number or False,
        "flexnet_modified": naive_utc(line.last_modified),
        "maintenance_end": max(
            (m.expiration_date for m in line.maintenance if m.expiration_date and not m.is_permanent),
            default=False,
        ),
    }


def map_maintenance(item, backend, entitlement, partner, product, parent_id):
    return {
        "activation_id": item.activation_id,
        "backend_id": backend.id,
        # the backend's company: given, it is not computed record by record
        "company_id": backend.company_id.id,
        "entitlement_id": entitlement.id,
        "partner_id": partner.id,
        "line_type": "maintenance",
        "parent_id": parent_id,
        "product_id": product.id,
        "part_number": item.part_number,
        "product_name": item.product_name or False,
        "product_version": item.product_version or False,
        "start_date": item.start_date or False,
        "expiration_date": (item.expiration_date if not item.is_permanent else None) or False,
        "is_permanent": bool(item.is_permanent),
        "state": item.state or False,
        "order_ref": item.order_id or False,
        "order_line_number": item.order_line_number or False,
    }
