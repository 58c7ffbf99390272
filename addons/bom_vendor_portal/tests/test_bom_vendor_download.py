"""The rules of portal downloads, on the models: what "download all" puts in its archive for
whom, under which names, and the download log."""

import base64
import io
import os
import zipfile

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ..models.mrp_bom_document_revision import CHUNK, safe_file_name, zip_stream
from .common import BomVendorMixin


@tagged("post_install", "-at_install")
class TestBomVendorDownload(BomVendorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bom_vendor_data()
        cls.employee = new_test_user(cls.env, "t_dl_employee", groups="base.group_user")

    def _archive(self, user, bom):
        return self.env["mrp.bom.document.revision"].with_user(user)._bom_archive(bom.with_user(user))

    @staticmethod
    def _unzip(archive):
        with zipfile.ZipFile(io.BytesIO(b"".join(archive.stream()))) as unzipped:
            return {name: unzipped.read(name) for name in unzipped.namelist()}

    def _release(self, document, label, content, file_name):
        revision = self.env["mrp.bom.document.revision"].create(
            {
                "document_id": document.id,
                "name": label,
                "file": base64.b64encode(content),
                "file_name": file_name,
            }
        )
        revision.with_user(self.doc_manager).action_release()
        return revision

    def test_vendor_gets_the_current_revisions_of_own_bom(self):
        archive = self._archive(self.user_a, self.bom_a)
        self.assertEqual(archive.revisions, self.rev_a)  # neither the draft nor the superseded one
        self.assertEqual(archive.file_name, f"{safe_file_name(self.bom_a.display_name)}.zip")
        self.assertEqual(self._unzip(archive), {"Spec A/Spec A.txt": b"tour specification A"})

    def test_the_archive_follows_the_latest_release(self):
        newer = self._release(self.doc_a, "B", b"tour specification B", "Spec A.txt")
        archive = self._archive(self.user_a, self.bom_a)
        self.assertEqual(archive.revisions, newer)
        self.assertEqual(self._unzip(archive), {"Spec A/Spec A.txt": b"tour specification B"})

    def test_who_may_not_read_the_bom_gets_nothing(self):
        for user, bom in (
            (self.user_a, self.bom_b),
            (self.user_b, self.bom_a),
            (self.user_customer, self.bom_a),
            (self.employee, self.bom_a),  # internal, without the BOM documents group
        ):
            with self.subTest(user=user.login, bom=bom.code), self.assertRaises(AccessError):
                self._archive(user, bom)

    def test_internal_document_user_gets_any_bom(self):
        archive = self._archive(self.doc_user, self.bom_b)
        self.assertEqual(archive.revisions, self.rev_b)
        self.assertEqual(self._unzip(archive), {"Spec B/Spec B.txt": b"secret of vendor B"})

    def test_names_in_the_archive_are_safe_and_unique(self):
        hostile = self.env["mrp.bom.document"].create({"name": "../../etc", "bom_id": self.bom_a.id})
        self._release(hostile, "1", b"first", "..\\..\\passwd")
        twin = self.env["mrp.bom.document"].create({"name": "../../etc", "bom_id": self.bom_a.id})
        self._release(twin, "1", b"second", "../../passwd")  # the same safe names as above
        dots = self.env["mrp.bom.document"].create({"name": "..", "bom_id": self.bom_a.id})
        self._release(dots, "1", b"third", "..")
        files = self._unzip(self._archive(self.user_a, self.bom_a))
        self.assertEqual(len(files), 4)
        self.assertEqual(sorted(files.values()), [b"first", b"second", b"third", b"tour specification A"])
        for name in files:
            with self.subTest(name=name):
                folder, base = name.split("/")  # exactly one level: no separator inside a name
                for part in (folder, base):
                    self.assertTrue(part)
                    self.assertFalse(part.startswith(".") or part.endswith("."), part)
                    self.assertNotIn("\\", part)
                    self.assertTrue(part.isprintable(), part)

    def test_a_file_missing_from_the_filestore_is_left_out_and_not_logged(self):
        document = self.env["mrp.bom.document"].create({"name": "Lost", "bom_id": self.bom_a.id})
        lost = self._release(document, "1", b"content of a file lost from the filestore", "lost.txt")
        path = lost._file_path()
        os.unlink(path)
        logger = "odoo.addons.bom_vendor_portal.models.mrp_bom_document_revision"
        with self.assertLogs(logger, "WARNING") as logs:  # the administrator learns of it
            archive = self._archive(self.user_a, self.bom_a)
        self.assertIn("Lost rev. 1 is missing from the filestore", logs.output[0])
        self.assertEqual(archive.revisions, self.rev_a)
        self.assertEqual(list(self._unzip(archive)), ["Spec A/Spec A.txt"])

    def test_the_archive_streams_in_blocks(self):
        document = self.env["mrp.bom.document"].create({"name": "Image", "bom_id": self.bom_a.id})
        content = os.urandom(3 * CHUNK + 100)
        self._release(document, "1", content, "image.bin")
        archive = self._archive(self.user_a, self.bom_a)
        pieces = list(archive.stream())
        # no piece holds much more than one block: the files are never read whole
        self.assertLessEqual(max(len(piece) for piece in pieces), CHUNK + 4096)
        self.assertGreaterEqual(len([piece for piece in pieces if piece]), 4)
        self.assertEqual(self._unzip(archive)["Image/image.bin"], content)

    def test_zip_stream_of_nothing_is_an_empty_archive(self):
        with zipfile.ZipFile(io.BytesIO(b"".join(zip_stream([])))) as unzipped:
            self.assertEqual(unzipped.namelist(), [])

    def test_safe_file_name(self):
        for name, expected in (
            ("Spec A.txt", "Spec A.txt"),
            ("Spéc-2_b.pdf", "Spéc-2_b.pdf"),
            ("a/b\\c", "a_b_c"),
            ("..", "file"),
            ("../x", "_x"),
            (" .hidden. ", "hidden"),
            ("line\nfeed\r\x00", "line_feed_"),
            ("", "file"),
            (None, "file"),
        ):
            with self.subTest(name=name):
                self.assertEqual(safe_file_name(name), expected)

    def test_downloads_are_logged_for_readable_revisions_only(self):
        Download = self.env["mrp.bom.document.download"]
        logged = self.rev_a.with_user(self.user_a)._log_download(
            byte_range="bytes=0-3", ip_address="192.0.2.1"
        )
        self.assertEqual(
            (logged.user_id, logged.vendor_id, logged.revision_id, logged.via, logged.byte_range),
            (self.user_a, self.vendor_a, self.rev_a, "file", "bytes=0-3"),
        )
        self.assertEqual(logged.ip_address, "192.0.2.1")
        before = Download.search_count([])
        for user, revisions in (
            (self.user_a, self.rev_b),  # another vendor's
            (self.user_a, self.rev_a | self.rev_a_draft),  # a draft among them
            (self.user_customer, self.rev_a),
        ):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                revisions.with_user(user)._log_download(via="zip")
        self.assertEqual(Download.search_count([]), before)
        # an internal user is logged without a vendor
        logged = (self.rev_a | self.rev_b).with_user(self.doc_user)._log_download(via="zip")
        self.assertEqual(logged.mapped("vendor_id"), self.env["res.partner"])
        self.assertEqual(set(logged.mapped("via")), {"zip"})
