import logging
from urllib.parse import urlsplit

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from odoo.addons.flexnet_sync import flexnet_client as fc

_logger = logging.getLogger(__name__)


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


class FlexnetSignOn(http.Controller):
    @http.route("/flexnet/sso", type="http", auth="public", website=True, sitemap=False, methods=["GET"])
    def flexnet_sso(self, token=None, user=None, redirect=None, **kwargs):
        """Hand-off from FlexNet: ``token`` from getSecureToken for ``user``; checked with
        validateToken (single use), then the member is signed in and sent to a local page."""
        target = local_path(redirect)
        if not token or not user:
            return friendly_error(request.env._("The sign-on link is incomplete."))
        member = request.env["res.users"].sudo()._flexnet_member(user)
        if not member:
            return friendly_error(request.env._("FlexNet user %s is not known to this shop.", user), 403)
        try:
            status = member.flexnet_backend_id.sudo()._get_client().validate_token(token, user)
        except fc.FlexNetError as exc:
            _logger.warning("FlexNet sign-on check failed: %s", exc)
            return friendly_error(
                request.env._("FlexNet could not confirm your sign-on right now. Please try again later."),
                503,
            )
        if not status.valid:
            _logger.info("FlexNet sign-on refused for %s: %s", user, status.message)
            return friendly_error(
                request.env._(
                    "This sign-on link is not valid any more (%s). Start again from FlexNet.", status.message
                ),
                403,
            )
        try:
            login_member(member)
        except AccessDenied as exc:
            return friendly_error(str(exc) or request.env._("Sign-on refused."), 403)
        return request.redirect(target, local=True)
