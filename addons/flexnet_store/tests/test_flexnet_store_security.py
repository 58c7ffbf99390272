from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestFlexnetStoreGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="flexnet_store.group_store_manager")
        self.assertTrue(manager.has_group("flexnet_store.group_store_user"))

    def test_user_reads_terms_but_does_not_change_them(self):
        user = new_test_user(self.env, "t_user", groups="flexnet_store.group_store_user")
        self.assertFalse(user.has_group("flexnet_store.group_store_manager"))
        self.env["flexnet.store.account.term"].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.env["flexnet.store.account.term"].with_user(user).create(
                {
                    "website_id": self.env["website"].search([], limit=1).id,
                    "account_type_id": self.env.ref("flexnet_sync.account_type_customer").id,
                }
            )

    def test_portal_user_cannot_read_secrets_or_nonces(self):
        portal = new_test_user(self.env, "t_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["flexnet.store.nonce"].with_user(portal).search([])
        with self.assertRaises(AccessError):
            self.env["flexnet.backend"].with_user(portal).search([])
