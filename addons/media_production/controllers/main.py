from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request

from ..models.media_production_job import STATION_GROUP


class MediaProductionFiles(http.Controller):
    @http.route("/media_production/files/<int:file_id>", type="http", auth="bearer", methods=["GET"])
    def station_file(self, file_id, **kwargs):
        """An uploaded title file, for the station of a site with a job that lists it
        (API key as bearer token; ranges honoured so downloads resume)."""
        user = request.env.user
        if not user.has_group(STATION_GROUP):
            raise Forbidden()
        Line = request.env["media.production.job.file"].sudo()
        listed = Line.search_count(
            [("file_id", "=", file_id), ("job_id.site_id.station_user_id", "=", user.id)], limit=1
        )
        if not listed:
            raise NotFound()
        title_file = request.env["media.title.file"].sudo().browse(file_id)
        if not title_file.file:
            raise NotFound()
        stream = request.env["ir.binary"]._get_stream_from(
            title_file, "file", filename=title_file.file_name or title_file.name.rsplit("/", 1)[-1]
        )
        return stream.get_response(as_attachment=True)
