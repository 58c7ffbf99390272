import base64
import hashlib
import os
import tempfile

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import BomVendorMixin


@tagged("post_install", "-at_install")
class TestBomVendorAccess(BomVendorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bom_vendor_data()

    def test_vendor_sees_only_assigned_boms(self):
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a)
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b)
        self.assertFalse(self.env["mrp.bom"].with_user(self.user_customer).search([]))

    def test_vendor_cannot_read_other_vendor_records_by_id(self):
        for record in (self.bom_b, self.bom_b.bom_line_ids, self.doc_b, self.rev_b):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.user_a).check_access("read")

    def test_vendor_sees_released_revisions_only(self):
        Revision = self.env["mrp.bom.document.revision"].with_user(self.user_a)
        self.assertEqual(Revision.search([]), self.rev_a)
        for hidden in (self.rev_a_draft, self.rev_a_old):
            with self.subTest(state=hidden.state), self.assertRaises(AccessError):
                hidden.with_user(self.user_a).check_access("read")

    def test_attachment_of_other_vendor_is_refused(self):
        attachment = self.rev_b._file_attachment()
        self.assertTrue(attachment)
        with self.assertRaises(AccessError):
            attachment.with_user(self.user_a).check_access("read")

    def test_internal_document_user_sees_all_but_cannot_release(self):
        Revision = self.env["mrp.bom.document.revision"].with_user(self.doc_user)
        self.assertIn(self.rev_b_draft, Revision.search([]))
        with self.assertRaises(AccessError):
            self.rev_a_draft.with_user(self.doc_user).action_release()

    def test_plain_employee_sees_no_document(self):
        employee = self.env["res.users"].create(
            {"name": "Emp", "login": "t_emp", "group_ids": [Command.set(self.env.ref("base.group_user").ids)]}
        )
        with self.assertRaises(AccessError):
            self.env["mrp.bom.document"].with_user(employee).search([])

    def test_assignment_through_category_includes_sub_categories(self):
        self.vendor_b.bom_vendor_categ_ids = [Command.link(self.categ.id)]
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b | self.bom_c)
        # moving the product out of the category removes the BOM
        self.kit_c.product_tmpl_id.categ_id = self.env["product.category"].create({"name": "Elsewhere"})
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b)

    def test_site_change_updates_access(self):
        self.bom_b.production_site_ids = [Command.link(self.site_a.id)]
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a | self.bom_b)
        self.vendor_a.bom_vendor_site_ids = [Command.clear()]
        self.assertFalse(self.env["mrp.bom"].with_user(self.user_a).search([]))

    def test_category_moved_or_removed_updates_access_at_once(self):
        self.vendor_b.bom_vendor_categ_ids = [Command.link(self.categ.id)]
        self.assertIn(self.bom_c, self.env["mrp.bom"].with_user(self.user_b).search([]))
        # the sub-category moves away from the vendor's category: its BOMs go with it
        self.sub_categ.parent_id = False
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b)
        self.sub_categ.parent_id = self.categ
        self.assertIn(self.bom_c, self.env["mrp.bom"].with_user(self.user_b).search([]))
        # the vendor's category is deleted (its sub-category moved out first)
        self.sub_categ.parent_id = False
        self.vendor_b.bom_vendor_categ_ids = [Command.link(self.sub_categ.id)]
        self.kit_c.product_tmpl_id.categ_id = self.sub_categ
        self.vendor_b.bom_vendor_categ_ids = [Command.set(self.sub_categ.ids)]
        self.assertIn(self.bom_c, self.env["mrp.bom"].with_user(self.user_b).search([]))
        self.kit_c.product_tmpl_id.categ_id = self.categ
        self.sub_categ.unlink()
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b)

    def test_category_deleted_with_its_products_updates_access_at_once(self):
        self.vendor_b.bom_vendor_categ_ids = [Command.link(self.categ.id)]
        self.assertIn(self.bom_c, self.env["mrp.bom"].with_user(self.user_b).search([]))
        # the sub-category holding kit C is deleted: kit C is left without a category
        self.sub_categ.unlink()
        self.assertFalse(self.kit_c.categ_id)
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_b).search([]), self.bom_b)

    def test_site_removed_updates_access_at_once(self):
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a)
        self.site_a.unlink()
        self.assertFalse(self.env["mrp.bom"].with_user(self.user_a).search([]))
        with self.assertRaises(AccessError):
            self.bom_a.with_user(self.user_a).check_access("read")

    def test_archived_site_stops_granting_access(self):
        self.site_a.active = False
        self.assertFalse(self.env["mrp.bom"].with_user(self.user_a).search([]))
        with self.assertRaises(AccessError):
            self.bom_a.with_user(self.user_a).check_access("read")
        self.site_a.active = True
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a)

    def test_site_created_with_boms_and_vendors_grants_access_at_once(self):
        site = self.env["media.production.site"].create(
            {
                "name": "Test site B",
                "code": "T-BVP-B",
                "media_type_ids": [Command.set(self.site_a.media_type_ids.ids)],
                "bom_ids": [Command.set((self.bom_b | self.bom_c).ids)],
                "bom_vendor_ids": [Command.set(self.vendor_a.ids)],
            }
        )
        self.assertEqual(
            self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a | self.bom_b | self.bom_c
        )
        site.bom_ids = [Command.unlink(self.bom_c.id)]
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a | self.bom_b)

    def test_access_is_not_written_directly(self):
        # the derived field follows the assignments only: a direct write is undone at once
        self.bom_b.vendor_access_ids = [Command.link(self.vendor_a.id)]
        self.vendor_a.bom_vendor_access_ids = [Command.link(self.bom_c.id)]
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a)

    def test_nightly_check_repairs_and_reports_a_missed_refresh(self):
        logger = "odoo.addons.bom_vendor_portal.models.mrp_bom"
        with self.assertNoLogs(logger, "WARNING"):
            self.env["mrp.bom"]._cron_refresh_vendor_access()
        # as left by a refresh that was missed: vendor A keeps B, loses A
        self.env.cr.execute(
            "UPDATE mrp_bom_vendor_access_rel SET bom_id = %s WHERE bom_id = %s AND partner_id = %s",
            [self.bom_b.id, self.bom_a.id, self.vendor_a.id],
        )
        self.env.invalidate_all()
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_b)
        with self.assertLogs(logger, "WARNING") as logs:
            self.env["mrp.bom"]._cron_refresh_vendor_access()
        self.assertIn("1 rows added, 1 rows removed", logs.output[0])
        self.assertEqual(self.env["mrp.bom"].with_user(self.user_a).search([]), self.bom_a)

    def test_checksums_computed_on_upload(self):
        content = b"artwork bytes" * 100
        self.rev_a_draft.file = base64.b64encode(content)
        self.assertEqual(self.rev_a_draft.checksum_md5, hashlib.md5(content).hexdigest())
        self.assertEqual(self.rev_a_draft.checksum_sha256, hashlib.sha256(content).hexdigest())
        self.assertEqual(self.rev_a_draft.file_size, len(content))

    def test_released_file_is_frozen(self):
        with self.assertRaises(UserError):
            self.rev_a.file = base64.b64encode(b"changed after release")

    def test_latest_released_revision_is_current(self):
        self.assertEqual(self.doc_a.current_revision_id, self.rev_a)
        self.rev_a_draft.effective_date = "2026-06-01"
        self.rev_a_draft.with_user(self.doc_manager).action_release()
        self.assertEqual(self.doc_a.current_revision_id, self.rev_a_draft)
        # the older one stays released, downloadable for the record
        self.assertEqual(self.rev_a.state, "released")
        self.assertEqual(
            self.env["mrp.bom.document.revision"].with_user(self.user_a).search([]),
            self.rev_a | self.rev_a_draft,
        )

    def test_release_without_file_is_refused(self):
        empty = self.env["mrp.bom.document.revision"].create({"document_id": self.doc_a.id, "name": "E"})
        with self.assertRaises(UserError):
            empty.with_user(self.doc_manager).action_release()

    def test_release_notifies_vendors_who_asked(self):
        self.vendor_a.bom_notify_revisions = True
        self.vendor_b.bom_notify_revisions = True
        self.rev_a_draft.with_user(self.doc_manager).action_release()
        mails = self.env["mail.mail"].search(
            [("model", "=", "mrp.bom.document.revision"), ("res_id", "=", self.rev_a_draft.id)]
        )
        self.assertEqual(mails.recipient_ids, self.user_a.partner_id)
        self.assertIn("Spec A", mails.subject)

    def test_no_notification_without_opt_in(self):
        self.rev_a_draft.with_user(self.doc_manager).action_release()
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "mrp.bom.document.revision"), ("res_id", "=", self.rev_a_draft.id)]
            )
        )

    def test_import_wizard_lists_and_imports_server_files(self):
        with tempfile.TemporaryDirectory() as root:
            self.env["ir.config_parameter"].sudo().set_param("bom_vendor_portal.import_root", root)
            with open(os.path.join(root, "image.iso"), "wb") as iso:
                iso.write(b"iso content")
            Wizard = self.env["bom.document.import.wizard"].with_user(self.doc_manager)
            self.assertEqual(Wizard._selection_file_name(), [("image.iso", "image.iso")])
            Wizard.create({"revision_id": self.rev_a_draft.id, "file_name": "image.iso"}).action_import()
        self.assertEqual(self.rev_a_draft.file_size, len(b"iso content"))
        self.assertEqual(self.rev_a_draft.checksum_md5, hashlib.md5(b"iso content").hexdigest())
        self.assertEqual(base64.b64decode(self.rev_a_draft.file), b"iso content")
        with self.assertRaises(AccessError):
            self.env["bom.document.import.wizard"].with_user(self.doc_user).create(
                {"revision_id": self.rev_a_draft.id, "file_name": "image.iso"}
            )

    def test_download_log_is_for_internal_readers_only(self):
        self.env["mrp.bom.document.download"].create(
            {"user_id": self.user_a.id, "revision_id": self.rev_a.id}
        )
        for user in (self.user_a, self.user_customer):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["mrp.bom.document.download"].with_user(user).search([])
        logs = self.env["mrp.bom.document.download"].with_user(self.doc_user).search([])
        self.assertTrue(logs)
        with self.assertRaises(AccessError):
            logs.with_user(self.doc_user).unlink()
