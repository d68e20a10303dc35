# shellcheck shell=bash
# The contacts workload of bench.sh (sourced by it): memory per registered contact.
# Per trio, on a fresh HSS store holding N subscribers (u000001...): the CSCFs' memory at idle
# after start-up (baseline), then N AKAv1-MD5 registrations (distinct users, one contact each,
# Expires 3600, ims-sipp/scenarios/ue-register.xml with -auth_uri ims.test) at RATE/s from
# SIPPS sipp UEs on distinct ports, then the memory again: at once ("loaded") and after
# SETTLE_S seconds (transactions gone: our UDP server transactions linger 32 s, timer J;
# Kamailio's 5 s). RSS and PSS are summed over each role's processes (Kamailio: the main
# process and all its children; its shared memory counts once per process in RSS, once in
# all in PSS: PSS is the fair figure); bytes/contact = (settled - baseline) / contacts held.
# Held: Kamailio S-CSCF: ims_usrloc_scscf's active contacts (kamcmd stats), Kamailio P-CSCF:
# its htable "reg" items; our S-CSCF on SQLite: rows of its binding table (ours-mem: no way
# to ask, "-"); HSS: IMPUs in registered state with that S-CSCF, for every trio.
# Kamailio: usrloc hash_size and contacts_hash_size UL_HASH (default 512 each).
# Env: N (10000), RATE (150), SIPPS (1), SETTLE_S (40), REPEAT=1 (then the same users register
# again: growth per re-registration, location state unchanged), KAM_SHM_MB (Kamailio -m, per
# instance: 64 + N/400), UL_HASH (Kamailio usrloc slots), HT_BITS (Kamailio P-CSCF table,
# 2^HT_BITS slots). --smoke: N=SMOKE_N (1000).

contacts_defaults() {
    export TRIOS="${TRIOS:-kamailio ours-mem ours}" N="${N:-10000}" RATE="${RATE:-150}"
    [ "$SMOKE" = 1 ] && N="${SMOKE_N:-1000}"
    export SIPPS="${SIPPS:-1}" SETTLE_S="${SETTLE_S:-40}"
    export KAM_SHM_MB="${KAM_SHM_MB:-$(( 64 + N / 400 ))}"
    local bits=10
    while [ $(( 1 << bits )) -lt $(( N / 2 )) ] && [ "$bits" -lt 20 ]; do bits=$(( bits + 1 )); done
    export HT_BITS="${HT_BITS:-$bits}" UL_HASH="${UL_HASH:-$(( 1 << bits ))}"
    SETTINGS="N=$N RATE=$RATE SIPPS=$SIPPS SETTLE_S=$SETTLE_S${REPEAT:+ REPEAT=$REPEAT} KAM_SHM_MB=$KAM_SHM_MB UL_HASH=$UL_HASH HT_BITS=$HT_BITS"
    BENCH_TIMEOUT_S="${BENCH_TIMEOUT_S:-$(( 300 + $(wc -w <<<"$TRIOS") * (N * 3 / RATE / 2 + SETTLE_S * 2 + 150) ))}"
}
contacts_users() { seq -f 'u%06g' 1 "$N"; }

# mem_kb PID: "RSS PSS" (KB) of PID and its descendants.
mem_kb() { echo "$(tb_rss_kb "$1") $(tb_pss_kb "$1")"; }
# mem_all: "P_RSS P_PSS I_RSS I_PSS S_RSS S_PSS" now.
mem_all() { echo "$(mem_kb "$P_PID") $(mem_kb "$I_PID") $(mem_kb "$S_PID")"; }
kam_stat() { # NAME STAT: a statistic of the Kamailio instance NAME (ctl socket)
    kamcmd -s "unix:$WORK/$1.ctl" stats.get_statistics "$2" 2>/dev/null | awk -F'= ' 'NR == 1 { print $2 }'
}

# held TRIO: "S-CSCF P-CSCF HSS" contacts/registrations held now ("-" where we cannot ask).
held() {
    local s=- p=- h
    case "$1" in
    kamailio)
        s="$(kam_stat scscf active_contacts)"
        p="$(kamcmd -s "unix:$WORK/pcscf.ctl" htable.stats 2>/dev/null | awk '$1 == "all:" { print $2; exit }')"
        ;;
    ours | ours-nocache) s="$(sqlite3 "$WORK/scscf-$1.db" 'SELECT count(*) FROM binding' 2>/dev/null)" ;;
    esac
    h="$(sqlite3 "$WORK/hss-bench-$1.db" 'SELECT count(*) FROM impu_registration WHERE state = 1' 2>/dev/null)"
    echo "${s:--} ${p:--} ${h:--}"
}

contacts_run() {
    local trio k d lines per c0 c1 t0 t1 ok fail retr ok_k fail_k retr_k p50 p99 base loaded settled
    local hs hp hh rate_s cpu_s per_reg shm0 shm1 role i
    local -a B L S R
    SROWS=()
    for trio in $TRIOS; do
        start_trio "$trio" || continue
        sleep 3
        read -r -a B <<<"$(mem_all)"
        shm0=""
        [ "$trio" = kamailio ] && shm0="$(kam_shm_used)"
        d="$WORK/contacts-$trio"
        mkdir -p "$d"
        c0=$(cpu_ticks $PIDS); t0=$(date +%s.%N)
        register_pass "$d"
        t1=$(date +%s.%N); c1=$(cpu_ticks $PIDS)
        read -r -a L <<<"$(mem_all)"
        sleep "$SETTLE_S"
        read -r -a S <<<"$(mem_all)"
        shm1=""
        [ "$trio" = kamailio ] && shm1="$(kam_shm_used)"
        read -r hs hp hh <<<"$(held "$trio")"
        ok=$REG_OK; fail=$REG_FAIL; retr=$REG_RETR
        cat "$d"/*/*_rtt.csv 2>/dev/null | awk 'NR == 1 || !/^Date/' >"$d/rtt.csv"
        read -r p50 p99 <<<"$(tb_rtt_percentiles "$d/rtt.csv")"
        rate_s=$(awk -v n="$ok" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
        cpu_s=$(secs $(( c1 - c0 ))); per_reg=$(per_unit "$cpu_s" "$ok")
        [ "$ok" = "$N" ] || LOSSY=$((LOSSY + 1))
        tb_log "$trio: $ok/$N registered ($fail failed, $retr retrans) at $rate_s/s; held S $hs P $hp HSS $hh; cpu ${cpu_s}s = $per_reg µs/reg; p50 $p50 p99 $p99 ms; mem base ${B[*]} loaded ${L[*]} settled ${S[*]}${shm0:+; shm used $shm0 -> $shm1}"
        SROWS+=("| $trio | $N | $ok | $fail | $retr | $rate_s | $hs | $hp | $hh | $cpu_s | $per_reg | $p50 / $p99 | ${shm0:+$(( shm0 / 1024 )) → $(( shm1 / 1024 )) KB} |")
        # Memory rows: P, I, S, then the total; columns RSS then PSS.
        for role in P I S total; do
            case "$role" in
            P) i=0 ;; I) i=2 ;; S) i=4 ;;
            esac
            if [ "$role" = total ]; then
                mem_row "$trio" total $(( B[0] + B[2] + B[4] )) $(( B[1] + B[3] + B[5] )) \
                    $(( L[0] + L[2] + L[4] )) $(( L[1] + L[3] + L[5] )) \
                    $(( S[0] + S[2] + S[4] )) $(( S[1] + S[3] + S[5] )) "$ok"
            else
                mem_row "$trio" "$role" "${B[$i]}" "${B[$(( i + 1 ))]}" "${L[$i]}" "${L[$(( i + 1 ))]}" \
                    "${S[$i]}" "${S[$(( i + 1 ))]}" "$ok"
            fi
        done
        if [ "${REPEAT:-0}" = 1 ]; then
            # The same users register again (their contacts replaced, none added): growth now
            # is retained per-transaction memory or a leak, not location state.
            register_pass "$d/again"
            sleep "$SETTLE_S"
            read -r -a R <<<"$(mem_all)"
            tb_log "$trio: 2nd pass $REG_OK/$N registered again; held $(held "$trio"); mem ${R[*]}"
            mem_row "$trio" "P, 2nd pass" "${S[0]}" "${S[1]}" "-" "-" "${R[0]}" "${R[1]}" "$REG_OK"
            mem_row "$trio" "I, 2nd pass" "${S[2]}" "${S[3]}" "-" "-" "${R[2]}" "${R[3]}" "$REG_OK"
            mem_row "$trio" "S, 2nd pass" "${S[4]}" "${S[5]}" "-" "-" "${R[4]}" "${R[5]}" "$REG_OK"
        fi
        stop_trio
    done
    TABLE="$(
        echo "| trio | contacts asked | registered (200 OK) | failed | retrans | sustained /s | held by S-CSCF | held by P-CSCF | HSS registered | CSCF CPU s | CSCF µs/reg | reg time p50 / p99 ms | Kamailio shm used (3 instances) |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        printf '%s\n' "${SROWS[@]}"
        echo
        echo "| trio | role | RSS KB idle | RSS KB loaded | RSS KB settled | PSS KB idle | PSS KB loaded | PSS KB settled | RSS B/contact | PSS B/contact |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        printf '%s\n' "${ROWS[@]}"
    )"
    TITLE="kamailio-ims: memory per registered contact, Kamailio's trio and ours, $N contacts"
    NOTE="Per trio: fresh HSS store with $N subscribers, memory at idle after start-up, $N AKAv1-MD5 registrations (one contact each, Expires 3600) at $RATE/s, memory at once (loaded) and after ${SETTLE_S} s (settled); B/contact = (settled − idle) × 1024 / registered. Kamailio: all processes of each instance, shared memory -m $KAM_SHM_MB MB per instance (PSS counts it once), usrloc hash_size and contacts_hash_size $UL_HASH, P-CSCF htable 2^$HT_BITS slots. ours-mem: our S-CSCF on its in-memory store (the analogue of Kamailio's db_mode 0); ours: on SQLite (the bindings live in a file: the page cache is the kernel's, not counted)."
}

# register_pass DIR: the N users register once (SIPPS sipp UEs from distinct ports, at RATE/s in
# all); sets REG_OK, REG_FAIL, REG_RETR.
register_pass() {
    local d="$1" k lines ok_k fail_k retr_k per
    local -a spids=()
    per=$(( (N + SIPPS - 1) / SIPPS ))
    for k in $(seq 0 $(( SIPPS - 1 ))); do
        lines="$(sed -n "$(( k * per + 1 )),$(( (k + 1) * per ))p" "$WORK/users.lst" | wc -l)"
        [ "$lines" -gt 0 ] || continue
        mkdir -p "$d/$k"
        { echo SEQUENTIAL; sed -n "$(( k * per + 1 )),$(( (k + 1) * per ))p" "$WORK/users.lst" \
            | awk '{ printf "%s;AKAv1-MD5;[authentication username=%s@ims.test %s]\n", $1, $1, keys }' \
                keys="$AKA_KEYS"; } >"$d/$k/users.csv"
        (cd "$d/$k" && exec taskset -c 0 sipp -sf "$TB_ROOT/ims-sipp/scenarios/ue-register.xml" \
            -inf "$d/$k/users.csv" -key expires 3600 -auth_uri ims.test \
            -m "$lines" -r "$(( RATE / SIPPS ))" -l $(( RATE * 4 / SIPPS + 50 )) \
            -i 127.0.0.1 -p $(( UE_PORT + k )) -mp $(( 16000 + 10 * k )) -t u1 \
            -timeout $(( lines * SIPPS * 3 / RATE / 2 + 60 )) -max_retrans 5 -default_behaviors all,-bye \
            -nostdin -nd -buff_size 4194304 -trace_stat -stf "$d/$k/stat.csv" -fd 5 \
            -trace_rtt -rtt_freq 20 -trace_err -error_file "$d/$k/err.log" \
            "127.0.0.1:$ENTRY" </dev/null >"$d/$k/sipp.out" 2>&1) &
        spids+=($!)
    done
    wait "${spids[@]}"   # (not a bare wait: the servers are children of this shell too)
    REG_OK=0; REG_FAIL=0; REG_RETR=0
    for k in $(seq 0 $(( SIPPS - 1 ))); do
        [ -f "$d/$k/stat.csv" ] || continue
        ok_k="$(tb_sipp_stat "$d/$k/stat.csv" 'SuccessfulCall(C)')"
        fail_k="$(tb_sipp_stat "$d/$k/stat.csv" 'FailedCall(C)')"
        retr_k="$(tb_sipp_stat "$d/$k/stat.csv" 'Retransmissions(C)')"
        REG_OK=$(( REG_OK + ${ok_k//[^0-9]/} + 0 )); REG_FAIL=$(( REG_FAIL + ${fail_k//[^0-9]/} + 0 ))
        REG_RETR=$(( REG_RETR + ${retr_k//[^0-9]/} + 0 ))
    done
}

# mem_row TRIO ROLE RSS0 PSS0 RSS1 PSS1 RSS2 PSS2 CONTACTS: one memory row (settled - idle).
mem_row() {
    local brss bpss
    brss=$(awk -v d=$(( $7 - $3 )) -v n="$9" 'BEGIN { if (n > 0) printf "%.0f", d * 1024 / n; else print "NA" }')
    bpss=$(awk -v d=$(( $8 - $4 )) -v n="$9" 'BEGIN { if (n > 0) printf "%.0f", d * 1024 / n; else print "NA" }')
    ROWS+=("| $1 | $2 | $3 | $5 | $7 | $4 | $6 | $8 | $brss | $bpss |")
}

# kam_shm_used: shared memory in use (bytes) summed over the three Kamailio instances.
kam_shm_used() {
    local t=0 n u
    for n in pcscf icscf scscf; do
        u="$(kamcmd -s "unix:$WORK/$n.ctl" core.shmmem 2>/dev/null | awk '$1 == "used:" { print $2 }')"
        t=$(( t + ${u:-0} ))
    done
    echo "$t"
}
