import logging
from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied
from odoo.fields import Domain
from odoo.http import request
from odoo.tools import escape_psql

from odoo.addons.flexnet_sync import flexnet_client as fc

from ..tools import digest, new_secret, same
from .flexnet_backend import LinkRefused

_logger = logging.getLogger(__name__)

PROOF_SECONDS = 60


class ResUsers(models.Model):
    _inherit = "res.users"

    flexnet_login_proof = fields.Char(groups="base.group_system", copy=False)
    flexnet_login_proof_expiry = fields.Datetime(groups="base.group_system", copy=False)

    # --- members of FlexNet accounts ---------------------------------------------------------

    @api.model
    def _flexnet_member(self, user_name, backend=None):
        """The one synced member contact whose FlexNet user name, or else whose e-mail, is
        exactly ``user_name`` (case-insensitive; never a pattern), on ``backend`` when given.

        Empty when nothing or more than one contact matches: a sign-in never picks one of
        several people. A ``##domain`` suffix (FlexNet's user-domain notation) is ignored here.
        """
        Partner = self.env["res.partner"].sudo()
        name = (user_name or "").strip().split("##", 1)[0].strip()
        if not name or not name.isprintable() or len(name) > 256:
            return Partner
        scope = Domain("flexnet_user_name", "!=", False)
        if backend:
            scope &= Domain("flexnet_backend_id", "=", backend.id)
        wanted = name.casefold()
        for field in ("flexnet_user_name", "email"):
            found = Partner.search(scope & Domain(field, "=ilike", escape_psql(name)), limit=10)
            found = found.filtered(lambda partner, f=field: (partner[f] or "").strip().casefold() == wanted)
            exact = found.filtered(lambda partner, f=field: (partner[f] or "").strip() == name)
            if len(found) > 1 and len(exact) == 1:
                return exact  # a look-alike in another case does not lock the member out
            if len(found) > 1:
                _logger.warning("FlexNet user %r matches %s member contacts: refused", name, len(found))
                return Partner
            if found:
                return found
        return Partner

    @api.model
    def _flexnet_portal_user(self, member):
        """The portal user of a member contact, created on first sign-on.

        Only portal users are signed in this way: a member contact that belongs to an
        internal user signs in with that user's own Odoo credentials."""
        user = self.sudo().with_context(active_test=False).search([("partner_id", "=", member.id)], limit=1)
        if user:
            if not user.active:
                raise AccessDenied(self.env._("This account is disabled."))
            if not user.share:
                raise AccessDenied(self.env._("This account signs in with its Odoo password only."))
            return user
        # the FlexNet user name is unique on its backend; an e-mail another FlexNet user may
        # also give would let that user take the member's login first
        login = member.flexnet_user_name or member.email
        if (
            self.sudo()
            .with_context(active_test=False)
            .search_count([("login", "=ilike", escape_psql(login))])
        ):
            raise AccessDenied(self.env._("Another user already signs in as %s.", login))
        # stated: a sign-in through the JSON login route has no company in its environment
        company = (
            member.company_id
            or member.flexnet_backend_id.sudo().company_id
            or self.env["res.company"].sudo().search([], limit=1)
        )
        return (
            self.sudo()
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": login,
                    "partner_id": member.id,
                    "group_ids": [fields.Command.set([self.env.ref("base.group_portal").id])],
                    "company_id": company.id,
                    "company_ids": [fields.Command.set(company.ids)],
                }
            )
        )

    @api.model
    def _flexnet_sso_member(self, token, user_name):
        """The member contact a sign-on hand-off from FlexNet is for.

        ``token`` comes from FlexNet's getSecureToken for ``user_name``; FlexNet's
        validateToken (single use) checks it for the member's own user name. Refused with
        ``LinkRefused``: 400 when incomplete, 403 when the user is not one member or FlexNet
        does not accept the token (the same answer: nobody learns who is a member), 503 when
        FlexNet cannot answer."""
        if not all(isinstance(value, str) and value and value.isprintable() for value in (token, user_name)):
            raise LinkRefused(self.env._("The sign-on link is incomplete."), 400)
        refused = LinkRefused(self.env._("This sign-on link is not valid. Start again from FlexNet."))
        member = self._flexnet_member(user_name)
        if not member:
            _logger.info("FlexNet sign-on for an unknown user %r", user_name[:128])
            raise refused
        try:
            client = member.flexnet_backend_id.sudo()._get_client(interactive=True)
            status = client.validate_token(token, member.flexnet_user_name)
        except fc.FlexNetError as exc:
            _logger.warning("FlexNet sign-on check failed: %s", exc)
            raise LinkRefused(
                self.env._("FlexNet could not confirm your sign-on right now. Please try again later."), 503
            ) from None
        if not status.valid:
            _logger.info("FlexNet sign-on refused for %s: %s", user_name[:128], status.message)
            raise refused
        return member

    @api.model
    def _flexnet_session_proof(self, member):
        """``(login, proof)`` that start a session for ``member``, a member contact FlexNet
        vouched for: its portal user, created on first sign-in, and a one-time proof.
        AccessDenied when the member's user is disabled or an internal user."""
        user = self._flexnet_portal_user(member)
        return user.login, self._flexnet_issue_proof(user)

    @api.model
    def _flexnet_issue_proof(self, user):
        """A one-time, one-minute secret that lets a verified FlexNet member start a session."""
        proof = new_secret()
        user.sudo().write(
            {
                "flexnet_login_proof": digest(proof),
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
                or not same(stored, digest(credential["proof"]))
            ):
                raise
            return {"uid": user.id, "auth_method": "flexnet", "mfa": "default"}

    def _login(self, credential, user_agent_env):
        try:
            auth_info = super()._login(credential, user_agent_env)
        except AccessDenied:
            if credential.get("type") != "password" or not self._flexnet_login_allowed():
                raise  # Odoo's answer stands: FlexNet is never asked during the cooldown
            auth_info = self._flexnet_password_login(credential)
            self._flexnet_login_succeeded()
        user = self.browse(auth_info["uid"]).sudo()
        if user.partner_id.commercial_partner_id.flexnet_account_type:
            user.partner_id.commercial_partner_id._flexnet_apply_account_terms()
        return auth_info

    @api.model
    def _flexnet_login_allowed(self):
        """Whether FlexNet may be asked about this request's password (not on cooldown).

        Odoo counted the failed attempt that leads here in this process; FlexNet is asked only
        when neither this process's count nor the count all processes share
        (``flexnet.store.login.failure``) puts the address on cooldown, so FlexNet cannot be
        used to guess passwords faster than Odoo allows, nor to lock members out of FlexNet,
        however many workers or servers answer."""
        if not request:
            return True
        address = request.httprequest.remote_addr
        failures_map = getattr(self.env.registry, "_login_failures", None) or {}
        failures, previous = failures_map.get(address, (0, datetime.min))
        if self._on_login_cooldown(failures, previous):
            return False
        return self.env["flexnet.store.login.failure"].sudo()._attempt(address)

    @api.model
    def _flexnet_login_succeeded(self):
        """A FlexNet sign-in succeeded: Odoo counted the attempt as a failure (the portal user
        has no Odoo password), the address starts afresh as after any successful login."""
        if not request:
            return
        address = request.httprequest.remote_addr
        failures_map = getattr(self.env.registry, "_login_failures", None)
        if failures_map is not None:
            failures_map.pop(address, None)
        self.env["flexnet.store.login.failure"].sudo()._succeeded(address)

    @api.model
    def _flexnet_password_login(self, credential):
        """Members may sign in with their FlexNet user name and password."""
        login, password = credential.get("login"), credential.get("password")
        member = self._flexnet_member(login)
        if not member or not password:
            raise AccessDenied()
        backend = member.flexnet_backend_id.sudo()
        try:
            # FlexNet checks the member's own user name, whatever was typed to find the member
            # (an e-mail, another case): a FlexNet user named like someone else's e-mail
            # cannot sign in as them
            valid = backend._get_client(interactive=True).authenticate_user(
                member.flexnet_user_name, password
            )
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
