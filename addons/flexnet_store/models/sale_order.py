from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.flexnet_sync.sync.mapper import CLOSED_LINE_STATES

SHIP_TO_REQUIRED = ("name", "street", "city", "zip", "country_id", "phone")


class ShipToIncomplete(UserError):
    """The submitted delivery address lacks a required field."""


SHIP_TO_SIZES = {
    "name": 128,
    "street": 128,
    "street2": 128,
    "city": 64,
    "zip": 24,
    "phone": 32,
}


class SaleOrder(models.Model):
    _inherit = "sale.order"

    flexnet_download_url = fields.Char(
        "FlexNet download centre",
        compute="_compute_flexnet_download_url",
        compute_sudo=True,
        help="Where the customer downloads what this order put in FlexNet.",
    )

    @api.depends("flexnet_state", "flexnet_entitlement_id")
    def _compute_flexnet_download_url(self):
        # computed as superuser: customers read this URL, never the backend record
        for order in self:
            backend = order.flexnet_entitlement_id.backend_id
            order.flexnet_download_url = (
                order.flexnet_state == "done" and backend.download_center_url
            ) or False

    def _flexnet_status_label(self):
        """The FlexNet state as the customer reads it (e-mails, order page)."""
        self.ensure_one()
        return dict(self._fields["flexnet_state"]._description_selection(self.env)).get(
            self.flexnet_state, ""
        )

    def _flexnet_download_centre(self):
        """Where the customer downloads this order's software: the order's FlexNet backend's
        download centre, known before FlexNet has the entitlement (the confirmation e-mail)."""
        self.ensure_one()
        if self.flexnet_state in (False, "none", "failed"):
            return False
        return self.flexnet_download_url or self.sudo()._flexnet_backend().download_center_url or False

    def _send_order_notification_mail(self, mail_template, allow_deferred_sending=True):
        # an order FlexNet fulfils says so in its e-mails: the state, the download centre
        if self.state == "sale" and self.flexnet_state not in (False, "none"):
            self = self.with_context(flexnet_order_mail=True)
        return super()._send_order_notification_mail(
            mail_template, allow_deferred_sending=allow_deferred_sending
        )

    def message_post_with_source(self, source_ref, render_values=None, **kwargs):
        if (
            self.env.context.get("flexnet_order_mail")
            and kwargs.get("email_layout_xmlid") == "mail.mail_notification_layout_with_responsible_signature"
        ):
            kwargs["email_layout_xmlid"] = "flexnet_store.mail_notification_layout_flexnet"
        return super().message_post_with_source(source_ref, render_values=render_values, **kwargs)

    def _flexnet_gate_applies(self):
        self.ensure_one()
        return bool(self.website_id) and self.website_id.flexnet_gating

    def _flexnet_refused_lines(self):
        """Shop lines whose product this order's customer may not buy."""
        self.ensure_one()
        if not self._flexnet_gate_applies():
            return self.env["sale.order.line"]
        products = self.order_line.product_id
        allowed = products._flexnet_allowed_for(self.partner_id)
        return self.order_line.filtered(lambda line: line.product_id and line.product_id not in allowed)

    def _flexnet_buyer_refusal(self):
        """Why this shop order's customer may not buy (FlexNet roles), or False."""
        self.ensure_one()
        if not self.website_id:
            return False
        return self.partner_id._flexnet_shop_refusal("buy")

    def _verify_updated_quantity(self, order_line, product_id, new_qty, uom_id, **kwargs):
        """Every cart change (add, update, whatever the route) checks the FlexNet role of the
        buyer and the entitlements."""
        if new_qty > 0:
            refusal = self._flexnet_buyer_refusal()
            if refusal:
                raise UserError(refusal)
        if new_qty > 0 and self._flexnet_gate_applies():
            product = self.env["product.product"].browse(product_id)
            if not product._flexnet_allowed_for(self.partner_id):
                raise UserError(
                    self.env._(
                        "%(product)s is only sold to customers whose FlexNet entitlements allow it.",
                        product=product.display_name,
                    )
                )
        if new_qty > 0 and self.website_id:
            self._flexnet_verify_renewal_quantity(order_line, product_id, new_qty, **kwargs)
        return super()._verify_updated_quantity(order_line, product_id, new_qty, uom_id, **kwargs)

    # --- renewals: a maintenance product in the cart renews one of the account's lines -----

    def _flexnet_renewable_line(self, line_id, product=None):
        """The entitlement line ``line_id`` (an id from a form or a JSON request) if this order's
        customer may renew it, with ``product`` when given: a line of the customer's own account,
        still in FlexNet, of the title the maintenance ``product`` belongs to. UserError otherwise,
        with the same message whether the line is another account's or does not exist."""
        self.ensure_one()
        refused = UserError(self.env._("This entitlement line cannot be renewed from your account."))
        if isinstance(line_id, str) and line_id.isascii() and line_id.isdecimal() and len(line_id) < 10:
            line_id = int(line_id)
        if not isinstance(line_id, int) or isinstance(line_id, bool) or line_id <= 0:
            raise refused
        # the order is the customer's own; its partner decides, never the visitor's input
        line = self.env["flexnet.entitlement.line"].sudo().browse(line_id).exists()
        if (
            not line
            or line.line_type != "entitlement"
            or line.state in CLOSED_LINE_STATES
            or line.partner_id != self.partner_id.commercial_partner_id
        ):
            raise refused
        if product is not None:
            template = product.sudo().product_tmpl_id
            if (
                template.flexnet_kind != "maintenance"
                or not template.flexnet_title
                or template.flexnet_title != line.product_id.product_tmpl_id.flexnet_product_name
            ):
                raise UserError(
                    self.env._(
                        "%(product)s does not renew %(activation)s.",
                        product=product.display_name,
                        activation=line.activation_id,
                    )
                )
        return line

    @staticmethod
    def _flexnet_renewal_seats(line):
        return max(line.seats or 0, 1)

    def _cart_find_product_line(self, product_id, uom_id, linked_line_id=False, **kwargs):
        lines = super()._cart_find_product_line(product_id, uom_id, linked_line_id=linked_line_id, **kwargs)
        # a renewal of one line is not a renewal of another: each has its own cart line
        parent_id = kwargs.get("flexnet_parent_line_id")
        parent = self.env["flexnet.entitlement.line"]
        if parent_id:
            parent = self._flexnet_renewable_line(parent_id)
        return lines.filtered(lambda sol: sol.flexnet_parent_line_id == parent)

    def _prepare_order_line_values(self, product_id, quantity, uom_id, **kwargs):
        parent_id = kwargs.pop("flexnet_parent_line_id", None)
        values = super()._prepare_order_line_values(product_id, quantity, uom_id, **kwargs)
        if parent_id:
            product = self.env["product.product"].browse(values["product_id"])
            line = self._flexnet_renewable_line(parent_id, product)
            values["flexnet_parent_line_id"] = line.id
            values["product_uom_qty"] = self._flexnet_renewal_seats(line)
            values["name"] = self.env._(
                "%(product)s\nRenews %(activation)s, %(seats)s seat(s), maintenance until %(end)s",
                product=product.display_name,
                activation=line.activation_id,
                seats=self._flexnet_renewal_seats(line),
                end=line.maintenance_end or self.env._("none"),
            )
        return values

    def _flexnet_renewal_errors(self):
        """Why this cart's renewals cannot be paid for, as sentences (empty when they can):
        a line not the customer's, a quantity other than the renewed seats, a maintenance that
        renews nothing, a line renewed twice, or one another confirmed order of the account
        renews and FlexNet has not received yet."""
        self.ensure_one()
        errors = []
        renewals = self.order_line.filtered(lambda sol: sol.product_id.flexnet_kind == "maintenance")
        seen = self.env["flexnet.entitlement.line"]
        for sol in renewals:
            parent = sol.flexnet_parent_line_id.sudo()
            if not parent:
                errors.append(
                    self.env._(
                        "%(product)s renews nothing: renew a line from My entitlements or choose the license it "
                        "renews on its page.",
                        product=sol.product_id.display_name,
                    )
                )
                continue
            try:
                self._flexnet_renewable_line(parent.id, sol.product_id)
            except UserError as exc:
                errors.append(str(exc))
                continue
            if parent in seen:
                errors.append(self.env._("%s is renewed twice in this cart.", parent.activation_id))
            seen |= parent
            if sol.product_uom_qty != self._flexnet_renewal_seats(parent):
                errors.append(
                    self.env._(
                        "%(product)s renews the %(seats)s seat(s) of %(activation)s: its quantity is that seat "
                        "count.",
                        product=sol.product_id.display_name,
                        seats=self._flexnet_renewal_seats(parent),
                        activation=parent.activation_id,
                    )
                )
        if seen:
            pending = (
                self.env["sale.order.line"]
                .sudo()
                .search(
                    [
                        ("flexnet_parent_line_id", "in", seen.ids),
                        ("product_id.flexnet_kind", "=", "maintenance"),
                        ("order_id", "!=", self.id),
                        ("order_id.state", "=", "sale"),
                        ("order_id.flexnet_state", "in", ("pending", "review")),
                    ]
                )
            )
            for sol in pending:
                errors.append(
                    self.env._(
                        "The maintenance of %(activation)s is already renewed by order %(order)s, not yet in "
                        "FlexNet: wait for its new end date before renewing it again.",
                        activation=sol.flexnet_parent_line_id.activation_id,
                        order=sol.order_id.name,
                    )
                )
        return errors

    def _flexnet_verify_renewal_quantity(self, order_line, product_id, new_qty, **kwargs):
        """A maintenance product enters a web cart only as the renewal of a line of the account,
        for that line's seats; the quantity of a renewal does not change (removing it does)."""
        product = self.env["product.product"].browse(product_id)
        if product.flexnet_kind != "maintenance":
            return
        parent = order_line.flexnet_parent_line_id
        if not order_line:
            parent_id = kwargs.get("flexnet_parent_line_id")
            if not parent_id:
                raise UserError(
                    self.env._(
                        "Choose the license %(product)s renews: use Renew in My entitlements or on the product's "
                        "page.",
                        product=product.display_name,
                    )
                )
            parent = self._flexnet_renewable_line(parent_id, product)
        elif not parent:
            return  # a maintenance line put in the cart otherwise (back office): checked at payment
        seats = self._flexnet_renewal_seats(parent.sudo())
        if new_qty != seats:
            raise UserError(
                self.env._(
                    "%(product)s renews the %(seats)s seat(s) of %(activation)s and is already in your cart: its "
                    "quantity is that seat count.",
                    product=product.display_name,
                    seats=seats,
                    activation=parent.sudo().activation_id,
                )
                if order_line
                else self.env._(
                    "%(product)s renews the %(seats)s seat(s) of %(activation)s: its quantity is that seat count.",
                    product=product.display_name,
                    seats=seats,
                    activation=parent.sudo().activation_id,
                )
            )

    def _is_cart_ready(self):
        return super()._is_cart_ready() and not (
            self
            and (
                self._flexnet_refused_lines()
                or self._flexnet_buyer_refusal()
                or self._flexnet_renewal_errors()
            )
        )

    def _check_cart_is_ready_to_be_paid(self):
        refusal = self._flexnet_buyer_refusal()
        if refusal:
            raise ValidationError(refusal)
        refused = self._flexnet_refused_lines()
        if refused:
            raise ValidationError(
                self.env._(
                    "Your FlexNet entitlements do not allow: %s. Remove it from the cart to continue.",
                    ", ".join(refused.product_id.mapped("display_name")),
                )
            )
        renewal_errors = self._flexnet_renewal_errors()
        if renewal_errors:
            raise ValidationError("\n".join(renewal_errors))
        return super()._check_cart_is_ready_to_be_paid()

    # --- free media kits ordered from a FlexNet link -------------------------------------------

    @api.model
    def _flexnet_delivery_address(self, member, values):
        """The account's delivery address with exactly ``values`` (ship-to form) for ``member``:
        the one a previous order made when nothing changed, else a new one."""
        Partner = self.env["res.partner"].sudo()
        values = {
            key: value or False
            for key, value in dict(
                values, type="delivery", parent_id=member.commercial_partner_id.id, email=member.email
            ).items()
        }
        same = Partner.search([(key, "=", value) for key, value in values.items()], order="id desc", limit=1)
        return same or Partner.create(values)

    def _flexnet_ship_to_values(self, address):
        """Delivery address values from a submitted form; UserError naming what is missing."""
        address = {
            key: value.replace("\x00", "")  # PostgreSQL text takes no NUL
            for key, value in (address or {}).items()
            if isinstance(value, str)
        }
        missing = [key for key in SHIP_TO_REQUIRED if not address.get(key, "").strip()]
        country = self.env["res.country"]
        country_id = address.get("country_id", "").strip()
        if country_id.isascii() and country_id.isdecimal() and len(country_id) < 10:
            country = country.sudo().browse(int(country_id)).exists()
        if missing or not country:
            raise ShipToIncomplete(self.env._("Please fill in every required field of the address."))
        state = self.env["res.country.state"]
        state_id = address.get("state_id", "").strip()
        if state_id.isascii() and state_id.isdecimal() and len(state_id) < 10:
            state = state.sudo().browse(int(state_id)).exists()
        if state and state.country_id != country:
            raise ShipToIncomplete(self.env._("The state or province is not one of %s.", country.name))
        if not state and country.state_required:
            raise ShipToIncomplete(self.env._("Please choose the state or province in %s.", country.name))
        values = {key: address.get(key, "").strip()[:size] for key, size in SHIP_TO_SIZES.items()}
        values["country_id"] = country.id
        values["state_id"] = state.id
        return values

    @api.model
    def _flexnet_media_kit_is_free(self, kit, pricelist=None):
        """Whether ``kit`` costs nothing on ``pricelist`` (the shop's prices for the current
        user): a free kit is shipped at once (:meth:`_flexnet_order_free_media_kit`, which
        checks the order's total again), a priced one goes through the cart and checkout."""
        kit = kit.sudo()
        price = (
            kit.with_context(pricelist=pricelist.id)._get_contextual_price() if pricelist else kit.lst_price
        )
        currency = pricelist.currency_id if pricelist else kit.currency_id
        return currency.is_zero(price)

    def _flexnet_order_free_media_kit(self, kit, website, address, link_nonce):
        """Confirm a free media kit for the signed-in member, shipped to ``address``.

        ``kit`` and ``link_nonce`` come from a media-kit link this member opened
        (``flexnet.backend._media_link_open``). The kit must be a media kit for sale, the
        member's account must be entitled to it (whatever the website's gating) and it must
        cost nothing on the prices the shop gives that member; anything else is refused
        (AccessError, UserError) and leaves no record behind. A priced kit goes through the
        cart and checkout instead. One link (``link_nonce``) places one order, however many
        times or however fast its form is posted. Returns the confirmed order."""
        member = self.env.user.partner_id
        kit = kit.sudo()
        if self.env.user._is_public() or not kit or kit.flexnet_kind != "media_kit" or not kit.sale_ok:
            raise AccessError(self.env._("Only a signed-in FlexNet member orders a media kit."))
        if not kit._flexnet_allowed_for(member):
            raise AccessError(self.env._("Your FlexNet entitlements do not allow this media kit."))
        refusal = member._flexnet_shop_refusal("free_media")
        if refusal:
            raise AccessError(refusal)
        values = self._flexnet_ship_to_values(address)
        Order = self.sudo()
        with self.env.cr.savepoint():
            if not self.env["flexnet.store.nonce"].sudo()._consume(f"order:{link_nonce}"):
                raise AccessError(self.env._("This media-kit link already placed its order."))
            shipping = self._flexnet_delivery_address(member, values)
            order = Order.create(
                {
                    "partner_id": member.id,
                    "partner_shipping_id": shipping.id,
                    "website_id": website.id,
                    "origin": self.env._("FlexNet media-kit link"),
                    "order_line": [fields.Command.create({"product_id": kit.id, "product_uom_qty": 1})],
                }
            )
            if order._flexnet_refused_lines():
                raise AccessError(self.env._("Your FlexNet entitlements do not allow this media kit."))
            if not order.currency_id.is_zero(order.amount_total):
                raise UserError(
                    self.env._(
                        "%(kit)s costs %(amount)s: order it from the cart.",
                        kit=kit.display_name,
                        amount=order.amount_total,
                    )
                )
            order.action_confirm()
        return order
