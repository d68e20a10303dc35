#!/usr/bin/env bash
# Load bench: ims-edge against Kamailio 5.6.3 at the same offered rates, on loopback.
# Method (testbeds/RESULTS.md, /work/shared/BENCHMARKS.md): the proxy is pinned to CPU 1,
# every sipp to CPU 0; for each step the proxy's CPU time (utime+stime over its processes,
# /proc/PID/stat) is read before and after the load, and divided by the units handled.
#
# usage: bench.sh [--smoke]
# Env: PROXIES ("ims-edge kamailio"), WORKLOADS ("calls options"),
#      CALL_RATES ("500 1000 2000 4000"), OPTIONS_RATES ("2000 5000 10000 20000"),
#      STEP_S (15 s per step), HOLD_MS (100 ms between ACK and BYE), RING_MS (0 ms between the
#      UAS's 180 and 200), RESULTS (file to append
#      to; testbeds/RESULTS.md, not in --smoke). Bounded: sipp -m and -timeout on every step.
# Exit status: non-zero when a proxy did not start, or (with --smoke) when any call failed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

CMDLINE="$0 $*"
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
PROXIES="${PROXIES:-ims-edge kamailio}"
WORKLOADS="${WORKLOADS:-calls options}"
CALL_RATES="${CALL_RATES:-500 1000 2000 4000}"
OPTIONS_RATES="${OPTIONS_RATES:-2000 5000 10000 20000}"
STEP_S="${STEP_S:-15}"
HOLD_MS="${HOLD_MS:-100}"
RING_MS="${RING_MS:-0}"
RESULTS="${RESULTS:-$TB_ROOT/RESULTS.md}"
if [ "$SMOKE" = 1 ]; then
    CALL_RATES="${SMOKE_CALL_RATE:-200}"
    OPTIONS_RATES="${SMOKE_OPTIONS_RATE:-1000}"
    STEP_S="${SMOKE_STEP_S:-2}"
fi
SCEN="$TB_ROOT/edge-sipp/scenarios"
CFG="$TB_REPO/roles/config"

tb_require sipp kamailio taskset ss
[ "$(nproc)" -ge 2 ] || tb_die "needs 2 CPUs (proxy on CPU 1, sipp on CPU 0)"
WORK="$(mktemp -d /tmp/tb-bench.XXXXXX)"
FAILED=0   # a proxy that did not start
LOSSY=0    # steps with failed or missing calls: past the knee, or a proxy bug
trap 'tb_cleanup; if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then tb_log "work directory kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
trap 'exit 130' INT TERM
cd "$WORK" || exit 1

EDGE_BIN=""
case " $PROXIES " in *" ims-edge "*) EDGE_BIN="$(tb_ims_edge_bin)" || tb_die "cannot build ims-edge" ;; esac

# start_proxy PROXY WORKLOAD DIR PPORT UPORT: start the proxy pinned to CPU 1 (pid in DIR/proxy.pid).
start_proxy() {
    local proxy="$1" wl="$2" d="$3" pp="$4" up="$5" mode
    if [ "$wl" = calls ]; then mode=stateful; else mode=stateless; fi
    case "$proxy" in
    kamailio)
        sed -e "s/127\.0\.0\.1:5060/127.0.0.1:$pp/g" -e "s/127\.0\.0\.1:5090/127.0.0.1:$up/g" \
            "$HERE/kamailio-$mode.cfg" >"$d/proxy.cfg"
        tb_start kamailio "$d/proxy.pid" "$d/proxy.log" taskset -c 1 \
            kamailio -f "$d/proxy.cfg" -DD -E -n 1 -x tlsf -b 1048576 -m 256 -M 32 \
            -Y "$d" -w "$d"
        ;;
    ims-edge)
        sed -e "s/127\.0\.0\.1:5060/127.0.0.1:$pp/g" -e "s/127\.0\.0\.1:5090/127.0.0.1:$up/g" \
            "$CFG/edge-bench-$mode.toml" >"$d/proxy.toml"
        "$EDGE_BIN" --config "$d/proxy.toml" --check-config >"$d/check.log" 2>&1 \
            || { cat "$d/check.log" >&2; return 1; }
        tb_start ims-edge "$d/proxy.pid" "$d/proxy.log" taskset -c 1 \
            "$EDGE_BIN" --config "$d/proxy.toml"
        ;;
    *) tb_log "unknown proxy '$proxy'"; return 1 ;;
    esac
    tb_wait_port udp "$pp" 15 || { tail -n 20 "$d/proxy.log" >&2; return 1; }
    sleep 0.5   # let every worker finish its start-up before the CPU is read
}

ROWS=()
declare -A CPU_PER_UNIT
declare -A LOSSLESS
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# step PROXY WORKLOAD RATE: one measured step; appends a table row to ROWS.
step() {
    local proxy="$1" wl="$2" rate="$3" d pp up count limit uas uac unit
    local cpu0 cpu1 usr0 usr1 usr_pct ok fail retr uas_retr rss pss p50 p99 cpu_s per rc rtt
    d="$WORK/$wl-$rate-$proxy"
    mkdir -p "$d"
    pp="$(tb_free_port)"
    up="$(tb_free_port)"
    count=$(( rate * STEP_S ))
    limit=$(( STEP_S + 20 ))
    if [ "$wl" = calls ]; then
        uas="uas-call.xml"; uac="uac-call.xml"; unit=call
    else
        uas="uas-options.xml"; uac="uac-options.xml"; unit=request
    fi
    if ! start_proxy "$proxy" "$wl" "$d" "$pp" "$up"; then
        FAILED=$((FAILED + 1))
        ROWS+=("| $proxy | $wl | $rate | proxy did not start | | | | | | | | | | |")
        tb_stop "$d/proxy.pid" 5
        return
    fi
    (cd "$d" && exec taskset -c 0 sipp -sf "$SCEN/$uas" -t u1 -i 127.0.0.1 -p "$up" \
        -mi 127.0.0.1 -mp "$(tb_free_port)" -m "$count" -timeout "${limit}s" -nostdin \
        -d "$RING_MS" -buff_size 4194304 -trace_stat -stf "$d/uas-stat.csv" -fd 1 \
        </dev/null >"$d/uas.log" 2>&1) &
    echo $! >"$d/uas.pid"
    TB_PIDFILES+=("$d/uas.pid")
    tb_wait_port udp "$up" 5 || true
    cpu0="$(tb_cpu_ticks "$(cat "$d/proxy.pid")")"
    usr0="$(tb_cpu_user_ticks "$(cat "$d/proxy.pid")")"
    (cd "$d" && exec taskset -c 0 sipp "127.0.0.1:$pp" -sf "$SCEN/$uac" -s 1000 -t u1 \
        -i 127.0.0.1 -p "$(tb_free_port)" -mi 127.0.0.1 -mp "$(tb_free_port)" \
        -r "$rate" -m "$count" -d "$HOLD_MS" -l $(( rate * 4 + 100 )) \
        -timeout "${limit}s" -nostdin -max_retrans 5 -buff_size 4194304 \
        -trace_stat -stf "$d/uac-stat.csv" -fd 1 -trace_rtt -rtt_freq 200 \
        </dev/null >"$d/uac.log" 2>&1) &
    echo $! >"$d/uac.pid"
    TB_PIDFILES+=("$d/uac.pid")
    tb_wait_exit "$d/uac.pid" $(( limit + 5 )); rc=$TB_RC
    cpu1="$(tb_cpu_ticks "$(cat "$d/proxy.pid")")"
    usr1="$(tb_cpu_user_ticks "$(cat "$d/proxy.pid")")"
    rss="$(tb_rss_kb "$(cat "$d/proxy.pid")")"
    pss="$(tb_pss_kb "$(cat "$d/proxy.pid")")"
    tb_wait_exit "$d/uas.pid" 5
    tb_stop "$d/proxy.pid" 15
    ok="$(tb_sipp_stat "$d/uac-stat.csv" 'SuccessfulCall(C)')"
    fail="$(tb_sipp_stat "$d/uac-stat.csv" 'FailedCall(C)')"
    retr="$(tb_sipp_stat "$d/uac-stat.csv" 'Retransmissions(C)')"
    uas_retr="$(tb_sipp_stat "$d/uas-stat.csv" 'Retransmissions(C)')"
    rtt="$(find "$d" -maxdepth 1 -name '*_rtt.csv' | head -n 1)"
    read -r p50 p99 <<<"$(tb_rtt_percentiles "${rtt:-/dev/null}")"
    cpu_s="$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$TB_CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / hz }')"
    usr_pct="$(awk -v a="$cpu0" -v b="$cpu1" -v u0="$usr0" -v u1="$usr1" \
        'BEGIN { if (b > a) printf "%.0f", 100 * (u1 - u0) / (b - a); else print "-" }')"
    if [[ "$ok" =~ ^[0-9]+$ ]] && [ "$ok" -gt 0 ]; then
        per="$(awk -v c="$cpu_s" -v n="$ok" 'BEGIN { printf "%.1f", c * 1e6 / n }')"
    else
        per="NA"
    fi
    CPU_PER_UNIT["$wl/$rate/$proxy"]="$per"
    if [ "$fail" = 0 ] && [ "$ok" = "$count" ]; then LOSSLESS["$wl/$rate/$proxy"]=1; fi
    [ "$rc" = 0 ] || tb_log "$proxy $wl $rate/s: sipp UAC exit $rc (failed calls or timeout)"
    if [ "$fail" != 0 ] || [ "$ok" != "$count" ]; then LOSSY=$((LOSSY + 1)); fi
    ROWS+=("| $proxy | $wl | $rate | $ok/$count | $fail | $retr+${uas_retr} | $cpu_s | $usr_pct | $per µs/$unit | $rss | $pss | $p50 | $p99 | RATIO:$wl/$rate/$proxy |")
    tb_log "$proxy $wl $rate/s: ok $ok/$count failed $fail retrans $retr+$uas_retr cpu ${cpu_s}s (user ${usr_pct}%) = $per µs/$unit rss ${rss}KB pss ${pss}KB rtt p50 $p50 p99 $p99 ms"
}

for wl in $WORKLOADS; do
    if [ "$wl" = calls ]; then rates="$CALL_RATES"; else rates="$OPTIONS_RATES"; fi
    for rate in $rates; do
        for proxy in $PROXIES; do
            step "$proxy" "$wl" "$rate"
        done
    done
done

# The ratio ours/Kamailio of CPU per unit at the same offered rate.
ratio() {
    local key="$1" ours kam
    case "$key" in */ims-edge) ;; *) echo "-"; return ;; esac
    ours="${CPU_PER_UNIT[$key]:-NA}"
    kam="${CPU_PER_UNIT[${key%/ims-edge}/kamailio]:-NA}"
    if [ "$ours" = NA ] || [ "$kam" = NA ] || [ "$kam" = 0.0 ]; then echo "NA"; return; fi
    awk -v a="$ours" -v b="$kam" 'BEGIN { printf "%.2f", a / b }'
    # Past the knee (a step lost calls) the figure is not a fair comparison: flag it.
    if [ -z "${LOSSLESS[$key]:-}" ] || [ -z "${LOSSLESS[${key%/ims-edge}/kamailio]:-}" ]; then
        printf ' (lossy)'
    fi
    echo
}

TABLE="$(
    echo "| proxy | workload | offered /s | ok/sent | failed | retrans (uac+uas) | proxy CPU s | user % | CPU per unit | RSS KB | PSS KB | RTT p50 ms | RTT p99 ms | ours/Kamailio CPU |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for row in "${ROWS[@]}"; do
        key="$(sed -n 's/.*RATIO:\([^ |]*\).*/\1/p' <<<"$row")"
        if [ -n "$key" ]; then row="${row/RATIO:$key/$(ratio "$key")}"; fi
        echo "$row"
    done
)"
echo "$TABLE"

if [ "$SMOKE" = 0 ]; then
    {
        echo
        echo "## $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -n), $(nproc) CPUs, load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after"
        echo
        echo "Command: \`${TB_EDGE_BIN:+TB_EDGE_BIN=$TB_EDGE_BIN }PROXIES=\"$PROXIES\" WORKLOADS=\"$WORKLOADS\" CALL_RATES=\"$CALL_RATES\" OPTIONS_RATES=\"$OPTIONS_RATES\" STEP_S=$STEP_S HOLD_MS=$HOLD_MS RING_MS=$RING_MS $CMDLINE\`"
        echo
        echo "$TABLE"
    } >>"$RESULTS"
    tb_log "appended to $RESULTS"
fi
[ "$LOSSY" = 0 ] || tb_log "$LOSSY step(s) with failed calls (past the knee, or a proxy bug)"
[ "$FAILED" = 0 ] || tb_log "$FAILED step(s) where the proxy did not start"
# A full run reports the knee and succeeds; a smoke run must not lose a single call.
if [ "$SMOKE" = 1 ]; then FAILED=$((FAILED + LOSSY)); fi
[ "$FAILED" = 0 ]
