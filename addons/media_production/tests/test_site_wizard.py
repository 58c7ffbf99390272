"""The "new production site" wizard and the rotation of a station's key."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import new_test_user, tagged

from .common import MediaProductionCase


class SiteWizardMixin:
    """Create a production site with the wizard as a media production manager."""

    def _site_wizard(self, user, **vals):
        values = {
            "name": "Toronto",
            "code": "T-CA",
            "media_type_ids": [Command.set(self.dvd.ids)],
            "rule_country_ids": [Command.set(self.env.ref("base.ca").ids)],
            **vals,
        }
        return self.env["media.production.site.wizard"].with_user(user).create(values)

    def _shown_key(self, action, user):
        """The key as the dialog the wizard opens shows it (its defaults, from the action)."""
        Show = self.env[action["res_model"]].with_user(user).with_context(**action["context"])
        return Show.default_get(["key", "site_id", "login", "expiration_date", "station_settings"])

    def _key_user(self, key):
        """Whom ``key`` signs in (as JSON-2 and XML-RPC check it), or None."""
        return self.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key)


@tagged("post_install", "-at_install")
class TestSiteWizard(SiteWizardMixin, MediaProductionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "t_site_manager", groups="media_production.group_media_manager")
        cls.operator = new_test_user(
            cls.env, "t_site_operator", groups="media_production.group_media_operator"
        )
        cls.salesman = new_test_user(
            cls.env, "t_site_salesman", groups="sales_team.group_sale_salesman_all_leads"
        )
        cls.portal = new_test_user(cls.env, "t_site_portal", groups="base.group_portal")

    def test_manager_sets_up_a_site_in_one_step(self):
        wizard = self._site_wizard(self.manager, daily_capacity=40)
        self.assertEqual((wizard.warehouse_code, wizard.station_login), ("TCA", "station-t-ca"))
        action = wizard.action_apply()
        site = self.env["media.production.site"].search([("code", "=", "T-CA")])
        self.assertEqual((site.name, site.daily_capacity, site.media_type_ids), ("Toronto", 40, self.dvd))
        # its own warehouse
        self.assertEqual((site.warehouse_id.name, site.warehouse_id.code), ("Toronto", "TCA"))
        # a technical station user, member of the station group only
        user = site.station_user_id
        self.assertEqual(user.login, "station-t-ca")
        self.assertEqual(user.group_ids, self.env.ref("media_production.group_media_station"))
        self.assertFalse(user._is_internal())
        # the routing rule sends it the kits shipped to Canada
        rule = self.env["media.routing.rule"].search([("site_id", "=", site.id)])
        self.assertEqual(rule.country_ids, self.env.ref("base.ca"))
        self.assertEqual(
            self.env["media.routing.rule"]._route(self.env.ref("base.ca"), self.dvd, self.kit), site
        )
        # the key, shown once, signs the station user in and expires
        shown = self._shown_key(action, self.manager)
        key = shown["key"]
        self.assertEqual(len(key), 40)
        self.assertEqual(self._key_user(key), user.id)
        self.assertEqual((shown["site_id"], shown["login"]), (site.id, "station-t-ca"))
        self.assertIn("site = T-CA", shown["station_settings"])
        self.assertNotIn(key, shown["station_settings"])
        [stored] = site._station_keys()
        self.assertAlmostEqual(
            stored.expiration_date, fields.Datetime.now() + timedelta(days=90), delta=timedelta(minutes=5)
        )
        self.assertEqual(site.with_user(self.manager).station_key_expiration, stored.expiration_date)
        # kept nowhere in clear: not in the wizard's row, not in the key table, not in any message
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT count(*) FROM media_production_site_wizard w WHERE row_to_json(w)::text LIKE %s",
            [f"%{key}%"],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute(
            "SELECT count(*) FROM res_users_apikeys k WHERE k.key = %s OR k.name LIKE %s", [key, f"%{key}%"]
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertFalse(self.env["mail.message"].search_count([("body", "ilike", key)]))

    def test_existing_warehouse_or_the_orders_and_no_rule(self):
        warehouse = self.env["stock.warehouse"].create({"name": "Plant CA", "code": "TPCA"})
        self._site_wizard(self.manager, warehouse_mode="existing", warehouse_id=warehouse.id).action_apply()
        self._site_wizard(
            self.manager, name="Lyon", code="T-FR", warehouse_mode="order", create_rule=False
        ).action_apply()
        toronto, lyon = (
            self.env["media.production.site"].search([("code", "=", code)]) for code in ("T-CA", "T-FR")
        )
        self.assertEqual(toronto.warehouse_id, warehouse)
        self.assertFalse(lyon.warehouse_id)
        self.assertFalse(self.env["media.routing.rule"].search([("site_id", "=", lyon.id)]))

    def test_taken_code_login_or_warehouse_are_refused_clearly(self):
        self._site_wizard(self.manager).action_apply()
        sites = self.env["media.production.site"].search_count([])
        for vals, message in (
            ({}, "code T-CA exists already"),
            ({"code": "T-CA2", "station_login": "station-t-ca"}, "login station-t-ca exists already"),
            ({"code": "T-CA3", "warehouse_code": "TCA"}, "short name TCA exists already"),
            ({"code": "T-CA4", "warehouse_mode": "existing"}, "Choose the warehouse"),
        ):
            with self.subTest(message=message), self.assertRaisesRegex(UserError, message):
                self._site_wizard(self.manager, **vals).action_apply()
        self.assertEqual(self.env["media.production.site"].search_count([]), sites)

    def test_only_production_managers_set_up_sites_and_issue_keys(self):
        for user in (self.salesman, self.operator, self.portal, self.station_eu):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._site_wizard(user)
                wizard = self._site_wizard(self.manager)
                with self.assertRaises(AccessError):
                    wizard.with_user(user).action_apply()
                with self.assertRaises(AccessError):
                    self.env["media.production.site.key.wizard"].with_user(user).create(
                        {"site_id": self.site_eu.id}
                    )
                with self.assertRaises(AccessError):
                    self.site_eu.with_user(user)._station_issue_key(fields.Datetime.now() + timedelta(days=1))
        self.assertFalse(self.env["media.production.site"].search_count([("code", "=", "T-CA")]))
        self.assertFalse(self.site_eu._station_keys())

    def test_rotation_revokes_every_key_of_the_station_and_no_other_sites(self):
        action = self._site_wizard(self.manager).action_apply()
        site = self.env["media.production.site"].browse(self._shown_key(action, self.manager)["site_id"])
        old = self._shown_key(action, self.manager)["key"]
        tomorrow = fields.Datetime.now() + timedelta(days=1)
        Keys = self.env["res.users.apikeys"]
        # a key of the station user made by hand (as before the wizard), another site's station key
        by_hand = Keys.with_user(site.station_user_id).sudo()._generate(None, "station", tomorrow)
        eu_key = self.site_eu._station_issue_key(tomorrow)
        rotate = (
            self.env["media.production.site.key.wizard"]
            .with_user(self.manager)
            .create({"site_id": site.id, "key_duration": "30"})
        )
        self.assertEqual(rotate.revoked_count, 2)
        new = self._shown_key(rotate.action_rotate(), self.manager)["key"]
        self.assertNotEqual(new, old)
        self.assertIsNone(self._key_user(old))
        self.assertEqual(self._key_user(new), site.station_user_id.id)
        self.assertIsNone(self._key_user(by_hand))
        self.assertEqual(self._key_user(eu_key), self.station_eu.id)
        [stored] = site._station_keys()
        self.assertAlmostEqual(
            stored.expiration_date, fields.Datetime.now() + timedelta(days=30), delta=timedelta(minutes=5)
        )

    def test_a_manager_sets_up_and_rotates_sites_of_their_own_companies_only(self):
        other = self.env["res.company"].create({"name": "Other Replication Ltd"})
        foreign = self.env["media.production.site"].create(
            {"name": "Elsewhere", "code": "ELSEW", "company_id": other.id, "station_user_id": False}
        )
        wizard = self._site_wizard(self.manager)
        wizard.sudo().company_id = other
        with self.assertRaisesRegex(AccessError, "not one of your companies"):
            wizard.with_user(self.manager).action_apply()
        self.assertFalse(self.env["res.users"].search_count([("login", "=", wizard.station_login)]))
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager)._station_issue_key(fields.Datetime.now() + timedelta(days=1))
        self.assertFalse(
            self.env["media.production.site"].with_user(self.manager).search([("id", "=", foreign.id)])
        )

    def test_key_is_issued_to_station_users_only(self):
        self.site_eu.sudo().station_user_id = self.operator
        with self.assertRaisesRegex(UserError, "not a production station user"):
            self.site_eu.with_user(self.manager)._station_issue_key(fields.Datetime.now() + timedelta(days=1))
        self.assertFalse(self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.operator.id)]))
