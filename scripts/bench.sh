#!/usr/bin/env bash
# make bench: run every benchmark script; Odoo benchmarks get a database of their own.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_odoo
require_project_deps
ensure_postgres
export BENCH_DB="${BENCH_DB:-flexnet_bench}"
if [ -z "$(psql_cmd -tAc "SELECT 1 FROM pg_database WHERE datname='$BENCH_DB'")" ]; then
    info "creating benchmark database $BENCH_DB"
    mapfile -t dbargs < <(odoo_db_args)
    "$PYTHON" -m odoo server "${dbargs[@]}" -d "$BENCH_DB" --addons-path "$PROJECT_ADDONS" \
        -i "$ALL_ADDONS" --stop-after-init --workers 0 --logfile "$ROOT/.artifacts/bench-install.log" \
        || die "could not create $BENCH_DB; see .artifacts/bench-install.log"
else
    info "updating the addons in $BENCH_DB"
    mapfile -t dbargs < <(odoo_db_args)
    "$PYTHON" -m odoo server "${dbargs[@]}" -d "$BENCH_DB" --addons-path "$PROJECT_ADDONS" \
        -u "$ALL_ADDONS" --stop-after-init --workers 0 --logfile "$ROOT/.artifacts/bench-install.log" \
        || die "could not update $BENCH_DB; see .artifacts/bench-install.log"
fi
export DB_HOST DB_PORT DB_USER DB_PASSWORD
mkdir -p "$ROOT/.artifacts"
# Locust (bench_load_shop.py) lives in a virtualenv of its own: it brings Flask, Werkzeug and
# gevent versions other than those Odoo pins. Made once, again when its requirements change.
BENCH_VENV="$ROOT/.artifacts/bench-venv"
LOAD_REQUIREMENTS="$ROOT/tests/benchmarks/requirements-load.txt"
export BENCH_LOCUST_PYTHON="$BENCH_VENV/bin/python"
if ! cmp -s "$LOAD_REQUIREMENTS" "$BENCH_VENV/requirements-load.txt"; then
    info "installing Locust into $BENCH_VENV"
    rm -rf "$BENCH_VENV"
    if "$PYTHON" -m venv "$BENCH_VENV" >"$ROOT/.artifacts/bench-venv.log" 2>&1 \
        && "$BENCH_VENV/bin/pip" install -r "$LOAD_REQUIREMENTS" >>"$ROOT/.artifacts/bench-venv.log" 2>&1; then
        cp "$LOAD_REQUIREMENTS" "$BENCH_VENV/requirements-load.txt"
    else
        echo "WARNING: Locust could not be installed into $BENCH_VENV (see .artifacts/bench-venv.log): the shop load benchmark will fail" >&2
    fi
fi
export BENCH_RESULTS="$ROOT/.artifacts/bench-results.jsonl"
rm -f "$BENCH_RESULTS"
rc=0
for bench in "$ROOT"/tests/benchmarks/bench_${BENCH_ONLY:-*}.py; do
    info "$(basename "$bench")"
    "$PYTHON" -u "$bench" || rc=1
done
echo
info "summary"
"$PYTHON" "$ROOT/scripts/bench_table.py" "$BENCH_RESULTS" || rc=1
exit $rc
