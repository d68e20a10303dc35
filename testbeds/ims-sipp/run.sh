#!/usr/bin/env bash
# ims-sipp testbed: sipp UEs against ims-lab (P-CSCF 5060 -> I-CSCF 5070 -> S-CSCF 5080, HSS
# 3868, OCS 3869, CDF 3870) on one private loopback address.
#   (a) alice registers with AKAv1-MD5: 401, then 200 with a Service-Route;
#   (b) bob registers with MD5 and waits as UAS; alice sends MESSAGE (200) and calls bob:
#       INVITE with SDP / 180 / 200 / ACK / BYE, ACK and BYE along the Record-Route;
#   (e) alice calls carol, who is not registered: 480;
#   (c) bob de-registers (Expires: 0); a call to him then gets 480; alice de-registers;
#   (d) a tshark capture of the whole run (SIP and Diameter ports of LAB_IP): no malformed
#       SIP or Diameter frame; and the lab is still running at the end.
# Env: LAB_IP (127.0.60.1; the lab's ports are fixed, so a private loopback address keeps them
#      apart from anything else), TB_LAB_BIN (ims-lab binary; default: `cargo build -p ims-lab`,
#      debug), HOLD_MS (100: between ACK and BYE), RING_MS (20: between 180 and 200),
#      KEEP_WORK=1 keeps the work directory. Exits non-zero on any failure; < 1 min.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"
# shellcheck source=testbeds/ims-sipp/lab.sh
. "$HERE/lab.sh"

LAB_IP="${LAB_IP:-127.0.60.1}"
HOLD_MS="${HOLD_MS:-100}"
RING_MS="${RING_MS:-20}"
SCEN="$HERE/scenarios"

tb_require sipp tshark ss
WORK="$(mktemp -d /tmp/tb-ims-sipp.XXXXXX)"
FAILED=0
PASSED=0
on_exit() {
    tb_cleanup
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
        tb_log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap on_exit EXIT
cd "$WORK" || exit 1   # a crashing peer writes its core file here
trap 'exit 130' INT TERM

result() { # NAME STATUS [DETAIL]
    if [ "$2" = 0 ]; then
        PASSED=$((PASSED + 1)); echo "  ok    $1${3:+ ($3)}"
    else
        FAILED=$((FAILED + 1)); echo "  FAIL  $1${3:+ ($3)}"
    fi
}

LAB_BIN="$(ims_lab_bin debug)" || tb_die "cannot build ims-lab"
ims_lab_ports_free "$LAB_IP" || tb_die "ports of $LAB_IP are busy: set LAB_IP to another 127.x address"

A_PORT="$(tb_free_port)"   # alice's UE
B_PORT="$(tb_free_port)"   # bob's UE
# -inf files: user;algorithm;[authentication ...] (registration), caller;callee (requests).
{ echo SEQUENTIAL; ims_ue_line alice AKAv1-MD5; } >"$WORK/alice.csv"
{ echo SEQUENTIAL; ims_ue_line bob MD5; } >"$WORK/bob.csv"
printf 'SEQUENTIAL\nalice;bob\n' >"$WORK/alice-bob.csv"
printf 'SEQUENTIAL\nalice;carol\n' >"$WORK/alice-carol.csv"
tb_log "lab on $LAB_IP; alice UE port $A_PORT, bob UE port $B_PORT; work $WORK"

# (d) The capture runs from before the lab starts (CER/CEA included) to after it stops.
ims_capture_start "$WORK/tshark.pid" "$WORK/ims.pcap" "$LAB_IP" || tb_die "cannot start tshark"
ims_lab_start "$LAB_BIN" "$LAB_IP" "$WORK/lab" "$WORK/lab.pid" "$WORK/lab.log" \
    || { tail -n 30 "$WORK/lab.log" >&2; tb_die "ims-lab did not start"; }

# ue NAME SCENARIO PORT CSV [SIPP_ARGS...]: one sipp UE call (-m 1) from LAB_IP:PORT to the
# P-CSCF, in the foreground (bounded); records ok/FAIL and keeps sipp's message trace.
ue() {
    local name="$1" xml="$2" port="$3" csv="$4" d="$WORK/$1" rc
    shift 4
    mkdir -p "$d"
    tb_start "$name" "$d/sipp.pid" "$d/sipp.log" \
        sipp "$LAB_IP:5060" -sf "$SCEN/$xml" -inf "$csv" -t u1 -i "$LAB_IP" -p "$port" \
        -mi "$LAB_IP" -mp "$(tb_free_port)" -m 1 -auth_uri ims.test \
        -default_behaviors all,-bye -nostdin \
        -timeout 15s -timeout_error -max_retrans 4 -trace_err -error_file "$d/errors.log" \
        -trace_msg -message_file "$d/messages.log" -trace_logs -log_file "$d/actions.log" "$@"
    tb_wait_exit "$d/sipp.pid" 20; rc=$TB_RC
    UE_DETAIL="sipp exit $rc"
    if [ "$rc" = 0 ]; then return 0; fi
    UE_DETAIL="$UE_DETAIL; see $d"
    tail -n 12 "$d/errors.log" 2>/dev/null | sed 's/^/      /'
    return 1
}

# first_status FILE: the status lines sipp received, in order (for the report).
statuses() {
    grep -E '^SIP/2\.0 [0-9]{3}' "$1" 2>/dev/null | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}

echo "ims-sipp (ims-lab on $LAB_IP):"

# (a) alice: AKAv1-MD5.
if ue register-alice-aka ue-register.xml "$A_PORT" "$WORK/alice.csv" -key expires 600; then
    sr="$(grep -m1 -i '^Service-Route:' "$WORK/register-alice-aka/messages.log" | tr -d '\r')"
    result "register-alice-aka" 0 "$(statuses "$WORK/register-alice-aka/messages.log"); $sr"
else
    result "register-alice-aka" 1 "$UE_DETAIL"
fi

# (b) bob: MD5, then waits as UAS for alice's MESSAGE and call (two sipp calls).
if ue register-bob-md5 ue-register.xml "$B_PORT" "$WORK/bob.csv" -key expires 600; then
    result "register-bob-md5" 0 "$(statuses "$WORK/register-bob-md5/messages.log")"
else
    result "register-bob-md5" 1 "$UE_DETAIL"
fi
mkdir -p "$WORK/bob-uas"
tb_start bob-uas "$WORK/bob-uas/sipp.pid" "$WORK/bob-uas/sipp.log" \
    sipp -sf "$SCEN/uas-ue.xml" -t u1 -i "$LAB_IP" -p "$B_PORT" -mi "$LAB_IP" \
    -mp "$(tb_free_port)" -m 2 -d "$RING_MS" -nostdin -timeout 30s -timeout_error \
    -trace_err -error_file "$WORK/bob-uas/errors.log" \
    -trace_msg -message_file "$WORK/bob-uas/messages.log"
ims_wait_udp "$LAB_IP" "$B_PORT" 5 || true

if ue message-alice-bob uac-message.xml "$A_PORT" "$WORK/alice-bob.csv"; then
    result "message-alice-bob" 0 "$(statuses "$WORK/message-alice-bob/messages.log")"
else
    result "message-alice-bob" 1 "$UE_DETAIL"
fi
if ue call-alice-bob uac-call.xml "$A_PORT" "$WORK/alice-bob.csv" -d "$HOLD_MS"; then
    result "call-alice-bob" 0 "$(statuses "$WORK/call-alice-bob/messages.log"); ACK/BYE routed"
else
    result "call-alice-bob" 1 "$UE_DETAIL"
fi
tb_wait_exit "$WORK/bob-uas/sipp.pid" 15
if [ "$TB_RC" = 0 ]; then
    result "bob-uas" 0 "MESSAGE and call answered"
else
    result "bob-uas" 1 "sipp exit $TB_RC; see $WORK/bob-uas"
    tail -n 12 "$WORK/bob-uas/errors.log" 2>/dev/null | sed 's/^/      /'
fi

# (e) carol has no registration: 480.
if ue invite-carol-480 uac-invite-480.xml "$A_PORT" "$WORK/alice-carol.csv"; then
    result "invite-unregistered-480" 0 "$(statuses "$WORK/invite-carol-480/messages.log")"
else
    result "invite-unregistered-480" 1 "$UE_DETAIL"
fi

# (c) De-registration: bob, then a call to bob must get 480; then alice.
if ue deregister-bob ue-deregister.xml "$B_PORT" "$WORK/bob.csv"; then
    result "deregister-bob" 0 "$(statuses "$WORK/deregister-bob/messages.log")"
else
    result "deregister-bob" 1 "$UE_DETAIL"
fi
if ue invite-bob-480 uac-invite-480.xml "$A_PORT" "$WORK/alice-bob.csv"; then
    result "invite-deregistered-480" 0 "$(statuses "$WORK/invite-bob-480/messages.log")"
else
    result "invite-deregistered-480" 1 "$UE_DETAIL"
fi
if ue deregister-alice ue-deregister.xml "$A_PORT" "$WORK/alice.csv"; then
    result "deregister-alice" 0 "$(statuses "$WORK/deregister-alice/messages.log")"
else
    result "deregister-alice" 1 "$UE_DETAIL"
fi

# The lab survived everything.
if tb_alive "$WORK/lab.pid"; then
    result "lab-alive" 0 "cpu $(tb_cpu_seconds "$(cat "$WORK/lab.pid")") s"
else
    result "lab-alive" 1 "ims-lab exited: $(tail -n 5 "$WORK/lab.log" | tr '\n' ' ')"
fi
tb_stop "$WORK/lab.pid" 15
grep -aE ' (WARN|ERROR) |panicked' "$WORK/lab.log" | sed 's/\x1b\[[0-9;]*m//g' | head -n 10 \
    | sed 's/^/      lab: /'

# (d) The capture: no malformed SIP frame (tb_malformed_check, decoding the CSCF ports as SIP)
# and no malformed Diameter frame (3868-3870 decoded as Diameter).
tb_capture_stop "$WORK/tshark.pid"
if tb_malformed_check "$WORK/ims.pcap" 5060 5070 5080 2>"$WORK/malformed.log"; then
    result "capture-sip-no-malformed" 0 "$(tail -n 1 "$WORK/malformed.log" | sed 's/^.*: //')"
else
    result "capture-sip-no-malformed" 1 "$(head -n 4 "$WORK/malformed.log" | tr '\n' ' ')"
fi
if ims_diameter_check "$WORK/ims.pcap" 2>"$WORK/malformed-diameter.log"; then
    result "capture-diameter-no-malformed" 0 "$(tail -n 1 "$WORK/malformed-diameter.log" | sed 's/^.*: //')"
else
    result "capture-diameter-no-malformed" 1 "$(head -n 4 "$WORK/malformed-diameter.log" | tr '\n' ' ')"
fi

echo "ims-sipp: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
