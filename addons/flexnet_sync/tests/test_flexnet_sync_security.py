from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestFlexnetSyncGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "fx_manager", groups="flexnet_sync.group_flexnet_manager")
        self.assertTrue(manager.has_group("flexnet_sync.group_flexnet_user"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "fx_user", groups="flexnet_sync.group_flexnet_user")
        self.assertTrue(user.has_group("flexnet_sync.group_flexnet_user"))
        self.assertFalse(user.has_group("flexnet_sync.group_flexnet_manager"))

    def test_privilege_groups_are_exclusive_levels(self):
        privilege = self.env.ref("flexnet_sync.res_groups_privilege_flexnet")
        self.assertEqual(
            privilege.group_ids,
            self.env.ref("flexnet_sync.group_flexnet_user")
            | self.env.ref("flexnet_sync.group_flexnet_manager"),
        )
        self.assertTrue(self.env.ref("base.user_admin").has_group("flexnet_sync.group_flexnet_manager"))
