from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestMediaProductionGroups(TransactionCase):
    def test_manager_implies_user(self):
        manager = new_test_user(self.env, "t_manager", groups="media_production.group_media_manager")
        self.assertTrue(manager.has_group("media_production.group_media_operator"))

    def test_user_is_not_manager(self):
        user = new_test_user(self.env, "t_user", groups="media_production.group_media_operator")
        self.assertFalse(user.has_group("media_production.group_media_manager"))

    def test_station_group_is_apart(self):
        station = new_test_user(self.env, "t_station", groups="media_production.group_media_station")
        self.assertFalse(station.has_group("media_production.group_media_operator"))

    def test_plain_employee_has_neither(self):
        employee = new_test_user(self.env, "t_employee", groups="base.group_user")
        self.assertFalse(employee.has_group("media_production.group_media_operator"))
