import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from .. import flexnet_client as fc
from ..sync import SyncEngine
from .product_template import PUSHED_KINDS

_logger = logging.getLogger(__name__)

FLEXNET_STATES = [
    ("none", "Nothing for FlexNet"),
    ("pending", "Waiting to be sent"),
    ("review", "Account to review"),
    ("done", "In FlexNet"),
    ("failed", "Refused by FlexNet"),
]


class SaleOrder(models.Model):
    _inherit = "sale.order"

    flexnet_state = fields.Selection(
        FLEXNET_STATES, "FlexNet", default="none", copy=False, readonly=True, index=True
    )
    flexnet_error = fields.Text("FlexNet message", copy=False, readonly=True)
    flexnet_entitlement_id = fields.Many2one("flexnet.entitlement", "Entitlement", copy=False, readonly=True)
    flexnet_email_sent = fields.Boolean("Entitlement e-mail sent", copy=False, readonly=True)
    # the FlexNet page lists these; a second ``order_line`` on the form would change the line
    # view every other module's form tests and onchanges work with
    flexnet_line_ids = fields.One2many(
        "sale.order.line", string="FlexNet lines", compute="_compute_flexnet_line_ids"
    )

    @api.depends("order_line.product_id")
    def _compute_flexnet_line_ids(self):
        for order in self:
            order.flexnet_line_ids = order.order_line.filtered(lambda line: line.product_id.flexnet_kind)

    def action_confirm(self):
        result = super().action_confirm()
        self.filtered(lambda o: o._flexnet_push_lines())._flexnet_enqueue_push()
        return result

    def _flexnet_push_lines(self):
        return self.order_line.filtered(
            lambda line: line.product_id.flexnet_kind in PUSHED_KINDS and line.product_uom_qty > 0
        )

    def _flexnet_backend(self):
        self.ensure_one()
        products = self._flexnet_push_lines().product_id
        return products.flexnet_backend_id[:1] or self.env["flexnet.backend"]._default_backend(
            self.company_id
        )

    def _flexnet_enqueue_push(self):
        for order in self:
            order.flexnet_state = "pending"
            order.with_delay(
                channel="root.flexnet",
                identity_key=f"flexnet-push-{order.id}",
                description=self.env._("Push %s to FlexNet", order.name),
            )._flexnet_push_entitlement()

    def action_flexnet_push(self):
        """Send (again) the entitlement of confirmed orders to FlexNet."""
        self.filtered(lambda o: o.state == "sale" and o._flexnet_push_lines())._flexnet_enqueue_push()
        return True

    # --- the push job ---------------------------------------------------------------------

    def _flexnet_activation_id(self, line):
        return f"{self.name}-{line.id}"

    def _flexnet_new_entitlement(self, account_id, lines):
        """The entitlement to create for this order: one line item per license, add-on and
        seat line, one maintenance line item per maintenance line."""
        today = fields.Date.context_today(self)
        license_by_title = {}
        items, maintenance = [], []
        for line in lines.filtered(lambda sol: sol.product_id.flexnet_kind != "maintenance"):
            template = line.product_id.product_tmpl_id
            months = template.flexnet_term_months
            activation = self._flexnet_activation_id(line)
            items.append(
                fc.NewLineItem(
                    part_number=line.product_id.default_code,
                    number_of_copies=int(line.product_uom_qty),
                    activation_id=activation,
                    order_id=self.name,
                    order_line_number=str(line.id),
                    description=line.name[:200] if line.name else None,
                    start_date=today,
                    expiration_date=today + relativedelta(months=months) - timedelta(days=1)
                    if months
                    else None,
                    is_permanent=not months,
                )
            )
            if template.flexnet_kind == "license":
                license_by_title.setdefault(template.flexnet_product_name, activation)
        for line in lines.filtered(lambda sol: sol.product_id.flexnet_kind == "maintenance"):
            template = line.product_id.product_tmpl_id
            parent = line.flexnet_parent_line_id
            parent_activation = parent.activation_id or license_by_title.get(template.flexnet_title)
            if not parent_activation:
                raise fc.OperationFailed(
                    self.env._(
                        "Maintenance %(product)s has no license to attach to: add the license to the order or "
                        "choose the entitlement line it renews.",
                        product=line.product_id.display_name,
                    )
                )
            start = today
            if parent.maintenance_end and parent.maintenance_end >= today:
                start = parent.maintenance_end + timedelta(days=1)
            months = template.flexnet_term_months or 12
            maintenance.append(
                fc.NewMaintenanceLineItem(
                    part_number=line.product_id.default_code,
                    parent_activation_id=parent_activation,
                    activation_id=self._flexnet_activation_id(line),
                    order_id=self.name,
                    order_line_number=str(line.id),
                    start_date=start,
                    expiration_date=start + relativedelta(months=months) - timedelta(days=1),
                )
            )
        return fc.NewEntitlement(
            sold_to=account_id,
            entitlement_id=self.name,
            description=self.env._("Sale order %s", self.name),
            ship_to_email=self.partner_id.email or None,
            line_items=items,
            maintenance_line_items=maintenance,
        )

    def _flexnet_push_entitlement(self):
        """Job: create the order's entitlement in FlexNet (idempotent) and have FlexNet e-mail it.

        The order name is the entitlement ID and every activation ID derives from the sale
        line, so a retry after a crash finds what FlexNet already accepted and adopts it.
        """
        self.ensure_one()
        lines = self._flexnet_push_lines()
        if not lines:
            self.flexnet_state = "none"
            return self.env._("Nothing to push")
        backend = self._flexnet_backend()
        if not backend:
            return self._flexnet_fail(
                self.env._("No FlexNet backend is configured for company %s.", self.company_id.name)
            )
        client = backend._get_client()
        partner = self.partner_id.commercial_partner_id.sudo()
        try:
            account_id = partner._flexnet_ensure_account(backend, client, self.partner_id.sudo())
            if not account_id:
                self.write(
                    {
                        "flexnet_state": "review",
                        "flexnet_error": self.env._(
                            "FlexNet already knows people of %s under another account: link the customer to it or "
                            "dismiss the match (FlexNet ▸ Probable duplicates), then the order is sent.",
                            partner.name,
                        ),
                    }
                )
                self._flexnet_activity(self.flexnet_error)
                return self.flexnet_error
            existing = client.get_entitlement(self.name)
            if existing is None:
                client.create_simple_entitlements([self._flexnet_new_entitlement(account_id, lines)])
                existing = client.get_entitlement(self.name)
            elif existing.sold_to != account_id:
                return self._flexnet_fail(
                    self.env._(
                        "FlexNet entitlement %(name)s belongs to account %(account)s.",
                        name=self.name,
                        account=existing.sold_to,
                    )
                )
            if existing is None:
                raise fc.MalformedResponse(
                    self.env._("FlexNet accepted the entitlement but does not return it.")
                )
            if not self.flexnet_email_sent:
                client.email_entitlement(self.name)
        except fc.TransportError as exc:
            raise RetryableJobError(str(exc), seconds=120) from exc
        except (fc.OperationFailed, fc.AuthenticationError, fc.SoapFault, fc.MalformedResponse) as exc:
            return self._flexnet_fail(str(exc))
        entitlement = SyncEngine(backend.sudo()).store_entitlement(existing, partner)
        # a renewal's maintenance is kept under the entitlement of the line it renews
        stored = (
            self.env["flexnet.entitlement.line"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("activation_id", "in", [self._flexnet_activation_id(line) for line in lines]),
                ]
            )
        )
        by_activation = {line.activation_id: line for line in stored}
        for line in lines:
            activation = self._flexnet_activation_id(line)
            line.write(
                {
                    "flexnet_activation_id": activation,
                    "flexnet_entitlement_line_id": by_activation.get(activation),
                }
            )
        entitlement.sudo().sale_order_id = self
        self.write(
            {
                "flexnet_state": "done",
                "flexnet_error": False,
                "flexnet_entitlement_id": entitlement.id,
                "flexnet_email_sent": True,
            }
        )
        return self.env._("Entitlement %s is in FlexNet", self.name)

    def _flexnet_fail(self, message):
        self.write({"flexnet_state": "failed", "flexnet_error": message})
        self._flexnet_activity(message)
        _logger.info("FlexNet refused order %s: %s", self.name, message)
        return message

    def _flexnet_activity(self, message):
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("FlexNet: entitlement not created"),
            note=message,
            user_id=(self.user_id or self.env.user).id,
        )
