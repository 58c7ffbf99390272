"""HTTP front of the simulator: SOAP endpoints, authentication, caps, faults, admin API."""

import base64
import binascii
import json
import logging
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from . import changes, services
from .schema import WsdlSet
from .services.authentication import same_domain, split_domain
from .store import now_stamp
from .wire import PLATFORM_NS, Req, SoapFault, Unsupported, drop_nil, envelope, fault, parse_envelope

_logger = logging.getLogger("flexnet_simulator")

MAX_BODY = 8 * 1024 * 1024
FAULT_KINDS = (
    "http401",
    "http429",
    "http500",
    "http503",
    "delay",
    "malformed",
    "soap_fault",
    "failure",
    "partial_failure",
)


class Faults:
    """Faults armed through the admin API for the next N calls of an operation."""

    def __init__(self):
        self.lock = threading.Lock()
        self.armed = {}  # operation -> list of [kind, remaining, delay]

    def arm(self, operation, kind, count=1, delay=0.0, skip=0):
        """Fail the next ``count`` calls of ``operation`` after letting ``skip`` calls pass."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if operation != "*" and operation not in services.OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
        with self.lock:
            self.armed.setdefault(operation, []).append([kind, int(count), float(delay), int(skip)])

    def take(self, operation):
        with self.lock:
            for key in (operation, "*"):
                queue = self.armed.get(key)
                if queue:
                    entry = queue[0]
                    if entry[3] > 0:
                        entry[3] -= 1
                        return None, 0.0
                    entry[1] -= 1
                    if entry[1] <= 0:
                        queue.pop(0)
                    return entry[0], entry[2]
        return None, 0.0

    def clear(self):
        with self.lock:
            self.armed.clear()

    def snapshot(self):
        with self.lock:
            return {
                op: [{"fault": k, "remaining": n, "delay": d, "skip": s} for k, n, d, s in q]
                for op, q in self.armed.items()
                if q
            }


class Simulator:
    """Everything a request handler needs: the store, the credentials, the faults and, when a
    WSDL directory is known, the real service descriptions.

    ``wsdl_dir``: the folder of the real WSDLs; None takes ``FLEXNET_WSDL_DIR`` from the
    environment, ``""`` runs without (no validation, no ``?wsdl``).
    """

    def __init__(self, store, user="admin", password="admin", api_tokens=(), wsdl_dir=None):
        self.store = store
        self.user = user
        self.password = password
        self.api_tokens = set(api_tokens)
        self.faults = Faults()
        self.calls = {}
        self.calls_lock = threading.Lock()
        if wsdl_dir is None:
            wsdl_dir = os.environ.get("FLEXNET_WSDL_DIR", "")
        self.wsdl = WsdlSet(wsdl_dir) if wsdl_dir else None

    def describe_validation(self):
        if self.wsdl is None:
            return (
                "no WSDL directory (--wsdl-dir or FLEXNET_WSDL_DIR): requests are NOT validated against "
                "the FlexNet schemas and ?wsdl is not served"
            )
        return f"requests are validated against the WSDLs in {self.wsdl.directory} ({self.wsdl.describe()})"

    def count(self, operation):
        with self.calls_lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1

    def check_credentials(self, user, password):
        """The API user's name and password; a ``##domain`` suffix must name its own domain."""
        name, domain = split_domain(user)
        own_name, own_domain = split_domain(self.user)
        return (
            secrets.compare_digest(name, own_name)
            and same_domain(domain, own_domain)
            and secrets.compare_digest(password or "", self.password)
        )


class Handler(BaseHTTPRequestHandler):
    server_version = "FlexNetSimulator/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def sim(self):
        return self.server.simulator

    def log_message(self, format, *args):
        _logger.info("%s %s", self.address_string(), format % args)

    # --- helpers ------------------------------------------------------------------------

    def _send(self, code, body=b"", content_type="text/xml; charset=utf-8", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code, data):
        self._send(code, json.dumps(data, indent=1, default=str).encode(), "application/json")

    def _read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, b"bad Content-Length", "text/plain")
            return None
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413, f"request body over {MAX_BODY} bytes".encode(), "text/plain")
            return None
        return self.rfile.read(length)

    def _http_user(self):
        """Return the authenticated principal from HTTP headers, or None."""
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return user if self.sim.check_credentials(user, password) else None
        if scheme.lower() == "bearer":
            token = value.strip()
            if any(secrets.compare_digest(token, t) for t in self.sim.api_tokens):
                return "api-token"
        return None

    def _header_user(self, header):
        if header is None:
            return None
        user = header.findtext(f"{{{PLATFORM_NS}}}UserId")
        encoded = header.findtext(f"{{{PLATFORM_NS}}}UserPassword")
        if user is None or encoded is None:
            return None
        try:
            password = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if self.sim.check_credentials(user, password) else None

    def _unauthorized(self):
        self._send(
            401,
            b"authentication required",
            "text/plain",
            {"WWW-Authenticate": 'Basic realm="FlexNet Operations"'},
        )

    # --- SOAP -----------------------------------------------------------------------------

    def do_GET(self):
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/admin/"):
            return self._admin("GET", path)
        if path == "/health":
            return self._json(200, {"status": "ok"})
        if parts.query.lower() == "wsdl":
            return self._wsdl(path.rstrip("/"))
        self._send(404, b"not found", "text/plain")

    def _wsdl(self, path):
        """The service's WSDL, its address pointing at this simulator (no credentials needed,
        as for the WSDLs of a real site)."""
        wsdl = self.sim.wsdl
        if wsdl is None:
            return self._send(
                404,
                b"this FlexNet simulator was started without a WSDL directory (--wsdl-dir or "
                b"FLEXNET_WSDL_DIR): it has no WSDL to serve",
                "text/plain",
            )
        description = wsdl.by_path.get(path)
        if description is None:
            return self._send(404, f"no FlexNet service at {path}".encode(), "text/plain")
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        self._send(200, description.document(f"http://{host}"))

    def do_DELETE(self):
        path = urlsplit(self.path).path
        if path.startswith("/admin/"):
            return self._admin("DELETE", path)
        self._send(405, b"method not allowed", "text/plain")

    def do_POST(self):
        path = urlsplit(self.path).path
        if path.startswith("/admin/"):
            return self._admin("POST", path)
        route = services.ROUTES.get(path.rstrip("/"))
        if route is None:
            self._read_body()
            return self._send(404, b"no such FlexNet service", "text/plain")
        raw = self._read_body()
        if raw is None:
            return None
        ns, table = route
        try:
            header, payload = parse_envelope(raw)
        except SoapFault as exc:
            return self._send(500, fault(exc.code, str(exc)))
        user = self._http_user() or self._header_user(header)
        if user is None:
            return self._unauthorized()
        qname = etree.QName(payload)
        entry = table.get(qname.localname) if qname.namespace == ns else None
        if entry is None:
            return self._no_operation(path, ns, qname)
        operation, handler, response_name = entry
        self.sim.count(operation)
        kind, delay = self.sim.faults.take(operation)
        if kind == "http401":
            return self._unauthorized()
        if kind in ("http429", "http500", "http503"):
            code = int(kind[4:])
            return self._send(code, f"injected HTTP {code}".encode(), "text/plain")
        if kind == "delay":
            time.sleep(delay)
        if kind == "malformed":
            return self._send(200, b"<?xml version='1.0'?><soapenv:Envelope><broken")
        if kind == "soap_fault" or (kind == "failure" and operation not in services.STATUS_OPERATIONS):
            return self._send(500, fault("Server", f"injected fault in {operation}"))
        if kind == "failure":
            response = etree.Element(f"{{{ns}}}{response_name}", nsmap={"ns1": ns})
            info = etree.SubElement(response, f"{{{ns}}}statusInfo")
            etree.SubElement(info, f"{{{ns}}}status").text = "FAILURE"
            etree.SubElement(info, f"{{{ns}}}reason").text = f"injected FAILURE in {operation}"
            return self._send(200, envelope(response))
        try:
            description = self.sim.wsdl.by_namespace.get(ns) if self.sim.wsdl else None
            if description is not None:
                description.validate(payload)
        except SoapFault as exc:
            return self._send(500, fault(exc.code, str(exc)))
        except Exception:
            _logger.exception("simulator error validating %s", operation)
            return self._send(500, fault("Server", f"internal error in {operation}"))
        ctx = services.Context(self.sim.store, user, partial=kind == "partial_failure")
        store = self.sim.store
        with store.lock:
            store.db.execute("BEGIN IMMEDIATE")
            try:
                response = handler(ctx, Req(drop_nil(payload), ns))
            except SoapFault as exc:
                store.db.execute("ROLLBACK")
                return self._send(500, fault(exc.code, str(exc)))
            except Exception:
                store.db.execute("ROLLBACK")
                _logger.exception("simulator error in %s", operation)
                return self._send(500, fault("Server", f"internal error in {operation}"))
            store.db.execute("COMMIT")
        return self._send(200, envelope(response))

    def _no_operation(self, path, ns, qname):
        """An element this service does not answer: an operation of the real service that the
        simulator does not implement is said to be so."""
        description = self.sim.wsdl.by_namespace.get(ns) if self.sim.wsdl else None
        if description and qname.namespace == ns and qname.localname in description.operations:
            operation = description.operations[qname.localname][0]
            return self._send(
                500,
                fault(
                    Unsupported.code,
                    f"{operation} is an operation of {path} that the simulator does not implement",
                ),
            )
        return self._send(
            500,
            fault("Client", f"no operation for element {{{qname.namespace}}}{qname.localname} at {path}"),
        )

    # --- admin API ----------------------------------------------------------------------

    def _admin(self, method, path):
        body = self._read_body() if method in ("POST", "DELETE") else b""
        if body is None:
            return None
        if self._http_user() is None:
            return self._unauthorized()
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._json(400, {"error": "body is not JSON"})
        if not isinstance(data, dict):
            return self._json(400, {"error": "body must be a JSON object"})
        store = self.sim.store
        query = parse_qs(urlsplit(self.path).query)
        try:
            if path == "/admin/stats" and method == "GET":
                with store.lock:
                    counts = store.counts()
                return self._json(200, {"counts": counts, "calls": dict(self.sim.calls)})
            if path == "/admin/outbox" and method == "GET":
                conditions, params = [], []
                for key in ("entitlement_id", "kind", "user_name"):
                    if key in query:
                        conditions.append(f"{key} = ?")
                        params.append(query[key][0])
                where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
                with store.lock:
                    rows = store.db.execute(f"SELECT * FROM outbox{where} ORDER BY id", params).fetchall()
                return self._json(
                    200,
                    [dict(r, recipients=json.loads(r["recipients"]), cc=json.loads(r["cc"])) for r in rows],
                )
            if path == "/admin/faults":
                if method == "GET":
                    return self._json(200, self.sim.faults.snapshot())
                if method == "DELETE":
                    self.sim.faults.clear()
                    return self._json(200, {"cleared": True})
                self.sim.faults.arm(
                    data.get("operation", ""),
                    data.get("fault", ""),
                    data.get("count", 1),
                    data.get("delay", 0),
                    data.get("skip", 0),
                )
                return self._json(200, self.sim.faults.snapshot())
            if path == "/admin/touch" and method == "POST":
                return self._json(200, self._touch(data))
            if path == "/admin/delete" and method == "POST":
                return self._json(
                    200,
                    {
                        "kind": data.get("kind"),
                        "deleted": changes.delete(store, data.get("kind"), data.get("keys")),
                    },
                )
            if path == "/admin/update" and method == "POST":
                keys = changes.update(store, data.get("kind"), data.get("keys"), data.get("values"))
                return self._json(200, {"kind": data.get("kind"), "updated": keys})
            if path == "/admin/transfer" and method == "POST":
                keys = changes.transfer_lines(store, data.get("keys"), data.get("entitlement_id"))
                return self._json(200, {"kind": "line_items", "transferred": keys})
            if path == "/admin/api-tokens" and method == "POST":
                token = data.get("token") or secrets.token_urlsafe(24)
                self.sim.api_tokens.add(token)
                return self._json(200, {"token": token})
            if path == "/admin/calls" and method == "DELETE":
                with self.sim.calls_lock:
                    self.sim.calls.clear()
                return self._json(200, {"cleared": True})
        except (ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})
        return self._json(404, {"error": f"no admin endpoint {method} {path}"})

    def _touch(self, data):
        """Change some records (tests of incremental sync): seats of line items, names of accounts."""
        kind = data.get("kind", "line_items")
        count = int(data.get("count", 1))
        store = self.sim.store
        with store.lock:
            store.db.execute("BEGIN IMMEDIATE")
            stamp = store.stamp()
            if kind == "line_items":
                rows = store.db.execute(
                    "SELECT activation_id FROM line_items ORDER BY (id * 7919) % 1000003 LIMIT ?", (count,)
                ).fetchall()
                keys = [r[0] for r in rows]
                store.db.executemany(
                    "UPDATE line_items SET number_of_copies = number_of_copies + 1, modified = ? WHERE activation_id = ?",
                    [(stamp, k) for k in keys],
                )
            elif kind == "accounts":
                rows = store.db.execute(
                    "SELECT account_id FROM accounts ORDER BY account_id LIMIT ?", (count,)
                )
                keys = [r[0] for r in rows.fetchall()]
                store.db.executemany(
                    "UPDATE accounts SET name = name || ' *', modified = ? WHERE account_id = ?",
                    [(stamp, k) for k in keys],
                )
            elif kind == "users":
                rows = store.db.execute("SELECT user_name FROM users ORDER BY id LIMIT ?", (count,))
                keys = [r[0] for r in rows.fetchall()]
                store.db.executemany(
                    "UPDATE users SET last_login = ?, modified = ? WHERE user_name = ?",
                    [(now_stamp(), stamp, k) for k in keys],
                )
            else:
                store.db.execute("ROLLBACK")
                raise ValueError(f"unknown kind {kind!r}: line_items, accounts or users")
            store.db.execute("COMMIT")
        return {"kind": kind, "modified": stamp, "keys": keys}


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, simulator):
        super().__init__(address, Handler)
        self.simulator = simulator

    def handle_error(self, request, client_address):
        """A client that gave up (timeout) is no error of the server's."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            _logger.info("client %s went away before the answer", client_address[0])
            return
        super().handle_error(request, client_address)


def serve(simulator, host="127.0.0.1", port=0):
    """Start serving in a background thread; returns the server (``server.server_address``)."""
    server = SimulatorServer((host, port), simulator)
    thread = threading.Thread(target=server.serve_forever, name="flexnet-simulator", daemon=True)
    thread.start()
    return server
