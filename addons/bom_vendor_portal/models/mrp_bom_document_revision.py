import base64
import hashlib
import logging
import mimetypes
import os
import re
import zipfile
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# files are read, hashed and streamed in blocks of this size (ISO images of several GB)
CHUNK = 1 << 20
IMPORT_ROOT_PARAM = "bom_vendor_portal.import_root"


def safe_file_name(name):
    """``name`` made safe as a download name and as one level of a path in a zip archive:
    anything but word characters, dots, dashes and spaces becomes ``_`` (no separators, no
    control characters), leading and trailing dots and spaces go (no ``..``); never empty."""
    return re.sub(r"[^\w.\- ]+", "_", name or "").strip(" .") or "file"


class _ZipSink:
    """A write-only file for zipfile that hands out what was written so far."""

    def __init__(self):
        self.parts = []
        self.offset = 0

    def write(self, data):  # pylint: disable=method-required-super
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self):
        return self.offset

    def flush(self):
        pass

    def take(self):
        data = b"".join(self.parts)
        self.parts = []
        return data


def zip_stream(members):
    """The zip archive (stored, ZIP64) of ``members``, ``(name in the archive, path)`` pairs,
    as an iterator of byte strings. Each file is read in ``CHUNK`` blocks and every block is
    handed out as soon as it is written: memory stays flat whatever the sizes. It reads
    files only, never the database: it runs while the response is sent."""
    sink = _ZipSink()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for arcname, path in members:
            with open(path, "rb") as source, archive.open(arcname, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                    yield sink.take()
            yield sink.take()
    yield sink.take()


class BomArchive(NamedTuple):
    """What "download all current documents" of a BOM sends (``_bom_archive``)."""

    file_name: str
    revisions: models.BaseModel  # the revisions in the archive, in its order
    members: list  # (name in the archive, path in the filestore) of each revision

    def stream(self):
        return zip_stream(self.members)


class MrpBomDocumentRevision(models.Model):
    """A revision of a BOM document: its file, checksums and release state."""

    _name = "mrp.bom.document.revision"
    _description = "BOM Document Revision"
    _order = "document_id, effective_date desc, id desc"

    name = fields.Char("Revision", required=True, help="The revision label, e.g. A, B or 1.2.")
    document_id = fields.Many2one("mrp.bom.document", required=True, ondelete="cascade", index=True)
    bom_id = fields.Many2one(related="document_id.bom_id", store=True, index=True)
    company_id = fields.Many2one(related="document_id.company_id", store=True)
    document_type = fields.Selection(related="document_id.document_type")
    state = fields.Selection(
        [("draft", "Draft"), ("released", "Released"), ("superseded", "Superseded")],
        default="draft",
        required=True,
        readonly=True,
        index=True,
        help="Vendors see released revisions only. Released revisions stay downloadable after a "
        "newer one is released; a superseded revision is withdrawn from vendors.",
    )
    effective_date = fields.Date(help="From when this revision applies; the latest released one is current.")
    change_note = fields.Text()
    file = fields.Binary(attachment=True, copy=False)
    file_name = fields.Char()
    # ISO images pass 2 GiB: a numeric column, not an integer one
    file_size = fields.Float("Size (bytes)", digits=(20, 0), readonly=True, copy=False)
    file_size_human = fields.Char("Size", compute="_compute_file_size_human")
    checksum_md5 = fields.Char("MD5", readonly=True, copy=False)
    checksum_sha256 = fields.Char("SHA-256", readonly=True, copy=False)
    released_date = fields.Datetime(readonly=True, copy=False)
    released_uid = fields.Many2one("res.users", "Released by", readonly=True, copy=False)
    is_current = fields.Boolean(compute="_compute_is_current")

    _document_name_unique = models.Constraint(
        "UNIQUE(document_id, name)", "A document has one revision of each label."
    )

    def _compute_file_size_human(self):
        for revision in self:
            size = revision.file_size or 0
            for unit in ("bytes", "KiB", "MiB", "GiB"):
                if size < 1024 or unit == "GiB":
                    break
                size /= 1024
            revision.file_size_human = f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"

    def _compute_is_current(self):
        for revision in self:
            revision.is_current = revision.document_id.current_revision_id == revision

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.update(self._file_facts(vals.get("file")))
        return super().create(vals_list)

    def write(self, vals):
        if "file" in vals:
            if self.filtered(lambda r: r.state != "draft"):
                raise UserError(self.env._("The file of a released or superseded revision cannot change."))
            vals.update(self._file_facts(vals["file"]))
        return super().write(vals)

    @api.model
    def _file_facts(self, value):
        if not value:
            return {"file_size": 0, "checksum_md5": False, "checksum_sha256": False}
        raw = base64.b64decode(value) if isinstance(value, str | bytes) else b""
        return {
            "file_size": len(raw),
            "checksum_md5": hashlib.md5(raw, usedforsecurity=False).hexdigest(),
            "checksum_sha256": hashlib.sha256(raw).hexdigest(),
        }

    def _file_attachment(self):
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "=", self.id), ("res_field", "=", "file")],
                limit=1,
            )
        )

    def _file_path(self):
        """Path of the file in the filestore (for streaming), or None."""
        self.ensure_one()
        return self._file_paths().get(self.id)

    def _file_paths(self):
        """{revision id: path of its file in the filestore} for these revisions, in one query
        (revisions whose file is not in the filestore are left out)."""
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .search_fetch(
                [("res_model", "=", self._name), ("res_id", "in", self.ids), ("res_field", "=", "file")],
                ["res_id", "store_fname"],
                order="id desc",  # the newest, as _file_attachment
            )
        )
        paths = {}
        for attachment in attachments:
            if attachment.store_fname and attachment.res_id not in paths:
                paths[attachment.res_id] = attachment._full_path(attachment.store_fname)
        return paths

    # --- portal downloads ----------------------------------------------------------------------

    @api.model
    def _bom_archive(self, bom):
        """The current documents of ``bom`` as the current user may download them, as one zip.

        The archive holds the current (latest released) revision of each document of the
        BOM that the user may read and whose file is in the filestore, one folder per
        document, every name made safe (``safe_file_name``) and unique. AccessError when
        the user may not read the BOM or its documents; no revisions when nothing is left."""
        bom.ensure_one()
        bom.check_access("read")
        documents = self.env["mrp.bom.document"].search([("bom_id", "=", bom.id)])
        revisions = self.search([("document_id", "in", documents.ids), ("state", "=", "released")])
        current = revisions.filtered(lambda r: r.document_id.current_revision_id == r and r.file_size)
        included = self.browse()
        members = []
        used = set()
        paths = current.sudo()._file_paths()  # revisions the user just read
        for revision in current:
            path = paths.get(revision.id)
            if not path or not os.path.isfile(path):
                _logger.warning("file of %s is missing from the filestore", revision.display_name)
                continue
            name = safe_file_name(revision.file_name or revision.display_name)
            folder = safe_file_name(revision.document_id.name)
            arcname = f"{folder}/{name}"
            while arcname in used:  # the same name twice in a folder: the ids tell them apart
                name = f"{revision.id}-{name}"
                arcname = f"{folder}/{name}"
            used.add(arcname)
            members.append((arcname, path))
            included |= revision
        return BomArchive(safe_file_name(bom.sudo().display_name) + ".zip", included, members)

    def _log_download(self, via="file", byte_range=None, ip_address=None):
        """Record that the current user downloaded these revisions (the portal's audit log:
        user, vendor, revision, date, address, range). AccessError, and nothing recorded,
        when the user may not read one of them."""
        self.check_access("read")
        user = self.env.user
        vendor = user.partner_id.commercial_partner_id if user._is_portal() else False
        return (
            self.env["mrp.bom.document.download"]
            .sudo()
            .create(
                [
                    {
                        "user_id": user.id,
                        "vendor_id": vendor.id if vendor else False,
                        "revision_id": revision.id,
                        "ip_address": ip_address,
                        "via": via,
                        "byte_range": byte_range,
                    }
                    for revision in self
                ]
            )
        )

    def action_release(self):
        for revision in self:
            if revision.state != "draft":
                raise UserError(
                    self.env._("Revision %(revision)s is not a draft.", revision=revision.display_name)
                )
            if not revision.file_size:
                raise UserError(
                    self.env._(
                        "Revision %(revision)s has no file; attach one before releasing it.",
                        revision=revision.display_name,
                    )
                )
        now = fields.Datetime.now()
        self.write({"state": "released", "released_date": now, "released_uid": self.env.uid})
        for revision in self.filtered(lambda r: not r.effective_date):
            revision.effective_date = fields.Date.context_today(self)
        # a date the portal filters on, kept by the system: document managers need not edit BOMs
        self.bom_id.sudo().write({"last_release_date": now})
        self._notify_vendors()
        return True

    def action_supersede(self):
        self.filtered(lambda r: r.state == "released").write({"state": "superseded"})
        return True

    def action_reset_to_draft(self):
        if self.filtered(lambda r: r.state != "superseded"):
            raise UserError(self.env._("Only superseded revisions go back to draft."))
        self.write({"state": "draft", "released_date": False, "released_uid": False})
        return True

    def _compute_display_name(self):
        for revision in self:
            revision.display_name = f"{revision.document_id.name} rev. {revision.name}"

    def _notify_vendors(self):
        """E-mail the portal users of vendors who asked for it and see the BOM."""
        template = self.env.ref("bom_vendor_portal.mail_template_revision_released", raise_if_not_found=False)
        if not template:
            return
        for revision in self:
            vendors = revision.bom_id.vendor_access_ids.filtered("bom_notify_revisions")
            users = vendors._bom_vendor_portal_users()
            for partner in users.partner_id.filtered("email"):
                template.with_context(recipient_partner=partner).send_mail(
                    revision.id,
                    email_values={"recipient_ids": [(6, 0, partner.ids)], "email_to": False},
                )

    # importing large files (ISO images) from the server's import folder
    @api.model
    def _import_root(self):
        root = self.env["ir.config_parameter"].sudo().get_param(IMPORT_ROOT_PARAM)
        if not root:
            raise UserError(
                self.env._(
                    "No import folder is configured (system parameter %(param)s).", param=IMPORT_ROOT_PARAM
                )
            )
        return os.path.realpath(root)

    def _import_file_from_server(self, relative_path):
        """Move a file from the import folder into the filestore as this revision's file,
        reading it once in chunks for its checksums (flat memory, any size)."""
        self.ensure_one()
        if not self.env.user.has_group("bom_vendor_portal.group_bom_document_manager"):
            raise UserError(self.env._("Only BOM document managers import files from the server."))
        if self.state != "draft":
            raise UserError(self.env._("The file of a released or superseded revision cannot change."))
        root = self._import_root()
        path = os.path.realpath(os.path.join(root, relative_path))
        if os.path.commonpath([root, path]) != root or not os.path.isfile(path):
            raise ValidationError(
                self.env._("%(path)s is not a file of the import folder.", path=relative_path)
            )
        sha1, md5, sha256 = (
            hashlib.sha1(usedforsecurity=False),
            hashlib.md5(usedforsecurity=False),
            hashlib.sha256(),
        )
        size = 0
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                sha1.update(chunk)
                md5.update(chunk)
                sha256.update(chunk)
                size += len(chunk)
        Attachment = self.env["ir.attachment"].sudo()
        checksum = sha1.hexdigest()
        fname = f"{checksum[:2]}/{checksum}"
        full_path = Attachment._full_path(fname)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        if os.path.exists(full_path):
            os.unlink(path)  # same content already stored
        else:
            Attachment._mark_for_gc(fname)  # collected if this transaction rolls back
            os.replace(path, full_path)
        self._file_attachment().unlink()
        name = os.path.basename(path)
        attachment = Attachment.create(
            {"name": name, "res_model": self._name, "res_id": self.id, "res_field": "file", "raw": b""}
        )
        mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        # the ORM computes these from the content it holds in memory; this content never is
        self.env.cr.execute(
            SQL(
                "UPDATE ir_attachment SET store_fname = %s, file_size = %s, checksum = %s, mimetype = %s "
                "WHERE id = %s",
                fname,
                size if size < 2**31 else None,  # an int4 column
                checksum,
                mimetype,
                attachment.id,
            )
        )
        attachment.invalidate_recordset()
        super().write(
            {
                "file_name": name,
                "file_size": size,
                "checksum_md5": md5.hexdigest(),
                "checksum_sha256": sha256.hexdigest(),
            }
        )
        _logger.info("imported %s (%d bytes) as %s", name, size, self.display_name)
        return True
