"""What each account may buy stays true through any mix of the operations that change it.

A seeded random walk over a small world (accounts, software titles, licenses and add-ons
gated in every way) applies sync pages of entitlement lines (new lines, seat, expiry, state
and permanence changes, entitlements transferred to another account), deleted
entitlements, product gating edits, account-type changes of accounts and of the types
themselves. After every step, ``flexnet.entitled.product`` and the shop's gating, read
through the cache that the previous step filled, are compared with a recomputation from
the entitlement lines written here independently of the addons' SQL.
"""

import random
from datetime import date, timedelta

from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tests import TransactionCase, tagged

from odoo.addons.flexnet_sync import flexnet_client as fc
from odoo.addons.flexnet_sync.sync.importer import LineImporter

STEPS = 1000
SEED = 20261201
TITLES = ("Atlas", "Borealis", "Cygnus")
STATES = (None, "DEPLOYED", "DEPLOYED", "DRAFT", "INACTIVE", "OBSOLETE")
GATINGS = (False, "open", "entitled", "title", "products")


@tagged("post_install", "-at_install")
class TestGatingProperty(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date.today()
        cls.backend = cls.env["flexnet.backend"].create(
            {"name": "property walk", "url": "http://127.0.0.1:9", "username": "x", "password": "x"}
        )
        types = cls.env["product.template"]._fields["flexnet_account_type_ids"].comodel_name
        cls.AccountType = cls.env[types]
        cls.type_codes = [
            code for code, _label in cls.env["res.partner"]._fields["flexnet_account_type"].selection
        ]
        cls.accounts = cls.env["res.partner"].create(
            [
                {
                    "name": f"Walk account {i}",
                    "is_company": True,
                    "flexnet_backend_id": cls.backend.id,
                    "flexnet_account_id": f"WALK-{i}",
                    "flexnet_account_type": cls.type_codes[i % len(cls.type_codes)],
                }
                for i in range(4)
            ]
        )
        cls.member = cls.env["res.partner"].create({"name": "Walk member", "parent_id": cls.accounts[0].id})
        cls.stranger = cls.env["res.partner"].create({"name": "No account", "is_company": True})
        vals = []
        for title in TITLES:
            for kind, gating in (("license", "open"), ("addon", "title"), ("seats", "products")):
                vals.append(
                    {
                        "name": f"{title} {kind}",
                        "default_code": f"WALK-{title}-{kind}".upper(),
                        "type": "service",
                        "flexnet_backend_id": cls.backend.id,
                        "flexnet_kind": kind,
                        "flexnet_title": title,
                        "flexnet_product_name": title if kind == "license" else f"{title} {kind}",
                        "flexnet_gating": gating,
                    }
                )
        cls.templates = cls.env["product.template"].create(vals)
        cls.products = cls.templates.product_variant_ids

    # --- the truth, recomputed from the lines -------------------------------------------------

    def expected_rows(self):
        rows = {}
        lines = self.env["flexnet.entitlement.line"].search(
            [("backend_id", "=", self.backend.id), ("line_type", "=", "entitlement")]
        )
        for line in lines:
            if not line.product_id or (line.state or "") in ("INACTIVE", "OBSOLETE"):
                continue
            key = (line.partner_id.id, line.product_id.id)
            seats, permanent, end = rows.get(key, (0, False, None))
            seats += line.seats
            permanent = permanent or line.is_permanent
            if line.expiration_date and (end is None or line.expiration_date > end):
                end = line.expiration_date
            rows[key] = (seats, permanent, end)
        return {
            key: (
                seats,
                None if permanent else end,
                self.env["product.product"].browse(key[1]).flexnet_product_name,
            )
            for key, (seats, permanent, end) in rows.items()
        }

    def actual_rows(self):
        rows = self.env["flexnet.entitled.product"].search([("backend_id", "=", self.backend.id)])
        return {
            (row.partner_id.id, row.product_id.id): (row.seats, row.date_end or None, row.product_name)
            for row in rows
        }

    def expected_allowed(self, partner, on_date, rows):
        commercial = partner.commercial_partner_id
        valid = {
            product_id: name
            for (account, product_id), (_seats, end, name) in rows.items()
            if account == commercial.id and (end is None or end >= on_date)
        }
        titles = {name or "" for name in valid.values()}
        allowed = set()
        for template in self.templates:
            gating = template.flexnet_gating
            if gating in (False, "open"):
                ok = True
            elif gating == "entitled":
                ok = bool(valid)
            elif gating == "title":
                ok = bool(template.flexnet_title) and template.flexnet_title in titles
            else:
                ok = bool(set(template.flexnet_required_product_ids.ids) & set(valid))
            types = template.flexnet_account_type_ids
            if types and (commercial.flexnet_account_type or "") not in types.mapped("code"):
                ok = False
            if ok:
                allowed.add(template.id)
        return allowed

    def actual_allowed(self, partner, on_date):
        Template = self.env["product.template"]
        domain = Template._flexnet_gating_domain(partner, on_date=on_date)
        return set(Template.search(domain & Domain("id", "in", self.templates.ids)).ids)

    def check(self, step, what):
        rows = self.expected_rows()
        self.assertEqual(self.actual_rows(), rows, f"seed {SEED}, step {step} ({what}): entitled products")
        on_date = self.dates[step % 2]  # today, and a date some entitlements have ended by
        for partner in (*self.accounts, self.member, self.stranger):
            self.assertEqual(
                self.actual_allowed(partner, on_date),
                self.expected_allowed(partner, on_date, rows),
                f"seed {SEED}, step {step} ({what}): what {partner.name} may buy on {on_date}",
            )

    # --- the operations -------------------------------------------------------------------

    def op_sync_page(self, rnd):
        records = []
        for _i in range(rnd.randint(1, 3)):
            if self.lines and rnd.random() < 0.6:
                activation = rnd.choice(sorted(self.lines))
            else:
                activation = f"WALK-ACT-{len(self.lines)}"
                self.lines[activation] = (
                    f"WALK-ENT-{rnd.randrange(6)}",
                    rnd.choice(self.products).default_code,
                )
            entitlement, part = self.lines[activation]
            self.owners.setdefault(entitlement, rnd.choice(self.accounts).flexnet_account_id)
            permanent = rnd.random() < 0.2
            records.append(
                fc.LineItem(
                    activation_id=activation,
                    entitlement_id=entitlement,
                    sold_to=self.owners[entitlement],
                    state=rnd.choice(STATES),
                    part_number=part,
                    number_of_copies=rnd.randint(1, 5),
                    is_permanent=permanent,
                    expiration_date=None if permanent else self.today + timedelta(days=rnd.randint(-90, 400)),
                )
            )
        LineImporter(self.backend).import_page(records)
        return f"sync page {[r.activation_id for r in records]}"

    def op_transfer(self, rnd):
        if not self.owners:
            return self.op_sync_page(rnd)
        entitlement = rnd.choice(sorted(self.owners))
        self.owners[entitlement] = rnd.choice(self.accounts).flexnet_account_id
        # FlexNet sends the entitlement's lines again, under the new owner
        activations = [a for a, (e, _p) in self.lines.items() if e == entitlement]
        current = {
            line.activation_id: line
            for line in self.env["flexnet.entitlement.line"].search([("activation_id", "in", activations)])
        }
        records = [
            fc.LineItem(
                activation_id=a,
                entitlement_id=entitlement,
                sold_to=self.owners[entitlement],
                state=line.state or None,
                part_number=line.part_number,
                number_of_copies=line.seats,
                is_permanent=line.is_permanent,
                expiration_date=line.expiration_date or None,
            )
            for a, line in current.items()
        ]
        LineImporter(self.backend).import_page(records[: rnd.randint(1, max(1, len(records)))])
        return f"transfer {entitlement} to {self.owners[entitlement]}"

    def op_delete_entitlement(self, rnd):
        entitlements = self.env["flexnet.entitlement"].search([("backend_id", "=", self.backend.id)])
        if not entitlements:
            return self.op_sync_page(rnd)
        doomed = rnd.choice(entitlements)
        name = doomed.name
        doomed.unlink()
        self.owners.pop(name, None)
        self.lines = {a: (e, p) for a, (e, p) in self.lines.items() if e != name}
        return f"delete entitlement {name}"

    def op_gating(self, rnd):
        template = rnd.choice(self.templates)
        vals = {"flexnet_gating": rnd.choice(GATINGS)}
        if rnd.random() < 0.5:
            vals["flexnet_required_product_ids"] = [(6, 0, rnd.sample(self.products.ids, rnd.randint(0, 3)))]
        if rnd.random() < 0.4:
            vals["flexnet_account_type_ids"] = [(6, 0, rnd.sample(self.types.ids, rnd.randint(0, 2)))]
        if rnd.random() < 0.2:
            vals["flexnet_title"] = rnd.choice((*TITLES, False))
        if rnd.random() < 0.2:
            vals["flexnet_product_name"] = rnd.choice((*TITLES, "Something else", False))
        template.write(vals)
        return f"gating of {template.name}: {vals}"

    def op_account_type(self, rnd):
        account = rnd.choice(self.accounts)
        code = rnd.choice((*self.type_codes, False))
        account.flexnet_account_type = code
        return f"{account.name} becomes {code}"

    def op_account_type_record(self, rnd):
        # deleting an account type from the configuration is refused: products limited to it
        # would open to every type
        doomed = rnd.choice(self.types)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            doomed.unlink()
        self.assertTrue(doomed.exists())
        return f"deletion of account type {doomed.code} refused"

    def test_random_walk(self):
        rnd = random.Random(SEED)
        self.lines, self.owners = {}, {}
        self.types = self.AccountType.search([("code", "in", self.type_codes)])
        self.dates = (self.today, self.today + timedelta(days=200))
        operations = [
            (self.op_sync_page, 8),
            (self.op_transfer, 2),
            (self.op_delete_entitlement, 1),
            (self.op_gating, 4),
            (self.op_account_type, 2),
            (self.op_account_type_record, 1),
        ]
        functions, weights = zip(*operations, strict=True)
        self.check(0, "start")
        done = set()
        for step in range(1, STEPS + 1):
            operation = rnd.choices(functions, weights)[0]
            what = operation(rnd)
            done.add(operation.__name__)
            self.check(step, what)
        self.assertEqual(done, {f.__name__ for f in functions})
        self.assertTrue(
            self.env["flexnet.entitled.product"].search_count([("backend_id", "=", self.backend.id)])
        )
