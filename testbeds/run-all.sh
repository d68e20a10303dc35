#!/usr/bin/env bash
# Runs every functional testbed and prints one summary line per bed, then
# "testbeds: N passed, M failed". Exits non-zero if any bed failed.
# Benches are run by hand (bench/bench.sh); TESTBED_BENCH_SMOKE=1 adds `bench.sh --smoke`.
# Env: PROXY (ims-edge | kamailio) is passed to the beds; TESTBED_INSTALL=1 runs
# install-deps.sh first.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "${TESTBED_INSTALL:-0}" = 1 ]; then
    bash "$HERE/install-deps.sh" || { echo "testbeds: install-deps.sh failed"; exit 1; }
fi

BEDS=("edge-sipp/run.sh")
BEDS+=("diameter/run.sh")
BEDS+=("ims-sipp/run.sh")
BEDS+=("diameter-charging/run.sh")
BEDS+=("kamailio-ims/run.sh")
if [ "${TESTBED_BENCH_SMOKE:-0}" = 1 ]; then
    BEDS+=("bench/bench.sh --smoke")
fi

passed=0
failed=0
LOGDIR="$(mktemp -d /tmp/tb-run-all.XXXXXX)"
for bed in "${BEDS[@]}"; do
    name="${bed%% *}"
    log="$LOGDIR/$(echo "$name" | tr '/' '-').log"
    start=$(date +%s)
    # shellcheck disable=SC2086
    timeout 600 bash "$HERE"/$bed >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        echo "testbed $bed: ok (${secs}s)"
    else
        failed=$((failed + 1))
        echo "testbed $bed: FAILED (exit $rc, ${secs}s); last lines of $log:"
        tail -n 40 "$log" | sed 's/^/    /'
    fi
done
[ "$failed" = 0 ] && rm -rf "$LOGDIR"
echo "testbeds: $passed passed, $failed failed"
[ "$failed" = 0 ]
