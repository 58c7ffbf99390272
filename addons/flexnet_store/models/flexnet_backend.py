import logging
import secrets
import time
from urllib.parse import urlencode

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.flexnet_sync.models.flexnet_backend import MANAGER_GROUP

from ..tools import new_secret, same, signature

_logger = logging.getLogger(__name__)

LINK_FIELDS = ("account", "email", "name", "part", "ts", "nonce")
# signed after LINK_FIELDS when present: the partner product ID of the downloaded ESD item
# (FlexNet's download page knows it; the kit is found by its ESD item mapping)
ITEM_FIELD = "item"
# the fields the FlexNet download page fills in (link template)
TEMPLATE_FIELDS = ("account", "email", "name", ITEM_FIELD, "ts", "nonce")
# used nonces are kept this long (flexnet.store.nonce); a link may not live longer
NONCE_RETENTION_DAYS = 7
MAX_LINK_AGE_MINUTES = 24 * 60


class LinkRefused(UserError):
    """A signed link or sign-on hand-off that is refused; ``status`` is the HTTP answer."""

    def __init__(self, message, status=403):
        super().__init__(message)
        self.status = status


class FlexnetBackend(models.Model):
    _inherit = "flexnet.backend"

    media_link_secret = fields.Char(
        "Media-kit link secret",
        groups=MANAGER_GROUP,
        copy=False,
        default=lambda _self: new_secret(),
        help="Shared with the FlexNet download page: signs the 'purchase media kit' links (HMAC-SHA256).",
    )
    media_link_max_age = fields.Integer(
        "Link validity (minutes)", default=10, required=True, help="How old a signed link may be."
    )
    download_center_url = fields.Char(
        "Download centre URL", help="FlexNet end-user portal where customers download what they bought."
    )
    media_link_template = fields.Char(compute="_compute_media_link_template")
    shop_buyer_roles = fields.Char(
        "Roles that may buy",
        help="FlexNet roles, separated by commas (e.g. Portal Admin), whose members may buy in the "
        "shop for their account. Empty: every member of an account may buy.",
    )
    shop_free_media_roles = fields.Char(
        "Roles that may order free media",
        help="FlexNet roles, separated by commas, whose members may order free media kits from the "
        "download page's link. Empty: every member may.",
    )

    def _shop_roles(self, permission):
        """The role names (lower case) allowed ``permission`` ('buy' or 'free_media'); an
        empty set when the backend restricts nothing."""
        self.ensure_one()
        value = self.shop_buyer_roles if permission == "buy" else self.shop_free_media_roles
        return {role.strip().lower() for role in (value or "").split(",") if role.strip()}

    _check_media_link_max_age = models.Constraint(
        f"CHECK(media_link_max_age > 0 AND media_link_max_age <= {MAX_LINK_AGE_MINUTES})",
        "The media-kit link validity must be between 1 minute and 24 hours.",
    )

    def _compute_media_link_template(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            query = "&".join(f"{key}={{{key}}}" for key in TEMPLATE_FIELDS)
            backend.media_link_template = f"{base}/flexnet/media-kit?backend={backend.id}&{query}&sig={{sig}}"

    def _media_link_signature(self, values):
        """HMAC-SHA256 over the link fields in a fixed order (``part`` empty when the link
        names the ESD item; ``item`` last, only when present), URL-safe Base64 without padding."""
        self.ensure_one()
        fields_ = LINK_FIELDS + ((ITEM_FIELD,) if values.get(ITEM_FIELD) else ())
        message = "\n".join(str(values.get(key) or "") for key in fields_)
        return signature(self.sudo().media_link_secret or "", message)

    def _media_link_open(self, params):
        """Check a "purchase media kit" link and consume it: (member contact, media kit).

        Refused (``LinkRefused``, nothing consumed but the nonce of a genuine link) when it
        is incomplete, not signed with this backend's secret, expired or already used, when
        the kit or account is unknown, the account is not entitled to the kit, or the
        e-mail is not exactly one member of that account on this backend."""
        self.ensure_one()
        env = self.env
        if not all(
            isinstance(params.get(k), str) and params[k] for k in ("account", "email", "nonce", "sig")
        ) or not any(isinstance(params.get(k), str) and params[k] for k in ("part", ITEM_FIELD)):
            raise LinkRefused(env._("This media-kit link is incomplete."), 400)
        if not all(str(params.get(k, "")).isprintable() for k in (*LINK_FIELDS, ITEM_FIELD)):
            # the signature joins the fields with line feeds: no field may carry one
            raise LinkRefused(env._("This media-kit link is not genuine."))
        ts = params.get("ts") or ""  # Unix seconds: 12 digits reach the year 33658
        if not (isinstance(ts, str) and ts.isascii() and ts.isdigit() and len(ts) <= 12):
            raise LinkRefused(env._("This media-kit link is incomplete."), 400)
        timestamp = int(ts)
        if not same(self._media_link_signature(params), params["sig"]):
            _logger.info("media-kit link with a bad signature for account %r", params["account"][:64])
            raise LinkRefused(env._("This media-kit link is not genuine."))
        age = time.time() - timestamp
        if age > min(self.media_link_max_age, MAX_LINK_AGE_MINUTES) * 60 or age < -60:
            raise LinkRefused(env._("This media-kit link has expired. Start again from the download page."))
        if not env["flexnet.store.nonce"].sudo()._consume(params["nonce"][:128]):
            raise LinkRefused(
                env._("This media-kit link was already used. Start again from the download page.")
            )
        account = (
            env["res.partner"]
            .sudo()
            .search(
                [("flexnet_backend_id", "=", self.id), ("flexnet_account_id", "=", params["account"])],
                limit=1,
            )
        )
        kit = self._media_link_kit(params)
        if not account or not kit:
            raise LinkRefused(env._("This media kit or account is not known to the shop."), 404)
        if not kit._flexnet_allowed_for(account):
            raise LinkRefused(
                env._(
                    "Account %(account)s is not entitled to %(kit)s.",
                    account=params["account"],
                    kit=kit.display_name,
                )
            )
        member = env["res.users"].sudo()._flexnet_member(params["email"], backend=self)
        if not member or member.commercial_partner_id != account:
            raise LinkRefused(env._("%s is not a member of this FlexNet account.", params["email"]))
        return member, kit

    def _media_link_kit(self, params):
        """The media kit a link names: by the partner product ID of the downloaded ESD item
        (``item``, the kit mapped to it: synced from FlexNet or set on the kit), or by the
        kit's own part number (``part``). Empty when none or, for an item, several kits match."""
        Product = self.env["product.product"].sudo()
        domain = [("flexnet_kind", "=", "media_kit"), ("sale_ok", "=", True)]
        if params.get(ITEM_FIELD):
            kits = Product.search(
                [
                    *domain,
                    ("flexnet_esd_item", "=", params[ITEM_FIELD]),
                    ("flexnet_backend_id", "in", [self.id, False]),
                ],
                limit=2,
            )
            if len(kits) > 1:
                _logger.warning("ESD item %r is mapped to several media kits", params[ITEM_FIELD][:64])
                return Product
            return kits
        return Product.search([*domain, ("default_code", "=", params["part"])], limit=1)

    def _media_link_url(self, account, email, name, part=None, ts=None, nonce=None, item=None):
        """A signed link, as FlexNet's download page builds it (used by tests and the demo):
        naming the downloaded ESD item (``item``, its partner product ID) or the kit's part."""
        self.ensure_one()
        values = {
            "account": account,
            "email": email,
            "name": name,
            "part": part or "",
            "ts": int(ts if ts is not None else time.time()),
            "nonce": nonce or secrets.token_hex(12),
        }
        if item:
            values[ITEM_FIELD] = item
        values["sig"] = self._media_link_signature(values)
        return f"/flexnet/media-kit?{urlencode(dict(values, backend=self.id))}"

    def action_regenerate_media_link_secret(self):
        self._check_manager()
        for backend in self:
            backend.sudo().media_link_secret = new_secret()
        return True

    def action_copy_media_link_template(self):
        """Show the URL template to paste into FlexNet's download page configuration."""
        self.ensure_one()
        self._check_manager()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Media-kit link template"),
                "message": self.media_link_template,
                "sticky": True,
                "type": "info",
            },
        }
