#!/usr/bin/env bash
# make bench: run every benchmark script and report which met its goal.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
rc=0
for bench in "$ROOT"/tests/benchmarks/bench_*.py; do
    info "$(basename "$bench")"
    "$PYTHON" "$bench" || rc=1
done
exit $rc
