from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import BomVendorMixin


@tagged("post_install", "-at_install")
class TestBomVendorRamp(BomVendorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bom_vendor_data()
        cls.new_vendor = cls.env["res.partner"].create({"name": "New Duplicator", "is_company": True})
        cls.contact_1 = cls.env["res.partner"].create(
            {"name": "Nina", "email": "nina@duplicator.example.com", "parent_id": cls.new_vendor.id}
        )
        cls.contact_2 = cls.env["res.partner"].create(
            {"name": "Otto", "email": "otto@duplicator.example.com", "parent_id": cls.new_vendor.id}
        )

    def _wizard(self, **vals):
        return (
            self.env["bom.vendor.ramp.wizard"]
            .with_user(self.doc_manager)
            .create({"vendor_id": self.new_vendor.id, **vals})
        )

    def test_ramp_grants_exactly_the_chosen_set(self):
        wizard = self._wizard(site_ids=[Command.set(self.site_a.ids)], bom_ids=[Command.set(self.bom_b.ids)])
        self.assertEqual(wizard.contact_ids, self.contact_1 | self.contact_2)
        wizard.action_apply()
        users = self.new_vendor._bom_vendor_portal_users()
        self.assertEqual(users.partner_id, self.contact_1 | self.contact_2)
        for user in users:
            self.assertEqual(self.env["mrp.bom"].with_user(user).search([]), self.bom_a | self.bom_b)
        invitations = self.env["mail.mail"].search([("recipient_ids", "in", users.partner_id.ids)])
        self.assertEqual(invitations.recipient_ids, users.partner_id)
        self.assertTrue(self.new_vendor.bom_notify_revisions)

    def test_ramp_with_replace_drops_previous_assignments(self):
        self._wizard(bom_ids=[Command.set(self.bom_b.ids)]).action_apply()
        self._wizard(bom_ids=[Command.set(self.bom_c.ids)], replace=True).action_apply()
        user = self.new_vendor._bom_vendor_portal_users()[:1]
        self.assertEqual(self.env["mrp.bom"].with_user(user).search([]), self.bom_c)

    def test_revoke_removes_everything(self):
        self._wizard(
            site_ids=[Command.set(self.site_a.ids)], categ_ids=[Command.set(self.categ.ids)]
        ).action_apply()
        users = self.new_vendor._bom_vendor_portal_users()
        self.assertEqual(len(users), 2)
        self._wizard(mode="revoke").action_apply()
        self.assertFalse(self.new_vendor.bom_vendor_site_ids)
        self.assertFalse(self.new_vendor.bom_vendor_categ_ids)
        self.assertFalse(self.new_vendor.bom_vendor_access_ids)
        self.assertFalse(users.exists().filtered("active"))
        self.assertFalse(self.env["mrp.bom"].with_user(users[0]).search([]))

    def test_contact_without_email_is_refused_clearly(self):
        nobody = self.env["res.partner"].create({"name": "No Mail", "parent_id": self.new_vendor.id})
        wizard = self._wizard(contact_ids=[Command.set(nobody.ids)])
        with self.assertRaisesRegex(Exception, "No Mail"):
            wizard.action_apply()

    def test_document_user_cannot_ramp(self):
        with self.assertRaises(AccessError):
            self.env["bom.vendor.ramp.wizard"].with_user(self.doc_user).create(
                {"vendor_id": self.new_vendor.id}
            )
