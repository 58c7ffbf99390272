"""python -m flexnet_simulator --host 127.0.0.1 --port 8780 [--data FILE] [--demo | --generate N]"""

import argparse
import logging
import os
import signal
import sys
import time

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
    simulator = Simulator(store, args.user, args.password, args.api_token)
    server = SimulatorServer((args.host, args.port), simulator)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"FlexNet simulator on http://{args.host}:{server.server_address[1]}/flexnet/services/", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
