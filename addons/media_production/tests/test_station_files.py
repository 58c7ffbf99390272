import base64

from odoo.exceptions import AccessError, MissingError
from odoo.tests import new_test_user, tagged

from .common import MediaProductionCase


@tagged("post_install", "-at_install")
class TestStationFiles(MediaProductionCase):
    """Which uploaded title file a station may download (``media.title.file._for_station``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.uploaded = cls.env["media.title.file"].create(
            {
                "title": "CAD Studio",
                "name": "setup/notes.txt",
                "version": "2025.2",
                "file": base64.b64encode(b"release notes"),
                "file_name": "notes.txt",
            }
        )
        cls.uploaded.action_release()

    def test_the_station_of_a_job_listing_the_file_gets_it(self):
        Files = self.env["media.title.file"]
        with self.assertRaises(MissingError):  # no job lists it yet
            Files.with_user(self.station_eu)._for_station(self.uploaded.id)
        self._job(self._sell(self.customer_de))  # produced in Eindhoven
        served = Files.with_user(self.station_eu)._for_station(self.uploaded.id)
        self.assertEqual(served, self.uploaded)
        self.assertEqual(base64.b64decode(served.file), b"release notes")

    def test_other_stations_and_users_get_nothing(self):
        self._job(self._sell(self.customer_de))
        Files = self.env["media.title.file"]
        with self.assertRaises(MissingError):  # Denver has no job with this file
            Files.with_user(self.station_us)._for_station(self.uploaded.id)
        for user in (
            new_test_user(self.env, "t_files_clerk", groups="base.group_user"),
            new_test_user(self.env, "t_files_operator", groups="media_production.group_media_operator"),
            new_test_user(self.env, "t_files_portal", groups="base.group_portal"),
        ):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                Files.with_user(user)._for_station(self.uploaded.id)

    def test_a_file_served_from_elsewhere_or_unknown_is_missing(self):
        self._job(self._sell(self.customer_de))
        Files = self.env["media.title.file"].with_user(self.station_eu)
        self.assertIn(self.readme, self._job(self._sell(self.customer_de)).manifest_line_ids.file_id)
        for file_id in (self.readme.id, 10**9):  # listed but FlexNet's URL; no such file
            with self.subTest(file_id=file_id), self.assertRaises(MissingError):
                Files._for_station(file_id)
