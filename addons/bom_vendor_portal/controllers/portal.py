import mimetypes
import os

from werkzeug.exceptions import NotFound
from werkzeug.wsgi import wrap_file

from odoo import fields, http
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.http import Response, request
from odoo.tools import config

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.mrp_bom_document_revision import CHUNK, safe_file_name


class BomVendorPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    def _bom_portal_allowed(self):
        """Vendors (portal users) and internal users with the BOM documents group."""
        user = request.env.user
        return user._is_portal() or user.has_group("bom_vendor_portal.group_bom_document_user")

    def _bom_get(self, bom_id):
        """The BOM as the current user may read it (record rules), or 404."""
        if not self._bom_portal_allowed():
            raise NotFound()
        bom = request.env["mrp.bom"].browse(bom_id).exists()
        if not bom or not bom.has_access("read"):
            raise NotFound()
        return bom

    def _bom_list_domain(self, search=None, site=None, categ=None, since=None):
        """Domain of the BOM list; the filters resolve names with sudo into sub-queries,
        the BOM search itself runs as the user so the record rules apply."""
        domain = Domain("product_tmpl_id", "!=", False)
        Template = request.env["product.template"].sudo()
        if search:
            templates = Template._search(["|", ("name", "ilike", search), ("default_code", "ilike", search)])
            domain &= Domain("code", "ilike", search) | Domain("product_tmpl_id", "in", templates)
        if site:
            boms = request.env["mrp.bom"].sudo()._search([("production_site_ids", "in", [site])])
            domain &= Domain("id", "in", boms)
        if categ:
            templates = Template._search([("categ_id", "child_of", [categ])])
            domain &= Domain("product_tmpl_id", "in", templates)
        if since:
            domain &= Domain("write_date", ">=", since) | Domain("last_release_date", ">=", since)
        return domain

    def _bom_filters(self):
        """Sites and categories of the BOMs the user sees, as (id, name) pairs."""
        visible = request.env["mrp.bom"]._search([])  # as the user: rules included
        sites = request.env["media.production.site"].sudo().search([("bom_ids", "in", visible)])
        templates = request.env["product.template"].sudo()._search([("bom_ids", "in", visible)])
        categs = (
            request.env["product.category"].sudo().search([("id", "in", templates.subselect("categ_id"))])
        )
        return [(s.id, s.name) for s in sites], [(c.id, c.display_name) for c in categs]

    def _bom_file_response(self, revision):
        """The revision's file as a streamed response honouring Range and conditional
        requests. Read in 1 MiB blocks straight from the filestore (ISO images of several
        GB); behind a proxy with --x-sendfile, or for files kept in the database, Odoo's own
        stream does it."""
        filename = revision.file_name or safe_file_name(revision.display_name)
        path = revision.sudo()._file_path()  # the revision was read as the user just before
        if config["x_sendfile"] or not path or not os.path.isfile(path):
            stream = request.env["ir.binary"]._get_stream_from(revision, "file", filename=filename)
            return stream.get_response(as_attachment=True)
        environ = request.httprequest.environ
        # closed by the WSGI server once the response is sent
        source = open(path, "rb")
        size = os.fstat(source.fileno()).st_size
        response = Response(
            wrap_file(environ, source, buffer_size=CHUNK),
            mimetype=mimetypes.guess_type(filename)[0] or "application/octet-stream",
            direct_passthrough=True,
        )
        response.headers["Content-Disposition"] = http.content_disposition(filename)
        response.headers["Cache-Control"] = "private, max-age=0"
        response.content_length = size
        response.set_etag(revision.checksum_sha256 or revision.checksum_md5 or str(revision.id))
        response.last_modified = revision.released_date or revision.write_date
        return response.make_conditional(environ, accept_ranges=True, complete_length=size)

    @staticmethod
    def _bom_row(bom_sudo):
        template = bom_sudo.product_tmpl_id
        return {
            "id": bom_sudo.id,
            "code": bom_sudo.code or "",
            "product": template.display_name,
            "default_code": template.default_code or "",
            "sites": ", ".join(bom_sudo.production_site_ids.mapped("name")),
            "updated": max(filter(None, [bom_sudo.write_date, bom_sudo.last_release_date])),
            "document_count": bom_sudo.bom_document_count,
        }

    # ------------------------------------------------------------------ routes
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "bom_count" in counters:
            Bom = request.env["mrp.bom"]
            values["bom_count"] = (
                Bom.search_count([]) if self._bom_portal_allowed() and Bom.has_access("read") else 0
            )
        return values

    @http.route(["/my/boms", "/my/boms/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_boms(self, page=1, search=None, site=None, categ=None, since=None, **kwargs):
        if not self._bom_portal_allowed():
            raise NotFound()
        site = int(site) if site and str(site).isdigit() else None
        categ = int(categ) if categ and str(categ).isdigit() else None
        since_date = None
        if since:
            try:
                since_date = fields.Date.to_date(since)
            except ValueError:
                since_date = None
        Bom = request.env["mrp.bom"]
        domain = self._bom_list_domain(search=search, site=site, categ=categ, since=since_date)
        count = Bom.search_count(domain)
        url_args = {
            k: v for k, v in {"search": search, "site": site, "categ": categ, "since": since}.items() if v
        }
        pager = portal_pager(
            url="/my/boms", url_args=url_args, total=count, page=page, step=self._items_per_page
        )
        boms = Bom.search(domain, limit=self._items_per_page, offset=pager["offset"], order="id desc")
        sites, categs = self._bom_filters()
        return request.render(
            "bom_vendor_portal.portal_my_boms",
            {
                # rows read with sudo, from the records the rules let through only
                "rows": [self._bom_row(bom) for bom in boms.sudo()],
                "pager": pager,
                "count": count,
                "search": search or "",
                "site": site,
                "categ": categ,
                "since": (since_date and fields.Date.to_string(since_date)) or "",
                "sites": sites,
                "categs": categs,
                "page_name": "boms",
                "default_url": "/my/boms",
            },
        )

    @http.route("/my/boms/<int:bom_id>", type="http", auth="user", website=True)
    def portal_my_bom(self, bom_id, **kwargs):
        bom = self._bom_get(bom_id)
        documents = request.env["mrp.bom.document"].search([("bom_id", "=", bom.id)])
        revisions = request.env["mrp.bom.document.revision"].search([("document_id", "in", documents.ids)])
        by_document = {}
        for revision in revisions:  # newest first (model order)
            by_document.setdefault(revision.document_id.id, []).append(
                {
                    "id": revision.id,
                    "name": revision.name,
                    "state": revision.state,
                    "state_label": dict(revision._fields["state"]._description_selection(request.env))[
                        revision.state
                    ],
                    "effective_date": revision.effective_date,
                    "change_note": revision.change_note or "",
                    "file_name": revision.file_name or "",
                    "size": revision.file_size_human,
                    "md5": revision.checksum_md5 or "",
                    "sha256": revision.checksum_sha256 or "",
                    "current": revision.id == revision.document_id.current_revision_id.id,
                    "url": f"/my/boms/{bom.id}/revisions/{revision.id}/download",
                }
            )
        type_labels = dict(documents._fields["document_type"]._description_selection(request.env))
        doc_rows = {}
        for document in documents:
            doc_rows.setdefault(document.bom_line_id.id or 0, []).append(
                {
                    "id": document.id,
                    "name": document.name,
                    "type": type_labels[document.document_type],
                    "revisions": by_document.get(document.id, []),
                }
            )
        bom_sudo = bom.sudo()  # names of products and units, of this readable BOM only
        lines = [
            {
                "id": line.id,
                "product": line.product_id.display_name,
                "qty": line.product_qty,
                "uom": line.product_uom_id.name,
                "documents": doc_rows.get(line.id, []),
            }
            for line in bom.bom_line_ids.sudo()
        ]
        has_current = any(rev["current"] for revs in by_document.values() for rev in revs)
        return request.render(
            "bom_vendor_portal.portal_my_bom",
            {
                "bom": self._bom_row(bom_sudo),
                "product_qty": bom_sudo.product_qty,
                "uom": bom_sudo.product_uom_id.name,
                "lines": lines,
                "bom_documents": doc_rows.get(0, []),
                "has_current": has_current,
                "page_name": "boms",
            },
        )

    @http.route(
        "/my/boms/<int:bom_id>/revisions/<int:revision_id>/download", type="http", auth="user", website=True
    )
    def portal_bom_revision_download(self, bom_id, revision_id, **kwargs):
        bom = self._bom_get(bom_id)
        revision = request.env["mrp.bom.document.revision"].browse(revision_id).exists()
        if not revision or not revision.has_access("read") or revision.bom_id != bom:
            raise NotFound()
        if not revision.file_size:
            raise NotFound()
        revision._log_download(
            byte_range=request.httprequest.headers.get("Range"),
            ip_address=request.httprequest.remote_addr,
        )
        response = self._bom_file_response(revision)
        response.headers["X-Content-MD5"] = revision.checksum_md5 or ""
        response.headers["X-Content-SHA256"] = revision.checksum_sha256 or ""
        return response

    @http.route("/my/boms/<int:bom_id>/download-all", type="http", auth="user", website=True)
    def portal_bom_download_all(self, bom_id, **kwargs):
        """The current released revision of every document of the BOM, as one zip stream."""
        bom = self._bom_get(bom_id)
        try:
            archive = request.env["mrp.bom.document.revision"]._bom_archive(bom)
        except AccessError:
            raise NotFound() from None
        if not archive.revisions:
            raise NotFound()
        archive.revisions._log_download(via="zip", ip_address=request.httprequest.remote_addr)
        headers = [
            ("Content-Type", "application/zip"),
            ("Content-Disposition", http.content_disposition(archive.file_name)),
        ]
        return request.make_response(archive.stream(), headers=headers)
