#!/usr/bin/env bash
# IMS trios compared (P-CSCF -> I-CSCF -> S-CSCF) with OUR HSS, inside a private network +
# mount namespace (as run.sh): Kamailio's trio (kamailio-ims/*.cfg.in: a generic P-CSCF,
# ims_icscf, ims_auth + ims_registrar_scscf) and ours (ims-pcscf, ims-icscf, ims-scscf).
# The servers are pinned to CPU 1 and sipp to CPU 0; CPU = utime+stime (/proc/PID/stat) of
# every CSCF process (for Kamailio: all its processes), the HSS's apart, read before and
# after each step and divided by what succeeded. Workloads:
#   register (default, here): for each offered rate, sipp registers RATE*STEP_S users not
#     used before (a first registration each: UAR, MAR, 401, SAR, 200) with AKAv1-MD5.
#   contacts (bench-contacts.sh): memory per registered contact, N contacts.
#   calls (bench-calls.sh): CPU per call between registered UEs.
# The subscribers are imported into an HSS store (imsctl hss import) once; each trio starts
# on a fresh copy of it.
#
# usage: bench.sh [--smoke] [register|contacts|calls]
# Env: TRIOS (register, calls: "kamailio ours"; contacts: "kamailio ours-mem ours"; "ours"
#      is our S-CSCF on its SQLite store behind its binding cache, "ours-nocache" on SQLite
#      alone, "ours-mem" on its in-memory store), CHILDREN
#      (Kamailio UDP workers, 4), CDP_WORKERS (4), RESULTS (file to append to;
#      testbeds/RESULTS.md, not with --smoke), BIN_DIR (default target/release, built
#      first), KEEP_WORK=1, BENCH_TIMEOUT_S (the whole run's bound).
#      register: RATES ("50 100 200 400"), STEP_S (10), BENCH_RURI (the REGISTER Request-URI,
#      default sip:127.0.0.1:5060, see below). contacts, calls: see their files.
# Exit status: non-zero when a node did not start, or (with --smoke) when a registration or
# call failed.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

ARGS=("$@")
SMOKE=0
[ "${1:-}" = "--smoke" ] && { SMOKE=1; shift; }
WORKLOAD="${1:-register}"
KAM_DEBUG="${KAM_DEBUG:-1}"
export CHILDREN="${CHILDREN:-4}" CDP_WORKERS="${CDP_WORKERS:-4}" KAM_DEBUG
export RESULTS="${RESULTS:-$TB_ROOT/RESULTS.md}" SMOKE
BUILD=1
[ -n "${BIN_DIR:-}" ] && BUILD=0
export BIN_DIR="${BIN_DIR:-$TB_REPO/target/release}"

# --- the register workload (the others define the same four functions in their file) ------
register_defaults() {
    export TRIOS="${TRIOS:-kamailio ours}" RATES="${RATES:-50 100 200 400}" STEP_S="${STEP_S:-10}"
    if [ "$SMOKE" = 1 ]; then
        RATES="${SMOKE_RATE:-50}"
        STEP_S="${SMOKE_STEP_S:-2}"
    fi
    export BENCH_RURI="${BENCH_RURI:-}"
    SETTINGS="RATES=\"$RATES\" STEP_S=$STEP_S"
    BENCH_TIMEOUT_S="${BENCH_TIMEOUT_S:-1800}"
}
register_users() { # the user names, one a line: one slice per step, every registration a first
    local n=0 t r
    for t in $TRIOS; do
        for r in $RATES; do n=$(( n + r * STEP_S )); done
    done
    seq -f 'u%06g' 1 "$n"
}
register_run() {
    # The Request-URI: sipp puts "sip:REMOTE_IP:PORT" in the digest uri whatever the
    # Request-URI, and our S-CSCF (sip-proto digest) requires them equal, so both trios get
    # that Request-URI until that check is relaxed (BENCH_RURI=sip:ims.test for the standard
    # form; the other workloads use sipp's -auth_uri instead).
    sed -e '/P-Visited-Network-ID/d' \
        -e "s#^      REGISTER sip:ims.test SIP/2.0#      REGISTER ${BENCH_RURI:-sip:127.0.0.1:$KAM_P} SIP/2.0#" \
        "$SCEN/register-aka.xml" >"$WORK/register-aka-ue.xml"
    local first=1 trio rate n d c0 c1 h0 h1 ok fail retr rtt p50 p99 cpu_s hss_s per hper
    local trace=""
    [ "${SIPP_TRACE:-0}" = 1 ] && trace="-trace_msg"
    for trio in $TRIOS; do
        start_trio "$trio" || continue
        for rate in $RATES; do
            n=$(( rate * STEP_S ))
            d="$WORK/$trio-$rate"
            mkdir -p "$d"
            { echo SEQUENTIAL; sed -n "${first},$(( first + n - 1 ))p" "$WORK/users.lst" \
                | awk '{ printf "%s;[authentication username=%s@ims.test %s];\n", $1, $1, keys }' \
                    keys="$AKA_KEYS"; } >"$d/users.csv"
            c0=$(cpu_ticks $PIDS); h0=$(cpu_ticks "$HSS_PID")
            # shellcheck disable=SC2086
            (cd "$d" && taskset -c 0 sipp -sf "$WORK/register-aka-ue.xml" -inf "$d/users.csv" \
                -m "$n" -r "$rate" -l $(( rate * 4 )) -i 127.0.0.1 -p "$UE_PORT" -t u1 \
                -recv_timeout 8000 -timeout $(( STEP_S * 3 + 20 )) -timeout_error -nostdin -nd \
                -trace_stat -stf "$d/stat.csv" -fd 1 -trace_rtt -rtt_freq 50 \
                -trace_err -error_file "$d/err.log" $trace \
                "127.0.0.1:$ENTRY" >"$d/sipp.out" 2>&1)
            sleep 0.5
            c1=$(cpu_ticks $PIDS); h1=$(cpu_ticks "$HSS_PID")
            ok="$(tb_sipp_stat "$d/stat.csv" 'SuccessfulCall(C)')"
            fail="$(tb_sipp_stat "$d/stat.csv" 'FailedCall(C)')"
            retr="$(tb_sipp_stat "$d/stat.csv" 'Retransmissions(C)')"
            rtt="$(find "$d" -maxdepth 1 -name '*_rtt.csv' | head -n 1)"
            read -r p50 p99 <<<"$(tb_rtt_percentiles "${rtt:-/dev/null}")"
            cpu_s=$(secs $(( c1 - c0 ))); hss_s=$(secs $(( h1 - h0 )))
            per=$(per_unit "$cpu_s" "${ok:-0}"); hper=$(per_unit "$hss_s" "${ok:-0}")
            [ "${ok:-0}" = "$n" ] || LOSSY=$((LOSSY + 1))
            tb_log "$trio $rate/s: ok $ok/$n failed $fail retrans $retr cscf cpu ${cpu_s}s = $per µs/reg, hss ${hss_s}s = $hper µs/reg, p50 $p50 p99 $p99 ms"
            ROWS+=("| $trio | $rate | $n | $ok | $fail | $retr | $cpu_s | $per | $hss_s | $hper | $p50 / $p99 |")
            first=$(( first + n ))
        done
        stop_trio
    done
    TABLE="$(
        echo "| trio | rate /s | registrations | ok | failed | retrans | CSCF CPU s | CSCF µs/reg | HSS CPU s | HSS µs/reg | reg time p50 / p99 ms |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        printf '%s\n' "${ROWS[@]}"
    )"
    TITLE="kamailio-ims: IMS registrations through Kamailio's trio and ours"
    NOTE="A registration is REGISTER/401/REGISTER/200 through P, I and S with UAR, MAR, SAR; µs/reg = CPU time (utime+stime, all processes) / successful registrations; Request-URI ${BENCH_RURI:-sip:127.0.0.1:$KAM_P} (see bench.sh)."
}

case "$WORKLOAD" in
register) ;;
contacts | calls) . "$HERE/bench-$WORKLOAD.sh" ;;
*) tb_die "unknown workload '$WORKLOAD' (register, contacts, calls)" ;;
esac
"${WORKLOAD}_defaults"

if [ "${KIMS_IN_NS:-0}" != 1 ]; then
    tb_require unshare ip kamailio kamcmd sipp taskset sqlite3
    [ "$(nproc)" -ge 2 ] || tb_die "needs 2 CPUs (servers on CPU 1, sipp on CPU 0)"
    if [ "$BUILD" = 1 ]; then
        pkgs=(-p ims-hss -p imsctl)
        case " $TRIOS " in *" ours"*) pkgs+=(-p ims-pcscf -p ims-icscf -p ims-scscf) ;; esac
        tb_log "building ${pkgs[*]} (release)"
        (cd "$TB_REPO" && cargo build --release "${pkgs[@]}") || tb_die "cargo build failed"
    fi
    export CMDLINE="bash testbeds/kamailio-ims/bench.sh ${ARGS[*]} (TRIOS=\"$TRIOS\" $SETTINGS CHILDREN=$CHILDREN CDP_WORKERS=$CDP_WORKERS)"
    exec timeout "$BENCH_TIMEOUT_S" unshare -n -m env KIMS_IN_NS=1 HSS_LOG="${HSS_LOG:-}" \
        ROLE_LOG="${ROLE_LOG:-}" bash "$0" "${ARGS[@]}"
fi

FAILED=0   # a node that did not start
LOSSY=0    # steps with failed registrations or calls
WORK="$(mktemp -d /tmp/tb-kamailio-ims-bench.XXXXXX)"
trap 'tb_cleanup; if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then tb_log "work directory kept: $WORK"; else rm -rf "$WORK"; fi' EXIT
trap 'exit 130' INT TERM
cd "$WORK" || exit 1

# shellcheck source=testbeds/kamailio-ims/common.sh
. "$HERE/common.sh"
kims_setup_ns
export HSS_LOG="${HSS_LOG:-warn}" ROLE_LOG="${ROLE_LOG:-warn}"
AKA_KEYS="aka_K=0123456789abcdef aka_OP=fedcba9876543210 aka_AMF=00"

# The subscribers: imported once into users.db; every trio's HSS starts on a copy.
"${WORKLOAD}_users" >"$WORK/users.lst"
awk 'BEGIN { printf "[[service_profile]]\nid = \"bench\"\nxml = \"<ServiceProfile/>\"\n" }
    { printf "\n[[subscriber]]\nimpi = \"%s@ims.test\"\nimpus = [\"sip:%s@ims.test\"]\n", $1, $1
      printf "k = \"ascii:0123456789abcdef\"\nop = \"ascii:fedcba9876543210\"\namf = \"3030\"\n"
      printf "auth_schemes = [\"AKAv1-MD5\"]\nprofile = \"bench\"\n" }' "$WORK/users.lst" >"$WORK/users.toml"
import_users() { # HSS_TOML: its store (the .db beside it) from users.db, imported first if need be
    local db="${1%.toml}.db" tmp
    if [ ! -f "$WORK/users.db" ]; then
        # On tmpfs: the import commits row by row (10 times faster without the disk's fsync).
        tmp="$(mktemp -d /dev/shm/kims-import.XXXXXX)" || return 1
        sed "s#sqlite:$db#sqlite:$tmp/users.db#" "$1" >"$tmp/hss.toml"
        tb_log "importing $(wc -l <"$WORK/users.lst") subscribers"
        "$BIN_DIR/imsctl" hss import --config "$tmp/hss.toml" "$WORK/users.toml" >"$WORK/import.log" 2>&1 \
            || { tail -5 "$WORK/import.log"; rm -rf "$tmp"; return 1; }
        sqlite3 "$tmp/users.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1
        cp "$tmp/users.db" "$WORK/users.db"
        rm -rf "$tmp"
        tb_log "imported: $(tail -1 "$WORK/import.log")"
    fi
    rm -f "$db" "$db-wal" "$db-shm"
    cp "$WORK/users.db" "$db"
}

# start_trio TRIO: HSS + the trio, pinned to CPU 1; sets P_PID, I_PID, S_PID (the CSCFs; for
# Kamailio the main processes, whose descendants count with them), PIDS, HSS_PID and ENTRY.
start_trio() {
    local trio="$1" p k
    case "$trio" in
    kamailio)
        start_hss "bench-$trio" "sip:scscf.ims.test:$KAM_S" import_users || { trio_failed "$trio"; return 1; }
        PCSCF_NEXT_PORT=$KAM_I
        { start_kamailio scscf && start_kamailio icscf && start_kamailio pcscf \
            && cdp_open scscf 15 && cdp_open icscf 15 && tb_wait_port udp "$KAM_P" 10; } \
            || { trio_failed "$trio"; return 1; }
        P_PID="$(cat "$WORK/pcscf.pid")"; I_PID="$(cat "$WORK/icscf.pid")"; S_PID="$(cat "$WORK/scscf.pid")"
        ENTRY=$KAM_P
        ;;
    ours | ours-mem | ours-nocache)
        start_hss "bench-$trio" "sip:scscf.ims.test:$OUR_S" import_users || { trio_failed "$trio"; return 1; }
        P_ICSCF_PORT=$OUR_I
        P_SCSCF_PORT=$OUR_S
        SCSCF_STORE="sqlite:$WORK/scscf-$trio.db"
        [ "$trio" = ours-mem ] && SCSCF_STORE=memory
        SCSCF_CACHE=true
        [ "$trio" = ours-nocache ] && SCSCF_CACHE=false
        { start_our scscf && start_our icscf && start_our pcscf; } || { trio_failed "$trio"; return 1; }
        P_PID="$(cat "$WORK/our-pcscf.pid")"; I_PID="$(cat "$WORK/our-icscf.pid")"; S_PID="$(cat "$WORK/our-scscf.pid")"
        ENTRY=$OUR_P
        sleep 2   # our Diameter clients connect on their own: let CER/CEA finish
        ;;
    *) tb_log "unknown trio $trio"; trio_failed "$trio"; return 1 ;;
    esac
    PIDS="$P_PID $I_PID $S_PID"
    HSS_PID="$(cat "$WORK/hss.pid")"
    for p in $PIDS $HSS_PID; do
        taskset -a -p -c 1 "$p" >/dev/null 2>&1
        for k in $(tb_descendants "$p"); do taskset -a -p -c 1 "$k" >/dev/null 2>&1; done
    done
}
trio_failed() {
    tb_log "$1 trio did not start"
    FAILED=$((FAILED + 1))
    stop_trio
}
stop_trio() {
    local f
    for f in pcscf icscf scscf our-pcscf our-icscf our-scscf hss; do
        [ -f "$WORK/$f.pid" ] && tb_stop "$WORK/$f.pid" 10
    done
}

cpu_ticks() { # PID...: utime+stime ticks of the processes and their descendants
    local t=0 p
    for p in "$@"; do t=$(( t + $(tb_cpu_ticks "$p") )); done
    echo "$t"
}
secs() { awk -v t="$1" -v hz="$TB_CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'; }
per_unit() { # SECONDS COUNT: µs per unit, NA when nothing succeeded
    awk -v s="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", s * 1e6 / n; else print "NA" }'
}

LOAD0="$(cut -d' ' -f1-3 /proc/loadavg)"
ROWS=()
TABLE=""
"${WORKLOAD}_run"
echo "$TABLE"
if [ "$SMOKE" = 0 ] && [ "${#ROWS[@]}" -gt 0 ]; then
    {
        echo
        echo "## $TITLE ($(date -u '+%Y-%m-%d %H:%M') UTC)"
        echo
        echo "Command: \`$CMDLINE\` — Kamailio $(kamailio -v 2>/dev/null | awk '/^version/ {print $3}'), our HSS for both trios; servers on CPU 1, sipp on CPU 0; machine load at the start: $LOAD0, at the end: $(cut -d' ' -f1-3 /proc/loadavg). $NOTE"
        echo
        echo "$TABLE"
    } >>"$RESULTS"
    tb_log "appended to $RESULTS"
fi
[ "$FAILED" = 0 ] || exit 1
[ "$SMOKE" = 0 ] || [ "$LOSSY" = 0 ]
