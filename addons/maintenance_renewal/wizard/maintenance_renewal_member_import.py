import base64
import csv
import io
import re

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

TARGETS = [
    ("ignore", "Ignore"),
    ("user", "FlexNet user ID"),
    ("email", "E-mail"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("name", "Full name"),
    ("account", "Account ID"),
    ("phone", "Phone"),
    ("roles", "Roles"),
]
# column headers of FlexNet Operations Reporter exports (and common spellings), normalised
HEADER_ALIASES = {
    "user": {"userid", "username", "login", "userlogin", "flexnetuser", "memberid", "user"},
    "email": {"email", "emailaddress", "useremail", "mail"},
    "first_name": {"firstname", "givenname", "userfirstname"},
    "last_name": {"lastname", "surname", "familyname", "userlastname"},
    "name": {"name", "fullname", "displayname", "contactname"},
    "account": {"accountid", "account", "orgid", "organizationid", "organisationid", "accountnumber"},
    "phone": {"phone", "telephone", "phonenumber", "userphone"},
    "roles": {"roles", "role", "userroles"},
}
PREVIEW_ROWS = 3


def _norm_header(header):
    return re.sub(r"[^a-z0-9]", "", (header or "").lower())


def guess_target(header):
    key = _norm_header(header)
    for target, aliases in HEADER_ALIASES.items():
        if key in aliases:
            return target
    return "ignore"


class MaintenanceRenewalMemberImport(models.TransientModel):
    """Import member contacts from a FlexNet Operations Reporter CSV export.

    Contacts are matched by FlexNet user ID, then by e-mail within the account; a second
    import of the same file changes nothing. Every row gets a result; a dry run shows them
    without writing.
    """

    _name = "maintenance.renewal.member.import"
    _description = "Import FlexNet Member Contacts (Reporter CSV)"

    backend_id = fields.Many2one(
        "flexnet.backend",
        required=True,
        default=lambda self: self.env["flexnet.backend"]._default_backend(self.env.company),
    )
    data_file = fields.Binary("Reporter CSV export", required=True)
    filename = fields.Char()
    delimiter = fields.Selection(
        [("auto", "Detect"), (",", "Comma"), (";", "Semicolon"), ("\t", "Tab"), ("|", "Pipe")],
        default="auto",
        required=True,
    )
    state = fields.Selection(
        [("upload", "Upload"), ("preview", "Preview"), ("done", "Imported")], default="upload", required=True
    )
    column_ids = fields.One2many("maintenance.renewal.member.import.column", "wizard_id")
    row_ids = fields.One2many("maintenance.renewal.member.import.row", "wizard_id")
    error_row_ids = fields.One2many(
        "maintenance.renewal.member.import.row", "wizard_id", domain=[("action", "=", "error")]
    )
    create_count = fields.Integer("To create", readonly=True)
    update_count = fields.Integer("To update", readonly=True)
    unchanged_count = fields.Integer("Unchanged", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)

    # --- reading the file ---------------------------------------------------------------

    def _read_rows(self):
        self.ensure_one()
        if not self.data_file:
            raise UserError(self.env._("Choose the CSV file exported from FlexNet Reporter."))
        raw = base64.b64decode(self.data_file)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        if not text.strip():
            raise UserError(self.env._("The file is empty."))
        delimiter = self.delimiter
        if delimiter == "auto":
            try:
                delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
            except csv.Error:
                delimiter = ","
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as exc:
            raise UserError(self.env._("The file is not a readable CSV file: %s", exc)) from exc
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if len(rows) < 2:
            raise UserError(self.env._("The file has a header but no contact rows."))
        return rows[0], rows[1:]

    def action_load(self):
        """Read the header, guess the column mapping and show the preview (a dry run)."""
        self.ensure_one()
        header, rows = self._read_rows()
        self.column_ids = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "sequence": index,
                    "header": name,
                    "sample": " | ".join(row[index] for row in rows[:PREVIEW_ROWS] if index < len(row))[:200],
                    "target": guess_target(name),
                }
            )
            for index, name in enumerate(header)
        ]
        self.state = "preview"
        return self.action_dry_run()

    def _mapping(self):
        mapping = {}
        for column in self.column_ids.sorted("sequence"):
            if column.target == "ignore":
                continue
            if column.target in mapping:
                raise UserError(
                    self.env._("Two columns are mapped to “%s”: keep one.", column._target_label())
                )
            mapping[column.target] = column.sequence
        if "account" not in mapping:
            raise UserError(self.env._("Map a column to the FlexNet account ID."))
        if "user" not in mapping:
            raise UserError(self.env._("Map a column to the FlexNet user ID."))
        return mapping

    # --- matching ---------------------------------------------------------------------------

    def _plan(self):
        """[(row number, values read, action, message, partner, values to write)] for every row."""
        self.ensure_one()
        _header, rows = self._read_rows()
        mapping = self._mapping()

        def cell(row, target):
            index = mapping.get(target)
            return row[index].strip() if index is not None and index < len(row) else ""

        parsed = []
        for number, row in enumerate(rows, start=2):
            item = {target: cell(row, target) for target in mapping}
            parsed.append((number, item))
        Partner = self.env["res.partner"]
        backend = self.backend_id
        account_ids = {item.get("account") for _n, item in parsed if item.get("account")}
        accounts = {
            p.flexnet_account_id: p
            for p in Partner.search(
                [("flexnet_backend_id", "=", backend.id), ("flexnet_account_id", "in", list(account_ids))]
            )
        }
        user_keys = {item.get("user") for _n, item in parsed if item.get("user")}
        by_user = {
            p.flexnet_user_name: p
            for p in Partner.search(
                [("flexnet_backend_id", "=", backend.id), ("flexnet_user_name", "in", list(user_keys))]
            )
        }
        emails = {email_normalize(item.get("email") or "") for _n, item in parsed} - {False}
        by_email = {}
        for p in Partner.search(
            [
                ("email_normalized", "in", list(emails)),
                ("parent_id", "in", [a.id for a in accounts.values()]),
            ]
        ):
            by_email.setdefault((p.parent_id.id, p.email_normalized), p)
        plan, seen = [], {}
        for number, item in parsed:
            account = accounts.get(item.get("account"))
            email = item.get("email") or ""
            normalized = email_normalize(email) if email else False
            key = item.get("user")
            if not item.get("account"):
                plan.append((number, item, "error", self.env._("No account ID"), None, None))
                continue
            if not account:
                plan.append(
                    (
                        number,
                        item,
                        "error",
                        self.env._(
                            "Account %s is not known: synchronise accounts from FlexNet first.",
                            item["account"],
                        ),
                        None,
                        None,
                    )
                )
                continue
            if email and not normalized:
                plan.append(
                    (number, item, "error", self.env._("“%s” is not an e-mail address", email), None, None)
                )
                continue
            if not item.get("user"):
                plan.append((number, item, "error", self.env._("No FlexNet user ID"), None, None))
                continue
            if key in seen:
                plan.append(
                    (number, item, "error", self.env._("Same contact as row %s", seen[key]), None, None)
                )
                continue
            seen[key] = number
            partner = (item.get("user") and by_user.get(item["user"])) or (
                normalized and by_email.get((account.id, normalized))
            )
            values = self._contact_values(item, account, normalized)
            if not partner:
                if not values.get("name"):
                    values["name"] = email or item.get("user")
                plan.append((number, item, "create", "", None, values))
                continue
            changes = {
                name: value for name, value in values.items() if value and self._differs(partner, name, value)
            }
            if changes:
                plan.append((number, item, "update", ", ".join(sorted(changes)), partner, changes))
            else:
                plan.append((number, item, "unchanged", "", partner, None))
        return plan

    def _contact_values(self, item, account, normalized):
        name = item.get("name") or " ".join(filter(None, [item.get("first_name"), item.get("last_name")]))
        return {
            "parent_id": account.id,
            "name": name or False,
            "email": item.get("email") or False,
            "phone": item.get("phone") or False,
            "flexnet_roles": item.get("roles") or False,
            "flexnet_user_name": item.get("user") or False,
            "flexnet_backend_id": self.backend_id.id,
        }

    @staticmethod
    def _differs(partner, name, value):
        current = partner[name]
        if hasattr(current, "id"):
            return current.id != value
        if name == "email":
            return email_normalize(current or "") != email_normalize(value)
        return (current or False) != value

    def _show(self, plan):
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for entry in plan:
            counts[entry[2]] += 1
        self.write(
            {
                "row_ids": [fields.Command.clear()]
                + [
                    fields.Command.create(
                        {
                            "row_number": number,
                            "user_key": item.get("user") or False,
                            "email": item.get("email") or False,
                            "account": item.get("account") or False,
                            "action": action,
                            "message": message or False,
                            "partner_id": partner.id if partner else False,
                        }
                    )
                    for number, item, action, message, partner, _values in plan
                ],
                "create_count": counts["create"],
                "update_count": counts["update"],
                "unchanged_count": counts["unchanged"],
                "error_count": counts["error"],
            }
        )

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_dry_run(self):
        """What an import would do, row by row, without writing."""
        self.ensure_one()
        self._show(self._plan())
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        plan = self._plan()
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        created = Partner.create([values for _n, _i, action, _m, _p, values in plan if action == "create"])
        created_iter = iter(created)
        final = []
        for number, item, action, message, partner, values in plan:
            if action == "create":
                partner = next(created_iter)
            elif action == "update":
                partner.write(values)
            final.append((number, item, action, message, partner, values))
        self._show(final)
        self.state = "done"
        return self._reopen()
