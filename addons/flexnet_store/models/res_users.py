import hashlib
import logging
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied

from odoo.addons.flexnet_sync import flexnet_client as fc

_logger = logging.getLogger(__name__)

PROOF_SECONDS = 60


def _digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


class ResUsers(models.Model):
    _inherit = "res.users"

    flexnet_login_proof = fields.Char(groups="base.group_system", copy=False)
    flexnet_login_proof_expiry = fields.Datetime(groups="base.group_system", copy=False)

    # --- members of FlexNet accounts ---------------------------------------------------------

    @api.model
    def _flexnet_member(self, user_name):
        """The synced member contact with this FlexNet user name (or e-mail)."""
        Partner = self.env["res.partner"].sudo()
        name = (user_name or "").strip().split("##", 1)[0]
        if not name:
            return Partner
        return Partner.search(
            [
                "|",
                ("flexnet_user_name", "=ilike", name),
                "&",
                ("flexnet_user_name", "!=", False),
                ("email", "=ilike", name),
            ],
            limit=1,
        )

    @api.model
    def _flexnet_portal_user(self, member):
        """The portal user of a member contact, created on first sign-on."""
        user = self.sudo().with_context(active_test=False).search([("partner_id", "=", member.id)], limit=1)
        if user:
            if not user.active:
                raise AccessDenied(self.env._("This account is disabled."))
            return user
        login = member.email or member.flexnet_user_name
        if self.sudo().with_context(active_test=False).search_count([("login", "=ilike", login)]):
            raise AccessDenied(self.env._("Another user already signs in as %s.", login))
        return (
            self.sudo()
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": login,
                    "partner_id": member.id,
                    "group_ids": [fields.Command.set([self.env.ref("base.group_portal").id])],
                }
            )
        )

    @api.model
    def _flexnet_issue_proof(self, user):
        """A one-time, one-minute secret that lets a verified FlexNet member start a session."""
        proof = secrets.token_urlsafe(32)
        user.sudo().write(
            {
                "flexnet_login_proof": _digest(proof),
                "flexnet_login_proof_expiry": fields.Datetime.now() + timedelta(seconds=PROOF_SECONDS),
            }
        )
        return proof

    def _check_credentials(self, credential, env):
        try:
            return super()._check_credentials(credential, env)
        except AccessDenied:
            if credential.get("type") != "flexnet_proof" or not credential.get("proof"):
                raise
            user = self.env.user.sudo()
            stored, expiry = user.flexnet_login_proof, user.flexnet_login_proof_expiry
            user.write({"flexnet_login_proof": False, "flexnet_login_proof_expiry": False})  # single use
            if (
                not stored
                or not expiry
                or expiry < fields.Datetime.now()
                or not secrets.compare_digest(stored, _digest(credential["proof"]))
            ):
                raise
            return {"uid": user.id, "auth_method": "flexnet", "mfa": "default"}

    def _login(self, credential, user_agent_env):
        try:
            auth_info = super()._login(credential, user_agent_env)
        except AccessDenied:
            if credential.get("type") != "password":
                raise
            auth_info = self._flexnet_password_login(credential)
        user = self.browse(auth_info["uid"]).sudo()
        if user.partner_id.commercial_partner_id.flexnet_account_type:
            user.partner_id.commercial_partner_id._flexnet_apply_account_terms()
        return auth_info

    @api.model
    def _flexnet_password_login(self, credential):
        """Members may sign in with their FlexNet user name and password."""
        login, password = credential.get("login"), credential.get("password")
        member = self._flexnet_member(login)
        if not member or not password:
            raise AccessDenied()
        backend = member.flexnet_backend_id.sudo()
        try:
            valid = backend._get_client().authenticate_user(login, password)
        except fc.FlexNetError as exc:
            _logger.warning("FlexNet sign-on unavailable for %s: %s", login, exc)
            raise AccessDenied(
                self.env._("FlexNet cannot check your password right now; try again later.")
            ) from None
        if not valid:
            raise AccessDenied()
        user = self._flexnet_portal_user(member)
        user.with_user(user)._update_last_login()
        _logger.info("FlexNet sign-on for %s", login)
        return {"uid": user.id, "auth_method": "flexnet", "mfa": "default"}
