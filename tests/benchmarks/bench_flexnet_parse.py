#!/usr/bin/env python3
"""Typed parse of a 2,000-record getEntitlementLineItemPropertiesQuery page versus a bare
``lxml.etree.fromstring`` of the same bytes, measured in one run. Goal: ratio <= 3.

Run: python3 tests/benchmarks/bench_flexnet_parse.py
"""

import pathlib
import statistics
import sys
import time

import requests
from lxml import etree

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "addons" / "flexnet_sync"), str(pathlib.Path(__file__).parent)]

from _bench_common import report  # noqa: E402
from flexnet_client import BasicAuth, FlexNetClient  # noqa: E402
from flexnet_client.client import LINE_ITEM_TAG, _line_item  # noqa: E402
from flexnet_client.transport import SOAP_ENV  # noqa: E402

from flexnet_simulator import Simulator, Store, serve  # noqa: E402
from flexnet_simulator.data import generate  # noqa: E402

PAGE = 2000
GOAL = 3.0


def fetch_page():
    """One real page as the simulator sends it, captured from the wire."""
    store = Store()
    generate(store, PAGE)
    server = serve(Simulator(store), "127.0.0.1", 0)
    try:
        captured = []
        session = requests.Session()
        session.hooks["response"].append(lambda r, *a, **k: captured.append(r.content))
        url = "http://{}:{}".format(*server.server_address)
        client = FlexNetClient(url, BasicAuth("admin", "admin"), session=session, page_size=PAGE)
        lines = next(client.iter_line_item_pages())
        assert len(lines) == PAGE
        return captured[0]
    finally:
        server.shutdown()


def typed_parse(raw):
    root = etree.fromstring(raw)
    body = root.find(f"{{{SOAP_ENV}}}Body")[0]
    return [_line_item(el) for el in body if el.tag == LINE_ITEM_TAG]


def interleaved(raw, rounds):
    """Time both parses alternately, so that drift of a shared machine hits both alike."""
    bare, typed = [], []
    for _ in range(rounds):
        for func, times in ((etree.fromstring, bare), (typed_parse, typed)):
            start = time.perf_counter()
            func(raw)
            times.append(time.perf_counter() - start)
    return statistics.median(bare), statistics.median(typed)


def main():
    raw = fetch_page()
    assert len(typed_parse(raw)) == PAGE
    bare_median, typed_median = interleaved(raw, 40)
    ratio = typed_median / bare_median
    print(f"page: {PAGE} line items, {len(raw) / 1e6:.2f} MB")
    print(
        f"bare lxml.etree.fromstring: {PAGE / bare_median:12,.0f} records/s (median {bare_median * 1e3:.1f} ms)"
    )
    print(
        f"client typed parse:         {PAGE / typed_median:12,.0f} records/s (median {typed_median * 1e3:.1f} ms)"
    )
    report("FlexNet typed parse / bare lxml", f"<= {GOAL:g}", f"{ratio:.2f}", ratio <= GOAL)
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
