"""Shoppers for bench_load_shop.py, run by Locust's library API in the benchmarks' own
virtualenv (never next to Odoo): ``python _locust_shop.py SETTINGS.json RESULTS.json``.

Each simulated customer is a signed-in portal member with a session on each of the two
websites (the gated one and the ungated one, told apart by the Host header); every task picks
one of the two at random, so both see the same customers and the same machine noise. Tasks:
browse a page of /shop, search, open a product page linked from what the customer saw on
that website, add a product whose page the customer opened there to the cart. On the gated
website the customer also tries, now and then, to add a product the account is not entitled
to straight through /shop/cart/add (a "probe": it must be refused; not part of the latency
comparison).

Signing in is not measured. At most ``sign_in_at_once`` customers sign in at the same time (the
server's HTTP workers): customers do not all press "Sign in" within the same three seconds,
and 60 of them doing so against a prefork server whose listen backlog is 8 connections per
worker left a third of them with no connection at all (the kernel drops the SYNs of a full
accept queue; the client gives up after its SYN retries, ~127 s), so that they then posted
the sign-in form without its CSRF token and got HTTP 400. A customer whose sign-in fails is
reported with the reason (the sign-in page or the form's answer) and stops: no anonymous
browsing is measured in their name. Those signed in wait for the others before they browse
(their browsing would only slow the other sign-ins down; none of it is measured).

Response times are recorded from the moment every customer has signed in on both websites,
after a warm-up (``warm_up`` seconds), for ``duration`` seconds; RESULTS.json gets, per request
name, the response times (ms) and the failures.
"""

import json
import random
import re
import sys
import time

import gevent
from gevent.event import Event
from gevent.lock import BoundedSemaphore
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.env import Environment
from locust.exception import StopUser

SETTINGS = json.loads(open(sys.argv[1], encoding="utf-8").read()) if __name__ == "__main__" else {}
PRODUCT_LINK = re.compile(r'href="(/shop/[a-z0-9-]+-(\d+))"')
PRODUCT_ID = re.compile(r'name="product_id"\s+value="(\d+)"|value="(\d+)"\s+name="product_id"')
TEMPLATE_ID = re.compile(r'name="product_template_id"\s+value="(\d+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

state = {"measuring": False, "signed_in": 0, "sign_in_failures": [], "times": {}, "failures": {}}
SIGNING_IN = BoundedSemaphore(SETTINGS.get("sign_in_at_once", 4))
ALL_SIGNED_IN = Event()


@events.request.add_listener
def record(request_type, name, response_time, response_length, exception=None, **kwargs):
    if not state["measuring"]:
        return
    state["times"].setdefault(name, []).append(response_time)
    if exception is not None:
        failures = state["failures"].setdefault(name, {})
        text = str(exception)[:200]
        failures[text] = failures.get(text, 0) + 1


class Shopper(HttpUser):
    wait_time = between(*SETTINGS.get("wait", (2, 6)))
    customers = iter(SETTINGS.get("customers", []))

    def on_start(self):
        self.customer = next(Shopper.customers)
        self.sites = {}
        for site, host in SETTINGS["sites"].items():
            session = HttpSession(self.host, self.environment.events.request, user=self)
            session.headers["Host"] = host
            self.sites[site] = {"session": session, "products": [], "variants": []}
            with SIGNING_IN:
                failure = self._sign_in(site, session)
            if failure:
                state["sign_in_failures"].append(f"{self.customer['login']} on {site}: {failure}")
                raise StopUser()
        state["signed_in"] += 1
        ALL_SIGNED_IN.wait()

    def _sign_in(self, site, session):
        """Sign in on one website; None, or why it failed."""
        page = session.get("/web/login", name=f"{site} sign-in page")
        token = CSRF.search(page.text or "")
        if not token:
            answered = ", no CSRF token in it" if page.status_code == 200 else ""
            return f"sign-in page: {self._why(page)}{answered}"
        response = session.post(
            "/web/login",
            data={
                "login": self.customer["login"],
                "password": self.customer["password"],
                "csrf_token": token.group(1),
                "redirect": "/shop",
            },
            name=f"{site} sign-in",
        )
        if response.status_code != 200:
            return f"sign-in: {self._why(response)}"
        if "/web/login" in response.url:
            return "sign-in: the login form again (credentials refused)"
        return None

    @staticmethod
    def _why(response):
        if response.error is not None:  # no answer: ConnectTimeout, ConnectionError, ...
            return type(response.error).__name__
        return f"HTTP {response.status_code}"

    def _site(self):
        name = random.choice(list(self.sites))
        return name, self.sites[name]

    def _remember_products(self, site, text):
        links = [link for link, _id in PRODUCT_LINK.findall(text or "")]
        if links:
            site["products"] = list(dict.fromkeys(links + site["products"]))[:60]

    @task(3)
    def browse(self):
        name, site = self._site()
        page = random.randint(1, SETTINGS.get("pages", 5))
        response = site["session"].get(f"/shop/page/{page}" if page > 1 else "/shop", name=f"{name} /shop")
        self._remember_products(site, response.text)

    @task(2)
    def search(self):
        name, site = self._site()
        term = random.choice(SETTINGS["searches"])
        response = site["session"].get("/shop", params={"search": term}, name=f"{name} search")
        self._remember_products(site, response.text)

    @task(3)
    def product_page(self):
        name, site = self._site()
        if not site["products"]:
            return self.browse()
        response = site["session"].get(random.choice(site["products"]), name=f"{name} product page")
        text = response.text or ""
        variant, template = PRODUCT_ID.search(text), TEMPLATE_ID.search(text)
        if variant and template:
            pair = (int(template.group(1)), int(variant.group(1) or variant.group(2)))
            site["variants"] = list(dict.fromkeys([pair, *site["variants"]]))[:20]
        return None

    @task(1)
    def add_to_cart(self):
        name, site = self._site()
        if not site["variants"]:
            return self.product_page()
        template_id, product_id = random.choice(site["variants"])
        with site["session"].post(
            "/shop/cart/add",
            json=self._rpc(template_id, product_id),
            name=f"{name} add to cart",
            catch_response=True,
        ) as response:
            answer = self._json(response)
            if answer is None or "error" in answer:
                response.failure(f"cart refused an entitled product: {str(answer)[:150]}")
        return None

    @task(1)
    def probe(self):
        """Try to add a product the account is not entitled to, on the gated website."""
        site = self.sites.get("gated")
        forbidden = SETTINGS["forbidden"].get(str(self.customer["account"]))
        if not site or not forbidden:
            return
        template_id, product_id = random.choice(forbidden)
        with site["session"].post(
            "/shop/cart/add",
            json=self._rpc(template_id, product_id),
            name="probe: gated add to cart, not entitled",
            catch_response=True,
        ) as response:
            answer = self._json(response)
            if answer is None or "error" not in answer:
                response.failure("a product the account is not entitled to went into the cart")
            else:
                response.success()

    @staticmethod
    def _rpc(template_id, product_id):
        return {
            "jsonrpc": "2.0",
            "method": "call",
            "id": random.randint(1, 10**9),
            "params": {"product_template_id": template_id, "product_id": product_id, "quantity": 1},
        }

    @staticmethod
    def _json(response):
        try:
            return response.json()
        except ValueError:
            return None


def main():
    results_path = sys.argv[2]
    users = len(SETTINGS["customers"])
    env = Environment(user_classes=[Shopper], host=SETTINGS["base"], events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=SETTINGS.get("spawn_rate", 20))
    timeout = SETTINGS.get("sign_in_timeout", 240)
    deadline = time.monotonic() + timeout
    while state["signed_in"] + len(state["sign_in_failures"]) < users and time.monotonic() < deadline:
        gevent.sleep(0.5)
    signed_in = state["signed_in"]
    pending = users - signed_in - len(state["sign_in_failures"])
    if pending > 0:
        state["sign_in_failures"].insert(0, f"{pending} still signing in after {timeout:g} s")
    ALL_SIGNED_IN.set()
    # every worker has loaded the registry, rendered the pages once, filled its caches
    gevent.sleep(SETTINGS.get("warm_up", 20))
    state["measuring"] = True
    began = time.monotonic()
    gevent.sleep(SETTINGS["duration"])
    state["measuring"] = False
    measured = time.monotonic() - began
    runner.quit()
    with open(results_path, "w", encoding="utf-8") as out:
        json.dump(
            {
                "users": users,
                "signed_in": signed_in,
                "sign_in_failures": state["sign_in_failures"][:10],
                "seconds": measured,
                "times": state["times"],
                "failures": state["failures"],
            },
            out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
