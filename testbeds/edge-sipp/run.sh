#!/usr/bin/env bash
# edge-sipp testbed: sipp UAS <- proxy <- sipp UAC on 127.0.0.1, over UDP and TCP.
#   calls (INVITE/180/200/ACK/BYE, record-routed), OPTIONS and MESSAGE relayed, a tshark
#   capture of the UDP calls with no malformed frame, and a bad-input check.
# PROXY=ims-edge (default) or PROXY=kamailio (the reference: proves the scenarios).
# Env: CALLS (1000), CALL_RATE (200), REQS (100), TCP_MODE (tn: one connection per call, or
#      t1), HOLD_MS (100: time between ACK and BYE), RING_MS (20: between 180 and 200),
#      KEEP_WORK=1 keeps the work directory. Exits non-zero on any failure; < 3 min.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

PROXY="${PROXY:-ims-edge}"
CALLS="${CALLS:-1000}"
CALL_RATE="${CALL_RATE:-200}"
REQS="${REQS:-100}"
TCP_MODE="${TCP_MODE:-tn}"
HOLD_MS="${HOLD_MS:-100}"
RING_MS="${RING_MS:-20}"
BADINPUT_SKIP=""
SCEN="$HERE/scenarios"

tb_require sipp tshark python3 ss taskset
WORK="$(mktemp -d /tmp/tb-edge-sipp.XXXXXX)"
on_exit() {
    tb_cleanup
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
        tb_log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
FAILED=0
PASSED=0
trap on_exit EXIT
cd "$WORK" || exit 1   # a crashing peer writes its core file here
trap 'exit 130' INT TERM

P="$(tb_free_port)"            # proxy, UDP and TCP
U_CALL_UDP="$(tb_free_port)"   # call UAS over UDP   (Request-URI user 1...)
U_CALL_TCP="$(tb_free_port)"   # call UAS over TCP   (user 2...)
U_OPTIONS="$(tb_free_port)"    # OPTIONS UAS         (user 3...)
U_MESSAGE="$(tb_free_port)"    # MESSAGE UAS         (user 4...)
tb_log "proxy=$PROXY port $P; UAS ports $U_CALL_UDP $U_CALL_TCP $U_OPTIONS $U_MESSAGE; work $WORK"

result() { # NAME STATUS [DETAIL]
    if [ "$2" = 0 ]; then
        PASSED=$((PASSED + 1)); echo "  ok    $1${3:+ ($3)}"
    else
        FAILED=$((FAILED + 1)); echo "  FAIL  $1${3:+ ($3)}"
    fi
}

start_proxy() {
    case "$PROXY" in
    kamailio)
        tb_require kamailio
        # Kamailio drops a request without Call-ID silently (sl cannot build its reply).
        BADINPUT_SKIP="missing Call-ID"
        sed -e "s/@PROXY_PORT@/$P/g" -e "s/@UAS_CALL_UDP@/$U_CALL_UDP/g" \
            -e "s/@UAS_CALL_TCP@/$U_CALL_TCP/g" -e "s/@UAS_OPTIONS@/$U_OPTIONS/g" \
            -e "s/@UAS_MESSAGE@/$U_MESSAGE/g" "$HERE/kamailio.cfg.in" >"$WORK/kamailio.cfg"
        kamailio -c -f "$WORK/kamailio.cfg" >"$WORK/kamailio-check.log" 2>&1 \
            || { cat "$WORK/kamailio-check.log" >&2; tb_die "kamailio config check failed"; }
        tb_start kamailio "$WORK/proxy.pid" "$WORK/proxy.log" \
            kamailio -f "$WORK/kamailio.cfg" -DD -E -m 64 -M 8 -Y "$WORK" -w "$WORK"
        ;;
    ims-edge)
        local bin
        bin="$(tb_ims_edge_bin)" || tb_die "cannot build ims-edge"
        cat >"$WORK/edge.toml" <<TOML
# Written by testbeds/edge-sipp/run.sh (the shape of roles/config/edge.toml).
[node]
name = "edge-sipp"
mode = "stateful"
record_route = true

[[listen]]
transport = "udp"
addr = "127.0.0.1:$P"

[[listen]]
transport = "tcp"
addr = "127.0.0.1:$P"

[[route]]
name = "calls-udp"
user_prefix = "1"
destinations = ["sip:127.0.0.1:$U_CALL_UDP;transport=udp"]

[[route]]
name = "calls-tcp"
user_prefix = "2"
destinations = ["sip:127.0.0.1:$U_CALL_TCP;transport=tcp"]

[[route]]
name = "options"
method = "OPTIONS"
user_prefix = "3"
destinations = ["sip:127.0.0.1:$U_OPTIONS;transport=udp"]

[[route]]
name = "message"
method = "MESSAGE"
user_prefix = "4"
destinations = ["sip:127.0.0.1:$U_MESSAGE;transport=udp"]

[log]
level = "warn"
TOML
        "$bin" --config "$WORK/edge.toml" --check-config >"$WORK/check-config.log" 2>&1 \
            || { cat "$WORK/check-config.log" >&2; tb_die "ims-edge --check-config failed"; }
        tb_start ims-edge "$WORK/proxy.pid" "$WORK/proxy.log" "$bin" --config "$WORK/edge.toml"
        ;;
    *) tb_die "PROXY must be ims-edge or kamailio, not '$PROXY'" ;;
    esac
    if ! tb_wait_port udp "$P" 15 || ! tb_wait_port tcp "$P" 5; then
        cat "$WORK/proxy.log" >&2
        tb_die "$PROXY did not start"
    fi
}

# sipp_pair NAME UAS_XML UAS_PORT UAS_T UAC_XML SERVICE UAC_T RATE COUNT
# Runs a sipp UAS and a sipp UAC through the proxy; passes when both exit 0 and the UAC
# counts COUNT successful calls and no failed one.
sipp_pair() {
    local name="$1" uas_xml="$2" uas_port="$3" uas_t="$4" uac_xml="$5" service="$6"
    local uac_t="$7" rate="$8" count="$9" d="$WORK/$1" limit uas_rc uac_rc ok fail
    mkdir -p "$d"
    limit=$(( count / rate + 15 ))
    tb_start "$name-uas" "$d/uas.pid" "$d/uas.log" \
        sipp -sf "$SCEN/$uas_xml" -t "$uas_t" -i 127.0.0.1 -p "$uas_port" \
        -mi 127.0.0.1 -mp "$(tb_free_port)" -m "$count" -timeout "${limit}s" -nostdin \
        -max_socket 4096 -d "$RING_MS" \
        -trace_err -error_file "$d/uas-errors.log" -trace_screen -screen_file "$d/uas-screen.log"
    tb_wait_port "$([ "$uas_t" = u1 ] && echo udp || echo tcp)" "$uas_port" 5 || true
    tb_start "$name-uac" "$d/uac.pid" "$d/uac.log" \
        sipp "127.0.0.1:$P" -sf "$SCEN/$uac_xml" -s "$service" -t "$uac_t" -i 127.0.0.1 \
        -p "$(tb_free_port)" -mi 127.0.0.1 -mp "$(tb_free_port)" -r "$rate" -m "$count" \
        -d "$HOLD_MS" -max_socket 4096 \
        -timeout "${limit}s" -timeout_error -nostdin -max_retrans 4 \
        -trace_stat -stf "$d/uac-stat.csv" -fd 1 \
        -trace_err -error_file "$d/uac-errors.log" -trace_screen -screen_file "$d/uac-screen.log"
    tb_wait_exit "$d/uac.pid" $(( limit + 5 )); uac_rc=$TB_RC
    tb_wait_exit "$d/uas.pid" 10; uas_rc=$TB_RC
    ok="$(tb_sipp_stat "$d/uac-stat.csv" 'SuccessfulCall(C)')"
    fail="$(tb_sipp_stat "$d/uac-stat.csv" 'FailedCall(C)')"
    if [ "$uac_rc" = 0 ] && [ "$uas_rc" = 0 ] && [ "$ok" = "$count" ] && [ "$fail" = 0 ]; then
        result "$name" 0 "$ok/$count ok, $fail failed"
    else
        result "$name" 1 "uac rc $uac_rc, uas rc $uas_rc, $ok/$count ok, $fail failed; see $d"
        tail -n 5 "$d/uac-errors.log" "$d/uas-errors.log" 2>/dev/null | sed 's/^/      /'
    fi
}

start_proxy

echo "edge-sipp ($PROXY):"
# 1. Calls over UDP, captured: no malformed frame.
tb_capture_start "$WORK/tshark.pid" "$WORK/udp-calls.pcap" "$P" "$U_CALL_UDP" \
    || tb_die "cannot start tshark"
sipp_pair calls-udp uas-call.xml "$U_CALL_UDP" u1 uac-call.xml 1000 u1 "$CALL_RATE" "$CALLS"
tb_capture_stop "$WORK/tshark.pid"
if tb_malformed_check "$WORK/udp-calls.pcap" "$P" "$U_CALL_UDP" 2>"$WORK/malformed.log"; then
    result "capture-no-malformed" 0 "$(tail -n 1 "$WORK/malformed.log" | sed 's/^.*: //')"
else
    result "capture-no-malformed" 1 "$(head -n 3 "$WORK/malformed.log" | tr '\n' ' ')"
fi

# 2. Calls over TCP.
sipp_pair calls-tcp uas-call.xml "$U_CALL_TCP" t1 uac-call.xml 2000 "$TCP_MODE" \
    "$CALL_RATE" "$CALLS"

# 3. OPTIONS and MESSAGE relayed.
sipp_pair options-udp uas-options.xml "$U_OPTIONS" u1 uac-options.xml 3000 u1 100 "$REQS"
sipp_pair message-udp uas-message.xml "$U_MESSAGE" u1 uac-message.xml 4000 u1 100 "$REQS"

# 4. Bad input, then an OPTIONS must still be relayed (a UAS answers it).
mkdir -p "$WORK/bad"
tb_start bad-uas "$WORK/bad/uas.pid" "$WORK/bad/uas.log" \
    sipp -sf "$SCEN/uas-options.xml" -t u1 -i 127.0.0.1 -p "$U_OPTIONS" \
    -mi 127.0.0.1 -mp "$(tb_free_port)" -m 1 -timeout 30s -nostdin
tb_wait_port udp "$U_OPTIONS" 5 || true
if timeout 40 python3 "$HERE/badinput.py" "$P" 3999 "$BADINPUT_SKIP" >"$WORK/bad/badinput.log" 2>&1; then
    result "bad-input" 0 "$(grep -c '^ok' "$WORK/bad/badinput.log") checks"
else
    result "bad-input" 1 "see below"
fi
sed 's/^/      /' "$WORK/bad/badinput.log"
tb_stop "$WORK/bad/uas.pid" 3

# 5. The proxy survived everything.
if tb_alive "$WORK/proxy.pid"; then
    result "proxy-alive" 0 "cpu $(tb_cpu_seconds "$(cat "$WORK/proxy.pid")") s"
else
    result "proxy-alive" 1 "the proxy exited: $(tail -n 5 "$WORK/proxy.log" | tr '\n' ' ')"
fi
tb_stop "$WORK/proxy.pid" 15

echo "edge-sipp ($PROXY): $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
