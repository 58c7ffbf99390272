"""The station contract over real HTTP: Odoo 19's JSON-2 API and XML-RPC, with API keys."""

import base64
import hashlib
import io
import json
import xmlrpc.client
from datetime import timedelta

from PyPDF2 import PdfReader

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestStationApiOverHttp(MediaProductionCase, HttpCase):
    def setUp(self):
        super().setUp()
        tomorrow = fields.Datetime.now() + timedelta(days=1)
        Keys = self.env["res.users.apikeys"]
        self.key_eu = Keys.with_user(self.station_eu)._generate(None, "Eindhoven station", tomorrow)
        self.key_us = Keys.with_user(self.station_us)._generate(None, "Denver station", tomorrow)

    def _json2(self, method, key, timeout=12, **params):
        return self.url_open(
            f"/json/2/media.production.job/{method}",
            data=json.dumps(params),
            timeout=timeout,
            headers={
                "Authorization": f"bearer {key}",
                "Content-Type": "application/json",
                "X-Odoo-Database": self.env.cr.dbname,
            },
        )

    def test_json2_claim_progress_and_success(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        response = self._json2("station_claim", self.key_eu, station="eu-http", lease_seconds=300)
        self.assertEqual(response.status_code, 200, response.text)
        [package] = response.json()
        self.assertEqual(package["id"], job.id)
        self.assertEqual(package["label"]["order"], order.name)
        lease = package["lease"]
        # without the claim's lease a report is refused
        response = self._json2("station_progress", self.key_eu, job_id=job.id, state="producing")
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(
            self._json2(
                "station_progress", self.key_eu, job_id=job.id, state="producing", lease=lease
            ).json(),
            "producing",
        )
        report = {"job_id": job.id, "copies": 1, "lease": lease}
        # checksums not confirmed, a disc that failed verification: refused, the job is unchanged
        for refused in (
            {"discs": self._discs(1)},
            {"checksums_verified": True, "discs": self._discs(1, verified=False)},
            {"checksums_verified": True, "discs": [{"serial": "EU-1"}]},
            {"checksums_verified": True, "discs": self._discs(1), "image_md5": "not an md5"},
        ):
            response = self._json2("station_report_success", self.key_eu, **report, **refused)
            self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(job.state, "producing")
        self.assertFalse(job.disc_ids)
        response = self._json2(
            "station_report_success",
            self.key_eu,
            **report,
            checksums_verified=True,
            discs=[{"serial": "EU-1", "verified": True}],
            image_md5="AB" * 16,
        )
        self.assertEqual(response.json(), "done")
        self.assertEqual(job.production_id.state, "done")
        self.assertEqual(
            (job.disc_ids.serial, job.disc_ids.verified, job.image_md5, job.serials),
            ("EU-1", True, "ab" * 16, "EU-1"),
        )
        # repeated over the wire: harmless
        self.assertEqual(
            self._json2("station_report_success", self.key_eu, job_id=job.id, copies=1, lease=lease).json(),
            "done",
        )

    def test_json2_refuses_other_sites_bad_and_expired_keys(self):
        job = self._job(self._sell(self.customer_de))  # an Eindhoven job
        response = self._json2("station_report_failure", self.key_us, job_id=job.id, reason="not mine")
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(job.state, "queued")
        self.assertEqual(self._json2("station_claim", "not-a-key").status_code, 401)
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = %s WHERE user_id = %s",
            [fields.Datetime.now() - timedelta(minutes=1), self.station_eu.id],
        )
        self.assertEqual(self._json2("station_claim", self.key_eu).status_code, 401)
        self.assertEqual(job.state, "queued")

    def test_json2_refuses_malformed_reports(self):
        job = self._job(self._sell(self.customer_de))
        [package] = self._json2("station_claim", self.key_eu).json()
        response = self._json2(
            "station_report_success", self.key_eu, job_id=str(job.id), copies=1, lease=package["lease"]
        )
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(job.state, "claimed")

    def test_xmlrpc_claim_and_failure(self):
        job = self._job(self._sell(self.customer_de))
        self.site_eu.auto_reroute = False
        models = self.xmlrpc_object  # a real XML-RPC client over HTTP (carrying the test cookie)
        db = self.env.cr.dbname
        [package] = models.execute_kw(
            db,
            self.station_eu.id,
            self.key_eu,
            "media.production.job",
            "station_claim",
            [],
            {"station": "xmlrpc"},
        )
        self.assertEqual(package["id"], job.id)
        state = models.execute_kw(
            db,
            self.station_eu.id,
            self.key_eu,
            "media.production.job",
            "station_report_failure",
            [job.id, "label printer offline"],
            {"log": "tail of the robot log", "lease": package["lease"]},
        )
        self.assertEqual(state, "failed")
        self.assertEqual(job.failure_reason, "label printer offline")
        with self.assertRaises(xmlrpc.client.Fault):
            models.execute_kw(
                db, self.station_us.id, self.key_us, "media.production.job", "station_package", [job.id], {}
            )

    def test_uploaded_file_is_served_to_the_station_of_its_jobs_only(self):
        content = b"uploaded installer bytes"
        uploaded = self.env["media.title.file"].create(
            {
                "title": "CAD Studio",
                "name": "setup/readme.txt",
                "version": "2025.2",
                "file": base64.b64encode(content),
                "file_name": "readme.txt",
            }
        )
        self.assertEqual(uploaded.md5, hashlib.md5(content).hexdigest())
        self.assertEqual(uploaded.size, len(content))
        self.assertTrue(uploaded.url.endswith(f"/media_production/files/{uploaded.id}"))
        uploaded.action_release()
        job = self._job(self._sell(self.customer_de))  # Eindhoven
        line = job.manifest_line_ids.filtered(lambda f: f.file_id == uploaded)
        self.assertEqual((line.md5, line.url), (uploaded.md5, uploaded.url))
        path = f"/media_production/files/{uploaded.id}"
        headers = {"X-Odoo-Database": self.env.cr.dbname}
        response = self.url_open(path, headers={**headers, "Authorization": f"bearer {self.key_eu}"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, content)
        partial = self.url_open(
            path, headers={**headers, "Authorization": f"bearer {self.key_eu}", "Range": "bytes=0-7"}
        )
        self.assertEqual((partial.status_code, partial.content), (206, content[:8]))
        # Denver has no job with this file; a wrong key and no key get nothing
        for auth in (f"bearer {self.key_us}", "bearer wrong-key"):
            with self.subTest(auth=auth[:12]):
                refused = self.url_open(
                    path, headers={**headers, "Authorization": auth}, allow_redirects=False
                )
                self.assertIn(refused.status_code, (401, 403, 404))
                self.assertNotIn(content, refused.content)
        self.authenticate(None, None)
        refused = self.url_open(path, headers=headers, allow_redirects=False)
        self.assertNotEqual(refused.status_code, 200)
        self.assertNotIn(content, refused.content)

    def test_label_pdf_renders_with_order_and_part_numbers(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("media_production.report_media_label", job.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        self.assertIn(order.name, text)
        self.assertIn("CADS-MEDIA-DVD", text)

    def test_json2_label_pdf_for_the_jobs_site_only(self):
        order = self._sell(self.customer_de)
        job = self._job(order)
        response = self._json2(  # wkhtmltopdf renders it: slower than the other calls on a busy machine
            "station_label_pdf",
            self.key_eu,
            timeout=120,
            job_id=job.id,
            context={"force_report_rendering": True},
        )
        self.assertEqual(response.status_code, 200, response.text)
        pdf = base64.b64decode(response.json())
        self.assertTrue(pdf.startswith(b"%PDF"))
        self.assertIn(order.name, "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
        self.assertEqual(self._json2("station_label_pdf", self.key_us, job_id=job.id).status_code, 403)
