# shellcheck shell=bash
# Common settings and helpers for the project's commands (sourced, not run).
# Every setting can be overridden from the environment.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
DB_HOST="${DB_HOST:-127.0.0.1}"
DB_PORT="${DB_PORT:-5432}"
DB_USER="${DB_USER:-odoo}"
DB_PASSWORD="${DB_PASSWORD:-}"
# private PostgreSQL cluster, used only when nothing answers on DB_HOST:DB_PORT
PG_DATA_DIR="${PG_DATA_DIR:-/tmp/flexnet-odoo-pg}"
PG_OS_USER="${PG_OS_USER:-postgres}"
ODOO_HTTP_HOST="${ODOO_HTTP_HOST:-127.0.0.1}"
ODOO_HTTP_PORT="${ODOO_HTTP_PORT:-8069}"
FLEXNET_SIM_PORT="${FLEXNET_SIM_PORT:-8780}"
PROJECT_ADDONS="$ROOT/addons"
# How the Odoo servers of make demo and of the end-to-end and reliability suites run:
# prefork, as in production (ODOO_WORKERS HTTP workers, a cron worker and queue_job's job
# runner as a worker process), or threaded (one process, for debugging with breakpoints)
export ODOO_RUN_MODE="${ODOO_RUN_MODE:-prefork}"
export ODOO_WORKERS="${ODOO_WORKERS:-3}"
ODOO_GEVENT_PORT="${ODOO_GEVENT_PORT:-8072}"
# queue_job's channels: those of config/odoo.conf unless set
export ODOO_QUEUE_JOB_CHANNELS="${ODOO_QUEUE_JOB_CHANNELS:-$(sed -n 's/^channels *= *//p' "$ROOT/config/odoo.conf" | head -n 1)}"
export FLEXNET_WSDL_DIR="${FLEXNET_WSDL_DIR:-$ROOT/../shared/flexnet-wsdl}"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"

ALL_ADDONS="flexnet_sync,flexnet_store,media_production,bom_vendor_portal,maintenance_renewal"

die() { echo "ERROR: $*" >&2; exit 2; }
info() { echo "==> $*"; }

require_odoo() {
    local out
    if ! out=$("$PYTHON" - 2>&1 <<'PY'
import sys
try:
    import odoo.release
except ImportError as exc:
    sys.exit(f"Odoo is not importable by {sys.executable}: {exc}")
if odoo.release.version_info[0] != 19:
    sys.exit(f"Odoo 19.0 is required, found {odoo.release.version}")
PY
    ); then
        cat >&2 <<MSG
ERROR: Odoo 19.0 is missing.
  $out
  These commands need Odoo 19.0 installed in this Python ($PYTHON), e.g. from Odoo's
  source ("Install from source" in Odoo's documentation: pip install -e <odoo checkout>),
  or use the Docker path described in README.md (docker/compose.yaml).
MSG
        exit 3
    fi
}

# The requirements file of the installed Odoo (its pinned versions), when it has one.
odoo_requirements() {
    "$PYTHON" - <<'PY'
import os

import odoo

for root in odoo.__path__:
    path = os.path.join(os.path.dirname(os.path.abspath(root)), "requirements.txt")
    if os.path.isfile(path):
        print(path)
        break
PY
}

# After deps: what requirements.txt brings is importable next to Odoo.
require_project_deps() {
    local out
    if ! out=$("$PYTHON" - 2>&1 <<'PY'
import importlib.util
import sys

# found, not imported: queue_job's import needs Odoo's addons path (base_sparse_field)
if importlib.util.find_spec("odoo.addons.queue_job") is None:
    sys.exit("OCA queue_job is not installed")
for name in ("pycdlib", "pytest", "zeep", "websocket"):
    if importlib.util.find_spec(name) is None:
        sys.exit(f"{name} is not installed")
PY
    ); then
        die "the project's requirements are not installed ($out): run 'make deps' (pip install -r requirements.txt)"
    fi
}

pg_ready() {
    pg_isready -q -h "$DB_HOST" -p "$DB_PORT" -t 2 >/dev/null 2>&1
}

pg_bin() {
    local dir
    for dir in "${PG_BIN_DIR:-}" /usr/lib/postgresql/*/bin; do
        [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return; }
    done
    command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return
    return 1
}

# Start a private cluster (trust auth on loopback, superuser $DB_USER) unless one answers.
ensure_postgres() {
    command -v pg_isready >/dev/null 2>&1 || die "PostgreSQL client tools are missing (Debian: apt-get install postgresql)"
    if pg_ready; then
        info "PostgreSQL answers on $DB_HOST:$DB_PORT"
        return
    fi
    local bin
    bin=$(pg_bin) || die "nothing answers on $DB_HOST:$DB_PORT and no PostgreSQL server binaries were found (Debian: apt-get install postgresql)"
    local run=()
    if [ "$(id -u)" = 0 ]; then
        id "$PG_OS_USER" >/dev/null 2>&1 || die "PostgreSQL refuses to run as root and OS user '$PG_OS_USER' does not exist (set PG_OS_USER)"
        run=(runuser -u "$PG_OS_USER" --)
    fi
    if [ ! -s "$PG_DATA_DIR/PG_VERSION" ]; then
        info "creating a private PostgreSQL cluster in $PG_DATA_DIR"
        mkdir -p "$PG_DATA_DIR"
        [ "$(id -u)" = 0 ] && chown "$PG_OS_USER" "$PG_DATA_DIR"
        chmod 700 "$PG_DATA_DIR"
        "${run[@]}" "$bin/initdb" -D "$PG_DATA_DIR" -U "$DB_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null \
            || die "initdb failed in $PG_DATA_DIR"
    fi
    info "starting PostgreSQL on $DB_HOST:$DB_PORT (data: $PG_DATA_DIR)"
    "${run[@]}" "$bin/pg_ctl" -D "$PG_DATA_DIR" -l "$PG_DATA_DIR/server.log" -w -t 60 \
        -o "-h $DB_HOST -p $DB_PORT -k $PG_DATA_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >/dev/null \
        || die "PostgreSQL did not start; see $PG_DATA_DIR/server.log"
}

odoo_db_args() {
    local args=(--db_host "$DB_HOST" --db_port "$DB_PORT" --db_user "$DB_USER")
    [ -n "$DB_PASSWORD" ] && args+=(--db_password "$DB_PASSWORD")
    printf '%s\n' "${args[@]}"
}

# The program that serves Odoo, one word per line: Odoo's own script (a prefork server starts
# its websocket process by running its program again, which "python -m odoo" cannot be),
# else "python -m odoo".
odoo_program() {
    "$PYTHON" - <<'PY'
import os
import sys

import odoo

candidates = [
    os.path.join(os.path.dirname(sys.executable), "odoo"),
    *(os.path.join(os.path.dirname(os.path.abspath(root)), "odoo-bin") for root in odoo.__path__),
]
script = next((path for path in candidates if os.path.isfile(path)), None)
print("\n".join([sys.executable, script] if script else [sys.executable, "-m", "odoo"]))
PY
}

# The options of a serving Odoo for ODOO_RUN_MODE, one per line.
odoo_run_args() {
    case "$ODOO_RUN_MODE" in
        prefork) printf '%s\n' --workers "$ODOO_WORKERS" --max-cron-threads 1 --gevent-port "$ODOO_GEVENT_PORT" ;;
        threaded) printf '%s\n' --workers 0 --max-cron-threads 1 ;;
        *) die "ODOO_RUN_MODE is prefork or threaded, not '$ODOO_RUN_MODE'" ;;
    esac
}

psql_cmd() {
    PGPASSWORD="$DB_PASSWORD" psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 -q "$@"
}
export PIP_ROOT_USER_ACTION=ignore
