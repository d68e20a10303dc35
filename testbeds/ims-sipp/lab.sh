# shellcheck shell=bash
# Helpers to run ims-lab in a testbed (sourced after testbeds/lib.sh by ims-sipp/run.sh and
# bench/ims-register.sh). The lab's ports are fixed (P-CSCF 5060, I-CSCF 5070, S-CSCF 5080,
# HSS 3868, OCS 3869, CDF 3870), so each bed gives it a private loopback address.

# The beds cd into their work directory: make relative TB_LAB_BIN / TB_IMSCTL_BIN absolute now.
case "${TB_LAB_BIN:-/}" in /*) ;; *) TB_LAB_BIN="$PWD/$TB_LAB_BIN" ;; esac
case "${TB_IMSCTL_BIN:-/}" in /*) ;; *) TB_IMSCTL_BIN="$PWD/$TB_IMSCTL_BIN" ;; esac

IMS_SIP_PORTS="5060 5070 5080"
IMS_DIAMETER_PORTS="3868 3869 3870"
# The lab's AKA keys (roles/hss/src/seed.rs), as sipp takes them: the ASCII text is the bytes.
IMS_AKA_KEYS="aka_K=0123456789abcdef aka_OP=fedcba9876543210 aka_AMF=00"

# ims_ue_line USER ALGORITHM: one line of a sipp -inf file for ue-register.xml and
# ue-deregister.xml: user;algorithm;[authentication ...] with the demo password USER-secret
# and the demo AKA keys.
ims_ue_line() {
    printf '%s;%s;[authentication username=%s@ims.test password=%s-secret %s]\n' \
        "$1" "$2" "$1" "$1" "$IMS_AKA_KEYS"
}

# ims_lab_bin debug|release: path of the ims-lab binary: $TB_LAB_BIN when set, else the cargo
# build of that profile, brought up to date (a no-op when nothing changed).
ims_lab_bin() {
    local profile="${1:-debug}" flag=""
    if [ -n "${TB_LAB_BIN:-}" ]; then
        [ -x "$TB_LAB_BIN" ] || { tb_log "TB_LAB_BIN=$TB_LAB_BIN is not executable"; return 1; }
        echo "$TB_LAB_BIN"
        return 0
    fi
    [ "$profile" = release ] && flag="--release"
    # shellcheck disable=SC2086
    (cd "$TB_REPO" && cargo build $flag -q -p ims-lab >&2) || return 1
    echo "$TB_REPO/target/$profile/ims-lab"
}

# ims_lab_ports_free IP: true when nothing listens on (TCP) or is bound to (UDP) a lab port of IP.
ims_lab_ports_free() {
    local ip="$1" p busy
    busy="$(ss -Htuln 2>/dev/null | awk '{print $5}')"
    for p in $IMS_SIP_PORTS $IMS_DIAMETER_PORTS; do
        if grep -Fxq "$ip:$p" <<<"$busy"; then
            tb_log "$ip:$p is in use"
            return 1
        fi
    done
    return 0
}

# ims_wait_udp IP PORT [TIMEOUT_S]: wait until a UDP socket is bound on exactly IP:PORT.
ims_wait_udp() {
    local ip="$1" port="$2" timeout="${3:-10}" deadline
    deadline=$(( $(date +%s) + timeout ))
    while [ "$(date +%s)" -le "$deadline" ]; do
        ss -Hulnp 2>/dev/null | awk '{print $4}' | grep -Fxq "$ip:$port" && return 0
        sleep 0.1
    done
    tb_log "nothing bound on udp $ip:$port after ${timeout}s"
    return 1
}

# ims_lab_start BIN IP DATA_DIR PIDFILE LOGFILE [WRAPPER...]: start ims-lab on IP with its
# databases in DATA_DIR (under WRAPPER, e.g. `taskset -c 1`, which must exec it) and wait until the three CSCFs listen and both Diameter clients of the HSS (I-CSCF,
# S-CSCF) report their peer up, so that the first REGISTER does not race the CER/CEA.
ims_lab_start() {
    local bin="$1" ip="$2" data="$3" pidfile="$4" log="$5" p
    shift 5
    mkdir -p "$data"
    "$bin" --data-dir "$data" --ip "$ip" --check-config >"$log.check" 2>&1 \
        || { cat "$log.check" >&2; return 1; }
    tb_start ims-lab "$pidfile" "$log" "$@" "$bin" --data-dir "$data" --ip "$ip" --log info
    for p in $IMS_SIP_PORTS; do
        ims_wait_udp "$ip" "$p" 60 || return 1
    done
    for _ in $(seq 1 100); do
        [ "$(grep -ac 'peer up.*hss\.ims\.test' "$log")" -ge 2 ] && return 0
        tb_alive "$pidfile" || return 1
        sleep 0.1
    done
    tb_log "ims-lab: the CSCFs' HSS peers did not report up within 10 s; going on"
    return 0
}

# ims_capture_start PIDFILE PCAP IP: capture the lab's SIP and Diameter ports on IP (loopback)
# into PCAP; waits until tshark captures. Only IP's traffic, so that other beds and tests on
# the same ports of other loopback addresses stay out of it.
ims_capture_start() {
    local pidfile="$1" pcap="$2" ip="$3" ports="" p
    for p in $IMS_SIP_PORTS $IMS_DIAMETER_PORTS; do
        ports="${ports:+$ports or }port $p"
    done
    rm -f "$pcap"
    tb_start tshark "$pidfile" "$pcap.log" tshark -i lo -q -n -f "host $ip and ($ports)" -w "$pcap"
    for _ in $(seq 1 100); do
        grep -q "Capturing on" "$pcap.log" 2>/dev/null && { sleep 0.3; return 0; }
        tb_alive "$pidfile" || break
        sleep 0.1
    done
    tb_log "tshark did not start: $(cat "$pcap.log")"
    return 1
}

# ims_diameter_check PCAP: fail (status 1) when tshark, decoding 3868-3870 as Diameter, finds
# a malformed frame or an expert error in PCAP, or no Diameter frame at all. Prints the count.
ims_diameter_check() {
    local pcap="$1" args=() bad n p
    for p in $IMS_DIAMETER_PORTS; do
        args+=(-d "tcp.port==$p,diameter")
    done
    n="$(tshark -r "$pcap" -n "${args[@]}" -Y diameter 2>/dev/null | wc -l)"
    bad="$(tshark -r "$pcap" -n "${args[@]}" \
        -Y 'diameter && (_ws.malformed || _ws.expert.severity>=error)' 2>&1 \
        | grep -v 'Running as user')"
    if [ -n "$bad" ]; then
        tb_log "malformed Diameter frames in $pcap:"
        printf '%s\n' "$bad" | head -20 >&2
        return 1
    fi
    if [ "${n:-0}" -eq 0 ]; then
        tb_log "no Diameter frame decoded in $pcap"
        return 1
    fi
    tb_log "capture $pcap: $n Diameter frames, none malformed"
    return 0
}
