import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .. import flexnet_client as fc

_logger = logging.getLogger(__name__)

ACCOUNT_TYPE_LABELS = {
    "CUSTOMER": "Customer",
    "CHANNEL_PARTNER": "Channel partner",
    "PUBLISHER": "Publisher",
    "SELF_REGISTERED": "Self-registered",
}
# FlexNet's account types (the client's list), labelled: a type FlexNet adds needs a label here
ACCOUNT_TYPES = [(code, ACCOUNT_TYPE_LABELS[code]) for code in fc.ACCOUNT_TYPES]


class ResPartner(models.Model):
    _inherit = "res.partner"

    flexnet_backend_id = fields.Many2one(
        "flexnet.backend", "FlexNet backend", index="btree_not_null", copy=False
    )
    flexnet_account_id = fields.Char("FlexNet account ID", copy=False, index="btree_not_null")
    flexnet_account_type = fields.Selection(ACCOUNT_TYPES, "FlexNet account type", copy=False)
    flexnet_user_name = fields.Char("FlexNet user name", copy=False, index="btree_not_null")
    flexnet_former_user_name = fields.Char(
        "Former FlexNet user name",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The FlexNet user this contact was until it left its account's members: when FlexNet "
        "lists that user again, the synchronisation binds it to this contact.",
    )
    flexnet_user_unique_id = fields.Char(
        "FlexNet user unique ID",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="FlexNet's own ID of the user this contact is (or was) for the backend: the "
        "synchronisation binds the user to this contact by it first, so a user whose user name or "
        "e-mail changes stays the same contact.",
    )
    flexnet_roles = fields.Char("FlexNet roles", copy=False)
    flexnet_can_login = fields.Boolean("Can log in to FlexNet", copy=False)
    flexnet_last_login = fields.Datetime("Last FlexNet login", copy=False)
    flexnet_portal_suspended = fields.Boolean(
        "Portal access suspended",
        copy=False,
        readonly=True,
        help="This contact left the FlexNet users of its account and its portal access was "
        "archived with it; it comes back when the synchronisation finds the user again.",
    )
    flexnet_allow_new_account = fields.Boolean(
        "Allow a new FlexNet account",
        copy=False,
        help="Set when probable duplicate accounts were dismissed: the next order may create one.",
    )
    flexnet_member_ids = fields.One2many(
        "res.partner", "parent_id", "FlexNet members", domain=[("flexnet_user_name", "!=", False)]
    )
    flexnet_entitlement_ids = fields.One2many("flexnet.entitlement", "partner_id", "Entitlements")
    flexnet_entitlement_line_count = fields.Integer(compute="_compute_flexnet_entitlement_line_count")
    flexnet_match_ids = fields.One2many("flexnet.account.match", "partner_id", "Probable FlexNet accounts")

    _flexnet_account_unique = models.UniqueIndex(
        "(flexnet_backend_id, flexnet_account_id) WHERE flexnet_account_id IS NOT NULL",
        "This FlexNet account ID is already linked to another contact.",
    )
    _flexnet_user_unique = models.UniqueIndex(
        "(flexnet_backend_id, flexnet_user_name) WHERE flexnet_user_name IS NOT NULL",
        "This FlexNet user is already linked to another contact.",
    )

    def _compute_flexnet_entitlement_line_count(self):
        counts = dict(
            self.env["flexnet.entitlement.line"]._read_group(
                [("partner_id", "in", self.ids), ("line_type", "=", "entitlement")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.flexnet_entitlement_line_count = counts.get(partner, 0)

    def write(self, vals):
        moved_users = "parent_id" in vals and self.sudo().user_ids
        returning = (
            self.filtered("flexnet_portal_suspended") if vals.get("flexnet_user_name") else self.browse()
        )
        res = super().write(vals)
        if moved_users:
            # record rules read user.commercial_partner_id and are cached per user: a contact
            # that changes account must not keep seeing the old account's records
            self.env.registry.clear_cache()
        if returning:
            returning._flexnet_restore_portal()
        return res

    def _flexnet_release_members(self):
        """These member contacts are FlexNet users of their account no more (the user was
        deleted, or belongs to no account): they leave the account's members, lose FlexNet
        sign-in and roles, and their portal users are archived, so that they no longer see the
        account's entitlements and orders nor buy what its entitlements open. The contacts stay
        (orders and invoices keep them); a user FlexNet lists again later is bound to the same
        contact (same account and e-mail) and its portal user comes back."""
        portal = self.sudo().with_context(active_test=False).user_ids.filtered(lambda u: u.active and u.share)
        # the user name is kept aside: the same FlexNet user listed again finds this contact
        self.flush_recordset(["flexnet_user_name"])
        self.env.cr.execute(
            SQL(
                """UPDATE res_partner SET flexnet_former_user_name = flexnet_user_name
                    WHERE id = ANY(%s) AND flexnet_user_name IS NOT NULL""",
                self.ids,
            )
        )
        self.invalidate_recordset(["flexnet_former_user_name"])
        values = {"flexnet_user_name": False, "flexnet_roles": False, "flexnet_can_login": False}
        with_portal = portal.partner_id & self
        (self - with_portal).write(values)
        with_portal.write({**values, "flexnet_portal_suspended": True})
        if portal:
            portal.write({"active": False})
            self.env.registry.clear_cache()  # record rules are cached per user

    def _flexnet_restore_portal(self):
        """A suspended member is a FlexNet user again: its portal users come back."""
        users = (
            self.sudo().with_context(active_test=False).user_ids.filtered(lambda u: not u.active and u.share)
        )
        self.sudo().write({"flexnet_portal_suspended": False})
        users.write({"active": True})

    def action_view_flexnet_entitlement_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("flexnet_sync.flexnet_entitlement_line_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    # --- accounts for new customers -----------------------------------------------------

    def _flexnet_ensure_account(self, backend, client, contact):
        """Return the FlexNet account ID of this commercial partner, creating one if needed.

        Looks first for an existing account (by account ID in the partner's reference,
        then by the e-mail of its contacts); probable duplicates are listed for a person and
        nothing is created (returns False).
        """
        self.ensure_one()
        if self.flexnet_account_id and self.flexnet_backend_id == backend:
            return self.flexnet_account_id
        if self.ref:
            found = next(iter(client.iter_accounts(account_id=self.ref)), None)
            if found:
                self.write(
                    {
                        "flexnet_backend_id": backend.id,
                        "flexnet_account_id": found.account_id,
                        "flexnet_account_type": found.account_type,
                    }
                )
                return found.account_id
        if not self.flexnet_allow_new_account:
            matches = self._flexnet_find_matches(backend, client, contact)
            if matches:
                return False
        account_id = f"{backend.account_id_prefix}{self.id:06d}"
        account = fc.NewAccount(
            account_id=account_id,
            name=self.name,
            account_type="CUSTOMER",
            address=fc.Address(
                address1=self.street or None,
                address2=self.street2 or None,
                city=self.city or None,
                zipcode=self.zip or None,
                country=self.country_id.code or None,
            ),
        )
        client.create_accounts([account])
        self.write(
            {
                "flexnet_backend_id": backend.id,
                "flexnet_account_id": account_id,
                "flexnet_account_type": "CUSTOMER",
            }
        )
        # the buyer becomes the account's first FlexNet user; a company buying as itself is no
        # member of its own: FlexNet gets a user of its e-mail, and the synchronisation of users
        # makes that user a contact under the account
        member = contact if contact != self and contact.email else self
        if member.email:
            first, _sep, last = (member.name or member.email).rpartition(" ")
            client.create_users(
                [
                    fc.NewUser(
                        first or last,
                        last,
                        member.email,
                        account_id=account_id,
                        roles=("Portal Admin",),
                        user_name=member.email,
                    )
                ]
            )
            bound = self.with_context(active_test=False).search_count(
                [("flexnet_backend_id", "=", backend.id), ("flexnet_user_name", "=", member.email)]
            )
            if not bound and member != self:  # a FlexNet user of several accounts stays bound to one contact
                member.write(
                    {
                        "flexnet_backend_id": backend.id,
                        "flexnet_user_name": member.email,
                        "flexnet_roles": "Portal Admin",
                        "flexnet_can_login": True,
                    }
                )
        return account_id

    def _flexnet_find_matches(self, backend, client, contact):
        """List FlexNet accounts whose members share an e-mail with this customer."""
        emails = {e.strip().lower() for e in (self | self.child_ids | contact).mapped("email") if e}
        Match = self.env["flexnet.account.match"].sudo()
        found = Match.browse()
        for email in sorted(emails):
            for fno_user in client.iter_users(email=email):
                for membership in fno_user.accounts:
                    existing = Match.search(
                        [
                            ("partner_id", "=", self.id),
                            ("backend_id", "=", backend.id),
                            ("account_id", "=", membership.account_id),
                        ]
                    )
                    if existing.state == "dismissed":
                        continue
                    found |= existing or Match.create(
                        {
                            "partner_id": self.id,
                            "backend_id": backend.id,
                            "account_id": membership.account_id,
                            "account_name": membership.account_id,
                            "reason": self.env._(
                                "FlexNet user %s has the same e-mail", fno_user.user_name or email
                            ),
                        }
                    )
        return found.filtered(lambda m: m.state == "open")

    def _flexnet_push_waiting_orders(self):
        orders = self.env["sale.order"].search(
            [("partner_id", "child_of", self.ids), ("flexnet_state", "in", ("review", "failed"))]
        )
        orders._flexnet_enqueue_push()

    @api.model
    def _commercial_fields(self):
        return [*super()._commercial_fields(), "flexnet_account_type"]
