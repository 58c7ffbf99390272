from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestFlexnetSyncGroups(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["flexnet.backend"].create(
            {"name": "Secret", "url": "http://127.0.0.1:9", "username": "api", "password": "top-secret"}
        )
        cls.flexnet_user = new_test_user(cls.env, "fx_user", groups="flexnet_sync.group_flexnet_user")
        cls.manager = new_test_user(cls.env, "fx_manager", groups="flexnet_sync.group_flexnet_manager")
        cls.salesman = new_test_user(cls.env, "fx_salesman", groups="sales_team.group_sale_salesman")

    def test_manager_implies_user(self):
        self.assertTrue(self.manager.has_group("flexnet_sync.group_flexnet_user"))
        self.assertFalse(self.flexnet_user.has_group("flexnet_sync.group_flexnet_manager"))
        self.assertTrue(self.env.ref("base.user_admin").has_group("flexnet_sync.group_flexnet_manager"))

    def test_only_managers_read_credentials(self):
        backend = self.backend.with_user(self.flexnet_user)
        self.assertEqual(backend.name, "Secret")
        with self.assertRaises(AccessError):
            backend.read(["password"])
        with self.assertRaises(AccessError):
            backend.read(["token"])
        self.assertEqual(self.backend.with_user(self.manager).password, "top-secret")

    def test_only_managers_sync_or_configure(self):
        with self.assertRaises(AccessError):
            self.backend.with_user(self.flexnet_user).sync_all()
        with self.assertRaises(AccessError):
            self.backend.with_user(self.flexnet_user).action_test_connection()
        with self.assertRaises(AccessError):
            self.backend.with_user(self.flexnet_user).write({"url": "http://evil.example.com"})
        with self.assertRaises(AccessError):
            self.backend.with_user(self.salesman).read(["name"])

    def test_plain_salesman_reads_no_entitlements(self):
        with self.assertRaises(AccessError):
            self.env["flexnet.entitlement.line"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["flexnet.sync.run"].with_user(self.salesman).search([])
        self.env["flexnet.entitlement.line"].with_user(self.flexnet_user).search([])

    def test_connection_failure_is_reported_not_raised(self):
        action = self.backend.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.backend.connection_state, "failed")
        self.assertNotIn("top-secret", self.backend.connection_message)

    def test_other_company_backend_is_invisible(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        hidden = self.env["flexnet.backend"].create(
            {"name": "Other", "url": "http://x.example.com", "company_id": other.id}
        )
        visible = self.env["flexnet.backend"].with_user(self.manager).search([])
        self.assertNotIn(hidden, visible)
        self.assertIn(self.backend, visible)

    def test_sync_books_stay_internal_and_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Books Co"})
        theirs = self.env["flexnet.backend"].create(
            {"name": "Theirs", "url": "http://other.example.com", "company_id": other.id}
        )
        ours_run, their_run = self.env["flexnet.sync.run"].create(
            [{"backend_id": self.backend.id, "kind": "users"}, {"backend_id": theirs.id, "kind": "users"}]
        )
        Seen = self.env["flexnet.sync.seen"]
        ours = Seen.create({"run_id": ours_run.id, "key": "alice@example.com"})
        hidden = Seen.create({"run_id": their_run.id, "key": "bob@example.com"})
        Retry = self.env["flexnet.sync.retry"]
        retries = Retry.create(
            [
                {"backend_id": self.backend.id, "kind": "users", "key": "carol@example.com"},
                {"backend_id": theirs.id, "kind": "users", "key": "dan@example.com"},
            ]
        )
        # a FlexNet administrator of this company: its own books only
        self.assertEqual(Seen.with_user(self.manager).search([]), ours)
        with self.assertRaises(AccessError):
            hidden.with_user(self.manager).read(["key"])
        self.assertEqual(Retry.with_user(self.manager).search([]), retries[0])
        # the keys a full run reads are for FlexNet administrators; nothing for portal users
        with self.assertRaises(AccessError):
            Seen.with_user(self.flexnet_user).search([])
        portal = new_test_user(self.env, "fx_portal", groups="base.group_portal")
        for model in (Seen, Retry, self.env["flexnet.sync.run"]):
            with self.assertRaises(AccessError):
                model.with_user(portal).search([])

    def test_former_user_names_and_unique_ids_are_read_as_user_names_are(self):
        """What the sync keeps of a member's FlexNet user is read by whoever reads its user name:
        a salesman sees it; the form shows it in the FlexNet page, for FlexNet users."""
        Partner = self.env["res.partner"]
        expected = Partner._fields["flexnet_user_name"].groups
        for name in ("flexnet_former_user_name", "flexnet_user_unique_id"):
            self.assertEqual(Partner._fields[name].groups, expected, name)
        contact = Partner.create(
            {
                "name": "Former member",
                "flexnet_backend_id": self.backend.id,
                "flexnet_former_user_name": "former.member",
                "flexnet_user_unique_id": "U-1",
            }
        )
        self.assertEqual(
            contact.with_user(self.salesman).read(["flexnet_former_user_name", "flexnet_user_unique_id"])[0],
            {"id": contact.id, "flexnet_former_user_name": "former.member", "flexnet_user_unique_id": "U-1"},
        )
        arch = Partner.with_user(self.salesman).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="flexnet_former_user_name"', arch)
        arch = Partner.with_user(self.flexnet_user).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="flexnet_former_user_name"', arch)
        self.assertIn('name="flexnet_user_unique_id"', arch)
