#!/usr/bin/env bash
# Install the project's Python requirements (never Odoo itself) once Odoo is known to be there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_odoo
stamp="$ROOT/.artifacts/requirements.stamp"
mkdir -p "$ROOT/.artifacts"
if [ -f "$stamp" ] && [ "$stamp" -nt "$ROOT/requirements.txt" ]; then
    exit 0
fi
if "$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt"; then
    touch "$stamp"
else
    die "pip could not install requirements.txt"
fi
