#!/usr/bin/env bash
# Installs the third-party peers the testbeds need, when missing (Debian 12 packages).
# Idempotent; run as root, no TTY needed. apt-get update runs only when something is missing.
# Redis and PostgreSQL are installed and started only when nothing answers on
# 127.0.0.1:6379 / 127.0.0.1:5432 (the rust-svc machines start their own before a session).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: run as root" >&2
    exit 1
fi

log() { echo "install-deps: $*" >&2; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

reachable() { # PORT: true when something accepts TCP on 127.0.0.1:PORT
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# package:command pairs; the command is checked first, the package state second.
WANT=(
    "sip-tester:sipp"
    "tshark:tshark"
    "kamailio:kamailio"
    "kamailio-ims-modules:"
    "kamailio-presence-modules:"
    "freediameterd:freeDiameterd"
    "freediameter-extensions:"
    "libfreediameter-dev:"
    "iproute2:ss"
    "procps:pgrep"
    "util-linux:taskset"
    "python3:python3"
)
NEED=()
for pair in "${WANT[@]}"; do
    pkg="${pair%%:*}"
    cmd="${pair#*:}"
    if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then
        continue
    fi
    installed "$pkg" || NEED+=("$pkg")
done

START_REDIS=0
START_PG=0
if ! reachable 6379; then
    START_REDIS=1
    command -v redis-server >/dev/null 2>&1 || NEED+=("redis-server")
fi
if ! reachable 5432; then
    START_PG=1
    installed postgresql || NEED+=("postgresql")
fi

if [ "${#NEED[@]}" -gt 0 ]; then
    log "installing: ${NEED[*]}"
    # Keep package scripts from starting daemons (kamailio, freediameterd, ...) that would
    # take standard ports: a policy-rc.d that denies, removed afterwards if we made it.
    POLICY=/usr/sbin/policy-rc.d
    MADE_POLICY=0
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$POLICY"
        chmod 755 "$POLICY"
        MADE_POLICY=1
    fi
    trap '[ "$MADE_POLICY" = 1 ] && rm -f "$POLICY"' EXIT
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${NEED[@]}"
    if [ "$MADE_POLICY" = 1 ]; then
        rm -f "$POLICY"
        MADE_POLICY=0
    fi
else
    log "all packages present"
fi

if [ "$START_REDIS" = 1 ]; then
    log "starting redis-server on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if [ "$START_PG" = 1 ]; then
    log "starting PostgreSQL on 127.0.0.1:5432"
    for dir in /etc/postgresql/*/; do
        [ -d "$dir" ] || continue
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$dir")" main start || true
    done
fi
for port in 6379 5432; do
    for _ in $(seq 1 30); do
        reachable "$port" && break
        sleep 0.5
    done
    reachable "$port" || log "warning: nothing answers on 127.0.0.1:$port"
done
log "done"
