import time
from urllib.parse import urlsplit

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..models.flexnet_backend import LinkRefused
from ..tools import new_secret, same

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
    login, proof = request.env["res.users"].sudo()._flexnet_session_proof(member)
    request.session.authenticate(request.env, {"type": "flexnet_proof", "login": login, "proof": proof})


def pending_sign_in(member, target, kit=None):
    """Remember a verified member and ask the visitor to confirm the sign-in.

    Signing in on the GET of a link would let anyone who sends a link sign the reader's
    browser into the sender's account (login CSRF); the form below posts back with this
    session's CSRF token, shows whose account it opens and names this very sign-in: a link
    opened meanwhile in the same browser (another pending sign-in) makes it void."""
    pending_id = new_secret(16)
    request.session[PENDING_KEY] = {
        "id": pending_id,
        "member": member.id,
        "target": target,
        "at": time.time(),
    }
    return request.render(
        "flexnet_store.flexnet_sign_in_confirm",
        {"member": member, "account": member.commercial_partner_id, "kit": kit, "pending_id": pending_id},
    )


def confirm_sign_in(pending_id):
    env = request.env
    pending = request.session.pop(PENDING_KEY, None) or {}
    if (
        not pending
        or time.time() - pending.get("at", 0) > PENDING_SECONDS
        or not same(pending.get("id", ""), pending_id)
    ):
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
        validateToken (single use) for the member's own user name, then the visitor confirms
        the sign-in and is sent to a local page."""
        env = request.env
        target = local_path(redirect)
        try:
            member = env["res.users"].sudo()._flexnet_sso_member(token, user)
        except LinkRefused as exc:
            return friendly_error(str(exc), exc.status)
        if not env.user._is_public() and env.user.partner_id == member:
            return request.redirect(target, local=True)  # already signed in as this member
        return pending_sign_in(member, target)

    @http.route(
        "/flexnet/sign-in/confirm", type="http", auth="public", website=True, sitemap=False, methods=["POST"]
    )
    def sign_in_confirm(self, pending_id=None, **post):
        """The visitor confirmed the pending sign-in (CSRF-checked POST)."""
        return confirm_sign_in(pending_id)
