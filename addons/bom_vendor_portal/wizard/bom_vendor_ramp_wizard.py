from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class BomVendorRampWizard(models.TransientModel):
    """Ramp a vendor in one step (portal users, BOM assignments, invitation) or revoke it all."""

    _name = "bom.vendor.ramp.wizard"
    _description = "Ramp or Revoke a BOM Vendor"

    mode = fields.Selection(
        [("grant", "Ramp up: grant access"), ("revoke", "Revoke all access")], required=True, default="grant"
    )
    vendor_id = fields.Many2one(
        "res.partner", required=True, domain=[("is_company", "=", True)], ondelete="cascade"
    )
    contact_ids = fields.Many2many(
        "res.partner",
        string="Portal users",
        compute="_compute_contact_ids",
        store=True,
        readonly=False,
        help="Contacts of the vendor who get a portal user and the invitation.",
    )
    site_ids = fields.Many2many("media.production.site", string="Production sites")
    categ_ids = fields.Many2many("product.category", string="Product categories")
    bom_ids = fields.Many2many("mrp.bom", string="BOMs")
    replace = fields.Boolean(
        "Replace current assignments", help="Otherwise the chosen sites, categories and BOMs are added."
    )
    notify_revisions = fields.Boolean("Notify new document revisions", default=True)
    welcome_message = fields.Text("Invitation message")
    summary = fields.Text(compute="_compute_summary")

    @api.depends("vendor_id")
    def _compute_contact_ids(self):
        for wizard in self:
            contacts = wizard.vendor_id.child_ids.filtered(lambda c: c.email and c.type == "contact")
            wizard.contact_ids = contacts or wizard.vendor_id.filtered("email")

    @api.depends("mode", "vendor_id", "contact_ids", "site_ids", "categ_ids", "bom_ids", "replace")
    def _compute_summary(self):
        for wizard in self:
            vendor = wizard.vendor_id
            if not vendor:
                wizard.summary = False
            elif wizard.mode == "revoke":
                users = vendor._bom_vendor_portal_users()
                wizard.summary = self.env._(
                    "%(vendor)s loses all its assignments (%(boms)s BOMs visible today) and "
                    "%(users)s portal users are deactivated.",
                    vendor=vendor.display_name,
                    boms=vendor.bom_vendor_access_count,
                    users=len(users),
                )
            else:
                wizard.summary = self.env._(
                    "%(vendor)s: %(contacts)s portal users, %(sites)s sites, %(categs)s categories "
                    "and %(boms)s BOMs %(how)s.",
                    vendor=vendor.display_name,
                    contacts=len(wizard.contact_ids),
                    sites=len(wizard.site_ids),
                    categs=len(wizard.categ_ids),
                    boms=len(wizard.bom_ids),
                    how=self.env._("replacing the current assignments")
                    if wizard.replace
                    else self.env._("added to the current assignments"),
                )

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("bom_vendor_portal.group_bom_document_manager"):
            raise UserError(self.env._("Only BOM document managers ramp or revoke vendors."))
        # checked above: document managers assign BOMs to vendors without editing contacts at large
        vendor = self.vendor_id.commercial_partner_id.sudo()
        if self.mode == "revoke":
            self._revoke(vendor)
        else:
            self._grant(vendor)
        return {"type": "ir.actions.act_window_close"}

    def _grant(self, vendor):
        missing = self.contact_ids.filtered(lambda c: not c.email)
        if missing:
            raise UserError(
                self.env._(
                    "These contacts need an e-mail address to get a portal user: %(names)s",
                    names=", ".join(missing.mapped("display_name")),
                )
            )
        foreign = self.contact_ids.filtered(lambda c: c.commercial_partner_id != vendor)
        if foreign:
            raise UserError(
                self.env._(
                    "These contacts do not belong to %(vendor)s: %(names)s",
                    vendor=vendor.display_name,
                    names=", ".join(foreign.mapped("display_name")),
                )
            )

        def assign(records):
            return [Command.set(records.ids)] if self.replace else [Command.link(i) for i in records.ids]

        vendor.write(
            {
                "bom_vendor_site_ids": assign(self.site_ids),
                "bom_vendor_categ_ids": assign(self.categ_ids),
                "bom_vendor_bom_ids": assign(self.bom_ids),
                "bom_notify_revisions": self.notify_revisions,
            }
        )
        if not self.contact_ids:
            return
        # the portal's own invitation: user from the template, signup link, welcome e-mail
        portal_wizard = (
            self.env["portal.wizard"]
            .sudo()
            .create(
                {"partner_ids": [Command.set(self.contact_ids.ids)], "welcome_message": self.welcome_message}
            )
        )
        for line in portal_wizard.user_ids:
            if line.is_internal:
                continue
            if line.is_portal:
                line.action_invite_again()
            else:
                line.action_grant_access()

    def _revoke(self, vendor):
        vendor.write(
            {
                "bom_vendor_site_ids": [Command.clear()],
                "bom_vendor_categ_ids": [Command.clear()],
                "bom_vendor_bom_ids": [Command.clear()],
                "bom_notify_revisions": False,
            }
        )
        users = vendor._bom_vendor_portal_users()
        if users:
            portal_wizard = (
                self.env["portal.wizard"].sudo().create({"partner_ids": [Command.set(users.partner_id.ids)]})
            )
            for line in portal_wizard.user_ids.filtered("is_portal"):
                line.action_revoke_access()
