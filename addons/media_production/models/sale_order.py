from odoo import api, fields, models
from odoo.exceptions import AccessError

# who reads an order's media jobs and discs: others who read sale orders (stock, accounting)
# do not see these fields
MEDIA_READERS = "sales_team.group_sale_salesman,media_production.group_media_operator"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    media_job_ids = fields.One2many(
        "media.production.job", "order_id", "Media production jobs", groups=MEDIA_READERS
    )
    media_job_count = fields.Integer("Media jobs", compute="_compute_media_job_count", groups=MEDIA_READERS)
    media_disc_ids = fields.One2many(
        "media.production.disc",
        "order_id",
        "Media discs",
        groups=MEDIA_READERS,
        help="The copies produced for this order.",
    )

    def _compute_media_job_count(self):
        counts = dict(
            self.env["media.production.job"]._read_group(
                [("order_id", "in", self.ids)], ["order_id"], ["__count"]
            )
        )
        for order in self:
            order.media_job_count = counts.get(order, 0)

    def action_view_media_jobs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("media_production.media_production_job_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_media_traceability(self):
        """Sale line → job → manufacturing order → files and MD5s → delivery, one row per file."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "media_production.media_production_job_file_traceability_action"
        )
        action["domain"] = [("job_id.order_id", "=", self.id)]
        return action

    def action_open_media_trace(self):
        """The order's trace page: lines, FlexNet IDs, production, discs and shipment."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": f"/media_production/trace/{self.id}", "target": "new"}

    def _media_trace_check(self):
        """Who reads an order's trace: the salespeople who read the order (their own orders,
        or all when they see all documents) and production staff. Raises ``AccessError``."""
        self.ensure_one()
        user = self.env.user
        if not user._is_internal() or not any(user.has_group(group) for group in MEDIA_READERS.split(",")):
            raise AccessError(self.env._("Only salespeople and media production staff read order traces."))
        self.check_access("read")

    @api.model
    def _media_trace_address(self, partner):
        """The addressee (the person a kit ships to, when the address names one) and the
        postal address, without its empty lines."""
        lines = [line for line in (partner.contact_address or "").splitlines() if line.strip()]
        if partner.name and partner.name not in lines[:1]:
            lines.insert(0, partner.name)
        return "\n".join(lines)

    def _media_trace_values(self):
        """What the trace page shows of the order, as plain values: each line with its FlexNet
        activation ID, then for media kits each production job with its manufacturing order,
        files and MD5s, discs and their verification, and the delivery with its carrier and
        tracking reference. Read after ``_media_trace_check``, for that order only."""
        self._media_trace_check()
        order = self.sudo()
        Picking = self.env["stock.picking"]
        has_carrier = "carrier_id" in Picking._fields
        state_label = dict(order._fields["flexnet_state"]._description_selection(self.env))
        jobs_by_line = {}
        for job in order.media_job_ids.sorted("id"):
            jobs_by_line.setdefault(job.sale_line_id.id, []).append(job)
        job_state = dict(self.env["media.production.job"]._fields["state"]._description_selection(self.env))
        # the order's own entitlement holds its licenses, add-ons and seats of new lines; seats and
        # maintenance for lines the customer has go to those lines' entitlements
        own, additions = order._flexnet_split_lines(order._flexnet_push_lines())
        entitlement_of = {sol.id: order.flexnet_entitlement_ref or "" for sol in own}
        for name, added in additions.items():
            entitlement_of.update(dict.fromkeys(added.ids, name))
        lines = []
        for line in order.order_line.filtered(lambda line: not line.display_type):
            jobs = []
            for job in jobs_by_line.get(line.id, []):
                delivery = job.delivery_id
                production = job.production_id
                jobs.append(
                    {
                        "name": job.name,
                        "state": job_state.get(job.state, job.state),
                        "site": job.site_id.name or "",
                        "failed_at": ", ".join(job.rerouted_from_ids.mapped("name")),
                        "production": production.name or "",
                        "production_state": dict(
                            production._fields["state"]._description_selection(self.env)
                        ).get(production.state, "")
                        if production
                        else "",
                        "copies": job.copies,
                        "copies_done": job.copies_done,
                        "image_md5": job.image_md5 or "",
                        "files": [
                            {"path": f.path, "version": f.version or "", "size": f.size, "md5": f.md5}
                            for f in job.manifest_line_ids
                        ],
                        "discs": [
                            {"copy": d.sequence, "serial": d.serial or "", "verified": d.verified}
                            for d in job.disc_ids
                        ],
                        "verified_count": job.disc_verified_count,
                        "delivery": {
                            "name": delivery.name,
                            "state": dict(delivery._fields["state"]._description_selection(self.env)).get(
                                delivery.state, ""
                            ),
                            "date_done": delivery.date_done,
                            "carrier": (delivery.carrier_id.name or "") if has_carrier else None,
                            "tracking": (delivery.carrier_tracking_ref or "") if has_carrier else None,
                        }
                        if delivery
                        else None,
                    }
                )
            lines.append(
                {
                    "product": line.product_id.display_name or line.name,
                    "quantity": int(line.product_uom_qty)
                    if line.product_uom_qty == int(line.product_uom_qty)
                    else line.product_uom_qty,
                    "kind": line.product_id.flexnet_kind or "",
                    "activation_id": line.flexnet_activation_id or "",
                    "entitlement": entitlement_of.get(line.id, ""),
                    "jobs": jobs,
                }
            )
        return {
            "name": order.name,
            "customer": order.partner_id.commercial_partner_id.name or "",
            "ship_to": self._media_trace_address(order.partner_shipping_id),
            "date": order.date_order,
            "salesperson": order.user_id.name or "",
            "flexnet_state": state_label.get(order.flexnet_state, ""),
            "entitlement_ref": (order.flexnet_entitlement_ref or "") if own else "",
            "lines": lines,
            "has_carrier": has_carrier,
        }

    def action_view_media_discs(self):
        """The copies produced for the order: job, copy, serial, verification, image MD5."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "media_production.media_production_disc_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        return action
