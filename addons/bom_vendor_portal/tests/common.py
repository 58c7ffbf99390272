import base64

from odoo import Command
from odoo.tests import new_test_user


class BomVendorMixin:
    """Two vendors (A by site, B by direct assignment), a customer, BOMs and revisions."""

    @classmethod
    def _setup_bom_vendor_data(cls):
        env = cls.env
        # demo data must not leak into the expectations of these tests
        env["media.production.site"].search([]).write({"active": False})
        cls.site_a = env["media.production.site"].create(
            {
                "name": "Test site A",
                "code": "T-BVP-A",
                "media_type_ids": [Command.set(env["media.type"].search([], limit=1).ids)],
            }
        )
        cls.categ = env["product.category"].create({"name": "Test vendor category"})
        cls.sub_categ = env["product.category"].create(
            {"name": "Test sub-category", "parent_id": cls.categ.id}
        )
        Product = env["product.product"]
        cls.kit_a = Product.create({"name": "Tour Kit Alpha", "default_code": "T-KIT-A", "type": "consu"})
        cls.kit_b = Product.create({"name": "Kit Bravo", "default_code": "T-KIT-B", "type": "consu"})
        cls.kit_c = Product.create(
            {"name": "Kit Charlie", "default_code": "T-KIT-C", "type": "consu", "categ_id": cls.sub_categ.id}
        )
        cls.disc = Product.create({"name": "Tour Disc", "type": "consu"})
        Bom = env["mrp.bom"]
        cls.bom_a = Bom.create(
            {
                "product_tmpl_id": cls.kit_a.product_tmpl_id.id,
                "code": "BOM-A",
                "production_site_ids": [Command.set(cls.site_a.ids)],
                "bom_line_ids": [Command.create({"product_id": cls.disc.id, "product_qty": 2})],
            }
        )
        cls.bom_b = Bom.create(
            {
                "product_tmpl_id": cls.kit_b.product_tmpl_id.id,
                "code": "BOM-B",
                "bom_line_ids": [Command.create({"product_id": cls.disc.id, "product_qty": 1})],
            }
        )
        cls.bom_c = Bom.create({"product_tmpl_id": cls.kit_c.product_tmpl_id.id, "code": "BOM-C"})
        cls.vendor_a = env["res.partner"].create(
            {"name": "Vendor A", "is_company": True, "bom_vendor_site_ids": [Command.set(cls.site_a.ids)]}
        )
        cls.vendor_b = env["res.partner"].create(
            {"name": "Vendor B", "is_company": True, "bom_vendor_bom_ids": [Command.set(cls.bom_b.ids)]}
        )
        cls.customer = env["res.partner"].create({"name": "Customer Co", "is_company": True})
        cls.user_a = cls._portal_user("t_vendor_a", cls.vendor_a)
        cls.user_b = cls._portal_user("t_vendor_b", cls.vendor_b)
        cls.user_customer = cls._portal_user("t_customer", cls.customer)
        cls.doc_user = new_test_user(
            env, "t_doc_user", groups="base.group_user,bom_vendor_portal.group_bom_document_user"
        )
        cls.doc_manager = new_test_user(
            env, "t_doc_manager", groups="base.group_user,bom_vendor_portal.group_bom_document_manager"
        )
        cls.doc_a, cls.rev_a, cls.rev_a_draft = cls._document(cls.bom_a, "Spec A", b"tour specification A")
        cls.doc_b, cls.rev_b, cls.rev_b_draft = cls._document(cls.bom_b, "Spec B", b"secret of vendor B")
        # an older revision of A's document, then withdrawn
        cls.rev_a_old = env["mrp.bom.document.revision"].create(
            {
                "document_id": cls.doc_a.id,
                "name": "0",
                "effective_date": "2020-01-01",
                "file": base64.b64encode(b"withdrawn revision"),
                "file_name": "old.txt",
            }
        )
        cls.rev_a_old.with_user(cls.doc_manager).action_release()
        cls.rev_a_old.with_user(cls.doc_manager).action_supersede()

    @classmethod
    def _portal_user(cls, login, company):
        contact = cls.env["res.partner"].create(
            {"name": login, "parent_id": company.id, "email": f"{login}@example.com"}
        )
        return new_test_user(cls.env, login, groups="base.group_portal", partner_id=contact.id)

    @classmethod
    def _document(cls, bom, name, content):
        document = cls.env["mrp.bom.document"].create({"name": name, "bom_id": bom.id})
        Revision = cls.env["mrp.bom.document.revision"]
        released = Revision.create(
            {
                "document_id": document.id,
                "name": "A",
                "effective_date": "2026-01-01",
                "file": base64.b64encode(content),
                "file_name": f"{name}.txt",
            }
        )
        released.with_user(cls.doc_manager).action_release()
        draft = Revision.create(
            {
                "document_id": document.id,
                "name": "Z",
                "file": base64.b64encode(b"draft " + content),
                "file_name": f"{name}-draft.txt",
            }
        )
        return document, released, draft
