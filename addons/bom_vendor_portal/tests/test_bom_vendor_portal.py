import base64
import hashlib
import io
import os
import resource
import tempfile
import zipfile

from odoo.tests import HttpCase, tagged

from .common import BomVendorMixin

GIB = 1 << 30


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@tagged("post_install", "-at_install")
class TestBomVendorPortal(BomVendorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_bom_vendor_data()

    def _download_url(self, revision):
        return f"/my/boms/{revision.bom_id.id}/revisions/{revision.id}/download"

    def _assert_refused(self, url, forbidden=b""):
        response = self.url_open(url, allow_redirects=False)
        if url.startswith("/web/image"):
            # refused images are answered with the placeholder picture
            self.assertTrue(
                response.status_code != 200 or response.headers["Content-Type"].startswith("image/")
            )
        else:
            self.assertNotEqual(response.status_code, 200, url)
        if forbidden:
            self.assertNotIn(forbidden, response.content, url)
        return response

    def test_vendor_lists_and_opens_own_bom(self):
        self.authenticate("t_vendor_a", "t_vendor_a")
        page = self.url_open("/my/boms").text
        self.assertIn("Tour Kit Alpha", page)
        self.assertNotIn("Kit Bravo", page)
        page = self.url_open(f"/my/boms/{self.bom_a.id}").text
        self.assertIn("Tour Disc", page)
        self.assertIn(self.rev_a.checksum_md5, page)
        self.assertNotIn(self.rev_a_draft.checksum_md5, page)
        self.assertNotIn(self.rev_a_old.checksum_md5, page)

    def test_vendor_downloads_and_the_download_is_logged(self):
        self.authenticate("t_vendor_a", "t_vendor_a")
        response = self.url_open(self._download_url(self.rev_a))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"tour specification A")
        self.assertEqual(response.headers["X-Content-MD5"], hashlib.md5(b"tour specification A").hexdigest())
        log = self.env["mrp.bom.document.download"].search([("revision_id", "=", self.rev_a.id)])
        self.assertEqual(len(log), 1)
        self.assertEqual((log.user_id, log.vendor_id, log.via), (self.user_a, self.vendor_a, "file"))
        self.assertTrue(log.ip_address)

    def test_vendor_a_cannot_reach_vendor_b_anything(self):
        self.authenticate("t_vendor_a", "t_vendor_a")
        secret = b"secret of vendor B"
        attachment = self.rev_b._file_attachment()
        self.assertTrue(attachment)
        for url in (
            f"/my/boms/{self.bom_b.id}",
            f"/my/boms/{self.bom_b.id}/download-all",
            self._download_url(self.rev_b),
            # another vendor's revision through one's own BOM
            f"/my/boms/{self.bom_a.id}/revisions/{self.rev_b.id}/download",
            f"/web/content/{attachment.id}",
            f"/web/content/{attachment.id}?download=true",
            f"/web/content?model=mrp.bom.document.revision&id={self.rev_b.id}&field=file",
            f"/web/image/{attachment.id}",
            f"/web/image?model=mrp.bom.document.revision&id={self.rev_b.id}&field=file",
            f"/web/content/{attachment.id}?access_token=guess",
            f"/web/content/{attachment.id}?access_token=",
        ):
            with self.subTest(url=url):
                self._assert_refused(url, secret)
        listing = self.url_open("/my/boms?search=Bravo").text
        self.assertNotIn("Kit Bravo", listing)
        self.assertNotIn(secret, self.url_open(f"/my/boms/{self.bom_a.id}/download-all").content)

    def test_hidden_revisions_cannot_be_downloaded(self):
        self.authenticate("t_vendor_a", "t_vendor_a")
        for revision, content in ((self.rev_a_draft, b"draft tour"), (self.rev_a_old, b"withdrawn revision")):
            with self.subTest(state=revision.state):
                self._assert_refused(self._download_url(revision), content)
                attachment = revision._file_attachment()
                self._assert_refused(f"/web/content/{attachment.id}", content)

    def test_customer_and_public_see_nothing(self):
        self.authenticate("t_customer", "t_customer")
        listing = self.url_open("/my/boms").text
        self.assertNotIn("Tour Kit Alpha", listing)
        self.assertNotIn("Kit Bravo", listing)
        self._assert_refused(f"/my/boms/{self.bom_a.id}", b"tour specification")
        self._assert_refused(self._download_url(self.rev_a), b"tour specification A")
        self.authenticate(None, None)
        for url in ("/my/boms", f"/my/boms/{self.bom_a.id}", self._download_url(self.rev_a)):
            with self.subTest(url=url):
                response = self.url_open(url, allow_redirects=False)
                self.assertIn(response.status_code, (303, 302, 404))
                self.assertNotIn(b"tour specification A", response.content)

    def test_download_all_is_a_zip_of_current_revisions(self):
        newer = self.env["mrp.bom.document.revision"].create(
            {
                "document_id": self.doc_a.id,
                "name": "B",
                "effective_date": "2026-06-01",
                "file": base64.b64encode(b"tour specification B"),
                "file_name": "Spec A.txt",
            }
        )
        newer.with_user(self.doc_manager).action_release()
        artwork = self.env["mrp.bom.document"].create(
            {"name": "Artwork", "bom_id": self.bom_a.id, "bom_line_id": self.bom_a.bom_line_ids.id}
        )
        art = self.env["mrp.bom.document.revision"].create(
            {
                "document_id": artwork.id,
                "name": "1",
                "file": base64.b64encode(b"<svg/>"),
                "file_name": "a.svg",
            }
        )
        art.with_user(self.doc_manager).action_release()
        self.authenticate("t_vendor_a", "t_vendor_a")
        response = self.url_open(f"/my/boms/{self.bom_a.id}/download-all")
        self.assertEqual(response.status_code, 200)
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        self.assertEqual(
            {name: archive.read(name) for name in archive.namelist()},
            {"Spec A/Spec A.txt": b"tour specification B", "Artwork/a.svg": b"<svg/>"},
        )
        logged = self.env["mrp.bom.document.download"].search([("via", "=", "zip")])
        self.assertEqual(logged.revision_id, newer | art)

    def test_internal_user_without_group_gets_nothing(self):
        self.env["res.users"].create(
            {
                "name": "Emp",
                "login": "t_emp_portal",
                "password": "t_emp_portal_pw",
                "group_ids": [(6, 0, self.env.ref("base.group_user").ids)],
            }
        )
        self.authenticate("t_emp_portal", "t_emp_portal_pw")
        self._assert_refused("/my/boms")
        self._assert_refused(self._download_url(self.rev_a), b"tour specification A")

    def test_multi_gigabyte_iso_streams_with_ranges_and_flat_memory(self):
        size = 2 * GIB + 4096
        marker = b"ISO-MARKER-PAST-2GIB"
        with tempfile.TemporaryDirectory() as root:
            self.env["ir.config_parameter"].sudo().set_param("bom_vendor_portal.import_root", root)
            path = os.path.join(root, "kit.iso")
            with open(path, "wb") as iso:  # sparse: holes read as zeros
                iso.truncate(size)
                iso.seek(2 * GIB)
                iso.write(marker)
            iso_doc = self.env["mrp.bom.document"].create(
                {"name": "Install image", "bom_id": self.bom_a.id, "document_type": "iso"}
            )
            revision = self.env["mrp.bom.document.revision"].create({"document_id": iso_doc.id, "name": "1"})
            revision.with_user(self.doc_manager)._import_file_from_server("kit.iso")
            self.assertFalse(os.path.exists(path), "the import moves the file into the filestore")
        stored = revision._file_path()  # marked for the filestore GC: gone after the rollback
        self.assertEqual(os.path.getsize(stored), size)
        self.assertEqual(revision.file_size, size)
        self.assertEqual(len(revision.checksum_md5), 32)
        revision.with_user(self.doc_manager).action_release()
        self.authenticate("t_vendor_a", "t_vendor_a")
        url = self._download_url(revision)
        # a range past 2 GiB
        response = self.url_open(url, headers={"Range": f"bytes={2 * GIB}-{2 * GIB + len(marker) - 1}"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response.content, marker)
        self.assertEqual(
            response.headers["Content-Range"], f"bytes {2 * GIB}-{2 * GIB + len(marker) - 1}/{size}"
        )
        # the whole file, streamed: memory stays flat
        before = _rss_mb()
        received = 0
        peak = before
        md5 = hashlib.md5()
        with self.opener.get(self.base_url() + url, stream=True, timeout=600) as full:
            self.assertEqual(full.status_code, 200)
            self.assertEqual(int(full.headers["Content-Length"]), size)
            for chunk in full.iter_content(1 << 20):
                received += len(chunk)
                md5.update(chunk)
                if received % (256 << 20) < (1 << 20):
                    peak = max(peak, _rss_mb())
        self.assertEqual(received, size)
        self.assertEqual(md5.hexdigest(), revision.checksum_md5)
        self.assertLess(peak - before, 200, "streaming a 2 GiB file must not load it into memory")
        logs = self.env["mrp.bom.document.download"].search([("revision_id", "=", revision.id)])
        self.assertEqual(len(logs), 2)
        self.assertEqual(
            set(logs.mapped("byte_range")), {f"bytes={2 * GIB}-{2 * GIB + len(marker) - 1}", False}
        )

    def test_import_refuses_paths_outside_the_import_folder(self):
        with tempfile.TemporaryDirectory() as root:
            self.env["ir.config_parameter"].sudo().set_param("bom_vendor_portal.import_root", root)
            with self.assertRaisesRegex(Exception, "not a file of the import folder"):
                self.rev_a_draft.with_user(self.doc_manager)._import_file_from_server("../../etc/passwd")

    def test_tour_vendor_list_bom_download(self):
        self.start_tour("/my", "bom_vendor_portal_vendor_downloads", login="t_vendor_a")
