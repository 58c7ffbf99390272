"""A file server with Range support and a switch to corrupt or cut its answers, and a stand-in
for Odoo's job API."""

import base64
import http.server
import threading

import pytest


class FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = {}
        self.requests = []
        self.cut_after = None  # bytes sent before the connection drops (once)
        self.wrong_range = False  # answer a range request from the start of the file (once)

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        server.requests.append((self.path, self.headers.get("Range"), self.headers.get("Authorization")))
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
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if server.cut_after is not None:
            cut, server.cut_after = server.cut_after, None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture
def file_server():
    server = FileServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class FakeApi:
    """The station's side of the job API, recording what the station reports (no Odoo)."""

    def __init__(self):
        self.reports = []
        self.label = b"%PDF-1.4 label rendered by Odoo"
        self.label_requests = 0

    def heartbeat(self, job_ids=(), lease_seconds=900):
        return list(job_ids)

    def progress(self, job_id, state, message=""):
        self.reports.append(("progress", job_id, state))

    def success(self, job_id, *, copies, serials, checksums_verified, discs, image_md5):
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

    def failure(self, job_id, reason, log=""):
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
