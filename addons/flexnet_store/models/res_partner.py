from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    flexnet_may_buy = fields.Boolean(
        "May buy in the shop",
        compute="_compute_flexnet_shop_permissions",
        compute_sudo=True,
        help="Whether this contact's FlexNet roles let them buy in the shop for their account.",
    )
    flexnet_may_order_free_media = fields.Boolean(
        "May order free media",
        compute="_compute_flexnet_shop_permissions",
        compute_sudo=True,
        help="Whether this contact's FlexNet roles let them order free media kits.",
    )

    @api.depends(
        "flexnet_roles",
        "flexnet_user_name",
        "flexnet_can_login",
        "flexnet_backend_id",
        "commercial_partner_id.flexnet_backend_id.shop_buyer_roles",
        "commercial_partner_id.flexnet_backend_id.shop_free_media_roles",
    )
    def _compute_flexnet_shop_permissions(self):
        for partner in self:
            partner.flexnet_may_buy = partner._flexnet_shop_allows("buy")
            partner.flexnet_may_order_free_media = partner._flexnet_shop_allows("free_media")

    def _flexnet_shop_allows(self, permission):
        """Whether this contact may ``permission`` ('buy' or 'free_media') in the shop.

        A contact outside any FlexNet account, or of an account whose backend restricts
        nothing, may. Otherwise the contact must be a FlexNet member of that backend holding
        one of the roles the backend lists; the account's own record and contacts that are no
        FlexNet user hold no role. A FlexNet user that FlexNet deactivated may do neither,
        whatever the roles (a web session opened before stays signed in)."""
        self.ensure_one()
        partner = self.sudo()
        if partner._flexnet_user_inactive():
            return False
        account = partner.commercial_partner_id
        backend = account.flexnet_backend_id
        if not backend or not account.flexnet_account_id:
            return True
        allowed = backend._shop_roles(permission)
        if not allowed:
            return True
        if partner == account or partner.flexnet_backend_id != backend or not partner.flexnet_user_name:
            return False
        roles = {role.strip().lower() for role in (partner.flexnet_roles or "").split(",")}
        return bool(roles & allowed)

    def _flexnet_user_inactive(self):
        """Whether this contact is a FlexNet user that FlexNet no longer keeps active."""
        self.ensure_one()
        partner = self.sudo()
        return bool(
            partner.flexnet_user_name and partner.flexnet_backend_id and not partner.flexnet_can_login
        )

    def _flexnet_shop_refusal(self, permission):
        """The message refusing ``permission`` to this contact, or False when allowed."""
        self.ensure_one()
        if self._flexnet_shop_allows(permission):
            return False
        account = self.sudo().commercial_partner_id.name
        if self._flexnet_user_inactive():
            return self.env._(
                "Your FlexNet user is no longer active for %(account)s: ask an administrator of your account.",
                account=account,
            )
        if permission == "buy":
            return self.env._(
                "Your FlexNet role does not allow you to buy for %(account)s. "
                "Ask an administrator of your account to order, or to give you a role that may buy.",
                account=account,
            )
        return self.env._(
            "Your FlexNet role does not allow you to order free media kits for %(account)s. "
            "Ask an administrator of your account.",
            account=account,
        )

    def _flexnet_ship_to_defaults(self):
        """Ship-to values to prefill for this member: their name and phone, the account's name
        as the company (the kit ships to the account: the address is filed under it), and the
        member's own address when FlexNet gives one, otherwise the account's (FlexNet account
        profile)."""
        self.ensure_one()
        member = self.sudo()
        account = member.commercial_partner_id
        source = member if member.street and member.country_id else account
        return {
            "name": member.name or "",
            "company_name": account.name if account != member else (member.company_name or ""),
            "street": source.street or "",
            "street2": source.street2 or "",
            "city": source.city or "",
            "zip": source.zip or "",
            "country_id": source.country_id.id,
            "state_id": source.state_id.id,
            "phone": member.phone or account.phone or "",
        }

    def write(self, vals):
        result = super().write(vals)
        if "flexnet_account_type" in vals:
            self.filtered("is_company")._flexnet_apply_account_terms()
        return result

    def _flexnet_apply_account_terms(self, website=None):
        """Give accounts the pricelist their FlexNet account type calls for."""
        Term = self.env["flexnet.store.account.term"]
        for partner in self:
            term = Term._for_partner(partner, website)
            if (
                term.pricelist_id
                and partner.commercial_partner_id.property_product_pricelist != term.pricelist_id
            ):
                partner.commercial_partner_id.sudo().property_product_pricelist = term.pricelist_id
