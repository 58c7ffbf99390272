#!/usr/bin/env bash
# make demo: PostgreSQL, the FlexNet simulator and Odoo with all addons and demo data.
# Safe to re-run: an existing demo database is kept (and updated). Ctrl-C stops what it started.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
require_project_deps
ensure_postgres

DB="${DEMO_DB:-flexnet_demo}"
RUN_DIR="${DEMO_RUN_DIR:-$ROOT/.run}"
mkdir -p "$RUN_DIR"
pids=()
stop_all() {
    trap - INT TERM EXIT
    [ ${#pids[@]} -gt 0 ] && { info "stopping ${pids[*]}"; kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; }
    exit 0
}
trap stop_all INT TERM EXIT

port_busy() { "$PYTHON" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $1)) != 0)"; }

# FlexNet simulator with its demo data (state kept in the run folder across restarts)
if "$PYTHON" -c "import flexnet_simulator.__main__" >/dev/null 2>&1; then
    if port_busy "$FLEXNET_SIM_PORT"; then
        info "something already listens on 127.0.0.1:$FLEXNET_SIM_PORT; using it as the FlexNet simulator"
    else
        info "starting the FlexNet simulator on http://127.0.0.1:$FLEXNET_SIM_PORT"
        "$PYTHON" -m flexnet_simulator --host 127.0.0.1 --port "$FLEXNET_SIM_PORT" \
            --data "$RUN_DIR/flexnet-sim.sqlite" --demo >"$RUN_DIR/flexnet-sim.log" 2>&1 &
        pids+=($!)
    fi
fi

port_busy "$ODOO_HTTP_PORT" && die "port $ODOO_HTTP_PORT is taken; stop what uses it or set ODOO_HTTP_PORT"
if [ "$ODOO_RUN_MODE" = prefork ] && port_busy "$ODOO_GEVENT_PORT"; then
    die "port $ODOO_GEVENT_PORT (websocket of a prefork Odoo) is taken; stop what uses it or set ODOO_GEVENT_PORT"
fi
mapfile -t runargs < <(odoo_run_args)
[ ${#runargs[@]} -gt 0 ] || exit 2
mapfile -t odoo_bin < <(odoo_program)
mapfile -t dbargs < <(odoo_db_args)
common=("${dbargs[@]}" -d "$DB" --addons-path "$PROJECT_ADDONS" --load base,web,queue_job
        --http-interface "$ODOO_HTTP_HOST" --http-port "$ODOO_HTTP_PORT" --db-filter "^$DB\$")
export FLEXNET_DEMO_URL="http://127.0.0.1:$FLEXNET_SIM_PORT"
if [ -z "$(psql_cmd -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'")" ]; then
    info "creating database $DB with all addons and demo data (a few minutes)"
    "$PYTHON" -m odoo server "${common[@]}" -i "$ALL_ADDONS" --with-demo --stop-after-init \
        --logfile "$RUN_DIR/odoo-install.log" || die "installation failed; see $RUN_DIR/odoo-install.log"
else
    info "database $DB exists; updating the addons"
    "$PYTHON" -m odoo server "${common[@]}" -u "$ALL_ADDONS" --stop-after-init \
        --logfile "$RUN_DIR/odoo-install.log" || die "update failed; see $RUN_DIR/odoo-install.log"
fi

info "synchronising the demo FlexNet backend with the simulator"
for _ in $(seq 1 30); do port_busy "$FLEXNET_SIM_PORT" && break; sleep 0.5; done
export DEMO_STATIONS_FILE="$RUN_DIR/stations.txt" DEMO_ODOO_URL="http://$ODOO_HTTP_HOST:$ODOO_HTTP_PORT"
export DEMO_MEDIA_LINKS_FILE="$RUN_DIR/media-kit-links.txt"
rm -f "$DEMO_MEDIA_LINKS_FILE"
"$PYTHON" -m odoo shell "${dbargs[@]}" -d "$DB" --addons-path "$PROJECT_ADDONS" --no-http \
    --logfile "$RUN_DIR/odoo-setup.log" < "$ROOT/scripts/demo_setup.py" \
    || info "the first FlexNet sync failed; see $RUN_DIR/odoo-setup.log"

info "starting Odoo ($ODOO_RUN_MODE; queue_job channels $ODOO_QUEUE_JOB_CHANNELS)"
"${odoo_bin[@]}" server "${common[@]}" "${runargs[@]}" --logfile "$RUN_DIR/odoo.log" &
pids+=($!)
for _ in $(seq 1 60); do port_busy "$ODOO_HTTP_PORT" && break; sleep 1; done

# one station and one robot simulator per demo production site, on folders of the run folder;
# the robot maker per site comes from the demo setup: PTBurn (Primera), which verifies discs,
# or Rimage (Network Publisher), which does not
if [ -s "$DEMO_STATIONS_FILE" ]; then
    while read -r code key robot; do
        [ -n "$code" ] || continue
        robot="${robot:-ptburn}"
        site_dir="$RUN_DIR/stations/$code"
        mkdir -p "$site_dir/hot" "$site_dir/repo"
        "$PYTHON" -m media_station.robots.simulators "$site_dir/hot" --robot "$robot" --delay 2 \
            >"$site_dir/robot.log" 2>&1 &
        pids+=($!)
        "$PYTHON" -m media_station run --url "$DEMO_ODOO_URL" --db "$DB" --site "$code" --key "$key" \
            --repo "$site_dir/repo" --hot-folder "$site_dir/hot" --robot "$robot" >"$site_dir/station.log" 2>&1 &
        pids+=($!)
        info "station $code and its $robot robot simulator run in $site_dir"
    done < "$DEMO_STATIONS_FILE"
fi

cat <<MSG

  Odoo is running: http://$ODOO_HTTP_HOST:$ODOO_HTTP_PORT   (database $DB, log $RUN_DIR/odoo.log)
  Shop:            http://$ODOO_HTTP_HOST:$ODOO_HTTP_PORT/shop
  FlexNet sim:     $FLEXNET_DEMO_URL/flexnet/services/...

  Demo logins (login / password):
    administrator   admin / admin
    sales user      sales / sales
    customer        customer / customer      (portal, Northwind Engineering)
    reseller        reseller / reseller      (portal, Summit Software Partners)
    vendor          vendor / vendor          (portal, Disc Replication Services)
    manager         manager / manager        (renewal manager)

  Ctrl-C stops everything this command started.
MSG
if [ -s "$DEMO_MEDIA_LINKS_FILE" ]; then
    echo "  \"Purchase media kit\" links of FlexNet's download page (Carla; valid 24 h, once each):"
    cat "$DEMO_MEDIA_LINKS_FILE"
fi
wait "${pids[@]}"
