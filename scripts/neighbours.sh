#!/usr/bin/env bash
# make test-neighbours: the test suites of the Odoo apps these addons extend or depend on, run on
# a fresh database with the five addons and demo data, every module loaded (scripts/neighbours.py).
# A failure is Odoo's own only when the same test also fails on a database with the same Odoo
# apps and without these addons: that proof is run here, and every other failure fails the target.
#
#   NEIGHBOUR_APPS   apps whose suites run (default: all of them, see below)
#   NEIGHBOUR_TOURS  0 leaves out tests that start a browser tour (default 1)
#   KEEP_DB          keep the two databases
set -uo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
require_project_deps
ensure_postgres

APPS="${NEIGHBOUR_APPS:-sale,sale_management,sale_stock,sale_mrp,mrp,stock,website_sale,portal,mass_mailing,mass_mailing_sale,contacts,queue_job}"
ARTIFACTS="${TEST_ARTIFACTS:-$ROOT/.artifacts}/neighbours"
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
stamp="$(date +%s)_$$"
DB="neighbours_ours_$stamp"
BASE_DB="neighbours_base_$stamp"
tour_args=()
[ "${NEIGHBOUR_TOURS:-1}" = 0 ] && tour_args=(--no-tours)

cleanup() {
    for db in "$DB" "$BASE_DB"; do psql_cmd -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
}
[ -z "${KEEP_DB:-}" ] && trap cleanup EXIT

mapfile -t dbargs < <(odoo_db_args)
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
odoo_args() {  # odoo_args DB: the server options of a test run on DB
    printf '%s\n' "${dbargs[@]}" -d "$1" --addons-path "$PROJECT_ADDONS" --load base,web,queue_job \
        --workers 0 --max-cron-threads 0 --http-interface 127.0.0.1 --http-port "$(free_port)" \
        --log-level test
}
install() {  # install DB MODULES LOG
    "$PYTHON" -m odoo server "${dbargs[@]}" -d "$1" --addons-path "$PROJECT_ADDONS" --load base,web,queue_job \
        -i "$2" --with-demo --stop-after-init --workers 0 --max-cron-threads 0 --no-http \
        --log-level warn --logfile "$3" || die "installing $2 into $1 failed; see $3"
}
run_app() {  # run_app DB APP OUT_PREFIX [launcher options...]
    local db=$1 app=$2 out=$3
    shift 3
    mapfile -t args < <(odoo_args "$db")
    "$PYTHON" "$ROOT/scripts/neighbours.py" --app "$app" --json "$out.json" "${tour_args[@]}" "$@" \
        -- "${args[@]}" --logfile "$out.log"
    [ -s "$out.json" ] || die "the test run of $app on $db wrote no result; see $out.log"
}

info "neighbours: installing $ALL_ADDONS with demo data into $DB"
install "$DB" "$ALL_ADDONS" "$ARTIFACTS/install-ours.log"
IFS=, read -r -a apps <<<"$APPS"
for app in "${apps[@]}"; do
    info "neighbours: $app's tests on $DB (log: $ARTIFACTS/ours-$app.log)"
    run_app "$DB" "$app" "$ARTIFACTS/ours-$app"
done

# every failure is re-run on a database with the same Odoo apps but none of these addons
failing=$("$PYTHON" - "$ARTIFACTS" "${apps[@]}" <<'PY'
import json, sys
folder, apps = sys.argv[1], sys.argv[2:]
print(",".join(a for a in apps if (lambda r: r["failed"] or r["errors"])(json.load(open(f"{folder}/ours-{a}.json")))))
PY
)
if [ -n "$failing" ]; then
    ours=${ALL_ADDONS//,/|}
    others=$(PGPASSWORD="$DB_PASSWORD" psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB" -tAc "SELECT string_agg(name, ',' ORDER BY name) FROM ir_module_module
        WHERE state = 'installed' AND name !~ '^($ours)$'")
    info "neighbours: proving on $BASE_DB (the same Odoo apps, without these addons): $failing"
    install "$BASE_DB" "$others" "$ARTIFACTS/install-base.log"
    IFS=, read -r -a again <<<"$failing"
    for app in "${again[@]}"; do
        "$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("\n".join(r["failed"] + r["errors"]))' \
            "$ARTIFACTS/ours-$app.json" >"$ARTIFACTS/failing-$app.txt"
        run_app "$BASE_DB" "$app" "$ARTIFACTS/base-$app" --only "$ARTIFACTS/failing-$app.txt"
        # what passed without the addons is tried once more with them: a browser tour that
        # times out on a loaded machine and then passes is flaky, not caused by the addons
        "$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
print("\n".join(t for t in r["failed"] + r["errors"] if t not in b["failed"] + b["errors"]))' \
            "$ARTIFACTS/ours-$app.json" "$ARTIFACTS/base-$app.json" >"$ARTIFACTS/suspect-$app.txt"
        if [ -s "$ARTIFACTS/suspect-$app.txt" ]; then
            info "neighbours: $app's tests that pass without the addons, once more with them"
            run_app "$DB" "$app" "$ARTIFACTS/again-$app" --only "$ARTIFACTS/suspect-$app.txt"
        fi
    done
fi

"$PYTHON" - "$ARTIFACTS" "${apps[@]}" <<'PY'
import json
import os
import sys

folder, apps = sys.argv[1], sys.argv[2:]
ours_total = tests = 0
upstream, flaky = [], []
print()
print("neighbours: Odoo's own test suites with flexnet_sync, flexnet_store, media_production,")
print("bom_vendor_portal and maintenance_renewal installed (demo data, every module loaded)")
for app in apps:
    mine = json.load(open(f"{folder}/ours-{app}.json"))
    bad = mine["failed"] + mine["errors"]
    base_path = f"{folder}/base-{app}.json"
    base = json.load(open(base_path)) if os.path.exists(base_path) else {"failed": [], "errors": [], "run": 0}
    also_upstream = set(base["failed"] + base["errors"])
    again_path = f"{folder}/again-{app}.json"
    again = json.load(open(again_path)) if os.path.exists(again_path) else None
    known = [t for t in bad if t in also_upstream]
    suspects = [t for t in bad if t not in also_upstream]
    if again is None or not again["run"]:
        caused = suspects
    else:  # the second run with the addons: what passed there is flaky
        fails_again = set(again["failed"] + again["errors"])
        caused = [t for t in suspects if t in fails_again]
        flaky += [(app, t) for t in suspects if t not in fails_again]
    tests += mine["run"]
    ours_total += len(caused)
    upstream += [(app, t) for t in known]
    print(
        f"  {app}: {mine['run']} tests, {len(mine['failed'])} failed, {len(mine['errors'])} errors"
        f" ({len(caused)} caused by these addons, {len(known)} upstream)"
        + (f", {mine['left_out']} tour tests left out" if mine.get("left_out") else "")
    )
    for test in caused:
        print(f"    CAUSED BY THESE ADDONS: {test} (passes without them; see {folder}/ours-{app}.log)")
if upstream:
    print("known upstream failures (each also fails on a database with the same Odoo apps and")
    print("without these addons; logs: base-<app>.log):")
    for app, test in upstream:
        print(f"  {app}: {test}")
if flaky:
    print("flaky (failed once with these addons, then passed with them and without them; logs:")
    print("ours-<app>.log, again-<app>.log):")
    for app, test in flaky:
        print(f"  {app}: {test}")
print(
    f"neighbours: {tests} tests, {ours_total} failures caused by these addons, {len(upstream)} upstream"
    + (f", {len(flaky)} flaky" if flaky else "")
)
sys.exit(1 if ours_total else 0)
PY
