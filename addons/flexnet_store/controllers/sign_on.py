import logging
import time
from urllib.parse import urlsplit

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from odoo.addons.flexnet_sync import flexnet_client as fc

_logger = logging.getLogger(__name__)

# a verified FlexNet member waiting for the visitor to confirm the sign-in (POST with CSRF)
PENDING_KEY = "flexnet_pending_sign_in"
PENDING_SECONDS = 300


def local_path(target, default="/my"):
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def friendly_error(message, status=400):
    return request.render("flexnet_store.flexnet_error_page", {"message": message}, status=status)


def login_member(member):
    """Start a session for a verified FlexNet member (provisioning its portal user)."""
    Users = request.env["res.users"].sudo()
    user = Users._flexnet_portal_user(member)
    proof = Users._flexnet_issue_proof(user)
    request.session.authenticate(request.env, {"type": "flexnet_proof", "login": user.login, "proof": proof})
    return user


def pending_sign_in(member, target, kit=None):
    """Remember a verified member and ask the visitor to confirm the sign-in.

    Signing in on the GET of a link would let anyone who sends a link sign the reader's
    browser into the sender's account (login CSRF); the form below posts back with this
    session's CSRF token and shows whose account it opens."""
    request.session[PENDING_KEY] = {"member": member.id, "target": target, "at": time.time()}
    return request.render(
        "flexnet_store.flexnet_sign_in_confirm",
        {"member": member, "account": member.commercial_partner_id, "kit": kit},
    )


def confirm_sign_in():
    env = request.env
    pending = request.session.pop(PENDING_KEY, None) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return friendly_error(env._("This sign-in is not pending any more. Open your link again."), 403)
    member = env["res.partner"].sudo().browse(pending["member"]).exists()
    if not member:
        return friendly_error(env._("This sign-in is not pending any more. Open your link again."), 403)
    if not env.user._is_public():
        if env.user.partner_id != member:
            return friendly_error(env._("You are signed in as someone else. Sign out first."), 403)
    else:
        try:
            login_member(member)
        except AccessDenied as exc:
            return friendly_error(str(exc) or env._("Sign-on refused."), 403)
    return request.redirect(local_path(pending.get("target")), local=True)


class FlexnetSignOn(http.Controller):
    @http.route("/flexnet/sso", type="http", auth="public", website=True, sitemap=False, methods=["GET"])
    def flexnet_sso(self, token=None, user=None, redirect=None, **kwargs):
        """Hand-off from FlexNet: ``token`` from getSecureToken for ``user``; checked with
        validateToken (single use), then the visitor confirms the sign-in and is sent to a
        local page."""
        env = request.env
        target = local_path(redirect)
        if not token or not user or not isinstance(token, str) or not isinstance(user, str):
            return friendly_error(env._("The sign-on link is incomplete."))
        member = env["res.users"].sudo()._flexnet_member(user)
        if not member:
            return friendly_error(env._("FlexNet user %s is not known to this shop.", user[:128]), 403)
        try:
            status = (
                member.flexnet_backend_id.sudo()._get_client(interactive=True).validate_token(token, user)
            )
        except fc.FlexNetError as exc:
            _logger.warning("FlexNet sign-on check failed: %s", exc)
            return friendly_error(
                env._("FlexNet could not confirm your sign-on right now. Please try again later."), 503
            )
        if not status.valid:
            _logger.info("FlexNet sign-on refused for %s: %s", user, status.message)
            return friendly_error(
                env._(
                    "This sign-on link is not valid any more (%s). Start again from FlexNet.", status.message
                ),
                403,
            )
        if not env.user._is_public() and env.user.partner_id == member:
            return request.redirect(target, local=True)  # already signed in as this member
        return pending_sign_in(member, target)

    @http.route(
        "/flexnet/sign-in/confirm", type="http", auth="public", website=True, sitemap=False, methods=["POST"]
    )
    def sign_in_confirm(self, **post):
        """The visitor confirmed the pending sign-in (CSRF-checked POST)."""
        return confirm_sign_in()
