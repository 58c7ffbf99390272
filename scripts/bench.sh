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
