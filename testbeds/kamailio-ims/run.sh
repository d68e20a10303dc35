#!/usr/bin/env bash
# kamailio-ims testbed: our IMS roles against Kamailio 5.6's IMS modules, inside a private
# network + mount namespace (`unshare -n -m`, only `lo`, a bind-mounted /etc/hosts):
#   1. Kamailio I-CSCF (ims_icscf) and S-CSCF (ims_auth, ims_registrar_scscf,
#      ims_usrloc_scscf) over Cx (cdp) with OUR HSS (ims-hss): sipp UEs register with
#      AKAv1-MD5 through I-CSCF -> S-CSCF (UAR, MAR, SAR answered by us) and get 200 OK with
#      Service-Route and P-Associated-URI, de-register (SAR USER_DEREGISTRATION) and register
#      again; tshark decodes the Cx traffic with no malformed frame, no Cx error answer and
#      no expert warning in what our HSS sends.
#   2. OUR P-CSCF (ims-pcscf) in front of Kamailio's I-CSCF/S-CSCF: sipp registers through it.
#   3. Kamailio as P-CSCF (generic modules: a proxy adding Path) in front of OUR I-CSCF and
#      S-CSCF (ims-icscf, ims-scscf) with our HSS: sipp registers through it (on failure, an
#      uncounted "info" retry with the Request-URI equal to sipp's digest uri).
# Ports (fixed: the namespace is private): HSS 3868; Kamailio P 5060, I 4060, S 6060 (cdp
# acceptors 3869, 3870); ours P 5060, I 5070, S 5080 (the lab layout).
# Env: STEPS ("1 2 3"), BIN_DIR (binaries; default target/release, built first),
#      KAM_DEBUG (Kamailio log level, 2), KEEP_WORK=1. Exits non-zero on any failure; < 3 min.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=testbeds/lib.sh
. "$HERE/../lib.sh"

STEPS="${STEPS:-1 2 3}"
KAM_DEBUG="${KAM_DEBUG:-2}"
BUILD=1
[ -n "${BIN_DIR:-}" ] && BUILD=0
BIN_DIR="${BIN_DIR:-$TB_REPO/target/release}"

if [ "${KIMS_IN_NS:-0}" != 1 ]; then
    tb_require unshare ip kamailio kamcmd sipp tshark
    if [ "$BUILD" = 1 ]; then   # a no-op when up to date; never test a stale binary
        pkgs=(-p ims-hss)
        case " $STEPS " in *" 2 "*) pkgs+=(-p ims-pcscf) ;; esac
        case " $STEPS " in *" 3 "*) pkgs+=(-p ims-icscf -p ims-scscf) ;; esac
        tb_log "building ${pkgs[*]} (release)"
        (cd "$TB_REPO" && cargo build --release "${pkgs[@]}") || tb_die "cargo build failed"
    fi
    exec timeout 170 unshare -n -m env KIMS_IN_NS=1 BIN_DIR="$BIN_DIR" STEPS="$STEPS" \
        KAM_DEBUG="$KAM_DEBUG" bash "$0" "$@"
fi

FAILED=0
PASSED=0
WORK="$(mktemp -d /tmp/tb-kamailio-ims.XXXXXX)"
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
cd "$WORK" || exit 1   # a crashing Kamailio writes its core file here

result() { # NAME STATUS [DETAIL]
    if [ "$2" = 0 ]; then
        PASSED=$((PASSED + 1)); echo "  ok    $1${3:+ ($3)}"
    else
        FAILED=$((FAILED + 1)); echo "  FAIL  $1${3:+ ($3)}"
    fi
}

# shellcheck source=testbeds/kamailio-ims/common.sh
. "$HERE/common.sh"
kims_setup_ns

# The UE's scenario with P-Visited-Network-ID (step 1: no P-CSCF) and without.
sed '/P-Visited-Network-ID/d' "$SCEN/register-aka.xml" >"$WORK/register-aka-ue.xml"

# register NAME TARGET_PORT COUNT [SCENARIO]: COUNT sipp UEs (demo users, AKAv1-MD5) register
# at 127.0.0.1:TARGET_PORT; fails unless every one got 200 OK.
register() {
    local name="$1" port="$2" count="$3" scen="${4:-$WORK/register-aka-ue.xml}"
    sipp -sf "$scen" -inf "$HERE/demo-users.csv" -m "$count" -r 10 \
        -i 127.0.0.1 -p "$UE_PORT" -t u1 -recv_timeout 5000 -timeout 30 -timeout_error \
        -nostdin -nd -trace_msg -message_file "$WORK/$name.sipp.msg" \
        -trace_err -error_file "$WORK/$name.sipp.err" -trace_logs -log_file "$WORK/$name.sipp.log" \
        -trace_stat -stf "$WORK/$name.sipp.stat" -fd 1 \
        "127.0.0.1:$port" >"$WORK/$name.sipp.out" 2>&1
    local rc=$?
    SIPP_OK="$(tb_sipp_stat "$WORK/$name.sipp.stat" 'SuccessfulCall(C)')"
    SIPP_FAIL="$(tb_sipp_stat "$WORK/$name.sipp.stat" 'FailedCall(C)')"
    [ "$rc" = 0 ] && [ "$SIPP_OK" = "$count" ]
}

show_failure() { # NAME LOG...: what sipp saw, and the warnings/errors of the nodes' logs
    local f name="$1"
    shift
    for f in "$WORK/$name.sipp.err" "$WORK/$name.sipp.out"; do
        [ -s "$f" ] && { echo "      --- $f"; tail -30 "$f" | sed 's/^/      /'; }
    done
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "      --- $f (warnings/errors)"
        sed 's/\x1b\[[0-9;]*m//g' "$f" | grep -aiE 'warn|error|fail' | grep -v 'create_socket' \
            | tail -8 | sed 's/^/      /'
    done
}

# --- capture: Diameter and SIP on every port of the bed ----------------------------------
PCAP="$WORK/kamailio-ims.pcap"
tb_capture_start "$WORK/tshark.pid" "$PCAP" "$HSS_PORT" "$ICSCF_CDP_PORT" "$SCSCF_CDP_PORT" \
    "$KAM_P" "$KAM_I" "$KAM_S" "$OUR_I" "$OUR_S" "$UE_PORT" || tb_die "no capture"
DEC=(-d "tcp.port==$HSS_PORT,diameter" -d "udp.port==$KAM_I,sip" -d "udp.port==$KAM_S,sip"
     -d "udp.port==$OUR_I,sip" -d "udp.port==$OUR_S,sip" -d "udp.port==$UE_PORT,sip")
count() { # FILTER: frames in the capture matching; -1 when tshark rejects the filter
    local out
    if out="$(tshark -r "$PCAP" -n "${DEC[@]}" -Y "$1" 2>"$WORK/tshark.err")"; then
        if [ -z "$out" ]; then echo 0; else echo "$out" | wc -l; fi
    else
        tb_log "tshark failed on filter '$1': $(head -3 "$WORK/tshark.err")"
        echo -1
    fi
}

echo "kamailio-ims testbed: steps $STEPS (work $WORK)"
STEP1_DONE=0

# --- 1. Kamailio I-CSCF + S-CSCF with our HSS ---------------------------------------------
step1() {
    start_hss 1 "sip:scscf.ims.test:$KAM_S" || { result "1 our HSS starts" 1; return; }
    start_kamailio scscf || { result "1 Kamailio S-CSCF starts" 1; return; }
    start_kamailio icscf || { result "1 Kamailio I-CSCF starts" 1; return; }
    cdp_open scscf 15 && cdp_open icscf 15
    result "1 cdp of Kamailio I-CSCF and S-CSCF: Cx peer hss.ims.test open" "$?"
    register step1 "$KAM_I" 3 "$SCEN/register-aka.xml"
    result "1 sipp -> Kamailio I-CSCF -> S-CSCF, our HSS: 3 AKAv1-MD5 registrations 200 OK" "$?" \
        "ok $SIPP_OK, failed $SIPP_FAIL"
    [ "$SIPP_OK" = 3 ] || show_failure step1 "$WORK/icscf.log" "$WORK/scscf.log" "$WORK/hss-1.log"
    # De-registration (Expires 0, authenticated again): SAR USER_DEREGISTRATION to our HSS.
    sed -e 's/expires=600/expires=0/; s/Expires: 600/Expires: 0/' -e '/<ereg .*header="\(Service-Route\|P-Associated-URI\):"/d' \
        -e 's/registered \[field0\]: .*"/de-registered [field0]"/' \
        "$SCEN/register-aka.xml" >"$WORK/deregister-aka.xml"
    register step1-dereg "$KAM_I" 3 "$WORK/deregister-aka.xml"
    result "1 the same UEs de-register (Expires: 0) through Kamailio I-CSCF -> S-CSCF: 200 OK" "$?" \
        "ok $SIPP_OK, failed $SIPP_FAIL"
    [ "$SIPP_OK" = 3 ] || show_failure step1-dereg "$WORK/icscf.log" "$WORK/scscf.log" "$WORK/hss-1.log"
    # ... and register again for step 2 (a first registration once more at the HSS).
    register step1-again "$KAM_I" 3 "$SCEN/register-aka.xml"
    result "1 and register again: 200 OK" "$?" "ok $SIPP_OK, failed $SIPP_FAIL"
    STEP1_DONE=1
}

# --- 2. our P-CSCF in front of Kamailio I-CSCF/S-CSCF ------------------------------------
step2() {
    [ "$STEP1_DONE" = 1 ] || step1
    start_our pcscf || { result "2 ims-pcscf starts" 1; return; }
    register step2 "$OUR_P" 3
    result "2 sipp -> our P-CSCF -> Kamailio I-CSCF -> S-CSCF: 3 registrations 200 OK" "$?" \
        "ok $SIPP_OK, failed $SIPP_FAIL"
    [ "$SIPP_OK" = 3 ] || show_failure step2 "$WORK/our-pcscf.log" "$WORK/icscf.log" "$WORK/scscf.log"
    tb_stop "$WORK/our-pcscf.pid" 5
}

# --- 3. Kamailio P-CSCF in front of our I-CSCF/S-CSCF ------------------------------------
step3() {
    # Our own S-CSCF now: the HSS names it, with a fresh store.
    tb_stop "$WORK/icscf.pid" 5
    tb_stop "$WORK/scscf.pid" 5
    tb_stop "$WORK/hss.pid" 5
    start_hss 3 "sip:scscf.ims.test:$OUR_S" || { result "3 our HSS starts" 1; return; }
    start_our scscf || { result "3 ims-scscf starts" 1; return; }
    start_our icscf || { result "3 ims-icscf starts" 1; return; }
    start_kamailio pcscf || { result "3 Kamailio P-CSCF starts" 1; return; }
    tb_wait_port udp "$KAM_P" 10 || { result "3 Kamailio P-CSCF starts" 1; return; }
    register step3 "$KAM_P" 3
    result "3 sipp -> Kamailio P-CSCF -> our I-CSCF -> our S-CSCF, our HSS: 3 registrations 200 OK" \
        "$?" "ok $SIPP_OK, failed $SIPP_FAIL"
    [ "$SIPP_OK" = 3 ] && return
    show_failure step3 "$WORK/pcscf.log" "$WORK/our-icscf.log" "$WORK/our-scscf.log" "$WORK/hss-3.log"
    # Diagnosis (not counted): sipp puts "sip:REMOTE_IP:PORT" in the digest uri, whatever the
    # Request-URI; with the Request-URI equal to it, does the rest of the path work?
    sed -e "s#^      REGISTER sip:ims.test SIP/2.0#      REGISTER sip:127.0.0.1:$KAM_P SIP/2.0#" \
        "$WORK/register-aka-ue.xml" >"$WORK/register-aka-ruri.xml"
    local rc=0
    register step3-ruri "$KAM_P" 3 "$WORK/register-aka-ruri.xml" || rc=1
    echo "  info  3 the same with Request-URI sip:127.0.0.1:$KAM_P (= sipp's digest uri):" \
        "ok $SIPP_OK, failed $SIPP_FAIL$([ "$rc" = 0 ] && echo ': only the digest-uri check stops step 3')"
}

for s in $STEPS; do
    "step$s"
done

# --- Cx in the capture: decoded, no malformed frame, no warning in what our HSS sends ------
tb_cleanup_keep_tshark() {
    local f
    for f in "${TB_PIDFILES[@]}"; do
        [ "$f" = "$WORK/tshark.pid" ] && continue
        [ -f "$f" ] && tb_stop "$f" 5
    done
}
tb_cleanup_keep_tshark
tb_capture_stop "$WORK/tshark.pid"
if [ "$STEP1_DONE" = 1 ]; then
    uaa=$(count "diameter.cmd.code==300 && diameter.flags.request==0")
    maa=$(count "diameter.cmd.code==303 && diameter.flags.request==0")
    saa=$(count "diameter.cmd.code==301 && diameter.flags.request==0")
    # SAR USER_DEREGISTRATION (5) and its answer 2001
    sar_dereg=$(count "diameter.cmd.code==301 && diameter.flags.request==1 && diameter.Server-Assignment-Type==5")
    ids="$(tshark -r "$PCAP" -n "${DEC[@]}" -T fields -e diameter.Session-Id \
        -Y "diameter.cmd.code==301 && diameter.flags.request==1 && diameter.Server-Assignment-Type==5" \
        2>/dev/null | sed 's/.*/"&"/' | paste -sd, -)"
    saa_dereg=0
    [ -n "$ids" ] && saa_dereg=$(count "diameter.cmd.code==301 && diameter.flags.request==0 && diameter.Result-Code==2001 && diameter.Session-Id in {$ids}")
    total=$(count "diameter")
    malformed=$(count "_ws.malformed")
    ours_warn=$(count "diameter && tcp.srcport==$HSS_PORT && _ws.expert.severity>=warning && !tcp.analysis.flags")
    # Cx answers of ours with a 3xxx-5xxx Result-Code or Experimental-Result-Code
    cx_err=$(count "diameter.flags.request==0 && tcp.srcport==$HSS_PORT && diameter.cmd.code>=300 && diameter.cmd.code<=305 && (diameter.Result-Code>=3000 || diameter.Experimental-Result-Code>=3000)")
    [ "$uaa" -ge 3 ] && [ "$maa" -ge 3 ] && [ "$saa" -ge 3 ] && [ "$malformed" = 0 ] \
        && [ "$ours_warn" = 0 ] && [ "$cx_err" = 0 ] && [ "$sar_dereg" -ge 3 ] && [ "$saa_dereg" = "$sar_dereg" ]
    result "1 tshark: $total Diameter frames (UAA $uaa, MAA $maa, SAA $saa, of them to SAR USER_DEREGISTRATION $saa_dereg/$sar_dereg with 2001), $cx_err Cx error answers, $malformed malformed, $ours_warn warnings in ours" "$?"
    if [ "$ours_warn" != 0 ] || [ "$malformed" != 0 ]; then
        tshark -r "$PCAP" -n "${DEC[@]}" -Y "_ws.malformed || (tcp.srcport==$HSS_PORT && _ws.expert.severity>=warning)" \
            -T fields -e frame.number -e diameter.cmd.code -e _ws.expert.message 2>/dev/null | head -20
    fi
fi
sip_bad=$(count "sip && (_ws.malformed || _ws.expert.severity>=error)")
[ "$sip_bad" = 0 ]
result "tshark: no malformed SIP frame" "$?" "$(count sip) SIP frames"

echo "kamailio-ims testbed: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
