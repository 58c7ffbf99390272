"""python -m flexnet_simulator --host 127.0.0.1 --port 8780 [--data FILE] [--demo | --generate N] [--wsdl-dir DIR]"""

import argparse
import logging
import os
import signal
import sys
import time

from lxml import etree

from .data import generate, load_demo
from .server import Simulator, SimulatorServer
from .store import Store


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m flexnet_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8780)
    parser.add_argument(
        "--data", default=":memory:", help="SQLite file that keeps the state (default: in memory)"
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--demo", action="store_true", help="load the demo vendor when the data file is empty")
    group.add_argument(
        "--generate", type=int, metavar="N", help="load N generated entitlement lines when empty"
    )
    parser.add_argument("--user", default=os.environ.get("FLEXNET_SIM_USER"))
    parser.add_argument("--password", default=os.environ.get("FLEXNET_SIM_PASSWORD"))
    parser.add_argument(
        "--api-token", action="append", default=[], help="accept this Bearer token (repeatable)"
    )
    parser.add_argument(
        "--wsdl-dir",
        default=os.environ.get("FLEXNET_WSDL_DIR", ""),
        help="folder of the real FlexNet WSDLs: requests are validated against them and each is served at "
        "<service path>?wsdl (default: $FLEXNET_WSDL_DIR; without one, neither)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if (args.user is None) != (args.password is None):
        parser.error("give both --user and --password, or neither")
    if args.user is None:
        if not (args.demo or args.generate):
            parser.error("--user and --password are required unless --demo or --generate is given")
        args.user, args.password = "admin", "admin"
    store = Store(args.data)
    if store.is_empty():
        started = time.monotonic()
        if args.demo:
            load_demo(store)
        elif args.generate:
            generate(store, args.generate)
        if args.demo or args.generate:
            logging.info("loaded %s in %.1f s", store.counts(), time.monotonic() - started)
    try:
        simulator = Simulator(store, args.user, args.password, args.api_token, wsdl_dir=args.wsdl_dir)
    except (OSError, ValueError, etree.Error) as exc:
        parser.error(f"--wsdl-dir: {exc}")
    server = SimulatorServer((args.host, args.port), simulator)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"FlexNet simulator on http://{args.host}:{server.server_address[1]}/flexnet/services/", flush=True)
    print(simulator.describe_validation(), flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
