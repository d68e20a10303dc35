#!/usr/bin/env bash
# diameter testbed: our Diameter stack (diameter-net via imsctl) against freeDiameter 1.2.1 and
# Kamailio 5.6 cdp, inside a private network + mount namespace (`unshare -n -m`):
#   1. imsctl diameter ping -> freeDiameter: CER/CEA 2001, DWR/DWA 2001, DPR/DPA 2001.
#   2. our client node (imsctl diameter client) -> freeDiameter: Cx UARs that freeDiameter
#      answers itself (3007), and UARs it relays to our server node (2001).
#   3. freeDiameter as client (ConnectPeer) -> our server node (imsctl diameter serve):
#      capabilities agree and the watchdog (Tw 6 s both sides) holds for > 2 Tw.
#   4. Kamailio cdp -> our server node: CER/CEA and DWR/DWA.
#   5. tshark decodes the capture as Diameter with no malformed frame, and no warning (e.g.
#      "Unknown AVP") in what we send.
# Env: IMSCTL_BIN (default: target/release/imsctl, built first), HOLD_S (16: how long
# step 3/4 watch the watchdog), KEEP_WORK=1. Exits non-zero on any failure; < 1 min.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

BUILD=1
[ -n "${IMSCTL_BIN:-}" ] && BUILD=0
IMSCTL_BIN="${IMSCTL_BIN:-$TB_REPO/target/release/imsctl}"
HOLD_S="${HOLD_S:-16}"

if [ "${DNET_IN_NS:-0}" != 1 ]; then
    tb_require unshare ip freeDiameterd kamailio tshark
    if [ "$BUILD" = 1 ]; then   # a no-op when up to date; never test a stale binary
        tb_log "building imsctl (release)"
        (cd "$TB_REPO" && cargo build --release -p imsctl) || tb_die "imsctl build failed"
    fi
    # A private network namespace (freeDiameter binds beyond loopback) and mount namespace
    # (a private /etc/hosts for cdp's name lookups).
    exec timeout 240 unshare -n -m env DNET_IN_NS=1 IMSCTL_BIN="$IMSCTL_BIN" bash "$0" "$@"
fi

FAILED=0
PASSED=0
WORK="$(mktemp -d /tmp/tb-diameter.XXXXXX)"
on_exit() {
    tb_cleanup
    if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILED" -gt 0 ]; then
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

# --- the namespace: lo up, a non-loopback address for freeDiameter, names for cdp ---------
FD_ADDR=192.0.2.10
ip link set lo up || tb_die "cannot bring lo up"
ip addr add "$FD_ADDR/32" dev lo || tb_die "cannot add $FD_ADDR to lo"
printf '127.0.0.1 localhost hss.ims.test icscf.ims.test\n' >"$WORK/hosts"
mount --bind "$WORK/hosts" /etc/hosts || tb_die "cannot bind-mount /etc/hosts"

FD_PORT=3868     # freeDiameter on $FD_ADDR
SRV_PORT=3869    # our server node on 127.0.0.1
CDP_PORT=3871    # cdp's acceptor (unused by the steps, required by its config)
SIP_PORT=5099
subst() {
    sed -e "s#@WORK@#$WORK#g" -e "s#@FD_PORT@#$FD_PORT#g" -e "s#@FD_ADDR@#$FD_ADDR#g" \
        -e "s#@SRV_PORT@#$SRV_PORT#g" -e "s#@CDP_PORT@#$CDP_PORT#g" -e "s#@SIP_PORT@#$SIP_PORT#g" "$1"
}
subst "$HERE/freediameter.conf.in" >fd.conf
subst "$HERE/cdp.xml.in" >cdp.xml
subst "$HERE/kamailio.cfg.in" >kamailio.cfg
echo 'ALLOW_IPSEC *.ims.test' >acl_wl.conf   # accept our peers without TLS

PCAP="$WORK/diameter.pcap"
tb_capture_start "$WORK/tshark.pid" "$PCAP" "$FD_PORT" "$SRV_PORT" || tb_die "no capture"

# Our server node first, so that freeDiameter's ConnectPeer finds it.
tb_start serve "$WORK/serve.pid" "$WORK/serve.log" "$IMSCTL_BIN" diameter serve \
    --listen "127.0.0.1:$SRV_PORT" --origin-host hss.ims.test --origin-realm ims.test \
    --peer fd.ims.test=ims.test --peer icscf.ims.test=ims.test --tw 6
tb_wait_port tcp "$SRV_PORT" 10 || tb_die "our server did not start: $(cat serve.log)"
tb_start freeDiameterd "$WORK/fd.pid" "$WORK/fd.log" freeDiameterd -c "$WORK/fd.conf" -d
tb_wait_port tcp "$FD_PORT" 10 || tb_die "freeDiameter did not start: $(tail -20 fd.log)"
T0=$(date +%s)

echo "diameter testbed: freeDiameter $FD_ADDR:$FD_PORT, our server 127.0.0.1:$SRV_PORT"

# 1. ping
"$IMSCTL_BIN" diameter ping "$FD_ADDR:$FD_PORT" --origin-host imsctl.ims.test \
    --origin-realm ims.test >ping.log 2>&1
rc=$?
grep -q '^Origin-Host: fd.ims.test$' ping.log && grep -q '^Product-Name: freeDiameter$' ping.log \
    || rc=1
result "1 ping freeDiameter: CER/CEA, DWR/DWA, DPR/DPA all 2001" "$rc" \
    "$(grep -E 'RTT' ping.log | tr '\n' ' ')"
[ "$rc" = 0 ] || sed 's/^/      /' ping.log

# 2. our client node -> freeDiameter. Addressed to freeDiameter (Destination-Host), it answers
#    itself: 3007 (no Cx application there). Addressed to the realm, freeDiameter relays to
#    our server node (its peer from step 3, advertising Cx): 2001 comes back through it.
"$IMSCTL_BIN" diameter client --peer "fd.ims.test=ims.test@$FD_ADDR:$FD_PORT" \
    --origin-host icscf-client.ims.test --file "$HERE/uar-to-fd.toml" --count 20 --expect 3007 \
    >client.log 2>&1
rc=$?
result "2 client node -> freeDiameter: 20 UAR answered by freeDiameter itself (3007)" "$rc"
[ "$rc" = 0 ] || sed 's/^/      /' client.log
"$IMSCTL_BIN" diameter client --peer "fd.ims.test=ims.test@$FD_ADDR:$FD_PORT" \
    --origin-host icscf-client.ims.test --file "$HERE/uar.toml" --count 20 --expect 2001 \
    >relay.log 2>&1
rc=$?
result "2 client node -> freeDiameter (relay) -> our server: 20 UAR, 2001" "$rc"
[ "$rc" = 0 ] || sed 's/^/      /' relay.log

# 4. Kamailio cdp (started now so that its watchdog runs alongside step 3)
tb_start kamailio "$WORK/kamailio.pid" "$WORK/kamailio.log" \
    kamailio -f "$WORK/kamailio.cfg" -DD -E -w "$WORK" -P "$WORK/kamailio.run.pid"

# 3. freeDiameter -> our server: open, and still open after HOLD_S (> 2 Tw)
sleep $(( HOLD_S - ( $(date +%s) - T0 ) > 0 ? HOLD_S - ( $(date +%s) - T0 ) : 0 ))
sleep 2
peers_now() { grep '^peers:' serve.log | tail -1; }
fd_open=1
grep -q 'fd.ims.test=Open' serve.log && peers_now | grep -q 'fd.ims.test=Open' && fd_open=0
fd_downs=$(grep '^peers:' serve.log | grep -c 'fd.ims.test=Closed' || true)
result "3 freeDiameter -> our server: Open for ${HOLD_S}s with Tw 6 s" "$fd_open" \
    "$(peers_now); fd closed-lines=$fd_downs"
grep -q "'STATE_WAITCEA'	-> 'STATE_OPEN'	'hss.ims.test'" fd.log
result "3 freeDiameter accepted our CEA (WAITCEA -> OPEN)" "$?"

# 4. cdp: wait for its CER (it may first send one without Host-IP-Address) and a DWR/DWA
cdp_open=1
for _ in $(seq 1 150); do
    peers_now | grep -q 'icscf.ims.test=Open' && { cdp_open=0; break; }
    sleep 0.1
done
result "4 Kamailio cdp -> our server: CER/CEA" "$cdp_open" "$(peers_now)"
sleep 8   # > Tw: our DWR to cdp and its DWA
tb_stop "$WORK/kamailio.pid" 5
tb_stop "$WORK/fd.pid" 5
tb_stop "$WORK/serve.pid" 5
sleep 0.5
tb_stop "$WORK/tshark.pid" 5

# 5. tshark: DWR/DWA counts and no malformed frames / no warnings in what we send
DEC=(-d "tcp.port==$FD_PORT,diameter" -d "tcp.port==$SRV_PORT,diameter")
count() { # FILTER: frames matching; -1 (fails every check) when tshark rejects the filter
    local out
    if out="$(tshark -r "$PCAP" -n "${DEC[@]}" -Y "$1" 2>"$WORK/tshark.err")"; then
        [ -z "$out" ] && echo 0 || echo "$out" | wc -l
    else
        tb_log "tshark failed on filter '$1': $(head -3 "$WORK/tshark.err")"
        echo -1
    fi
}
# freeDiameter's connection to us: DWR or DWA it sent (each side probes when idle for Tw).
dw_fd=$(count "diameter.cmd.code==280 && diameter.Origin-Host==\"fd.ims.test\" && tcp.dstport==$SRV_PORT")
dwa_fd=$(count "diameter.cmd.code==280 && diameter.flags.request==0 && diameter.Result-Code==2001 && diameter.Origin-Host==\"fd.ims.test\" && tcp.dstport==$SRV_PORT")
[ "$dw_fd" -ge 2 ] && [ "$dwa_fd" -ge 1 ]
result "3 watchdog with freeDiameter in the capture" "$?" "DW* from freeDiameter: $dw_fd, of them DWA 2001: $dwa_fd"
cdp_port=$(tshark -r "$PCAP" -n "${DEC[@]}" -Y "diameter.cmd.code==280 && diameter.Origin-Host==\"icscf.ims.test\"" \
    -T fields -e tcp.srcport 2>/dev/null | head -1)
dw_cdp=$(count "diameter.cmd.code==280 && diameter.Origin-Host==\"icscf.ims.test\"")
dwa_cdp=0
if [ -n "$cdp_port" ]; then
    dwa_cdp=$(count "diameter.cmd.code==280 && diameter.flags.request==0 && diameter.Result-Code==2001 && (tcp.dstport==$cdp_port || tcp.srcport==$cdp_port)")
fi
[ "$dw_cdp" -ge 1 ] && [ "$dwa_cdp" -ge 1 ]
result "4 cdp: DWR/DWA with our server" "$?" "DW* from cdp: $dw_cdp, DWA 2001 on its connection: $dwa_cdp"
total=$(count "diameter")
malformed=$(count "_ws.malformed")
OURS="(tcp.srcport==$SRV_PORT || tcp.dstport==$FD_PORT)"
ours_warn=$(count "diameter && $OURS && _ws.expert.severity>=warning && !tcp.analysis.flags")
[ "$total" -gt 20 ] && [ "$malformed" = 0 ] && [ "$ours_warn" = 0 ]
result "5 tshark: $total Diameter frames, $malformed malformed, $ours_warn warnings in ours" "$?"
if [ "$ours_warn" != 0 ] || [ "$malformed" != 0 ]; then
    tshark -r "$PCAP" -n "${DEC[@]}" -Y "_ws.malformed || ($OURS && _ws.expert.severity>=warning)" \
        -T fields -e frame.number -e diameter.cmd.code -e _ws.expert.message 2>/dev/null | head -20
fi

echo "diameter testbed: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
