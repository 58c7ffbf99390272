from psycopg2.errors import UniqueViolation

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger

from ..models.res_partner import ACCOUNT_TYPES


@tagged("post_install", "-at_install")
class TestFlexnetAccountType(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Type = cls.env["flexnet.account.type"]
        cls.channel_partner = cls.env.ref("flexnet_sync.account_type_channel_partner")

    def test_one_record_per_flexnet_type(self):
        types = self.Type.search([])
        self.assertEqual(sorted(types.mapped("code")), sorted(code for code, _label in ACCOUNT_TYPES))
        self.assertEqual(self.channel_partner.code, "CHANNEL_PARTNER")
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.Type.create({"name": "Twin", "code": "CHANNEL_PARTNER"})

    def test_everyone_reads_only_flexnet_managers_edit(self):
        portal = new_test_user(self.env, "fx_type_portal", groups="base.group_portal")
        public = self.env.ref("base.public_user")
        employee = new_test_user(self.env, "fx_type_employee", groups="base.group_user")
        flexnet_user = new_test_user(self.env, "fx_type_user", groups="flexnet_sync.group_flexnet_user")
        manager = new_test_user(self.env, "fx_type_manager", groups="flexnet_sync.group_flexnet_manager")
        for user in (portal, public, employee, flexnet_user):
            self.assertEqual(self.channel_partner.with_user(user).name, "Channel partner")
            with self.assertRaises(AccessError):
                self.channel_partner.with_user(user).write({"name": "Reseller"})
            with self.assertRaises(AccessError):
                self.Type.with_user(user).create({"name": "Other", "code": "PUBLISHER"})
            with self.assertRaises(AccessError):
                self.channel_partner.with_user(user).unlink()
        self.channel_partner.with_user(manager).write({"name": "Reseller", "sequence": 5})
        self.assertEqual(self.Type.search([], limit=1), self.channel_partner)
        self.assertEqual(self.channel_partner.display_name, "Reseller")
