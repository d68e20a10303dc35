#!/usr/bin/env bash
# diameter-charging testbed: freeDiameter 1.2.1 as a foreign peer of our OCS (Ro, ims-ocs) and
# CDF (Rf, ims-cdf), inside a private network namespace (`unshare -n`):
#   1. freeDiameter as a relay agent: our client node (imsctl diameter client) -> freeDiameter
#      -> ims-ocs: CCR-INITIAL (realm routing), -UPDATE and -TERMINATION (Destination-Host)
#      for sip:alice@ims.test and a CCR-EVENT for a MESSAGE, each CCA 2001 back through
#      freeDiameter; the ledger (`imsctl ocs show`, `journal`) holds the tariff's debits.
#      ACR START/STOP and EVENT -> freeDiameter -> ims-cdf: ACA 2001 each, and `imsctl cdf
#      export --format csv` lists exactly those records. The capture shows each request
#      relayed with Route-Record and each answer relayed back; our client's requests carry
#      distinct End-to-End Identifiers (RFC 6733 §3); freeDiameter logs no ERROR.
#   2. freeDiameter as client (ConnectPeer) of ims-ocs and ims-cdf: it accepts their CEA
#      (Ro: Auth-Application-Id 4, Rf: Acct-Application-Id 3) and the watchdog (Tw 6 s both
#      sides) holds for HOLD_S (> 2 Tw), with DWR/DWA on both connections in the capture.
#   3. tshark decodes the capture as Diameter with no malformed frame, and no warning (e.g.
#      "Unknown AVP") in what our client node and our servers send.
# Env: BIN_DIR (directory of ims-ocs, ims-cdf and imsctl; default target/release, built
# first), HOLD_S (16), KEEP_WORK=1. Exits non-zero on any failure; < 1 min.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

BUILD=1
[ -n "${BIN_DIR:-}" ] && BUILD=0
BIN_DIR="${BIN_DIR:-$TB_REPO/target/release}"
HOLD_S="${HOLD_S:-16}"

if [ "${DCHG_IN_NS:-0}" != 1 ]; then
    tb_require unshare ip freeDiameterd tshark python3
    if [ "$BUILD" = 1 ]; then   # a no-op when up to date; never test a stale binary
        tb_log "building ims-ocs, ims-cdf, imsctl (release)"
        (cd "$TB_REPO" && cargo build --release -p ims-ocs -p ims-cdf -p imsctl) \
            || tb_die "release build failed"
    fi
    for b in ims-ocs ims-cdf imsctl; do
        [ -x "$BIN_DIR/$b" ] || tb_die "$BIN_DIR/$b is missing"
    done
    # A private network namespace: freeDiameter binds beyond loopback.
    exec timeout 120 unshare -n env DCHG_IN_NS=1 BIN_DIR="$BIN_DIR" bash "$0" "$@"
fi

IMSCTL="$BIN_DIR/imsctl"
FAILED=0
PASSED=0
WORK="$(mktemp -d /tmp/tb-diameter-charging.XXXXXX)"
on_exit() {
    local rc=$?
    tb_cleanup
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ] || [ "$rc" != 0 ]; then
        tb_log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
cd "$WORK" || exit 1

result() { # NAME STATUS [DETAIL]
    if [ "$2" = 0 ]; then
        PASSED=$((PASSED + 1)); echo "  ok    $1${3:+ ($3)}"
    else
        FAILED=$((FAILED + 1)); echo "  FAIL  $1${3:+ ($3)}"
    fi
}

# --- the namespace: lo up, a non-loopback address for freeDiameter --------------------------
FD_ADDR=192.0.2.10
ip link set lo up || tb_die "cannot bring lo up"
ip addr add "$FD_ADDR/32" dev lo || tb_die "cannot add $FD_ADDR to lo"

FD_PORT=3868     # freeDiameter on $FD_ADDR
OCS_PORT=3869    # ims-ocs on 127.0.0.1
CDF_PORT=3870    # ims-cdf on 127.0.0.1
CLIENT=scscf.ims.test   # Origin-Host of our client node (the CTF)
subst() {
    sed -e "s#@WORK@#$WORK#g" -e "s#@FD_PORT@#$FD_PORT#g" -e "s#@FD_ADDR@#$FD_ADDR#g" \
        -e "s#@OCS_PORT@#$OCS_PORT#g" -e "s#@CDF_PORT@#$CDF_PORT#g" "$1"
}
subst "$HERE/freediameter.conf.in" >fd.conf
subst "$HERE/ocs.toml.in" >ocs.toml
subst "$HERE/cdf.toml.in" >cdf.toml
echo 'ALLOW_IPSEC *.ims.test' >acl_wl.conf   # accept our client node without TLS

PCAP="$WORK/charging.pcap"
tb_capture_start "$WORK/tshark.pid" "$PCAP" "$FD_PORT" "$OCS_PORT" "$CDF_PORT" \
    || tb_die "no capture"

# Our servers first, so that freeDiameter's ConnectPeer finds them.
tb_start ims-ocs "$WORK/ocs.pid" "$WORK/ocs.log" "$BIN_DIR/ims-ocs" --config "$WORK/ocs.toml"
tb_start ims-cdf "$WORK/cdf.pid" "$WORK/cdf.log" "$BIN_DIR/ims-cdf" --config "$WORK/cdf.toml"
tb_wait_port tcp "$OCS_PORT" 10 || tb_die "ims-ocs did not start: $(tail -20 ocs.log)"
tb_wait_port tcp "$CDF_PORT" 10 || tb_die "ims-cdf did not start: $(tail -20 cdf.log)"
tb_start freeDiameterd "$WORK/fd.pid" "$WORK/fd.log" freeDiameterd -c "$WORK/fd.conf" -d
tb_wait_port tcp "$FD_PORT" 10 || tb_die "freeDiameter did not start: $(tail -20 fd.log)"
T0=$(date +%s)

echo "diameter-charging testbed: freeDiameter $FD_ADDR:$FD_PORT, ims-ocs 127.0.0.1:$OCS_PORT," \
    "ims-cdf 127.0.0.1:$CDF_PORT"

# freeDiameter's own view of a peer reaching OPEN after our CEA (its state-change log line).
fd_opened() { grep -q "'STATE_WAITCEA'	-> 'STATE_OPEN'	'$1'" fd.log; }
for _ in $(seq 1 100); do
    fd_opened ocs.ims.test && fd_opened cdf.ims.test && break
    sleep 0.1
done
fd_opened ocs.ims.test
result "2 freeDiameter accepted the CEA of ims-ocs (WAITCEA -> OPEN)" "$?"
fd_opened cdf.ims.test
result "2 freeDiameter accepted the CEA of ims-cdf (WAITCEA -> OPEN)" "$?"

# send NAME FILE: one request from our client node through freeDiameter, expecting 2001.
send() {
    "$IMSCTL" diameter client --peer "fd.ims.test=ims.test@$FD_ADDR:$FD_PORT" \
        --origin-host "$CLIENT" --file "$HERE/$2" --expect 2001 >"$1.log" 2>&1
}
# has NAME LINE...: every LINE (a regex of a whole line) is in the answer printed in NAME.log.
has() {
    local f="$1.log" l
    shift
    for l in "$@"; do
        grep -Eq "^$l\$" "$f" || { tb_log "$f lacks '$l'"; return 1; }
    done
}
ro_step() { # NAME FILE DETAIL EXPECTED-LINES...
    local name="$1" file="$2" detail="$3" rc
    shift 3
    send "$name" "$file"
    rc=$?
    [ "$rc" = 0 ] && { has "$name" "$@" || rc=1; }
    result "1 client -> freeDiameter -> ims-ocs: $detail" "$rc"
    [ "$rc" = 0 ] || sed 's/^/      /' "$name.log"
}

# 1. Ro through the relay. 60/60 voice tariff at 0.60/min: 90 s + 45 s used = 3 min = 1.80;
#    the MESSAGE costs 0.10. alice's demo balance is 100.00.
OCS_OK="  Origin-Host = \"ocs.ims.test\""
ro_step ccr-i ccr-initial.toml "CCR-INITIAL (to the realm), CCA 2001 granting 300 s" \
    "CCA code=272 app=4 .*" "  Result-Code = 2001" "$OCS_OK" "  CC-Request-Type = 1" \
    "  CC-Request-Number = 0" "  Multiple-Services-Credit-Control:" "    Granted-Service-Unit:" \
    "      CC-Time = 300"
ro_step ccr-u ccr-update.toml "CCR-UPDATE (Destination-Host), 90 s used, CCA 2001 granting 300 s" \
    "  Result-Code = 2001" "$OCS_OK" "  CC-Request-Type = 2" "  CC-Request-Number = 1" \
    "      CC-Time = 300"
ro_step ccr-t ccr-termination.toml "CCR-TERMINATION (Destination-Host), 45 s used, CCA 2001" \
    "  Result-Code = 2001" "$OCS_OK" "  CC-Request-Type = 3" "  CC-Request-Number = 2"
ro_step ccr-e ccr-event.toml "CCR-EVENT for a MESSAGE (direct debiting), CCA 2001" \
    "  Result-Code = 2001" "$OCS_OK" "  CC-Request-Type = 4" "  CC-Request-Number = 0"

OCS_DB="sqlite:$WORK/ocs.db"
"$IMSCTL" ocs show alice --db "$OCS_DB" --json >show.json 2>show.err
"$IMSCTL" ocs show alice --db "$OCS_DB" >show.txt 2>>show.err
json() { # FILE EXPR: a value of the JSON in FILE (EXPR in Python, on `d`)
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$1" "$2" 2>/dev/null
}
balance=$(json show.json 'd["balance"]')
reserved=$(json show.json 'd["reserved"]')
[ "$balance" = 98100000 ] && [ "$reserved" = 0 ]
result "1 imsctl ocs show alice: balance 98.10 = 100.00 - 1.80 (135 s at 0.60/min, 60/60) - 0.10" \
    "$?" "balance $balance, reserved $reserved"
[ "$balance" = 98100000 ] || sed 's/^/      /' show.txt show.err
"$IMSCTL" ocs journal alice --db "$OCS_DB" --json >journal.json 2>journal.err
journal=$(json journal.json '" ".join(":".join(str(j[k]) for k in
    ("reason", "session_id", "request_number", "units", "amount")) for j in d)')
want="session:scscf.ims.test;ro;1:1:90:1200000 session:scscf.ims.test;ro;1:2:45:600000"
want="$want event:scscf.ims.test;ro;2:0:1:100000"
[ "$journal" = "$want" ]
result "1 imsctl ocs journal alice: 1.20 (CCR-U), 0.60 (CCR-T), 0.10 (MESSAGE)" "$?" \
    "$journal"

# 1. Rf through the relay.
rf_step() { # NAME FILE DETAIL RECORD-TYPE RECORD-NUMBER
    local rc
    send "$1" "$2"
    rc=$?
    [ "$rc" = 0 ] && { has "$1" "ACA code=271 app=3 .*" "  Result-Code = 2001" \
        "  Origin-Host = \"cdf.ims.test\"" "  Accounting-Record-Type = $4" \
        "  Accounting-Record-Number = $5" || rc=1; }
    result "1 client -> freeDiameter -> ims-cdf: $3" "$rc"
    [ "$rc" = 0 ] || sed 's/^/      /' "$1.log"
}
rf_step acr-start acr-start.toml "ACR START (to the realm), ACA 2001" 2 0
rf_step acr-stop acr-stop.toml "ACR STOP (Destination-Host), ACA 2001" 4 1
rf_step acr-event acr-event.toml "ACR EVENT for a MESSAGE, ACA 2001" 1 0

"$IMSCTL" cdf export --db "sqlite:$WORK/cdf.db" --format csv --out cdrs.csv 2>export.err
# session_id, record_type, record_number, record_time, origin_host, sip_method of each row.
cdrs=$(python3 - cdrs.csv <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f):
        print(",".join(r[k] for k in ("session_id", "record_type", "record_number",
                                      "record_time", "origin_host", "sip_method")), end=" ")
EOF
)
want="scscf.ims.test;rf;1,START,0,2026-11-26T12:00:00Z,$CLIENT,INVITE"
want="$want scscf.ims.test;rf;1,STOP,1,2026-11-26T12:02:15Z,$CLIENT,BYE"
want="$want scscf.ims.test;rf;2,EVENT,0,2026-11-26T12:03:20Z,$CLIENT,MESSAGE "
[ "$cdrs" = "$want" ]
result "1 imsctl cdf export --format csv: exactly the START, STOP and EVENT records" "$?" \
    "$(tr -d '\n' <export.err)"
[ "$cdrs" = "$want" ] || { echo "      got:  $cdrs"; echo "      want: $want"; }

# 2. The watchdog: wait until HOLD_S (> 2 Tw) after freeDiameter started, then check that
#    neither connection left OPEN (freeDiameter logs every state change of a peer).
sleep $(( HOLD_S - ( $(date +%s) - T0 ) > 0 ? HOLD_S - ( $(date +%s) - T0 ) : 0 ))
for srv in ocs cdf; do
    tb_alive "$WORK/$srv.pid"
    alive=$?
    left=$(grep -c "'STATE_OPEN'	-> '[A-Z_]*'	'$srv.ims.test'" fd.log)
    [ "$alive" = 0 ] && [ "$left" = 0 ] && fd_opened "$srv.ims.test"
    result "2 freeDiameter -> ims-$srv: still OPEN after ${HOLD_S}s with Tw 6 s" "$?" \
        "transitions out of OPEN: $left"
done

# Stop our servers first (they send DPR; freeDiameter is slow to exit while peers are up).
tb_stop "$WORK/ocs.pid" 5
tb_stop "$WORK/cdf.pid" 5
tb_stop "$WORK/fd.pid" 5
tb_capture_stop "$WORK/tshark.pid"
# freeDiameter logs an ERROR for what it cannot take from a peer (a message it cannot parse,
# a connection closed before CER); our nodes give it none.
fd_errors=$(grep -c ' ERROR ' fd.log)
result "1 freeDiameter logged no ERROR about our nodes" "$fd_errors" \
    "$fd_errors errors; first: $(grep -m1 ' ERROR ' fd.log | tr -s ' \t' ' ')"

DEC=(-d "tcp.port==$FD_PORT,diameter" -d "tcp.port==$OCS_PORT,diameter"
    -d "tcp.port==$CDF_PORT,diameter")
count() { # FILTER: frames matching; -1 (fails every check) when tshark rejects the filter
    local out
    if out="$(tshark -r "$PCAP" -n "${DEC[@]}" -Y "$1" 2>"$WORK/tshark.err")"; then
        [ -z "$out" ] && echo 0 || echo "$out" | wc -l
    else
        tb_log "tshark failed on filter '$1': $(head -3 "$WORK/tshark.err")"
        echo -1
    fi
}

# 1. In the capture: freeDiameter relayed each request (adding Route-Record: our client) and
#    each 2001 answer of our servers went back to our client through it.
RQ="diameter.flags.request==1"
AN="diameter.flags.request==0 && diameter.Result-Code==2001"
ccr_in=$(count "diameter.cmd.code==272 && $RQ && tcp.dstport==$OCS_PORT && diameter.Route-Record==\"$CLIENT\"")
cca_out=$(count "diameter.cmd.code==272 && $AN && tcp.srcport==$OCS_PORT")
cca_back=$(count "diameter.cmd.code==272 && $AN && tcp.srcport==$FD_PORT && diameter.Origin-Host==\"ocs.ims.test\"")
[ "$ccr_in" = 4 ] && [ "$cca_out" = 4 ] && [ "$cca_back" = 4 ]
result "1 capture: 4 CCR relayed to ims-ocs with Route-Record $CLIENT, 4 CCA 2001 back to us" "$?" \
    "CCR in $ccr_in, CCA out $cca_out, CCA relayed back $cca_back"
acr_in=$(count "diameter.cmd.code==271 && $RQ && tcp.dstport==$CDF_PORT && diameter.Route-Record==\"$CLIENT\"")
aca_out=$(count "diameter.cmd.code==271 && $AN && tcp.srcport==$CDF_PORT")
aca_back=$(count "diameter.cmd.code==271 && $AN && tcp.srcport==$FD_PORT && diameter.Origin-Host==\"cdf.ims.test\"")
[ "$acr_in" = 3 ] && [ "$aca_out" = 3 ] && [ "$aca_back" = 3 ]
result "1 capture: 3 ACR relayed to ims-cdf with Route-Record $CLIENT, 3 ACA 2001 back to us" "$?" \
    "ACR in $acr_in, ACA out $aca_out, ACA relayed back $aca_back"
# RFC 6733 §3: End-to-End Identifiers from one Origin-Host are unique for 4 minutes, across
# restarts too (high 12 bits from the clock, low 20 random). Each request comes from a new
# imsctl process here, as from a restarted CTF, within a second or two: the servers' duplicate
# detection (Origin-Host, End-to-End; RFC 6733 §5.5.4) must not see one request twice.
e2e=$(tshark -r "$PCAP" -n "${DEC[@]}" -T fields -e diameter.endtoendid \
    -Y "(diameter.cmd.code==271 || diameter.cmd.code==272) && $RQ && tcp.dstport==$FD_PORT" \
    2>/dev/null)
n_req=$(printf '%s\n' "$e2e" | grep -c .)
n_e2e=$(printf '%s\n' "$e2e" | sort -u | grep -c .)
[ "$n_req" = 7 ] && [ "$n_e2e" = 7 ]
result "1 capture: our client's 7 CCR/ACR carry distinct End-to-End Identifiers (RFC 6733 §3)" \
    "$?" "$n_e2e distinct of $n_req: $(printf '%s\n' "$e2e" | sort | uniq -c | tr -s ' \n' ' ')"

# 2. CER/CEA and the watchdog on freeDiameter's connections to our servers.
for srv in ocs:$OCS_PORT:"diameter.Auth-Application-Id==4" cdf:$CDF_PORT:"diameter.Acct-Application-Id==3"; do
    name=${srv%%:*}; rest=${srv#*:}; port=${rest%%:*}; app=${rest#*:}
    cea=$(count "diameter.cmd.code==257 && $AN && tcp.srcport==$port && $app")
    dw=$(count "diameter.cmd.code==280 && (tcp.srcport==$port || tcp.dstport==$port)")
    dwa=$(count "diameter.cmd.code==280 && $AN && (tcp.srcport==$port || tcp.dstport==$port)")
    [ "$cea" -ge 1 ] && [ "$dw" -ge 2 ] && [ "$dwa" -ge 1 ]
    result "2 capture: ims-$name CEA 2001 advertising ${app#diameter.}, DWR/DWA with freeDiameter" \
        "$?" "CEA $cea, DW* $dw, of them DWA 2001 $dwa"
done

# 3. tshark: no malformed frame at all, no expert warning in what our nodes send (our client
#    node to freeDiameter, our servers to freeDiameter).
total=$(count "diameter")
malformed=$(count "_ws.malformed")
OURS="(tcp.dstport==$FD_PORT || tcp.srcport==$OCS_PORT || tcp.srcport==$CDF_PORT)"
ours_warn=$(count "diameter && $OURS && _ws.expert.severity>=warning && !tcp.analysis.flags")
fd_warn=$(count "diameter && !$OURS && _ws.expert.severity>=warning && !tcp.analysis.flags")
[ "$total" -gt 20 ] && [ "$malformed" = 0 ] && [ "$ours_warn" = 0 ]
result "3 tshark: $total Diameter frames, $malformed malformed, $ours_warn warnings in ours" "$?" \
    "warnings in freeDiameter's: $fd_warn"
if [ "$ours_warn" != 0 ] || [ "$malformed" != 0 ] || [ "$fd_warn" != 0 ]; then
    tshark -r "$PCAP" -n "${DEC[@]}" -Y "_ws.malformed || _ws.expert.severity>=warning" \
        -T fields -e frame.number -e tcp.srcport -e diameter.cmd.code -e _ws.expert.message \
        2>/dev/null | grep -v 'TCP' | head -20 | sed 's/^/      /'
fi

echo "diameter-charging testbed: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
