# shellcheck shell=bash
# The calls workload of bench.sh (sourced by it): CPU per call between registered UEs.
# Per trio: CALL_PAIRS callers (ca00001...) register from one UDP port and as many callees
# (cb00001...) from another (ims-sipp/scenarios/ue-register.xml, Expires 3600, unmeasured);
# then for each offered rate, a UAS on the callees' port (ims-sipp/scenarios/uas-ue.xml: 180,
# 200, then 200 to the BYE) and a UAC on the callers' port (uac-call.xml: INVITE with SDP
# through the P-CSCF, ACK and BYE along the Record-Route, hold HOLD_MS) send RATE*STEP_S
# calls from caller N to callee N: P-CSCF -> S-CSCF (originating, then terminating: the
# callee is served by the same S-CSCF) -> P-CSCF -> UE. CPU of the three CSCF processes (all
# of Kamailio's) before and after the UAC, divided by the successful calls; the HSS's apart.
# Before the steps, the trio's CPU over IDLE_S seconds without traffic gives its idle burn
# (ms of CPU per s); "net of idle" takes that out of each step (over the UAC's run time).
# Env: CALL_PAIRS (100), CALL_RATES ("10 20 50 100"), CALL_STEP_S (10), HOLD_MS (100), IDLE_S (10),
# SIPP_TRACE=1 (sipp's message traces in the work directory).
# --smoke: CALL_PAIRS=5, one step of 5/s for 2 s.

calls_defaults() {
    export TRIOS="${TRIOS:-kamailio ours}" CALL_PAIRS="${CALL_PAIRS:-100}" CALL_RATES="${CALL_RATES:-10 20 50 100}"
    export CALL_STEP_S="${CALL_STEP_S:-10}" HOLD_MS="${HOLD_MS:-100}" IDLE_S="${IDLE_S:-10}"
    if [ "$SMOKE" = 1 ]; then
        CALL_PAIRS="${SMOKE_CALL_PAIRS:-5}" CALL_RATES="${SMOKE_CALL_RATES:-5}" CALL_STEP_S="${SMOKE_CALL_STEP_S:-2}"
    fi
    SETTINGS="CALL_PAIRS=$CALL_PAIRS CALL_RATES=\"$CALL_RATES\" CALL_STEP_S=$CALL_STEP_S HOLD_MS=$HOLD_MS IDLE_S=$IDLE_S"
    BENCH_TIMEOUT_S="${BENCH_TIMEOUT_S:-$(( 300 + $(wc -w <<<"$TRIOS") * (120 + $(wc -w <<<"$CALL_RATES") * (CALL_STEP_S + 30)) ))}"
}
calls_users() { seq -f 'ca%05g' 1 "$CALL_PAIRS"; seq -f 'cb%05g' 1 "$CALL_PAIRS"; }

CA_PORT=5091
CB_PORT=5092
ISCEN="$TB_ROOT/ims-sipp/scenarios"

# calls_sipp DIR NAME PORT [TARGET|-] ARGS...: one sipp on CPU 0 from 127.0.0.1:PORT in the
# background (its -trace files land in DIR); pid in DIR/NAME.pid.
calls_sipp() {
    local d="$1" name="$2" port="$3" target="$4"
    shift 4
    local dest=()
    [ "$target" = - ] || dest=("$target")
    [ "${SIPP_TRACE:-0}" = 1 ] && set -- "$@" -trace_msg
    (cd "$d" && exec taskset -c 0 sipp "${dest[@]}" -t u1 -i 127.0.0.1 -p "$port" \
        -mp $(( port * 4 )) -nostdin -nd -buff_size 4194304 "$@" </dev/null >"$d/$name.log" 2>&1) &
    echo $! >"$d/$name.pid"
    TB_PIDFILES+=("$d/$name.pid")
}

# calls_register TRIO PREFIX PORT: register the CALL_PAIRS users PREFIX... from PORT at 50/s.
calls_register() {
    local d="$WORK/calls-$1-reg-$2" ok
    mkdir -p "$d"
    { echo SEQUENTIAL; seq -f "$2%05g" 1 "$CALL_PAIRS" \
        | awk '{ printf "%s;AKAv1-MD5;[authentication username=%s@ims.test %s]\n", $1, $1, keys }' \
            keys="$AKA_KEYS"; } >"$d/users.csv"
    calls_sipp "$d" reg "$3" "127.0.0.1:$ENTRY" -sf "$ISCEN/ue-register.xml" -inf "$d/users.csv" \
        -key expires 3600 -auth_uri ims.test -r 50 -m "$CALL_PAIRS" -timeout $(( CALL_PAIRS / 50 + 30 )) \
        -max_retrans 5 -default_behaviors all,-bye -trace_stat -stf "$d/stat.csv" -fd 1 \
        -trace_err -error_file "$d/err.log"
    tb_wait_exit "$d/reg.pid" $(( CALL_PAIRS / 50 + 35 ))
    ok="$(tb_sipp_stat "$d/stat.csv" 'SuccessfulCall(C)')"
    tb_log "$1: registered $ok/$CALL_PAIRS $2 users from port $3"
    [ "$ok" = "$CALL_PAIRS" ] || LOSSY=$((LOSSY + 1))
}

calls_run() {
    local trio rate d count limit c0 c1 h0 h1 ok fail retr uretr p50 p99 cpu_s hss_s per hper
    local t0 t1 idle net
    local i
    { echo SEQUENTIAL; for i in $(seq 1 "$CALL_PAIRS"); do printf 'ca%05d;cb%05d\n' "$i" "$i"; done; } >"$WORK/pairs.csv"
    for trio in $TRIOS; do
        start_trio "$trio" || continue
        calls_register "$trio" ca "$CA_PORT"
        calls_register "$trio" cb "$CB_PORT"
        # What the trio burns with no traffic (timers, Diameter watchdogs): per second.
        sleep 1
        c0=$(cpu_ticks $PIDS); t0=$(date +%s.%N)
        sleep "$IDLE_S"
        c1=$(cpu_ticks $PIDS); t1=$(date +%s.%N)
        idle=$(awk -v t=$(( c1 - c0 )) -v hz="$TB_CLK_TCK" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", t / hz / (b - a) }')
        tb_log "$trio idle: $(( c1 - c0 )) ticks in $IDLE_S s"
        for rate in $CALL_RATES; do
            d="$WORK/calls-$trio-$rate"
            mkdir -p "$d"
            count=$(( rate * CALL_STEP_S ))
            limit=$(( CALL_STEP_S + 20 ))
            calls_sipp "$d" uas "$CB_PORT" - -sf "$ISCEN/uas-ue.xml" -m "$count" -timeout "${limit}s" \
                -d 0 -trace_stat -stf "$d/uas-stat.csv" -fd 1
            sleep 0.5
            c0=$(cpu_ticks $PIDS); h0=$(cpu_ticks "$HSS_PID"); t0=$(date +%s.%N)
            calls_sipp "$d" uac "$CA_PORT" "127.0.0.1:$ENTRY" -sf "$ISCEN/uac-call.xml" \
                -inf "$WORK/pairs.csv" -r "$rate" -m "$count" -d "$HOLD_MS" -l $(( rate * 4 + 50 )) \
                -timeout "${limit}s" -max_retrans 5 -trace_stat -stf "$d/uac-stat.csv" -fd 1 \
                -trace_rtt -rtt_freq 1 -trace_err -error_file "$d/uac-err.log"
            tb_wait_exit "$d/uac.pid" $(( limit + 5 ))
            c1=$(cpu_ticks $PIDS); h1=$(cpu_ticks "$HSS_PID"); t1=$(date +%s.%N)
            tb_wait_exit "$d/uas.pid" 5
            ok="$(tb_sipp_stat "$d/uac-stat.csv" 'SuccessfulCall(C)')"
            fail="$(tb_sipp_stat "$d/uac-stat.csv" 'FailedCall(C)')"
            retr="$(tb_sipp_stat "$d/uac-stat.csv" 'Retransmissions(C)')"
            uretr="$(tb_sipp_stat "$d/uas-stat.csv" 'Retransmissions(C)')"
            read -r p50 p99 <<<"$(tb_rtt_percentiles "$(find "$d" -maxdepth 1 -name '*_rtt.csv' | head -n 1)")"
            cpu_s=$(secs $(( c1 - c0 ))); hss_s=$(secs $(( h1 - h0 )))
            per=$(per_unit "$cpu_s" "${ok:-0}"); hper=$(per_unit "$hss_s" "${ok:-0}")
            net=$(per_unit "$(awk -v c="$cpu_s" -v i="$idle" -v a="$t0" -v b="$t1" 'BEGIN { v = c - i * (b - a); if (v < 0) v = 0; print v }')" "${ok:-0}")
            [ "${ok:-0}" = "$count" ] || LOSSY=$((LOSSY + 1))
            tb_log "$trio calls $rate/s: ok $ok/$count failed $fail retrans $retr+$uretr cscf cpu ${cpu_s}s = $per µs/call ($net net of idle), hss ${hss_s}s, INVITE->200 p50 $p50 p99 $p99 ms"
            if [ "${fail:-0}" != 0 ] && [ -f "$d/uac-err.log" ]; then tail -n 6 "$d/uac-err.log" | sed 's/^/      /' >&2; fi
            ROWS+=("| $trio | $rate | $count | $ok | $fail | $retr+$uretr | $(awk -v i="$idle" 'BEGIN { printf "%.0f", i * 1000 }') | $cpu_s | $per | $net | $hss_s | $hper | $p50 / $p99 |")
        done
        stop_trio
    done
    TABLE="$(
        echo "| trio | calls /s | calls | ok | failed | retrans (uac+uas) | CSCF idle CPU ms/s | CSCF CPU s | CSCF µs/call | CSCF µs/call net of idle | HSS CPU s | HSS µs/call | INVITE→200 p50 / p99 ms |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        printf '%s\n' "${ROWS[@]}"
    )"
    TITLE="kamailio-ims: calls between registered UEs through Kamailio's trio and ours"
    NOTE="$CALL_PAIRS callers and $CALL_PAIRS callees registered (AKAv1-MD5) through each trio; a call is INVITE (SDP)/180/200/ACK, BYE/200 after ${HOLD_MS} ms, P-CSCF → S-CSCF (orig + term) → P-CSCF → UE, record-routed by both; µs/call = CPU time of the three CSCFs (utime+stime, all processes, the I-CSCF included though no call passes it) / successful calls; net of idle: minus the trio's CPU burn without traffic (measured over ${IDLE_S} s before the steps) over the step's duration; RTT INVITE→200 in sipp's 4 ms steps."
}
