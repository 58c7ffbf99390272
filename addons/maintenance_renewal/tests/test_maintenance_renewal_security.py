from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestMaintenanceRenewalGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="maintenance_renewal.group_renewal_manager")
        self.assertTrue(manager.has_group("maintenance_renewal.group_renewal_user"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "t_user", groups="maintenance_renewal.group_renewal_user")
        self.assertFalse(user.has_group("maintenance_renewal.group_renewal_manager"))

    def test_plain_employee_has_neither(self):
        employee = new_test_user(self.env, "t_employee", groups="base.group_user")
        self.assertFalse(employee.has_group("maintenance_renewal.group_renewal_user"))
