"""The job API of media_production, over Odoo 19's JSON-2 API (default) or XML-RPC."""

import logging
import time
import xmlrpc.client

import requests

from .errors import OdooUnavailable, StationError

_logger = logging.getLogger(__name__)

MODEL = "media.production.job"


class _Api:
    retries = 5
    backoff = 1.0

    def _retry(self, method, **params):
        delay = self.backoff
        for attempt in range(1, self.retries + 1):
            try:
                return self._call(method, **params)
            except (requests.ConnectionError, requests.Timeout, ConnectionError, OSError) as exc:
                if attempt == self.retries:
                    raise OdooUnavailable(
                        f"{method}: Odoo unreachable after {attempt} attempts ({exc})"
                    ) from exc
                _logger.warning("%s: Odoo unreachable (%s); retry in %.0f s", method, exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 60)

    def __init__(self):
        # the lease of every job this station claimed and still holds: {job id: lease}
        self.leases = {}

    def _lease(self, job_id):
        return self.leases.get(job_id)

    def lease(self, job_id):
        """The lease this station holds on job ``job_id``, or None."""
        return self._lease(job_id)

    def claim(self, station, limit=1, lease_seconds=900):
        packages = self._retry("station_claim", station=station, limit=limit, lease_seconds=lease_seconds)
        for package in packages:
            self.leases[package["id"]] = package.get("lease")
        return packages

    def package(self, job_id):
        return self._retry("station_package", job_id=job_id)

    def heartbeat(self, job_ids=(), lease_seconds=900):
        held = {str(job_id): self._lease(job_id) for job_id in job_ids if self._lease(job_id)}
        return self._retry("station_heartbeat", leases=held, lease_seconds=lease_seconds)

    def progress(self, job_id, state, message=""):
        return self._retry(
            "station_progress", job_id=job_id, state=state, message=message, lease=self._lease(job_id)
        )

    def success(self, job_id, *, copies, serials, checksums_verified, discs, image_md5, lease=None):
        """The robot produced ``copies`` discs: ``discs`` is one ``{"serial", "verified"}`` per
        disc (``verified`` true when the robot verified it against the image, null when nothing
        verified it), ``image_md5`` the
        MD5 of the image sent to the robot ("" for folder media), ``serials`` their serials,
        ``checksums_verified`` whether every staged file matched its MD5; ``lease``: the lease
        to send, when not the one this station holds now (a report kept over a restart)."""
        result = self._retry(
            "station_report_success",
            job_id=job_id,
            copies=copies,
            serials=list(serials),
            checksums_verified=bool(checksums_verified),
            lease=lease or self._lease(job_id),
            discs=[
                {
                    "serial": str(d["serial"]),
                    "verified": None if d["verified"] is None else bool(d["verified"]),
                }
                for d in discs
            ],
            image_md5=image_md5,
        )
        self.leases.pop(job_id, None)
        return result

    def failure(self, job_id, reason, log="", lease=None):
        result = self._retry(
            "station_report_failure",
            job_id=job_id,
            reason=reason,
            log=log,
            lease=lease or self._lease(job_id),
        )
        self.leases.pop(job_id, None)
        return result

    def label_pdf(self, job_id):
        return self._retry("station_label_pdf", job_id=job_id)

    def release(self, job_ids):
        held = {str(job_id): self._lease(job_id) for job_id in job_ids if self._lease(job_id)}
        result = self._retry("station_release", leases=held)
        for job_id in job_ids:
            self.leases.pop(job_id, None)
        return result


class Json2Api(_Api):
    """``POST /json/2/media.production.job/<method>`` with the API key as bearer token."""

    def __init__(self, url, db, key, session=None, timeout=60):
        super().__init__()
        self.url, self.db, self.timeout = url.rstrip("/"), db, timeout
        self.session = session or requests.Session()
        self.headers = {"Authorization": f"bearer {key}", "X-Odoo-Database": db}

    def _call(self, method, **params):
        response = self.session.post(
            f"{self.url}/json/2/{MODEL}/{method}", json=params, headers=self.headers, timeout=self.timeout
        )
        if response.status_code == 200:
            return response.json()
        try:
            message = response.json().get("message") or response.text
        except ValueError:
            message = response.text
        raise StationError(f"{method}: HTTP {response.status_code}: {message[:500]}")


class XmlRpcApi(_Api):
    """``/xmlrpc/2/object`` ``execute_kw`` with the station user's login and API key."""

    def __init__(self, url, db, key, login, transport=None):
        super().__init__()
        self.db, self.key = db, key
        url = url.rstrip("/")
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common", transport=transport, allow_none=True)
        self.uid = common.authenticate(db, login, key, {})
        if not self.uid:
            raise StationError(f"XML-RPC: {login} could not authenticate with this API key")
        self.models = xmlrpc.client.ServerProxy(
            f"{url}/xmlrpc/2/object", transport=transport, allow_none=True
        )

    def _call(self, method, **params):
        try:
            return self.models.execute_kw(self.db, self.uid, self.key, MODEL, method, [], params)
        except xmlrpc.client.Fault as fault:
            raise StationError(f"{method}: {fault.faultString.strip().splitlines()[-1][:500]}") from fault
