#!/usr/bin/env bash
# Install the project's Python requirements next to Odoo (never Odoo itself). Odoo's own pinned
# versions are kept: its requirements.txt, when the installed Odoo has one, is used as pip's
# constraints, so a package of ours cannot upgrade a library Odoo pins (lxml, requests, urllib3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_odoo
constraints=$(odoo_requirements)
mkdir -p "$ROOT/.artifacts"
stamp="$ROOT/.artifacts/requirements.stamp"
key=$({ "$PYTHON" -c 'import sys; print(sys.executable)'; cat "$ROOT/requirements.txt"; [ -n "$constraints" ] && cat "$constraints"; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && (require_project_deps) 2>/dev/null; then
    exit 0
fi
args=(-r "$ROOT/requirements.txt")
if [ -n "$constraints" ]; then
    args+=(-c "$constraints")
    info "installing requirements.txt (Odoo's pinned versions kept: $constraints)"
else
    info "installing requirements.txt (this Odoo has no requirements.txt: nothing pinned)"
fi
"$PYTHON" -m pip install --quiet --disable-pip-version-check "${args[@]}" || die "pip could not install requirements.txt"
require_project_deps
echo "$key" >"$stamp"
