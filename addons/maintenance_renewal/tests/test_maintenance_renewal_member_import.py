import base64

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import RenewalCase

CSV = """User Name;First Name;Last Name;Email;Account ID;Phone;Roles
bob.nguyen@acme.example.com;Bob;Nguyen;bob.nguyen@acme.example.com;ACME-001;+1 312 555 0101;Portal User
zoe.new@acme.example.com;Zoe;New;zoe.new@acme.example.com;ACME-001;;Portal User
ghost@nowhere.example.com;Gus;Ghost;ghost@nowhere.example.com;NOPE-999;;Portal User
bad-mail;Bad;Mail;not-an-email;NW-0042;;Portal User
;No;Key;nokey@northwind.example.com;NW-0042;;Portal User
zoe.new@acme.example.com;Zoe;Again;zoe.new@acme.example.com;ACME-001;;Portal User
dana@northwind.example.com;Dana;Byemail;dana@northwind.example.com;NW-0042;;Portal Admin
"""


@tagged("post_install", "-at_install")
class TestMemberImport(RenewalCase):
    def _wizard(self, content=CSV):
        return (
            self.env["maintenance.renewal.member.import"]
            .with_user(self.manager)
            .create(
                {
                    "backend_id": self.backend.id,
                    "data_file": base64.b64encode(content.encode()),
                    "filename": "users.csv",
                }
            )
        )

    def _rows(self, wizard):
        return {row.row_number: (row.action, row.message or "") for row in wizard.row_ids}

    def test_preview_maps_reporter_columns(self):
        wizard = self._wizard()
        wizard.action_load()
        mapping = {c.header: c.target for c in wizard.column_ids}
        self.assertEqual(
            mapping,
            {
                "User Name": "user",
                "First Name": "first_name",
                "Last Name": "last_name",
                "Email": "email",
                "Account ID": "account",
                "Phone": "phone",
                "Roles": "roles",
            },
        )
        self.assertIn(
            "bob.nguyen@acme.example.com", wizard.column_ids.filtered(lambda c: c.header == "Email").sample
        )

    def test_dry_run_then_import_then_reimport(self):
        Partner = self.env["res.partner"]
        acme, nw = self.accounts["ACME-001"], self.accounts["NW-0042"]
        dana = Partner.create({"name": "Dana B.", "parent_id": nw.id, "email": "Dana@Northwind.example.com"})
        before = Partner.search_count([])
        wizard = self._wizard()
        wizard.action_load()
        rows = self._rows(wizard)
        self.assertEqual(rows[2][0], "update")  # Bob: phone from the file
        self.assertEqual(rows[3][0], "create")
        self.assertEqual(rows[4][0], "error")
        self.assertIn("NOPE-999", rows[4][1])
        self.assertEqual(rows[5][0], "error")
        self.assertIn("not-an-email", rows[5][1])
        self.assertEqual(rows[6], ("error", "No FlexNet user ID"))
        self.assertEqual(rows[7][0], "error")
        self.assertIn("row 3", rows[7][1])
        self.assertEqual(rows[8][0], "update")  # Dana: matched by e-mail within the account
        self.assertEqual(
            (wizard.create_count, wizard.update_count, wizard.unchanged_count, wizard.error_count),
            (1, 2, 0, 4),
        )
        self.assertEqual(Partner.search_count([]), before, "a dry run writes nothing")

        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(Partner.search_count([]), before + 1)
        zoe = Partner.search([("flexnet_user_name", "=", "zoe.new@acme.example.com")])
        self.assertEqual((zoe.name, zoe.parent_id, zoe.email), ("Zoe New", acme, "zoe.new@acme.example.com"))
        bob = Partner.search([("flexnet_user_name", "=", "bob.nguyen@acme.example.com")])
        self.assertEqual(bob.phone, "+1 312 555 0101")
        self.assertEqual(dana.flexnet_user_name, "dana@northwind.example.com")
        self.assertEqual(dana.flexnet_roles, "Portal Admin")

        again = self._wizard()
        again.action_load()
        again.action_import()
        self.assertEqual((again.create_count, again.update_count, again.unchanged_count), (0, 0, 3))
        self.assertEqual(Partner.search_count([]), before + 1)

    def test_unreadable_files_are_clear_errors(self):
        with self.assertRaisesRegex(UserError, "no contact rows"):
            self._wizard("User Name,Email,Account ID\n").action_load()
        with self.assertRaisesRegex(UserError, "empty"):
            self._wizard("  \n").action_load()
        wizard = self._wizard("Login,Mail\nx@example.com,x@example.com\n")
        with self.assertRaisesRegex(UserError, "account ID"):
            wizard.action_load()
