#!/usr/bin/env bash
# make test: a throw-away database with all five addons installed with their tests,
# then the pure-Python tests (client, simulator, station, end-to-end story), then one verdict.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
require_project_deps
ensure_postgres

ARTIFACTS="${TEST_ARTIFACTS:-$ROOT/.artifacts}"
mkdir -p "$ARTIFACTS"
DB="${TEST_DB:-flexnet_test_$(date +%s)_$$}"
LOG="$ARTIFACTS/odoo-test.log"
JUNIT="$ARTIFACTS/pytest.xml"
ADDONS="${TEST_ADDONS:-$ALL_ADDONS}"
TAGS="${TEST_TAGS:-$(echo "$ADDONS" | sed 's#\([a-z_]*\)#/\1#g')}"
rm -f "$LOG" "$JUNIT"

cleanup() { psql_cmd -c "DROP DATABASE IF EXISTS \"$DB\"" >/dev/null 2>&1 || true; }
[ -z "${KEEP_DB:-}" ] && trap cleanup EXIT

http_port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
info "Odoo: installing $ADDONS with tests into database $DB (log: $LOG)"
mapfile -t dbargs < <(odoo_db_args)
"$PYTHON" -m odoo server "${dbargs[@]}" -d "$DB" \
    --addons-path "$PROJECT_ADDONS" \
    --load base,web,queue_job \
    -i "$ADDONS" --with-demo --test-enable --test-tags "$TAGS" \
    --stop-after-init --workers 0 --max-cron-threads 0 \
    --http-interface 127.0.0.1 --http-port "$http_port" \
    --log-level "${ODOO_LOG_LEVEL:-test}" --logfile "$LOG"
odoo_rc=$?
[ "$odoo_rc" = 0 ] || echo "Odoo exited with status $odoo_rc" >&2
grep -E " (ERROR|CRITICAL) | FAIL: " "$LOG" | head -40

# the end-to-end story (tests/e2e) runs an Odoo server on the database just installed
if [ "$odoo_rc" = 0 ] && [ "$ADDONS" = "$ALL_ADDONS" ]; then
    export E2E_DB="$DB"
else
    unset E2E_DB
fi
info "pytest: client, simulator, station, end-to-end and cross-addon tests"
"$PYTHON" -m pytest -q -p no:cacheprovider --junitxml "$JUNIT" ${PYTEST_ARGS:-}
pytest_rc=$?
# pytest exits 5 when it collected nothing: the report below says so
[ "$pytest_rc" = 0 ] || [ "$pytest_rc" = 5 ] || echo "pytest exited with status $pytest_rc" >&2

echo
"$PYTHON" "$ROOT/scripts/test_report.py" --odoo-log "$LOG" --junit "$JUNIT"
report_rc=$?
if [ "$odoo_rc" != 0 ] || { [ "$pytest_rc" != 0 ] && [ "$pytest_rc" != 5 ]; } || [ "$report_rc" != 0 ]; then
    echo "make test: FAILED" >&2
    exit 1
fi
echo "make test: OK"
