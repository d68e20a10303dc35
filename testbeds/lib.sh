# shellcheck shell=bash
# Shared helpers for the testbeds. Source it: `. "$(dirname "$0")/../lib.sh"`.
# Everything here stays on loopback (127.0.0.1) and is bounded in time.

TB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TB_REPO="$(cd "$TB_ROOT/.." && pwd)"
TB_CLK_TCK="$(getconf CLK_TCK)"
# The scripts cd into their work directory: make a relative TB_EDGE_BIN absolute now.
case "${TB_EDGE_BIN:-/}" in /*) ;; *) TB_EDGE_BIN="$PWD/$TB_EDGE_BIN" ;; esac

tb_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
tb_die() { tb_log "FAIL: $*"; exit 1; }

# tb_require CMD...: fail when a command is missing (run testbeds/install-deps.sh).
tb_require() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || tb_die "missing '$c' (run testbeds/install-deps.sh as root)"
    done
}

# tb_port_busy PORT: true when anything listens or is bound on PORT (TCP or UDP).
tb_port_busy() {
    ss -Htuan 2>/dev/null | awk '{print $5}' | grep -Eq "[:.]$1\$"
}

# tb_free_port: print a port in 20000-59999 that is free for both UDP and TCP, and not
# handed out before by this shell (TB_USED_PORTS).
TB_USED_PORTS=" "
tb_free_port() {
    local p i
    for i in $(seq 1 200); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        case "$TB_USED_PORTS" in *" $p "*) continue ;; esac
        if ! tb_port_busy "$p"; then
            TB_USED_PORTS="$TB_USED_PORTS$p "
            echo "$p"
            return 0
        fi
    done
    tb_die "no free port found"
}

# tb_wait_port PROTO PORT [TIMEOUT_S]: wait until something listens on 127.0.0.1:PORT.
# PROTO is udp or tcp.
tb_wait_port() {
    local proto="$1" port="$2" timeout="${3:-10}" flag deadline
    if [ "$proto" = tcp ]; then flag=-Htlnp; else flag=-Hulnp; fi
    deadline=$(( $(date +%s) + timeout ))
    while [ "$(date +%s)" -le "$deadline" ]; do
        if ss "$flag" 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]$port\$"; then
            return 0
        fi
        sleep 0.1
    done
    tb_log "nothing listens on $proto/$port after ${timeout}s"
    return 1
}

# tb_start NAME PIDFILE LOGFILE CMD...: start CMD in the background (stdin from /dev/null),
# record its pid in PIDFILE and in TB_PIDFILES for tb_cleanup.
TB_PIDFILES=()
tb_start() {
    local name="$1" pidfile="$2" log="$3"
    shift 3
    "$@" </dev/null >"$log" 2>&1 &
    echo $! >"$pidfile"
    TB_PIDFILES+=("$pidfile")
    tb_log "started $name (pid $(cat "$pidfile")): $*"
}

# tb_alive PIDFILE: true when the process in PIDFILE runs.
tb_alive() {
    local pid
    pid="$(cat "$1" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# tb_stop PIDFILE [TIMEOUT_S]: SIGTERM the process, wait, then SIGKILL it; its children too.
tb_stop() {
    local pidfile="$1" timeout="${2:-10}" pid kids i
    pid="$(cat "$pidfile" 2>/dev/null)" || return 0
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kids="$(tb_descendants "$pid")"
        kill -TERM "$pid" 2>/dev/null
        for i in $(seq 1 $(( timeout * 10 ))); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            tb_log "pid $pid ignored SIGTERM for ${timeout}s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
        for i in $kids; do kill -KILL "$i" 2>/dev/null; done
    fi
    wait "$pid" 2>/dev/null
    rm -f "$pidfile"
    return 0
}

# tb_wait_exit PIDFILE TIMEOUT_S: wait for a background process of this shell to exit and
# set TB_RC to its exit status (124 when it had to be killed). Not in a subshell: `wait`
# only knows this shell's children.
# shellcheck disable=SC2034 # read by the scripts that source this file
TB_RC=0
tb_wait_exit() {
    local pidfile="$1" timeout="$2" pid i
    pid="$(cat "$pidfile")"
    for i in $(seq 1 $(( timeout * 10 ))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        tb_log "pid $pid still runs after ${timeout}s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        rm -f "$pidfile"
        TB_RC=124
        return 0
    fi
    wait "$pid" 2>/dev/null
    # shellcheck disable=SC2034
    TB_RC=$?
    rm -f "$pidfile"
}

# tb_cleanup: stop every process started with tb_start (use in an EXIT trap).
tb_cleanup() {
    local f
    for f in "${TB_PIDFILES[@]}"; do
        [ -f "$f" ] && tb_stop "$f" 5
    done
    return 0
}

# tb_descendants PID: print PID's descendants (children, grandchildren...).
tb_descendants() {
    local k
    for k in $(pgrep -P "$1" 2>/dev/null); do
        echo "$k"
        tb_descendants "$k"
    done
}

# tb_cpu_ticks PID: utime+stime (clock ticks) of PID and all its descendants, all threads.
# Fields 14 and 15 of /proc/PID/stat, counted after the ')' that ends the command name.
tb_cpu_ticks() {
    local total=0 p t
    for p in "$1" $(tb_descendants "$1"); do
        t="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')"
        total=$(( total + ${t:-0} ))
    done
    echo "$total"
}

# tb_cpu_user_ticks PID: utime alone (clock ticks) of PID and its descendants: with
# tb_cpu_ticks it splits a proxy's CPU into user space and kernel (system calls).
tb_cpu_user_ticks() {
    local total=0 p t
    for p in "$1" $(tb_descendants "$1"); do
        t="$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12}')"
        total=$(( total + ${t:-0} ))
    done
    echo "$total"
}

# tb_cpu_seconds PID: tb_cpu_ticks converted to seconds (CLK_TCK).
tb_cpu_seconds() {
    awk -v t="$(tb_cpu_ticks "$1")" -v hz="$TB_CLK_TCK" 'BEGIN { printf "%.2f\n", t / hz }'
}

# tb_rss_kb PID: VmRSS (KB) summed over PID and its descendants (shared pages count twice).
tb_rss_kb() {
    local total=0 p r
    for p in "$1" $(tb_descendants "$1"); do
        r="$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)"
        total=$(( total + ${r:-0} ))
    done
    echo "$total"
}

# tb_pss_kb PID: proportional set size (KB) summed over PID and its descendants: the fair
# memory figure for a multi-process server such as Kamailio.
tb_pss_kb() {
    local total=0 p r
    for p in "$1" $(tb_descendants "$1"); do
        r="$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)"
        total=$(( total + ${r:-0} ))
    done
    echo "$total"
}

# tb_capture_start PIDFILE PCAP PORT...: capture loopback traffic on the given ports (UDP and
# TCP) into PCAP with tshark; waits until tshark has started capturing.
tb_capture_start() {
    local pidfile="$1" pcap="$2" filter="" p i
    shift 2
    for p in "$@"; do
        filter="${filter:+$filter or }port $p"
    done
    rm -f "$pcap"
    tb_start tshark "$pidfile" "$pcap.log" tshark -i lo -q -n -f "$filter" -w "$pcap"
    for i in $(seq 1 100); do
        grep -q "Capturing on" "$pcap.log" 2>/dev/null && { sleep 0.3; return 0; }
        tb_alive "$pidfile" || break
        sleep 0.1
    done
    tb_log "tshark did not start: $(cat "$pcap.log")"
    return 1
}

# tb_capture_stop PIDFILE: stop a capture and let tshark flush its file.
tb_capture_stop() {
    sleep 0.5
    tb_stop "$1" 10
}

# tb_decode_args PORT...: tshark arguments that decode the ports as SIP.
tb_decode_args() {
    local p
    for p in "$@"; do
        printf -- '-d udp.port==%s,sip -d tcp.port==%s,sip ' "$p" "$p"
    done
}

# tb_malformed_check PCAP PORT...: fail (status 1) when tshark finds a malformed frame or an
# expert error in PCAP, decoding PORT... as SIP. Prints the SIP frame count.
tb_malformed_check() {
    local pcap="$1" bad n
    shift
    # shellcheck disable=SC2046
    n="$(tshark -r "$pcap" -n $(tb_decode_args "$@") -Y sip 2>/dev/null | wc -l)"
    # shellcheck disable=SC2046
    bad="$(tshark -r "$pcap" -n $(tb_decode_args "$@") \
        -Y '_ws.malformed || _ws.expert.severity>=error' 2>&1 | grep -v 'Running as user')"
    if [ -n "$bad" ]; then
        tb_log "malformed frames in $pcap:"
        printf '%s\n' "$bad" | head -20 >&2
        return 1
    fi
    if [ "${n:-0}" -eq 0 ]; then
        tb_log "no SIP frame decoded in $pcap"
        return 1
    fi
    tb_log "capture $pcap: $n SIP frames, none malformed"
    return 0
}

# tb_sipp_stat FILE COLUMN: the value of COLUMN (e.g. 'SuccessfulCall(C)') in the last line
# of a sipp -trace_stat CSV file.
tb_sipp_stat() {
    awk -F';' -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        { last = $0 }
        END { if (!c) { print "NA"; exit } n = split(last, f, ";"); print f[c] }
    ' "$1" 2>/dev/null
}

# tb_rtt_percentiles FILE: "p50 p99" (ms) of a sipp -trace_rtt CSV file ("NA NA" if empty).
tb_rtt_percentiles() {
    awk -F';' 'NR > 1 && $2 ~ /^[0-9.]+$/ { print $2 }' "$1" 2>/dev/null | sort -n | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "NA NA"; exit }
            i50 = int(NR * 0.50 + 0.999); if (i50 < 1) i50 = 1
            i99 = int(NR * 0.99 + 0.999); if (i99 < 1) i99 = 1
            printf "%s %s\n", v[i50], v[i99]
        }'
}

# tb_ims_edge_bin: path of the ims-edge binary: $TB_EDGE_BIN when set, else the release
# build, brought up to date with cargo (a no-op when nothing changed).
tb_ims_edge_bin() {
    if [ -n "${TB_EDGE_BIN:-}" ]; then
        [ -x "$TB_EDGE_BIN" ] || { tb_log "TB_EDGE_BIN=$TB_EDGE_BIN is not executable"; return 1; }
        echo "$TB_EDGE_BIN"
        return 0
    fi
    (cd "$TB_REPO" && cargo build --release -q -p ims-edge >&2) || return 1
    echo "$TB_REPO/target/release/ims-edge"
}
