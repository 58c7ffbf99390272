"""One importer per kind of FlexNet record: page in, batched upserts out."""

import dataclasses
import logging
from collections import Counter

from .. import flexnet_client as fc
from . import mapper
from .binder import Binder, changed_values

_logger = logging.getLogger(__name__)


class Importer:
    """Imports pages of one kind of record; counts created/updated/unchanged/failed."""

    kind = None
    watermark_field = None
    models = ()  # where the importer stores its records

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env
        self.stats = Counter()
        self.errors = []

    # --- to implement --------------------------------------------------------------------

    def pages(self, client, since):
        raise NotImplementedError

    def import_page(self, records):
        raise NotImplementedError

    @staticmethod
    def record_from_dict(data):
        raise NotImplementedError

    # --- shared ----------------------------------------------------------------------------

    @staticmethod
    def modified(record):
        return getattr(record, "last_modified", None)

    def fail(self, key, reason):
        self.stats["failed"] += 1
        self.errors.append(f"{key}: {reason}")
        _logger.info("FlexNet %s %s not imported: %s", self.kind, key, reason)

    def upsert(self, model, bound, mapped):
        """Create what is new (one ``create``), write only what changed. Returns {key: record}."""
        result = {}
        existing = model.browse([record.id for record in bound.values()])
        fields = sorted({name for vals in mapped.values() for name in vals})
        current = {row["id"]: row for row in existing.read(fields, load=None)} if existing else {}
        to_create = []
        for key, vals in mapped.items():
            record = bound.get(key)
            if record is None:
                to_create.append((key, vals))
                continue
            diff = changed_values(current[record.id], vals)
            if diff:
                record.write(diff)
                self.stats["updated"] += 1
            else:
                self.stats["unchanged"] += 1
            result[key] = record
        if to_create:
            created = model.create([vals for _key, vals in to_create])
            for (key, _vals), record in zip(to_create, created, strict=True):
                result[key] = record
            self.stats["created"] += len(created)
        return result


class ProductImporter(Importer):
    kind = "products"
    models = ("product.template", "product.product")
    watermark_field = "watermark_products"

    def pages(self, client, since):
        return client.iter_product_pages(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        data = dict(data, part_numbers=[fc.PartNumber(**p) for p in data["part_numbers"]])
        return fc.Product(**data)

    def import_page(self, records):
        mapped = {}
        for product in records:
            for part in product.part_numbers:
                try:
                    mapped[part.part_id] = mapper.map_product(product, part, self.backend)
                except mapper.MappingError as exc:
                    self.fail(f"{product.name} {part.part_id}", exc)
        self.stats["fetched"] += len(mapped)
        Template = self.env["product.template"].with_context(active_test=False)
        bound = Binder(Template, self.backend, "default_code").lookup(mapped)
        # adopt products created by hand with the same internal reference (part number)
        loose = [key for key in mapped if key not in bound]
        if loose:
            for template in Template.search(
                [("flexnet_backend_id", "=", False), ("default_code", "in", loose)]
            ):
                bound.setdefault(template.default_code, template)
        for key, vals in mapped.items():
            if key not in bound and vals["flexnet_kind"] == "maintenance":
                vals["flexnet_term_months"] = 12
        self.upsert(Template, bound, mapped)


class AccountImporter(Importer):
    kind = "accounts"
    models = ("res.partner",)
    watermark_field = "watermark_accounts"

    def pages(self, client, since):
        return client.iter_account_pages(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        address = data.get("address")
        return fc.Account(**dict(data, address=fc.Address(**address) if address else None))

    def import_page(self, records):
        self.stats["fetched"] += len(records)
        codes = {(a.address.country or "").upper() for a in records if a.address and a.address.country}
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", list(codes))])}
        mapped = {}
        for account in records:
            try:
                mapped[account.account_id] = mapper.map_account(account, self.backend, countries)
            except mapper.MappingError as exc:
                self.fail(account.account_id or account.name, exc)
        Partner = self.env["res.partner"].with_context(active_test=False)
        bound = Binder(Partner, self.backend, "flexnet_account_id").lookup(mapped)
        loose = [key for key in mapped if key not in bound]
        if loose:  # an Odoo customer whose reference is the FlexNet account ID
            for partner in Partner.search(
                [("flexnet_account_id", "=", False), ("is_company", "=", True), ("ref", "in", loose)]
            ):
                bound.setdefault(partner.ref, partner)
        self.upsert(Partner, bound, mapped)


class UserImporter(Importer):
    kind = "users"
    models = ("res.partner",)
    watermark_field = "watermark_users"

    def pages(self, client, since):
        return client.iter_user_pages(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        return fc.User(
            **dict(
                data, accounts=[fc.AccountRoles(a["account_id"], tuple(a["roles"])) for a in data["accounts"]]
            )
        )

    def import_page(self, records):
        self.stats["fetched"] += len(records)
        Partner = self.env["res.partner"].with_context(active_test=False)
        account_ids = {m.account_id for user in records for m in user.accounts}
        accounts = Binder(Partner, self.backend, "flexnet_account_id").lookup(account_ids)
        mapped = {}
        member_of = {}
        for user in records:
            key = mapper.user_key(user)
            member_of[key] = {accounts[m.account_id].id for m in user.accounts if m.account_id in accounts}
            parent = next((accounts[m.account_id] for m in user.accounts if m.account_id in accounts), None)
            if parent is None:
                self.fail(
                    key,
                    "none of its accounts is in Odoo yet ({})".format(
                        ", ".join(m.account_id for m in user.accounts)
                    ),
                )
                continue
            try:
                mapped[key] = mapper.map_user(user, self.backend, parent)
            except mapper.MappingError as exc:
                self.fail(key, exc)
        bound = Binder(Partner, self.backend, "flexnet_user_name").lookup(mapped)
        loose = {
            (vals["parent_id"], (vals["email"] or "").lower()): key
            for key, vals in mapped.items()
            if key not in bound
        }
        if loose:  # augment the existing contact of that account with the same e-mail
            candidates = Partner.search(
                [
                    ("flexnet_user_name", "=", False),
                    ("parent_id", "in", list({p for p, _e in loose})),
                    ("email", "in", [e for _p, e in loose if e]),
                ]
            )
            for contact in candidates:
                key = loose.get((contact.parent_id.id, (contact.email or "").lower()))
                if key:
                    bound.setdefault(key, contact)
        for key, contact in bound.items():
            # a member of several accounts stays under the one it already belongs to: FlexNet
            # lists a user's accounts in no meaningful order, and moving a contact would hand
            # its portal user another account's entitlements and orders
            if key in mapped and contact.parent_id.id in member_of.get(key, ()):
                mapped[key]["parent_id"] = contact.parent_id.id
        self.upsert(Partner, bound, mapped)


class LineImporter(Importer):
    kind = "lines"
    models = ("flexnet.entitlement", "flexnet.entitlement.line")
    watermark_field = "watermark_lines"

    def pages(self, client, since):
        return client.iter_line_item_pages(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        return fc.LineItem(
            **dict(data, maintenance=[fc.MaintenanceLineItem(**m) for m in data["maintenance"]])
        )

    def import_page(self, records):
        env = self.env
        self.stats["fetched"] += len(records) + sum(len(li.maintenance) for li in records)
        Partner = env["res.partner"].with_context(active_test=False)
        Product = env["product.product"].with_context(active_test=False)
        Entitlement = env["flexnet.entitlement"]
        Line = env["flexnet.entitlement.line"]

        accounts = Binder(Partner, self.backend, "flexnet_account_id").lookup({li.sold_to for li in records})
        parts = {li.part_number for li in records} | {m.part_number for li in records for m in li.maintenance}
        products = {
            p.default_code: p
            for p in Product.search(
                [("flexnet_backend_id", "=", self.backend.id), ("default_code", "in", list(parts))]
            )
        }
        usable = []
        for li in records:
            if li.sold_to not in accounts:
                self.fail(li.activation_id, f"account {li.sold_to} is not in Odoo yet")
                self.stats["failed"] += len(li.maintenance)
            elif li.part_number not in products:
                self.fail(li.activation_id, f"part number {li.part_number} is not in Odoo yet")
                self.stats["failed"] += len(li.maintenance)
            elif not li.entitlement_id:
                self.fail(li.activation_id, "line without an entitlement ID")
            else:
                usable.append(li)

        # entitlements: bind, create the missing ones in one call
        bound_ents = Binder(Entitlement, self.backend, "name", "backend_id").lookup(
            {li.entitlement_id for li in usable}
        )
        new_ents = {}
        for li in usable:
            if li.entitlement_id not in bound_ents and li.entitlement_id not in new_ents:
                new_ents[li.entitlement_id] = {
                    "name": li.entitlement_id,
                    "backend_id": self.backend.id,
                    "partner_id": accounts[li.sold_to].id,
                    "account_id": li.sold_to,
                    "state": li.entitlement_state or False,
                }
        # an entitlement already in Odoo follows FlexNet's owner and state (a transfer to
        # another account, a state change); on a transfer all its lines move with it
        changes = {}
        for li in usable:
            entitlement = bound_ents.get(li.entitlement_id)
            if entitlement is None or li.entitlement_id in new_ents:
                continue
            wanted = (accounts[li.sold_to].id, li.sold_to, li.entitlement_state or False)
            if wanted != (entitlement.partner_id.id, entitlement.account_id, entitlement.state):
                changes.setdefault(wanted, Entitlement)
                changes[wanted] |= entitlement
        for (partner_id, account_id, state), entitlements in changes.items():
            moved = entitlements.filtered(lambda e, p=partner_id: e.partner_id.id != p)
            entitlements.write({"partner_id": partner_id, "account_id": account_id, "state": state})
            (moved.line_ids | moved.maintenance_line_ids).write({"partner_id": partner_id})
        if new_ents:
            for record in Entitlement.create(list(new_ents.values())):
                bound_ents[record.name] = record

        mapped = {
            li.activation_id: mapper.map_line(
                li,
                self.backend,
                bound_ents[li.entitlement_id],
                accounts[li.sold_to],
                products[li.part_number],
            )
            for li in usable
        }
        keys = set(mapped) | {m.activation_id for li in usable for m in li.maintenance}
        bound = Binder(Line, self.backend, "activation_id", "backend_id").lookup(keys)
        lines = self.upsert(Line, bound, mapped)

        maintenance = {}
        for li in usable:
            for item in li.maintenance:
                product = products.get(item.part_number)
                if product is None:
                    self.fail(item.activation_id, f"part number {item.part_number} is not in Odoo yet")
                    continue
                maintenance[item.activation_id] = mapper.map_maintenance(
                    item,
                    self.backend,
                    bound_ents[li.entitlement_id],
                    accounts[li.sold_to],
                    product,
                    lines[li.activation_id].id,
                )
        if maintenance:
            self.upsert(Line, bound, maintenance)


IMPORTER_CLASSES = (ProductImporter, AccountImporter, UserImporter, LineImporter)


def serialize(records):
    """Records as JSON-friendly dicts (dates stay dates: queue_job encodes them)."""
    return [dataclasses.asdict(record) for record in records]
