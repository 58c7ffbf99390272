"""A file server with Range support and a switch to corrupt or cut its answers, and a stand-in
for Odoo's job API."""

import base64
import gzip
import http.server
import threading

import pytest

from media_station.errors import OdooUnavailable, StationError


class FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = {}
        self.redirects = {}  # path: the location it redirects to (302)
        self.requests = []
        self.connections = []  # the client address of each request (one per kept-alive connection)
        self.cut_after = None  # bytes sent before the connection drops (once)
        self.stall_after = None  # bytes sent before the answer stalls until the test ends (once)
        self.released = threading.Event()
        self.wrong_range = False  # answer a range request from the start of the file (once)
        self.chunked = False  # bodies in chunked transfer coding, without Content-Length
        self.gzip = False  # bodies gzip-compressed (Content-Encoding: gzip)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # connections kept alive between requests
    chunk = 65536

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range"), self.headers.get("Authorization")))
        server.connections.append(self.client_address)
        if location := server.redirects.get(self.path):
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = server.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        status = 200
        if rng := self.headers.get("Range"):
            start = int(rng.split("=")[1].split("-")[0])
            status = 206
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if server.wrong_range:
                start, server.wrong_range = 0, False
        body = data[start:]
        if server.gzip:
            body = gzip.compress(body)
        self.send_response(status)
        if server.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        if server.gzip:
            self.send_header("Content-Encoding", "gzip")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if server.cut_after is not None:
            cut, server.cut_after = server.cut_after, None
            self._send(body[:cut], last=False)
            self.connection.shutdown(2)
            self.close_connection = True
            return
        if server.stall_after is not None:
            stall, server.stall_after = server.stall_after, None
            self._send(body[:stall], last=False)
            server.released.wait(30)
            self.connection.shutdown(2)
            self.close_connection = True
            return
        self._send(body)

    def _send(self, body, last=True):
        if not self.server.chunked:
            self.wfile.write(body)
        else:
            for position in range(0, len(body), self.chunk):
                part = body[position : position + self.chunk]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            if last:
                self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


@pytest.fixture
def file_server():
    server = FileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.released.set()
    server.shutdown()
    server.server_close()


class FakeApi:
    """The station's side of the job API, recording what the station reports (no Odoo)."""

    def __init__(self):
        self.reports = []
        self.label = b"%PDF-1.4 label rendered by Odoo"
        self.label_requests = 0
        self.released = []
        self.claims = 1  # how many times the job was claimed
        self.states = {}  # job id: its state in Odoo, for station_package
        self.unreachable = 0  # the next reports that find Odoo unreachable
        self.expired = set()  # leases that ran out: reports sent with them are refused (HTTP 403)
        self.queue = []  # packages the next claim returns
        self.leases_sent = []  # (job id, the lease a report was sent with)

    def claim(self, station, limit=1, lease_seconds=900):
        packages, self.queue = self.queue[:limit], self.queue[limit:]
        if packages:
            self.claims += 1  # a new lease
        return packages

    def lease(self, job_id):
        """The lease of the station's current claim on the job."""
        return f"lease-{job_id}-{self.claims}"

    def _reach(self, method, job_id, lease):
        lease = lease or self.lease(job_id)
        if lease in self.expired:
            raise StationError(f"{method}: HTTP 403: This station does not hold the lease of job {job_id}")
        self.leases_sent.append((job_id, lease))
        if self.unreachable:
            self.unreachable -= 1
            raise OdooUnavailable(f"{method}: Odoo unreachable after 5 attempts (connection refused)")

    def release(self, job_ids):
        self.released.extend(job_ids)
        return list(job_ids)

    def package(self, job_id):
        return {"id": job_id, "state": self.states.get(job_id, "queued")}

    def heartbeat(self, job_ids=(), lease_seconds=900):
        return [job_id for job_id in job_ids if self.lease(job_id) not in self.expired]

    def progress(self, job_id, state, message=""):
        self.reports.append(("progress", job_id, state))

    def success(self, job_id, *, copies, serials, checksums_verified, discs, image_md5, lease=None):
        self._reach("station_report_success", job_id, lease)
        self.reports.append(
            (
                "success",
                job_id,
                {
                    "copies": copies,
                    "serials": list(serials),
                    "checksums_verified": checksums_verified,
                    "discs": discs,
                    "image_md5": image_md5,
                },
            )
        )

    def failure(self, job_id, reason, log="", lease=None):
        self._reach("station_report_failure", job_id, lease)
        self.reports.append(("failure", job_id, {"reason": reason, "log": log}))

    def label_pdf(self, job_id):
        self.label_requests += 1
        return base64.b64encode(self.label).decode()

    def final(self):
        """The last success or failure report."""
        return next(r for r in reversed(self.reports) if r[0] in ("success", "failure"))


@pytest.fixture
def fake_api():
    return FakeApi()
