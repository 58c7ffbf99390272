#!/usr/bin/env bash
# make pins: the pure-Python suites (FlexNet client and simulator, media station) in throw-away
# virtual environments, once per supported Python with the versions the installed Odoo 19.0
# pins for it (its requirements.txt as pip constraints), and once with current releases.
# Libraries whose behaviour changed between those versions (urllib3 1.26 vs 2.x, requests,
# lxml 4 vs 5/6, zeep) are exercised both ways; the Odoo suites run in the main environment.
#
#   PINS_PYTHONS   Pythons to try (default: python3.10 python3.11 python3.12, those present)
#   PINS_CURRENT   Python for the current-releases run (default: the newest of those)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

require_odoo
constraints=$(odoo_requirements)
[ -n "$constraints" ] || die "the installed Odoo has no requirements.txt next to it: no pinned versions to check against"

venvs="$ROOT/.artifacts/pins"
mkdir -p "$venvs"
# requirements.txt without what needs Odoo itself (addons) or only lints
pure="$venvs/requirements-pure.txt"
grep -v -E '^\s*(odoo-addon-|ruff|pylint)' "$ROOT/requirements.txt" >"$pure"

runs_python() { "$1" -c 'import sys; assert sys.version_info >= (3, 10)' >/dev/null 2>&1; }
pythons=()
for candidate in ${PINS_PYTHONS:-python3.10 python3.11 python3.12}; do
    # a pyenv shim answers only for the active version: ask the interpreter itself, then
    # pyenv's installed versions
    if runs_python "$candidate"; then
        pythons+=("$candidate")
    elif command -v pyenv >/dev/null 2>&1; then
        for installed in $(ls -d "$(pyenv root)"/versions/"${candidate#python}".*/bin/"$candidate" 2>/dev/null | sort -V -r); do
            runs_python "$installed" && { pythons+=("$installed"); break; }
        done
    fi
done
[ "${#pythons[@]}" -gt 0 ] || die "none of ${PINS_PYTHONS:-python3.10 python3.11 python3.12} runs here"
current="${PINS_CURRENT:-${pythons[-1]}}"

runs=0
failed=0
summary=()
check() {  # check NAME PYTHON [pip constraint args...]
    local name=$1 python=$2
    shift 2
    local env="$venvs/$name" log="$venvs/$name.log"
    rm -rf "$env"
    info "pins: $name: creating $env"
    if ! "$python" -m venv "$env" >"$log" 2>&1 \
        || ! "$env/bin/python" -m pip install --quiet --disable-pip-version-check -r "$pure" "$@" >>"$log" 2>&1; then
        summary+=("$name: could not install (see $log)")
        failed=$((failed + 1))
        return
    fi
    local versions
    versions=$("$env/bin/python" - <<'PY'
import platform
from importlib.metadata import version

names = ("requests", "urllib3", "lxml", "zeep")
print(f"Python {platform.python_version()}: " + ", ".join(f"{n} {version(n)}" for n in names))
PY
    )
    local out rc
    out=$(cd "$ROOT" && env -u PYTHONPATH "$env/bin/python" -m pytest -q -p no:cacheprovider \
        tests/flexnet tests/station 2>&1)
    rc=$?
    echo "$out" >>"$log"
    runs=$((runs + 1))
    local verdict
    verdict=$(echo "$out" | grep -E '^[=]* ?[0-9]+ (passed|failed)' | tail -1 | tr -d '=' | sed 's/ in [0-9.]*s.*//' | xargs)
    if [ "$rc" != 0 ]; then
        failed=$((failed + 1))
        echo "$out" | grep -E '^(FAILED|ERROR) ' | head -20
    fi
    summary+=("$name ($versions): ${verdict:-pytest exited $rc}")
}

for python in "${pythons[@]}"; do
    check "odoo-pins-$("$python" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')" "$python" -c "$constraints"
done
check "current-$("$current" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')" "$current" --upgrade

echo
echo "pins: pure-Python suites with Odoo's pinned versions and with current releases"
printf '  %s\n' "${summary[@]}"
if [ "$failed" != 0 ]; then
    echo "pins: FAILED ($failed of $((${#pythons[@]} + 1)) environments)" >&2
    exit 1
fi
echo "pins: OK ($runs environments)"
