#!/usr/bin/env bash
# make lint: ruff (style, imports) and pylint-odoo with OCA's mandatory checks.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
rc=0
for tool in ruff pylint; do
    command -v "$tool" >/dev/null 2>&1 || { echo "ERROR: $tool is missing: pip install -r requirements.txt" >&2; exit 2; }
done
echo "==> ruff check"
ruff check . || rc=1
echo "==> ruff format --check"
ruff format --check . || rc=1
echo "==> addon READMEs"
"$PYTHON" scripts/gen_readme.py --check || rc=1
echo "==> pylint-odoo (OCA mandatory checks)"
mapfile -t addons < <(find addons -mindepth 2 -maxdepth 2 -name __manifest__.py -printf '%h\n' | sort)
pylint --rcfile=.pylintrc-mandatory "${addons[@]}" || rc=1
[ "$rc" = 0 ] && echo "lint: OK" || echo "lint: FAILED" >&2
exit $rc
