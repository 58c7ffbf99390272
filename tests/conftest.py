"""Shared pytest set-up: the project's packages on the path, the FlexNet schemas."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "addons" / "flexnet_sync"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
