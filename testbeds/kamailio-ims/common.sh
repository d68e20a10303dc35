# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are read by the scripts that source this file
# Shared by kamailio-ims/run.sh and kamailio-ims/bench.sh (sourced after ../lib.sh, inside the
# private network + mount namespace, with HERE, WORK, BIN_DIR and KAM_DEBUG set).

HSS_PORT=3868
ICSCF_CDP_PORT=3869
SCSCF_CDP_PORT=3870
KAM_P=5060; KAM_I=4060; KAM_S=6060
OUR_P=5060; OUR_I=5070; OUR_S=5080
UE_PORT=5090
CHILDREN="${CHILDREN:-2}"
CDP_WORKERS="${CDP_WORKERS:-2}"
SCEN="$HERE/scenarios"

# kims_setup_ns: lo up, names for cdp, Kamailio and our roles in a private /etc/hosts.
kims_setup_ns() {
    ip link set lo up || tb_die "cannot bring lo up"
    printf '127.0.0.1 localhost ims.test hss.ims.test icscf.ims.test scscf.ims.test pcscf.ims.test\n' \
        >"$WORK/hosts"
    mount --bind "$WORK/hosts" /etc/hosts || tb_die "cannot bind-mount /etc/hosts"
    cp -r "$HERE/icscf-db" "$WORK/icscf-db"
}

# subst TEMPLATE [EXTRA SED ARGS...]: the template with its @NAME@ placeholders filled.
# Sizes for the benches: HT_BITS (Kamailio P-CSCF's registration table, 2^N slots), UL_HASH
# (Kamailio S-CSCF's usrloc hash slots), SCSCF_STORE (our S-CSCF's store URL), SCSCF_CACHE
# (true/false: its write-through binding cache).
subst() {
    local t="$1"
    shift
    sed -e "s#@WORK@#$WORK#g" -e "s#@KAM_DEBUG@#$KAM_DEBUG#g" -e "s#@CHILDREN@#$CHILDREN#g" \
        -e "s#@CDP_WORKERS@#$CDP_WORKERS#g" -e "s#@HSS_PORT@#$HSS_PORT#g" \
        -e "s#@ICSCF_CDP_PORT@#$ICSCF_CDP_PORT#g" -e "s#@SCSCF_CDP_PORT@#$SCSCF_CDP_PORT#g" \
        -e "s#@ICSCF_PORT@#$KAM_I#g" -e "s#@SCSCF_PORT@#$KAM_S#g" -e "s#@PCSCF_PORT@#$KAM_P#g" \
        -e "s#@OUR_P@#$OUR_P#g" -e "s#@OUR_I@#$OUR_I#g" -e "s#@OUR_S@#$OUR_S#g" \
        -e "s#@PCSCF_NEXT_PORT@#${PCSCF_NEXT_PORT:-$OUR_I}#g" \
        -e "s#@P_ICSCF_PORT@#${P_ICSCF_PORT:-$KAM_I}#g" -e "s#@P_SCSCF_PORT@#${P_SCSCF_PORT:-$KAM_S}#g" -e "s#@AUTH_ALG@#AKAv1-MD5#g" -e "s#@ROLE_LOG@#${ROLE_LOG:-info}#g" \
        -e "s#@HT_BITS@#${HT_BITS:-12}#g" -e "s#@UL_HASH@#${UL_HASH:-512}#g" \
        -e "s#@SCSCF_STORE@#${SCSCF_STORE:-sqlite:$WORK/scscf.db}#g" \
        -e "s#@SCSCF_CACHE@#${SCSCF_CACHE:-true}#g" "$@" "$t"
}

# start_hss TAG SCSCF_NAME [PREPARE_CMD...]: our HSS with a fresh store (hss-TAG.db) that names
# SCSCF_NAME; PREPARE_CMD (e.g. an imsctl import) runs on the config file before the start.
start_hss() {
    local tag="$1" name="$2"
    shift 2
    subst "$HERE/hss.toml.in" -e "s#@STEP@#$tag#g" -e "s#@SCSCF_NAME@#$name#g" \
        -e "s#@HSS_LOG@#${HSS_LOG:-info}#g" >"$WORK/hss-$tag.toml"
    "$BIN_DIR/ims-hss" --config "$WORK/hss-$tag.toml" --check-config >"$WORK/hss-$tag.check" 2>&1 \
        || { cat "$WORK/hss-$tag.check"; return 1; }
    if [ "$#" -gt 0 ]; then
        "$@" "$WORK/hss-$tag.toml" || return 1
    fi
    tb_start ims-hss "$WORK/hss.pid" "$WORK/hss-$tag.log" "$BIN_DIR/ims-hss" --config "$WORK/hss-$tag.toml"
    tb_wait_port tcp "$HSS_PORT" 10 || { tail -20 "$WORK/hss-$tag.log"; return 1; }
}

# start_kamailio NAME: Kamailio with NAME.cfg (and NAME.xml for cdp) from the templates.
start_kamailio() {
    local n="$1"
    subst "$HERE/$n.cfg.in" >"$WORK/$n.cfg"
    [ -f "$HERE/$n.xml.in" ] && subst "$HERE/$n.xml.in" >"$WORK/$n.xml"
    kamailio -c -f "$WORK/$n.cfg" >"$WORK/$n.check" 2>&1 \
        || { tail -20 "$WORK/$n.check"; return 1; }
    tb_start "kamailio-$n" "$WORK/$n.pid" "$WORK/$n.log" \
        kamailio -f "$WORK/$n.cfg" -DD -E -m "${KAM_SHM_MB:-64}" -M 8 -Y "$WORK" -w "$WORK"
}

# cdp_open NAME TIMEOUT_S: wait until the Kamailio NAME's cdp has its peer hss.ims.test open.
# cdp's first CER often lacks Host-IP-Address (we answer 5005); its retry comes 5 s later.
cdp_open() {
    for _ in $(seq 1 $(( $2 * 5 ))); do
        if kamcmd -s "unix:$WORK/$1.ctl" cdp.list_peers 2>/dev/null | grep -Eq 'State: (I|R)_Open'; then
            return 0
        fi
        tb_alive "$WORK/$1.pid" || return 1
        sleep 0.2
    done
    kamcmd -s "unix:$WORK/$1.ctl" cdp.list_peers >&2 2>&1
    return 1
}

# start_our ROLE: ims-ROLE (pcscf, icscf, scscf) with ROLE.toml.in; waits for its SIP port.
start_our() {
    local r="$1" port
    case "$r" in pcscf) port=$OUR_P ;; icscf) port=$OUR_I ;; *) port=$OUR_S ;; esac
    subst "$HERE/$r.toml.in" >"$WORK/our-$r.toml"
    "$BIN_DIR/ims-$r" --config "$WORK/our-$r.toml" --check-config >"$WORK/our-$r.check" 2>&1 \
        || { tail -5 "$WORK/our-$r.check"; return 1; }
    tb_start "ims-$r" "$WORK/our-$r.pid" "$WORK/our-$r.log" "$BIN_DIR/ims-$r" --config "$WORK/our-$r.toml"
    tb_wait_port udp "$port" 10 || { tail -10 "$WORK/our-$r.log"; return 1; }
}
