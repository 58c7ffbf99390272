"""Property test of the maintenance terms and the accounts' overdue figures.

A seeded random mix of what changes them (pages of entitlement lines imported by the real
``LineImporter`` in page jobs and in synchronous runs: new lines, maintenance extended or
corrected, line and entitlement states, transfers to another account, seats; renewal orders
quoted, confirmed, cancelled and reset; days passing with the daily job; grace, lapse and
expiring days changed) runs on a small world, and after every step the table must equal what
:class:`TermOracle` computes here, independently, from the entitlement lines.

``RENEWAL_PROPERTY_SEED`` and ``RENEWAL_PROPERTY_STEPS`` (environment) replay another run.
"""

import os
import random
from collections import Counter
from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from odoo.addons.flexnet_sync import flexnet_client as fc
from odoo.addons.flexnet_sync.sync import SyncEngine
from odoo.addons.flexnet_sync.sync.importer import serialize

SEED = int(os.environ.get("RENEWAL_PROPERTY_SEED", "20230923"))
STEPS = int(os.environ.get("RENEWAL_PROPERTY_STEPS", "1000"))
START = date(2027, 1, 15)
ANALYZE_EVERY = 50  # steps

# license part -> (software title, maintenance SKUs of the title)
LICENSES = {
    "PRP-CAD-LIC": ("Property CAD", ("PRP-CAD-MNT",)),
    "PRP-SIM-LIC": ("Property Sim", ("PRP-SIM-MNT", "PRP-SIM-MNT-PRO")),
}
PRICES = {"PRP-CAD-MNT": 100.0, "PRP-SIM-MNT": 200.0, "PRP-SIM-MNT-PRO": 350.0}
ACCOUNTS = ("PRP-A1", "PRP-A2", "PRP-A3", "PRP-A4")
DISCOUNTED = "PRP-A2"  # its pricelist takes 20 % off
LINE_STATES = ("DEPLOYED", "DEPLOYED", "INACTIVE", "OBSOLETE", None)
OPEN_STATES = ("active", "expiring", "grace", "past_due")
OVERDUE_STATES = ("grace", "past_due")
CLOSED_LINE_STATES = ("INACTIVE", "OBSOLETE", "REMOVED")
COMPARED = (
    "account_id",
    "company_id",
    "backend_id",
    "entitlement_id",
    "product_id",
    "title",
    "maintenance_product_id",
    "seats",
    "date_start",
    "user_id",
    "country_id",
    "account_type",
    "state",
    "days_past_due",
    "age_bucket",
    "renewal_rate",
    "renewal_date",
    "amount",
    "amount_company",
)


class OnePageClient:
    """FlexNet as far as a synchronous incremental run of lines asks it: one page of line items
    (and their count)."""

    def __init__(self, page):
        self.page = page

    def iter_line_item_pages(self, modified_since=None):
        yield self.page

    def count_line_items(self, modified_since=None):
        return len(self.page)


class TermOracle:
    """The terms and overdue figures the table must hold, recomputed from the entitlement lines
    with the rules of ``maintenance.renewal.term._refresh`` written again, in Python.

    What cannot be read from the lines is carried from one step to the next: the earlier
    terms of a line (the renewal history), the day a term was first seen renewed, whether a
    closed term was priced, and the id of each term (a term kept must keep its id: orders
    point at it).
    """

    def __init__(self, case):
        self.case = case
        self.rows = {}  # (line id, date_end): expected values, with "id" once seen

    def source(self):
        """Everything the terms derive from, read from the database as it is now."""
        case = self.case
        cr = case.env.cr
        case.env.flush_all()
        cr.execute(
            "SELECT id, line_type, parent_id, partner_id, entitlement_id, product_id, product_name, seats, "
            "maintenance_end, start_date, expiration_date, state FROM flexnet_entitlement_line WHERE backend_id = %s",
            [case.backend.id],
        )
        lines, children = {}, {}
        for row in cr.dictfetchall():
            if row["line_type"] == "entitlement":
                lines[row["id"]] = row
            else:
                children.setdefault(row["parent_id"], []).append(row)
        cr.execute(
            "SELECT sol.renewal_term_id FROM sale_order_line sol JOIN sale_order so ON so.id = sol.order_id "
            "WHERE so.state = 'sale' AND sol.renewal_term_id IS NOT NULL"
        )
        confirmed = {row[0] for row in cr.fetchall()}
        cr.execute(
            "SELECT maintenance_grace_days, renewal_lapse_days, currency_id FROM res_company WHERE id = %s",
            [case.company.id],
        )
        grace, lapse, currency = cr.fetchone()
        cr.execute("SELECT expiring_days FROM flexnet_backend WHERE id = %s", [case.backend.id])
        expiring = cr.fetchone()[0]
        return {
            "today": date.today(),  # frozen
            "lines": lines,
            "children": children,
            "confirmed": confirmed,
            "grace": grace,
            "lapse": lapse,
            "expiring": expiring,
            "currency": currency,
        }

    def current_values(self, line, src):
        case = self.case
        title = case.title_of[line["product_id"]] or line["product_name"]
        kids = src["children"].get(line["id"], [])
        latest = max(
            kids,
            key=lambda k: (k["expiration_date"] is not None, k["expiration_date"], k["id"]),
            default=None,
        )
        sku = latest["product_id"] if latest else case.sku_of_title.get(title)
        account = case.account_values[line["partner_id"]]
        return {
            "account_id": line["partner_id"],
            "company_id": case.company.id,
            "backend_id": case.backend.id,
            "entitlement_id": line["entitlement_id"],
            "product_id": line["product_id"],
            "title": title,
            "maintenance_product_id": sku,
            "seats": max(line["seats"] or 0, 1),
            "date_start": latest["start_date"] if latest else None,
            **account,
        }

    def price(self, row):
        if not row["maintenance_product_id"]:
            return 0.0
        unit = PRICES[self.case.code_of[row["maintenance_product_id"]]]
        if row["account_id"] == self.case.accounts[DISCOUNTED].id:
            unit -= unit * 0.2
        return round(unit * row["seats"], 2)

    def expect(self, reprice=False):
        """The expected rows and overdue figures now; becomes the carried state."""
        src = self.source()
        today = src["today"]
        price_key = ("account_id", "product_id", "title", "maintenance_product_id", "seats")
        rows = {}
        by_line = {}
        for (line_id, date_end), row in self.rows.items():
            by_line.setdefault(line_id, []).append((date_end, row))
        for line in src["lines"].values():
            end = line["maintenance_end"]
            for date_end, row in by_line.get(line["id"], ()):
                if end and date_end < end:
                    rows[line["id"], date_end] = dict(row)  # history: as it was
            if not end:
                continue
            values = self.current_values(line, src)
            previous = self.rows.get((line["id"], end))
            if previous is None:
                row = {**values, "state": None, "renewal_date": None, "amount": None, "amount_company": None}
            else:
                row = dict(previous)
                if any(previous[f] != values[f] for f in price_key):
                    row["amount"] = row["amount_company"] = None
                row.update(values, date_start=values["date_start"] or previous["date_start"])
            rows[line["id"], end] = row
        for (line_id, date_end), row in rows.items():
            # account attributes are the account's own (stored related fields)
            row.update(self.case.account_values[row["account_id"]])
            renewed = src["lines"][line_id]["maintenance_end"] > date_end or row.get("id") in src["confirmed"]
            days = max((today - date_end).days, 0)
            if renewed:
                state = "renewed"
            elif date_end < today - timedelta(days=src["lapse"]):
                state = "lapsed"
            elif src["lines"][line_id]["state"] in CLOSED_LINE_STATES:
                state = "closed"  # inactive or obsolete in FlexNet: neither quoted nor chased
            elif date_end < today - timedelta(days=src["grace"]):
                state = "past_due"
            elif date_end < today:
                state = "grace"
            elif date_end <= today + timedelta(days=src["expiring"]):
                state = "expiring"
            else:
                state = "active"
            if state == "closed":
                days = 0
            if renewed or not days:
                bucket = "not_due"
            elif days <= 30:
                bucket = "0_30"
            elif days <= 60:
                bucket = "31_60"
            elif days <= 90:
                bucket = "61_90"
            else:
                bucket = "91_plus"
            row["renewal_date"] = (
                (row["renewal_date"] if row["state"] == "renewed" else today) if renewed else None
            )
            row.update(
                state=state,
                days_past_due=0 if renewed else days,
                age_bucket=bucket,
                renewal_rate={"renewed": 1.0, "lapsed": 0.0}.get(state),
            )
            if state in OPEN_STATES and (reprice or row["amount"] is None):
                row["amount"] = row["amount_company"] = self.price(row)
                row["currency_id"] = src["currency"]
        overdue = {}
        for row in rows.values():
            if row["state"] in OVERDUE_STATES:
                amount, days = overdue.get(row["account_id"], (0.0, 0))
                overdue[row["account_id"]] = (
                    amount + (row["amount_company"] or 0.0),
                    max(days, row["days_past_due"]),
                )
        self.rows = rows
        return rows, overdue


@tagged("post_install", "-at_install")
class TestRenewalTermProperty(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(
                cls.env.context, tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True
            )
        )
        cls.company = cls.env.company
        cls.backend = cls.env["flexnet.backend"].create(
            {
                "name": "Renewal terms property",
                "url": "http://127.0.0.1:9/flexnet",
                "username": "property",
                "password": "property",
                "company_id": cls.company.id,
            }
        )
        Product = cls.env["product.product"]
        cls.products = {}
        for part, (title, skus) in LICENSES.items():
            cls.products[part] = Product.create(
                {
                    "name": title,
                    "default_code": part,
                    "type": "service",
                    "flexnet_kind": "license",
                    "flexnet_product_name": title,
                    "flexnet_backend_id": cls.backend.id,
                }
            )
            for sku in skus:
                cls.products[sku] = Product.create(
                    {
                        "name": f"{title} maintenance {sku}",
                        "default_code": sku,
                        "type": "service",
                        "list_price": PRICES[sku],
                        "flexnet_kind": "maintenance",
                        "flexnet_title": title,
                        "flexnet_term_months": 12,
                        "flexnet_backend_id": cls.backend.id,
                    }
                )
        cls.code_of = {p.id: code for code, p in cls.products.items()}
        cls.title_of = {cls.products[part].id: title for part, (title, _s) in LICENSES.items()}
        cls.sku_of_title = {title: cls.products[skus[0]].id for title, skus in LICENSES.values()}
        plain = cls.env["product.pricelist"].create({"name": "Property: list prices"})
        discount = cls.env["product.pricelist"].create(
            {
                "name": "Property: partners -20%",
                "item_ids": [
                    Command.create(
                        {"compute_price": "percentage", "percent_price": 20, "applied_on": "3_global"}
                    )
                ],
            }
        )
        # the salesperson of half the accounts quotes, confirms and cancels the renewals
        cls.salesman = salesman = new_test_user(
            cls.env,
            "prp_sales",
            groups="sales_team.group_sale_salesman,maintenance_renewal.group_renewal_user",
        )
        countries = [cls.env.ref("base.us"), cls.env.ref("base.de"), False, cls.env.ref("base.fr")]
        types = ["CUSTOMER", "CHANNEL_PARTNER", "CUSTOMER", False]
        cls.accounts = {}
        for number, code in enumerate(ACCOUNTS):
            cls.accounts[code] = cls.env["res.partner"].create(
                {
                    "name": f"Property account {code}",
                    "is_company": True,
                    "flexnet_backend_id": cls.backend.id,
                    "flexnet_account_id": code,
                    "flexnet_account_type": types[number],
                    "country_id": countries[number] and countries[number].id,
                    "user_id": salesman.id if number % 2 else False,
                    "property_product_pricelist": (discount if code == DISCOUNTED else plain).id,
                }
            )
        cls.account_values = {
            a.id: {
                "user_id": a.user_id.id or None,
                "country_id": a.country_id.id or None,
                "account_type": a.flexnet_account_type or None,
            }
            for a in cls.accounts.values()
        }
        cls.company.write({"maintenance_grace_days": 30, "renewal_lapse_days": 365})
        cls.Term = cls.env["maintenance.renewal.term"]

    # --- the world as FlexNet has it --------------------------------------------------------

    def setUp(self):
        super().setUp()
        self.rng = random.Random(SEED)
        self.entitlements = {}  # name: {"owner": account code, "state": str}
        self.lines = {}  # activation: {"entitlement", "part", "seats", "state", "maintenance": [...]}
        self.counter = Counter()
        self.open_runs = []
        self.orders = {}  # sale.order id: term id its line renews
        self.ops = Counter()
        self.seen_states = set()
        self.moved_terms = 0
        self.log = []

    def _new_id(self, prefix):
        self.counter[prefix] += 1
        return f"{prefix}{self.counter[prefix]}"

    def _maintenance_item(self, activation, part, end):
        skus = LICENSES[part][1]
        return {
            "activation_id": self._new_id(f"{activation}-M"),
            "part": self.rng.choice(skus),
            "start": end - timedelta(days=364),
            "end": end,
        }

    def _record(self, activation):
        line = self.lines[activation]
        entitlement = self.entitlements[line["entitlement"]]
        return fc.LineItem(
            activation_id=activation,
            entitlement_id=line["entitlement"],
            sold_to=entitlement["owner"],
            state=line["state"],
            entitlement_state=entitlement["state"],
            part_number=line["part"],
            product_name=LICENSES[line["part"]][0],
            number_of_copies=line["seats"],
            start_date=START - timedelta(days=400),
            is_permanent=True,
            maintenance=[
                fc.MaintenanceLineItem(
                    activation_id=item["activation_id"],
                    part_number=item["part"],
                    start_date=item["start"],
                    expiration_date=item["end"],
                    state="DEPLOYED",
                    parent_activation_id=activation,
                )
                for item in line["maintenance"]
            ],
        )

    def _mutate(self):
        """Change one line (or entitlement) as FlexNet would; returns the lines to send."""
        rng, today = self.rng, date.today()
        kind = rng.choices(
            ("new", "extend", "correct", "line_state", "entitlement_state", "transfer", "seats", "resend"),
            (4, 4, 2, 2, 1, 3, 1, 1),
        )[0]
        if kind == "new" or not self.lines:
            if not self.entitlements or rng.random() < 0.5:
                name = self._new_id("PRP-ENT-")
                self.entitlements[name] = {"owner": rng.choice(ACCOUNTS), "state": "DEPLOYED"}
            else:
                name = rng.choice(sorted(self.entitlements))
            activation = self._new_id(f"{name}-L")
            part = rng.choice(sorted(LICENSES))
            line = {"entitlement": name, "part": part, "seats": rng.randint(0, 6), "state": "DEPLOYED"}
            end = today + timedelta(days=rng.randint(-500, 400))
            line["maintenance"] = [
                self._maintenance_item(activation, part, end + timedelta(days=365 * n))
                for n in range(rng.choice((0, 1, 1, 2)))
            ]
            self.lines[activation] = line
            return "new line", [activation]
        activation = rng.choice(sorted(self.lines))
        line = self.lines[activation]
        entitlement = self.entitlements[line["entitlement"]]
        if kind == "extend":
            ends = [item["end"] for item in line["maintenance"]]
            end = (
                max(ends) + timedelta(days=rng.randint(30, 400))
                if ends
                else today + timedelta(rng.randint(-400, 400))
            )
            line["maintenance"].append(self._maintenance_item(activation, line["part"], end))
        elif kind == "correct" and line["maintenance"]:
            latest = max(line["maintenance"], key=lambda item: item["end"])
            line["maintenance"].remove(latest)
        elif kind == "line_state":
            line["state"] = rng.choice(LINE_STATES)
        elif kind == "entitlement_state":
            entitlement["state"] = rng.choice(LINE_STATES)
        elif kind == "transfer":
            entitlement["owner"] = rng.choice([a for a in ACCOUNTS if a != entitlement["owner"]])
        elif kind == "seats":
            line["seats"] = rng.randint(0, 6)
        return kind, [activation]

    # --- operations ---------------------------------------------------------------------------

    def op_page(self):
        """A page of line items imported by the real LineImporter: in a page job (the terms of
        its entitlements follow at once) or as a synchronous run (they follow at its end)."""
        what, touched = [], []
        for _n in range(self.rng.choice((1, 1, 2, 3))):
            kind, activations = self._mutate()
            what.append(kind)
            touched += [a for a in activations if a not in touched]
        page = [self._record(activation) for activation in touched]
        engine = SyncEngine(self.backend.sudo())
        if self.rng.random() < 0.55:
            # a page of changes, not a complete walk: incremental runs (a full one would
            # reconcile, taking what the page lacks for removed from FlexNet)
            run = engine._new_run("lines", True)
            run._job_import_page(serialize(page))
            self.open_runs.append(run)
            mode = "page job"
        else:
            engine._client = OnePageClient(page)
            run = engine.run("lines", incremental=True)
            self.assertEqual(run.state, "done", f"seed {SEED}: {run.error_log}")
            mode = "sync run"
        self.assertFalse(run.error_log, f"seed {SEED}: the page was not imported whole")
        return f"{mode}: {', '.join(what)} ({', '.join(touched)})"

    def op_close_runs(self):
        for run in self.open_runs:
            run._job_finish()
        count, self.open_runs = len(self.open_runs), []
        return f"close {count} job run(s)"

    def op_quote(self):
        """A renewal quotation of a current term of the salesperson's accounts, as campaigns
        make them; confirmed or not."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT t.id FROM maintenance_renewal_term t JOIN flexnet_entitlement_line l ON l.id = t.line_id "
            "WHERE t.backend_id = %s AND t.date_end = l.maintenance_end AND t.user_id = %s ORDER BY t.id",
            [self.backend.id, self.salesman.id],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if not ids:
            return self.op_page()
        term = self.Term.with_user(self.salesman).browse(self.rng.choice(ids))
        order = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": term.account_id.id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": term.maintenance_product_id.id,
                                "product_uom_qty": term.seats,
                                "renewal_term_id": term.id,
                                "flexnet_parent_line_id": term.line_id.id,
                            }
                        )
                    ],
                }
            )
        )
        self.assertEqual(order.order_line.renewal_term_id, term)
        self.orders[order.id] = term.id
        if self.rng.random() < 0.7:
            order.action_confirm()
            return f"quote and confirm term {term.id} ({term.state})"
        return f"quote term {term.id} ({term.state})"

    def op_order_state(self):
        if not self.orders:
            return self.op_quote()
        order = self.env["sale.order"].with_user(self.salesman).browse(self.rng.choice(sorted(self.orders)))
        if order.state in ("draft", "sent"):
            order.action_confirm()
            return f"confirm order {order.id}"
        if order.state == "sale":
            if order.locked:
                order.action_unlock()
            order.action_cancel()
            return f"cancel order {order.id}"
        order.action_draft()
        return f"reset order {order.id} to quotation"

    def op_days_pass(self, frozen):
        days = self.rng.choice((1, 1, 7, 20, 31, 45, 90, 200))
        frozen.tick(timedelta(days=days))
        self.Term._cron_refresh()
        return f"{days} day(s) pass, daily job"

    def op_settings(self):
        if self.rng.random() < 0.6:
            grace = self.rng.choice((0, 10, 30, 60))
            lapse = self.rng.choice([d for d in (45, 90, 180, 365) if d > grace])
            self.company.write({"maintenance_grace_days": grace, "renewal_lapse_days": lapse})
            return f"grace {grace} days, lapse {lapse} days"
        days = self.rng.choice((0, 30, 60, 120))
        self.backend.write({"expiring_days": days})
        return f"expiring within {days} days"

    def op_refresh(self):
        self.Term._cron_refresh()
        return "daily job (same day)"

    def _analyze(self):
        """What autovacuum does between transactions: the planner learns the sizes of the
        tables this one long transaction fills (else its plans stay those of empty tables)."""
        self.env.flush_all()
        self.env.cr.execute(
            "ANALYZE maintenance_renewal_term, flexnet_entitlement_line, flexnet_entitlement, sale_order, "
            "sale_order_line, res_partner, flexnet_entitled_product"
        )

    # --- the check -----------------------------------------------------------------------------

    def _table(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, line_id, date_end, {} FROM maintenance_renewal_term WHERE backend_id = %s".format(
                ", ".join(COMPARED)
            ),
            [self.backend.id],
        )
        table = {}
        for row in self.env.cr.dictfetchall():
            for name in ("amount", "amount_company", "renewal_rate"):
                if row[name] is not None:
                    row[name] = float(row[name])
            table[row["line_id"], row["date_end"]] = row
        return table

    def _check(self, oracle, step, what, reprice):
        expected, overdue = oracle.expect(reprice=reprice)
        table = self._table()
        where = f"seed {SEED}, step {step} ({what}); last steps: {self.log[-5:]}"
        self.assertEqual(sorted(table), sorted(expected), f"{where}: terms (line, end) differ")
        for key, row in expected.items():
            actual = table[key]
            if "id" in row:
                self.assertEqual(actual["id"], row["id"], f"{where}: term {key} was replaced")
            row["id"] = actual["id"]
            diff = {
                name: (actual[name], row[name])
                for name in COMPARED
                if not (
                    actual[name] == row[name]
                    or (
                        isinstance(row[name], float)
                        and actual[name] is not None
                        and abs(actual[name] - row[name]) < 0.005
                    )
                )
            }
            self.assertFalse(diff, f"{where}: term {key} (table, expected): {diff}")
            self.seen_states.add(row["state"])
        # what the oracle carries about orders is what the orders point at
        alive = {row["id"] for row in expected.values()}
        for order in self.env["sale.order"].browse(list(self.orders)):
            term_id = self.orders[order.id]
            self.assertEqual(
                order.order_line.renewal_term_id.id or None, term_id if term_id in alive else None, where
            )
        self.env.cr.execute(
            "SELECT id, COALESCE(renewal_overdue_amount, 0), COALESCE(renewal_days_past_due, 0) "
            "FROM res_partner WHERE id = ANY(%s)",
            [[a.id for a in self.accounts.values()]],
        )
        for partner_id, amount, days in self.env.cr.fetchall():
            want_amount, want_days = overdue.get(partner_id, (0.0, 0))
            self.assertAlmostEqual(float(amount), want_amount, 2, f"{where}: overdue amount of {partner_id}")
            self.assertEqual(days, want_days, f"{where}: days past due of {partner_id}")
        self._check_world()

    def _check_world(self):
        """The lines are what FlexNet said (so each operation did what it meant to)."""
        self.env.cr.execute(
            "SELECT l.activation_id, p.flexnet_account_id, l.maintenance_end FROM flexnet_entitlement_line l "
            "JOIN res_partner p ON p.id = l.partner_id WHERE l.backend_id = %s AND l.line_type = 'entitlement'",
            [self.backend.id],
        )
        stored = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        world = {
            activation: (
                self.entitlements[line["entitlement"]]["owner"],
                max((item["end"] for item in line["maintenance"]), default=None),
            )
            for activation, line in self.lines.items()
        }
        self.assertEqual(stored, world, f"seed {SEED}: the lines are not what FlexNet said")

    def test_terms_follow_any_mix_of_operations(self):
        oracle = TermOracle(self)
        operations = (
            (self.op_page, 50),
            (self.op_quote, 9),
            (self.op_order_state, 9),
            (self.op_days_pass, 10),
            (self.op_settings, 6),
            (self.op_close_runs, 4),
            (self.op_refresh, 2),
        )
        with freeze_time(START) as frozen:
            self.Term._cron_refresh()
            oracle.expect()  # terms of other backends are not this test's; this one has none
            for step in range(1, STEPS + 1):
                if step % ANALYZE_EVERY == 0:
                    self._analyze()
                operation = self.rng.choices([op for op, _w in operations], [w for _op, w in operations])[0]
                before = {key: row["account_id"] for key, row in oracle.rows.items()}
                what = operation(frozen) if operation == self.op_days_pass else operation()
                self.ops[operation.__name__] += 1
                self.log.append(what)
                reprice = operation in (self.op_days_pass, self.op_refresh)
                self._check(oracle, step, what, reprice)
                self.moved_terms += sum(
                    1
                    for key, account in before.items()
                    if key in oracle.rows and oracle.rows[key]["account_id"] != account
                )
        # the mix reached what it is meant to reach
        self.assertEqual(
            self.seen_states, {"active", "expiring", "grace", "past_due", "renewed", "lapsed", "closed"}
        )
        self.assertGreater(self.moved_terms, 10, "transfers moved terms")
        self.assertTrue(any(row.get("id") in self._renewed_by_orders() for row in oracle.rows.values()))
        self.assertGreater(len(oracle.rows), 50)

    def _renewed_by_orders(self):
        orders = self.env["sale.order"].browse(list(self.orders)).filtered(lambda o: o.state == "sale")
        return set(orders.order_line.renewal_term_id.ids)
