from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestBomVendorPortalGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="bom_vendor_portal.group_bom_document_manager")
        self.assertTrue(manager.has_group("bom_vendor_portal.group_bom_document_user"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "t_user", groups="bom_vendor_portal.group_bom_document_user")
        self.assertFalse(user.has_group("bom_vendor_portal.group_bom_document_manager"))

    def test_plain_employee_has_neither(self):
        employee = new_test_user(self.env, "t_employee", groups="base.group_user")
        self.assertFalse(employee.has_group("bom_vendor_portal.group_bom_document_user"))
