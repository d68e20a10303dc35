#!/usr/bin/env bash
# Load bench: IMS registrations (AKAv1-MD5) and calls between registered UEs through ims-lab
# (P-CSCF -> I-CSCF -> S-CSCF, Cx to the HSS) on a private loopback address.
# Method (testbeds/RESULTS.md): USERS distinct subscribers are provisioned into the lab's HSS
# database with `imsctl hss import` before the lab starts (demo K/OP/AMF, AKAv1-MD5 only); the
# lab is pinned to CPU 1 and every sipp to CPU 0. Each registration step registers its own
# slice of the subscribers once (sipp -inf, ue-register.xml: REGISTER / 401 / REGISTER / 200)
# at a fixed rate; each call step sends calls between 2 x CALL_PAIRS registered UEs
# (uac-call.xml / uas-ue.xml) at a fixed rate. The CPU time of the target's processes
# (utime+stime, /proc/PID/stat) is read before and after each step and divided by the
# successful registrations or calls.
# Caveat: ims-lab runs the HSS, OCS and CDF in the same process, so its CPU includes the HSS's
# side of each Cx exchange (UAR, MAR, SAR per registration; LIR per call).
#
# usage: ims-register.sh [--smoke]
# Env: USERS (2000, split evenly over the registration steps), REG_RATES ("50 100 200"),
#      CALL_PAIRS (100), CALL_RATES ("10 20 50"), CALL_STEP_S (10 s per call step), HOLD_MS
#      (100 ms between ACK and BYE), LAB_IP (127.0.60.2), TB_LAB_BIN / TB_IMSCTL_BIN (default:
#      the release builds), RESULTS (file to append to; testbeds/RESULTS.md, not in --smoke),
#      KEEP_WORK=1, BENCH_TARGETS_HOOK (a file to source, see bench_extra_targets below).
# Bounded: sipp -m and -timeout on every step. Exit status: non-zero when the lab did not
# start, or (with --smoke) when any registration or call failed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"
# shellcheck source=testbeds/ims-sipp/lab.sh
. "$TB_ROOT/ims-sipp/lab.sh"

CMDLINE="$0 $*"
SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
USERS="${USERS:-2000}"
REG_RATES="${REG_RATES:-50 100 200}"
CALL_PAIRS="${CALL_PAIRS:-100}"
CALL_RATES="${CALL_RATES:-10 20 50}"
CALL_STEP_S="${CALL_STEP_S:-10}"
HOLD_MS="${HOLD_MS:-100}"
LAB_IP="${LAB_IP:-127.0.60.2}"
RESULTS="${RESULTS:-$TB_ROOT/RESULTS.md}"
if [ "$SMOKE" = 1 ]; then
    USERS="${SMOKE_USERS:-40}"
    REG_RATES="${SMOKE_REG_RATES:-20}"
    CALL_PAIRS="${SMOKE_CALL_PAIRS:-5}"
    CALL_RATES="${SMOKE_CALL_RATES:-5}"
    CALL_STEP_S="${SMOKE_CALL_STEP_S:-2}"
fi
SCEN="$TB_ROOT/ims-sipp/scenarios"
EXPIRES=3600   # no registration lapses during a run

tb_require sipp taskset ss
[ "$(nproc)" -ge 2 ] || tb_die "needs 2 CPUs (target on CPU 1, sipp on CPU 0)"
WORK="$(mktemp -d /tmp/tb-ims-register.XXXXXX)"
FAILED=0   # the target did not start
LOSSY=0    # steps with failed or missing registrations or calls
trap 'tb_cleanup; if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then tb_log "work directory kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
trap 'exit 130' INT TERM
cd "$WORK" || exit 1

# The binaries: release builds unless given.
if [ -n "${TB_IMSCTL_BIN:-}" ]; then
    IMSCTL_BIN="$TB_IMSCTL_BIN"
else
    (cd "$TB_REPO" && cargo build --release -q -p imsctl >&2) || tb_die "cannot build imsctl"
    IMSCTL_BIN="$TB_REPO/target/release/imsctl"
fi
LAB_BIN="$(ims_lab_bin release)" || tb_die "cannot build ims-lab"

# --- Subscribers --------------------------------------------------------------------------
# reg00001..: one registration each; ca00001.. call cb00001.. (pair N: caN -> cbN).
SUBSCRIBERS="$WORK/subscribers.toml"
write_subscribers() {
    local n
    cat <<'TOML'
# Written by testbeds/bench/ims-register.sh: the lab's demo keys (ASCII), AKAv1-MD5 only.
[[service_profile]]
id = "default"
xml = "<ServiceProfile/>"
TOML
    {
        seq -f 'reg%05g' 1 "$USERS"
        seq -f 'ca%05g' 1 "$CALL_PAIRS"
        seq -f 'cb%05g' 1 "$CALL_PAIRS"
    } | while read -r n; do
        printf '\n[[subscriber]]\nimpi = "%s@ims.test"\nimpus = ["sip:%s@ims.test"]\n' "$n" "$n"
        printf 'k = "ascii:0123456789abcdef"\nop = "ascii:fedcba9876543210"\namf = "3030"\n'
        printf 'auth_schemes = ["AKAv1-MD5"]\nprofile = "default"\n'
    done
}
write_subscribers >"$SUBSCRIBERS"
mkdir -p "$WORK/lab"
"$IMSCTL_BIN" hss --db "sqlite:$WORK/lab/hss.db" import "$SUBSCRIBERS" >"$WORK/import.log" 2>&1 \
    || { cat "$WORK/import.log" >&2; tb_die "imsctl hss import failed"; }
tb_log "provisioned: $(cat "$WORK/import.log")"

# users_csv FIRST COUNT PREFIX: a sipp -inf file for ue-register.xml of COUNT users (AKA).
users_csv() {
    local u
    echo SEQUENTIAL
    for u in $(seq -f "$3%05g" "$1" $(( $1 + $2 - 1 ))); do ims_ue_line "$u" AKAv1-MD5; done
}
# pairs_csv COUNT: caller;callee lines.
pairs_csv() {
    local i
    echo SEQUENTIAL
    for i in $(seq 1 "$1"); do printf 'ca%05d;cb%05d\n' "$i" "$i"; done
}

ROWS=()

# pids_cpu_ticks "PID...": CPU ticks summed over the PIDs and their descendants.
pids_cpu_ticks() {
    local total=0 p
    for p in $1; do total=$(( total + $(tb_cpu_ticks "$p") )); done
    echo "$total"
}
pids_rss_kb() {
    local total=0 p
    for p in $1; do total=$(( total + $(tb_rss_kb "$p") )); done
    echo "$total"
}

# sipp_run DIR NAME TARGET PORT ARGS...: one sipp on CPU 0 from LAB_IP:PORT (or as UAS when
# TARGET is "-"), in DIR (its -trace_* files land there); pid in DIR/NAME.pid.
sipp_run() {
    local d="$1" name="$2" target="$3" port="$4"
    shift 4
    local dest=()
    [ "$target" = - ] || dest=("$target")
    (cd "$d" && exec taskset -c 0 sipp "${dest[@]}" -t u1 -i "$LAB_IP" -p "$port" \
        -mi "$LAB_IP" -mp "$(tb_free_port)" -auth_uri ims.test -nostdin -buff_size 4194304 "$@" \
        </dev/null >"$d/$name.log" 2>&1) &
    echo $! >"$d/$name.pid"
    TB_PIDFILES+=("$d/$name.pid")
}

# rechallenged DIR: how many registrations in DIR answered a second challenge (the third
# REGISTER of ue-register.xml, from sipp's -trace_counts file), "-" when there is none.
rechallenged() {
    local f
    f="$(find "$1" -maxdepth 1 -name '*_counts.csv' | head -n 1)"
    [ -n "$f" ] || { echo -; return; }
    awk -F';' '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+_REGISTER_Sent$/ && ++n == 3) c = i; next }
        { last = $0 }
        END { if (!c) { print "-"; exit } split(last, f, ";"); print f[c] }
    ' "$f"
}

# measure_row TARGET WORKLOAD RATE COUNT UNIT DIR CPU_TICKS PIDS: read the UAC's stats in DIR
# and append a table row.
measure_row() {
    local target="$1" wl="$2" rate="$3" count="$4" unit="$5" d="$6" ticks="$7" pids="$8"
    local ok fail retr uas_retr rtt p50 p99 cpu_s per rss again
    ok="$(tb_sipp_stat "$d/uac-stat.csv" 'SuccessfulCall(C)')"
    fail="$(tb_sipp_stat "$d/uac-stat.csv" 'FailedCall(C)')"
    retr="$(tb_sipp_stat "$d/uac-stat.csv" 'Retransmissions(C)')"
    uas_retr="-"
    [ -f "$d/uas-stat.csv" ] && uas_retr="$(tb_sipp_stat "$d/uas-stat.csv" 'Retransmissions(C)')"
    rtt="$(find "$d" -maxdepth 1 -name '*_rtt.csv' | head -n 1)"
    read -r p50 p99 <<<"$(tb_rtt_percentiles "${rtt:-/dev/null}")"
    rss="$(pids_rss_kb "$pids")"
    again="$(rechallenged "$d")"
    cpu_s="$(awk -v t="$ticks" -v hz="$TB_CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')"
    if [[ "$ok" =~ ^[0-9]+$ ]] && [ "$ok" -gt 0 ]; then
        per="$(awk -v c="$cpu_s" -v n="$ok" 'BEGIN { printf "%.0f", c * 1e6 / n }')"
    else
        per="NA"
    fi
    if [ "$fail" != 0 ] || [ "$ok" != "$count" ]; then LOSSY=$((LOSSY + 1)); fi
    ROWS+=("| $target | $wl | $rate | $ok/$count | $fail | $again | $retr+$uas_retr | $cpu_s | $per µs/$unit | $rss | $p50 | $p99 |")
    tb_log "$target $wl $rate/s: ok $ok/$count failed $fail re-challenged $again retrans $retr+$uas_retr cpu ${cpu_s}s = $per µs/$unit rss ${rss}KB rtt p50 $p50 p99 $p99 ms"
    if [ "$fail" != 0 ] && [ -f "$d/uac-errors.log" ]; then
        tail -n 8 "$d/uac-errors.log" | sed 's/^/      /' >&2
    fi
}

# register_step TARGET IP PORT PIDS RATE FIRST COUNT PREFIX: register COUNT users (PREFIX
# FIRST...) once each at RATE/s through the P-CSCF IP:PORT, measured.
register_step() {
    local target="$1" ip="$2" pport="$3" pids="$4" rate="$5" first="$6" count="$7" prefix="$8"
    local d="$WORK/$target-reg-$prefix-$first" cpu0 cpu1 limit
    mkdir -p "$d"
    users_csv "$first" "$count" "$prefix" >"$d/users.csv"
    limit=$(( count / rate + 20 ))
    cpu0="$(pids_cpu_ticks "$pids")"
    sipp_run "$d" uac "$ip:$pport" "$(tb_free_port)" -sf "$SCEN/ue-register.xml" \
        -inf "$d/users.csv" -key expires "$EXPIRES" -r "$rate" -m "$count" \
        -l $(( rate * 4 + 50 )) -timeout "${limit}s" -max_retrans 5 \
        -default_behaviors all,-bye -trace_stat -stf "$d/uac-stat.csv" -fd 1 \
        -trace_rtt -rtt_freq 1 -trace_counts -trace_err -error_file "$d/uac-errors.log"
    tb_wait_exit "$d/uac.pid" $(( limit + 5 ))
    cpu1="$(pids_cpu_ticks "$pids")"
    measure_row "$target" register "$rate" "$count" registration "$d" $(( cpu1 - cpu0 )) "$pids"
}

# bench_target NAME IP PORT "PIDS": every registration and call step against the P-CSCF at
# IP:PORT, charging the CPU time of PIDS (and their descendants). The subscribers of
# $SUBSCRIBERS must be known to the target's HSS. This is the hook for other targets (the
# Kamailio IMS trio): start them, then call bench_target with their P-CSCF and PIDs.
bench_target() {
    local name="$1" ip="$2" pport="$3" pids="$4" nsteps per first rate d count limit
    local ca cb cpu0 cpu1
    # Registrations: USERS split over the steps, each user registered once.
    nsteps="$(wc -w <<<"$REG_RATES")"
    per=$(( USERS / nsteps ))
    first=1
    for rate in $REG_RATES; do
        register_step "$name" "$ip" "$pport" "$pids" "$rate" "$first" "$per" reg
        first=$(( first + per ))
    done
    # Calls: CALL_PAIRS callers on one port, as many callees on another (unmeasured
    # registrations), then one UAS + one UAC per rate.
    [ "$CALL_PAIRS" -gt 0 ] || return 0
    ca="$(tb_free_port)"
    cb="$(tb_free_port)"
    register_on_port "$name" "$ip" "$pport" "$pids" ca "$ca"
    register_on_port "$name" "$ip" "$pport" "$pids" cb "$cb"
    pairs_csv "$CALL_PAIRS" >"$WORK/pairs.csv"
    for rate in $CALL_RATES; do
        d="$WORK/$name-calls-$rate"
        mkdir -p "$d"
        count=$(( rate * CALL_STEP_S ))
        limit=$(( CALL_STEP_S + 20 ))
        sipp_run "$d" uas - "$cb" -sf "$SCEN/uas-ue.xml" -m "$count" -timeout "${limit}s" \
            -d 0 -trace_stat -stf "$d/uas-stat.csv" -fd 1
        ims_wait_udp "$LAB_IP" "$cb" 5 || true
        cpu0="$(pids_cpu_ticks "$pids")"
        sipp_run "$d" uac "$ip:$pport" "$ca" -sf "$SCEN/uac-call.xml" -inf "$WORK/pairs.csv" \
            -r "$rate" -m "$count" -d "$HOLD_MS" -l $(( rate * 4 + 50 )) \
            -timeout "${limit}s" -max_retrans 5 -trace_stat -stf "$d/uac-stat.csv" -fd 1 \
            -trace_rtt -rtt_freq 1 -trace_err -error_file "$d/uac-errors.log"
        tb_wait_exit "$d/uac.pid" $(( limit + 5 ))
        cpu1="$(pids_cpu_ticks "$pids")"
        tb_wait_exit "$d/uas.pid" 5
        measure_row "$name" calls "$rate" "$count" call "$d" $(( cpu1 - cpu0 )) "$pids"
    done
}

# register_on_port TARGET IP PORT PIDS PREFIX UE_PORT: register the CALL_PAIRS users PREFIX...
# from UE_PORT (where their UAC or UAS runs next), at 100/s, not measured.
register_on_port() {
    local target="$1" ip="$2" pport="$3" pids="$4" prefix="$5" port="$6"
    local d="$WORK/$target-reg-$prefix" limit
    mkdir -p "$d"
    users_csv 1 "$CALL_PAIRS" "$prefix" >"$d/users.csv"
    limit=$(( CALL_PAIRS / 100 + 20 ))
    sipp_run "$d" uac "$ip:$pport" "$port" -sf "$SCEN/ue-register.xml" -inf "$d/users.csv" \
        -key expires "$EXPIRES" -r 100 -m "$CALL_PAIRS" -timeout "${limit}s" -max_retrans 5 \
        -default_behaviors all,-bye \
        -trace_stat -stf "$d/uac-stat.csv" -fd 1 -trace_err -error_file "$d/uac-errors.log"
    tb_wait_exit "$d/uac.pid" $(( limit + 5 ))
    local ok
    ok="$(tb_sipp_stat "$d/uac-stat.csv" 'SuccessfulCall(C)')"
    tb_log "$target: registered $ok/$CALL_PAIRS $prefix users from port $port"
    [ "$ok" = "$CALL_PAIRS" ] || LOSSY=$((LOSSY + 1))
}

# --- ims-lab --------------------------------------------------------------------------------
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
ims_lab_ports_free "$LAB_IP" || tb_die "ports of $LAB_IP are busy: set LAB_IP to another 127.x address"
# The bench users have no OCS account and Kamailio's trio charges nothing: measure the CSCFs
# without online charging (CHARGED=1 keeps the lab's default, Ro and Rf on).
if [ "${CHARGED:-0}" != 1 ]; then
    export IMS_SCSCF__CHARGING__ONLINE_ORIGINATING=false IMS_SCSCF__CHARGING__OFFLINE=false
fi
if ims_lab_start "$LAB_BIN" "$LAB_IP" "$WORK/lab" "$WORK/lab.pid" "$WORK/lab.log" taskset -c 1; then
    sleep 0.5   # let start-up work finish before the CPU is read
    bench_target ims-lab "$LAB_IP" 5060 "$(cat "$WORK/lab.pid")"
else
    FAILED=$((FAILED + 1))
    tail -n 20 "$WORK/lab.log" >&2
    ROWS+=("| ims-lab | - | - | did not start | | | | | | | | |")
fi
tb_stop "$WORK/lab.pid" 15

# Other targets: a file that defines bench_extra_targets (e.g. testbeds/kamailio-ims), which
# starts its nodes with their own HSS provisioned from $SUBSCRIBERS, calls
# `bench_target NAME PCSCF_IP PCSCF_PORT "PIDS"` and stops them.
if [ -n "${BENCH_TARGETS_HOOK:-}" ]; then
    # shellcheck source=/dev/null
    . "$BENCH_TARGETS_HOOK"
    if declare -F bench_extra_targets >/dev/null; then bench_extra_targets; fi
fi

TABLE="$(
    echo "| target | workload | offered /s | ok/sent | failed | re-challenged | retrans (uac+uas) | target CPU s | CPU per unit | RSS KB | RTT p50 ms | RTT p99 ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${ROWS[@]}"
)"
echo "$TABLE"

if [ "$SMOKE" = 0 ]; then
    {
        echo
        echo "## IMS registrations and calls through ims-lab: $(date -u '+%Y-%m-%d %H:%M UTC') — $(uname -n), $(nproc) CPUs, load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after"
        echo
        echo "Command: \`${TB_LAB_BIN:+TB_LAB_BIN=$TB_LAB_BIN }USERS=$USERS REG_RATES=\"$REG_RATES\" CALL_PAIRS=$CALL_PAIRS CALL_RATES=\"$CALL_RATES\" CALL_STEP_S=$CALL_STEP_S HOLD_MS=$HOLD_MS $CMDLINE\`"
        echo
        echo "$TABLE"
    } >>"$RESULTS"
    tb_log "appended to $RESULTS"
fi
[ "$LOSSY" = 0 ] || tb_log "$LOSSY step(s) with failed registrations or calls"
[ "$FAILED" = 0 ] || tb_log "the lab did not start"
if [ "$SMOKE" = 1 ]; then FAILED=$((FAILED + LOSSY)); fi
[ "$FAILED" = 0 ]
