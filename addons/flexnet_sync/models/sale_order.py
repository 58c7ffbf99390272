import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

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
    flexnet_entitlement_ref = fields.Char(
        "FlexNet entitlement ID",
        copy=False,
        readonly=True,
        help="The ID of the entitlement this order creates in FlexNet, kept from its first push.",
    )
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

    def _action_confirm(self):
        # queued as the order is confirmed, before its confirmation e-mail is sent: the e-mail
        # says the entitlement is on its way to FlexNet
        result = super()._action_confirm()
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

    def _flexnet_entitlement_ref(self, backend):
        """The ID of the entitlement this order creates in FlexNet: the backend's prefix and the
        order's reference, made of characters FlexNet accepts (``SO/2026/0001`` pushed with the
        prefix ``ODOO-1-`` is ``ODOO-1-SO-2026-0001``). Kept on the order from the first
        attempt, so that retries and later pushes use the same."""
        self.ensure_one()
        if not self.flexnet_entitlement_ref:
            self.flexnet_entitlement_ref = fc.safe_id(f"{backend.entitlement_id_prefix or ''}{self.name}")
        return self.flexnet_entitlement_ref

    def _flexnet_activation_id(self, line):
        """The activation ID of a sale line: its entitlement ID and the line's id (kept)."""
        return line.flexnet_activation_id or fc.safe_id(f"{self.flexnet_entitlement_ref}-{line.id}")

    def _flexnet_split_lines(self, lines):
        """(lines of the order's own entitlement, {entitlement ID: lines added to it}).

        Extra seats and maintenance sold for a line the customer already has (``Renews /
        extends``) are added to that line's entitlement, as an FNO administrator would: the
        seats sit next to the license they extend, the maintenance under the line it renews.
        Licenses, add-ons, and seats or maintenance for what the order itself sells make the
        order's own entitlement."""
        own = lines.browse()
        additions = {}
        for line in lines:
            parent = line.flexnet_parent_line_id
            if parent and line.product_id.flexnet_kind in ("seats", "maintenance"):
                entitlement = parent.sudo().entitlement_id.name
                additions[entitlement] = additions.get(entitlement, lines.browse()) | line
            else:
                own |= line
        return own, additions

    def _flexnet_new_items(self, lines, own_licenses=None):
        """(line items, maintenance line items) for ``lines``: one line item per license, add-on
        and seat line, one maintenance line item per maintenance line (under the line it renews,
        else under the order's license of its title)."""
        today = fields.Date.context_today(self)
        license_by_title = dict(own_licenses or {})
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
            parent = line.flexnet_parent_line_id.sudo()
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
        return items, maintenance

    def _flexnet_new_entitlement(self, account_id, lines):
        """The entitlement to create for this order, deployed at once (``autoDeploy``)."""
        items, maintenance = self._flexnet_new_items(lines)
        return fc.NewEntitlement(
            sold_to=account_id,
            entitlement_id=self.flexnet_entitlement_ref,
            description=self.env._("Sale order %s", self.name),
            ship_to_email=self.partner_id.email or None,
            line_items=items,
            maintenance_line_items=maintenance,
            auto_deploy=True,
        )

    def _flexnet_collision(self, existing, account_id, lines):
        """Why the FlexNet entitlement ``existing``, found under this order's entitlement ID, is
        not this order's (another account's, or items the order did not send), or None."""
        ours = {self._flexnet_activation_id(line) for line in lines}
        items = {li.activation_id for li in existing.line_items} | {
            m.activation_id for m in existing.maintenance_line_items
        }
        if existing.sold_to != account_id:
            return self.env._(
                "FlexNet already has an entitlement %(name)s, of account %(account)s: it is not this order's.",
                name=existing.entitlement_id,
                account=existing.sold_to or "-",
            )
        if not items or not items <= ours:
            return self.env._(
                "FlexNet already has an entitlement %(name)s for account %(account)s with items this order "
                "did not send (%(items)s): it is not this order's.",
                name=existing.entitlement_id,
                account=account_id,
                items=", ".join(sorted(items - ours)) or "none",
            )
        return None

    def _flexnet_complete(self, entitlement, lines):
        """Whether the FlexNet entitlement holds an item for each of these sale lines."""
        items = {li.activation_id for li in entitlement.line_items} | {
            m.activation_id for m in entitlement.maintenance_line_items
        }
        return {self._flexnet_activation_id(line) for line in lines} <= items

    def _flexnet_renewed_meanwhile(self, target, lines):
        """Why the maintenance ``lines`` renew must not be added to the FlexNet entitlement
        ``target``, or None: FlexNet already extends the renewed line's maintenance beyond the end
        the customer renewed from (``flexnet_renews_from``), by an item this order did not send
        (another order, or an administrator in FlexNet, renewed it meanwhile). Sending it would
        extend the maintenance a second time without anyone having chosen to."""
        ours = {self._flexnet_activation_id(line) for line in lines}
        present = {li.activation_id for li in target.line_items} | {
            m.activation_id for m in target.maintenance_line_items
        }
        present |= {m.activation_id for li in target.line_items for m in li.maintenance}
        others = [
            (m.parent_activation_id or li.activation_id, m)
            for li in target.line_items
            for m in li.maintenance
            if m.activation_id not in ours
        ] + [
            (m.parent_activation_id, m) for m in target.maintenance_line_items if m.activation_id not in ours
        ]
        for line in lines.filtered(lambda sol: sol.product_id.flexnet_kind == "maintenance"):
            if self._flexnet_activation_id(line) in present:
                continue  # FlexNet accepted it already (a retry)
            parent = line.flexnet_parent_line_id.sudo()
            end = max(
                (
                    m.expiration_date
                    for activation, m in others
                    if activation == parent.activation_id and m.expiration_date and not m.is_permanent
                ),
                default=None,
            )
            if end and (not line.flexnet_renews_from or end > line.flexnet_renews_from):
                return self.env._(
                    "The maintenance of %(activation)s was renewed meanwhile: FlexNet has it until %(end)s, "
                    "not %(chosen)s as when %(product)s was ordered. Nothing was sent, so that it is not "
                    "extended twice: refund or cancel the order.",
                    activation=parent.activation_id,
                    end=end,
                    chosen=line.flexnet_renews_from or self.env._("none"),
                    product=line.product_id.display_name,
                )
        return None

    def _flexnet_push_entitlement(self):
        """Job: create the order's entitlement in FlexNet (idempotent), add the seats and
        maintenance it sells for existing lines to their entitlements, and have FlexNet e-mail
        each entitlement.

        The entitlement ID derives from the order and every activation ID from its sale line,
        so a retry after a crash finds what FlexNet already accepted and goes on from there
        (``CREATE_OR_IGNORE``); an entitlement of that ID that is not the order's (another
        account's, other items) is a collision the salesperson is told about, never adopted.
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
        ref = self._flexnet_entitlement_ref(backend)
        own, additions = self._flexnet_split_lines(lines)
        entitlements = []  # as FlexNet has them after the push: stored, e-mailed
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
            if own:
                existing = client.get_entitlement(ref)
                if existing is not None:
                    collision = self._flexnet_collision(existing, account_id, own)
                    if collision:
                        return self._flexnet_fail(collision)
                if existing is None or not self._flexnet_complete(existing, own):
                    # creates what is missing: all of it, or the items a crash left out
                    client.create_simple_entitlements([self._flexnet_new_entitlement(account_id, own)])
                entitlements.append(ref)
            # two orders renewing one line are sent one after the other, each reading FlexNet
            # after the other has added its maintenance (see _flexnet_renewed_meanwhile)
            renewed_ids = sorted(
                lines.filtered(
                    lambda sol: sol.product_id.flexnet_kind == "maintenance"
                ).flexnet_parent_line_id.ids
            )
            if renewed_ids:
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM flexnet_entitlement_line WHERE id IN %s ORDER BY id FOR UPDATE",
                        tuple(renewed_ids),
                    )
                )
            for name, added in sorted(additions.items()):
                target = client.get_entitlement(name)
                if target is None or target.sold_to != account_id:
                    products = ", ".join(added.mapped("product_id.display_name"))
                    return self._flexnet_fail(
                        self.env._(
                            "FlexNet no longer has the entitlement %(name)s that %(products)s extend: choose "
                            "another line they renew or extend.",
                            name=name,
                            products=products,
                        )
                        if target is None
                        else self.env._(
                            "The entitlement %(name)s that %(products)s extend belongs to account %(owner)s in "
                            "FlexNet, not to %(account)s.",
                            name=name,
                            products=products,
                            owner=target.sold_to or "-",
                            account=account_id,
                        )
                    )
                renewed = self._flexnet_renewed_meanwhile(target, added)
                if renewed:
                    return self._flexnet_fail(renewed)
                if not self._flexnet_complete(target, added):
                    items, maintenance = self._flexnet_new_items(added)
                    client.create_line_items(
                        [fc.LineItemAddition(name, items, maintenance, auto_deploy=True)]
                    )
                entitlements.append(name)
            found = {}
            for name in entitlements:
                found[name] = client.get_entitlement(name)
                if found[name] is None:
                    raise fc.MalformedResponse(
                        self.env._("FlexNet accepted the entitlement %s but does not return it.", name)
                    )
            if not self.flexnet_email_sent:
                for name in entitlements:
                    client.email_entitlement(name)
        except fc.TransportError as exc:
            raise RetryableJobError(str(exc), seconds=120) from exc
        except (fc.OperationFailed, fc.AuthenticationError, fc.SoapFault, fc.MalformedResponse) as exc:
            return self._flexnet_fail(str(exc))
        engine = SyncEngine(backend.sudo())
        stored = {name: engine.store_entitlement(found[name], partner) for name in entitlements}
        # a renewal's maintenance is kept under the entitlement of the line it renews
        activations = {self._flexnet_activation_id(line) for line in lines}
        by_activation = {
            line.activation_id: line
            for line in self.env["flexnet.entitlement.line"]
            .sudo()
            .search([("backend_id", "=", backend.id), ("activation_id", "in", list(activations))])
        }
        for line in lines:
            activation = self._flexnet_activation_id(line)
            line.write(
                {
                    "flexnet_activation_id": activation,
                    "flexnet_entitlement_line_id": by_activation.get(activation),
                }
            )
        main = stored.get(ref) or next(iter(stored.values()))
        if ref in stored:
            stored[ref].sudo().sale_order_id = self
        self.write(
            {
                "flexnet_state": "done",
                "flexnet_error": False,
                "flexnet_entitlement_id": main.id,
                "flexnet_email_sent": True,
            }
        )
        return self.env._("Entitlement %s is in FlexNet", main.name)

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
