from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class MediaProductionFiles(http.Controller):
    @http.route("/media_production/files/<int:file_id>", type="http", auth="bearer", methods=["GET"])
    def station_file(self, file_id, **kwargs):
        """An uploaded title file, for the station of a site with a job that lists it
        (API key as bearer token; ranges honoured so downloads resume)."""
        try:
            title_file = request.env["media.title.file"]._for_station(file_id)
        except AccessError:
            raise Forbidden() from None
        except MissingError:
            raise NotFound() from None
        stream = request.env["ir.binary"]._get_stream_from(
            title_file, "file", filename=title_file.file_name or title_file.name.rsplit("/", 1)[-1]
        )
        return stream.get_response(as_attachment=True)


class MediaProductionTrace(http.Controller):
    @http.route("/media_production/trace/<int:order_id>", type="http", auth="user", methods=["GET"])
    def order_trace(self, order_id, **kwargs):
        """One page per order: its lines and FlexNet IDs, the production of its media kits
        (manufacturing order, job, files and MD5s, discs and their verification) and the
        deliveries with carrier and tracking reference. For the salespeople who read the order
        and production staff; anyone else gets a 404, whether the order exists or not."""
        order = request.env["sale.order"].browse(order_id).exists()
        if not order:
            raise NotFound()
        try:
            trace = order._media_trace_values()
        except AccessError:
            raise NotFound() from None
        return request.render(
            "media_production.order_trace_page",
            {"trace": trace, "title": trace["name"]},
        )
