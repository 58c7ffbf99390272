import re
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import MANAGER_GROUP, STATION_GROUP, STATION_KEY_DURATIONS


class MediaProductionSiteWizard(models.TransientModel):
    """Set up a production site in one step: its warehouse, its station user and API key
    (shown once), and the routing rule that sends it kits."""

    _name = "media.production.site.wizard"
    _description = "New Production Site"

    name = fields.Char("Site name", required=True)
    code = fields.Char(required=True, help="Given to the station program (--site).")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    media_type_ids = fields.Many2many("media.type", string="Media types", required=True)
    robot_verifies = fields.Boolean("Robot verifies discs", default=True)
    daily_capacity = fields.Integer("Capacity per day", default=0, help="0: no limit.")
    tz = fields.Selection(
        _tz_get,
        "Time zone",
        required=True,
        default=lambda self: self.env.company.partner_id.tz or self.env.user.tz or "UTC",
    )
    # warehouse
    warehouse_mode = fields.Selection(
        [
            ("new", "A new warehouse"),
            ("existing", "An existing warehouse"),
            ("order", "The sale order's warehouse"),
        ],
        "Makes and ships from",
        required=True,
        default="new",
    )
    warehouse_id = fields.Many2one("stock.warehouse", domain="[('company_id', '=', company_id)]")
    warehouse_name = fields.Char(
        "Warehouse name", compute="_compute_warehouse_name", store=True, readonly=False
    )
    warehouse_code = fields.Char(
        "Warehouse short name",
        size=5,
        compute="_compute_warehouse_code",
        store=True,
        readonly=False,
        help="Up to 5 characters: the prefix of the warehouse's transfers.",
    )
    # station
    station_login = fields.Char(
        "Station login",
        compute="_compute_station_login",
        store=True,
        readonly=False,
        help="Login of the technical user the site's station works as.",
    )
    key_duration = fields.Selection(
        STATION_KEY_DURATIONS, "Key valid for", required=True, default="90", help="Station keys expire."
    )
    # routing
    create_rule = fields.Boolean("Add a routing rule", default=True)
    rule_sequence = fields.Integer("Rule priority", default=10)
    rule_country_ids = fields.Many2many("res.country", string="Ship-to countries", help="Empty: any country.")
    rule_media_type_ids = fields.Many2many(
        "media.type",
        "media_production_site_wizard_rule_media_type_rel",
        string="Rule media types",
        help="Empty: any media type.",
    )
    rule_product_ids = fields.Many2many("product.product", string="Media kits", help="Empty: any kit.")

    @api.depends("name")
    def _compute_warehouse_name(self):
        for wizard in self:
            wizard.warehouse_name = wizard.name

    @api.depends("code")
    def _compute_warehouse_code(self):
        for wizard in self:
            wizard.warehouse_code = re.sub(r"[^A-Za-z0-9]", "", wizard.code or "")[:5].upper() or False

    @api.depends("code")
    def _compute_station_login(self):
        for wizard in self:
            code = re.sub(r"[^a-z0-9]+", "-", (wizard.code or "").lower()).strip("-")
            wizard.station_login = code and f"station-{code}"

    def action_apply(self):
        """Create the warehouse, the station user, the site and its routing rule, issue the
        station's key and show it once."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only media production managers set up production sites."))
        self._check_setup()
        # checked above: production managers set up what a site needs (a warehouse, a technical
        # user) without being stock or user administrators
        env = self.sudo().env
        company = self.company_id
        warehouse = self.warehouse_id if self.warehouse_mode == "existing" else env["stock.warehouse"]
        if self.warehouse_mode == "new":
            warehouse = env["stock.warehouse"].create(
                {
                    "name": self.warehouse_name,
                    "code": self.warehouse_code,
                    "company_id": company.id,
                    "partner_id": company.partner_id.id,
                }
            )
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": self.env._("%(site)s station", site=self.name),
                    "login": self.station_login,
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "group_ids": [Command.set(self.env.ref(STATION_GROUP).ids)],
                }
            )
        )
        site = self.env["media.production.site"].create(
            {
                "name": self.name,
                "code": self.code,
                "company_id": company.id,
                "warehouse_id": warehouse.id,
                "media_type_ids": [Command.set(self.media_type_ids.ids)],
                "robot_verifies": self.robot_verifies,
                "daily_capacity": self.daily_capacity,
                "tz": self.tz,
                "station_user_id": user.id,
            }
        )
        if self.create_rule:
            self.env["media.routing.rule"].create(
                {
                    "site_id": site.id,
                    "sequence": self.rule_sequence,
                    "country_ids": [Command.set(self.rule_country_ids.ids)],
                    "media_type_ids": [Command.set(self.rule_media_type_ids.ids)],
                    "product_ids": [Command.set(self.rule_product_ids.ids)],
                }
            )
        expiration = fields.Datetime.now() + timedelta(days=int(self.key_duration))
        key = site._station_issue_key(expiration)
        return site._station_key_show_action(key, expiration)

    def _check_setup(self):
        """Clear messages for what would otherwise fail in the middle of the setup."""
        if self.company_id not in self.env.user.company_ids:
            raise AccessError(
                self.env._(
                    "You may not set up a production site for %(company)s: it is not one of your companies.",
                    company=self.company_id.sudo().name,
                )
            )
        Site = self.env["media.production.site"].with_context(active_test=False)
        if Site.search_count([("code", "=", self.code)]):
            raise UserError(
                self.env._("A production site with code %(code)s exists already.", code=self.code)
            )
        if not self.station_login:
            raise UserError(self.env._("The station user needs a login."))
        if (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("login", "=", self.station_login)])
        ):
            raise UserError(
                self.env._(
                    "A user with login %(login)s exists already: choose another.", login=self.station_login
                )
            )
        if self.warehouse_mode == "existing" and not self.warehouse_id:
            raise UserError(self.env._("Choose the warehouse that makes and ships the site's kits."))
        if self.warehouse_mode == "existing" and self.warehouse_id.company_id != self.company_id:
            raise UserError(self.env._("The warehouse belongs to another company than the site."))
        if self.warehouse_mode == "new":
            if not (self.warehouse_name and self.warehouse_code):
                raise UserError(self.env._("The new warehouse needs a name and a short name."))
            Warehouse = self.env["stock.warehouse"].sudo().with_context(active_test=False)
            if Warehouse.search_count(
                [
                    ("company_id", "=", self.company_id.id),
                    "|",
                    ("code", "=", self.warehouse_code),
                    ("name", "=", self.warehouse_name),
                ]
            ):
                raise UserError(
                    self.env._(
                        "A warehouse named %(name)s or with short name %(code)s exists already: "
                        "choose other ones, or the existing warehouse.",
                        name=self.warehouse_name,
                        code=self.warehouse_code,
                    )
                )
