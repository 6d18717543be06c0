#!/usr/bin/env bash
# sysbench through each hop, in one run, on this machine (loopback only):
#   direct     MariaDB itself
#   haproxy    HAProxy 2.6 in TCP mode in front of it (the bare-hop baseline)
#   proxy      shardcat proxy, one unsharded node (the same MariaDB)
#   sharded    shardcat proxy, sbtest1..N sharded by id with mod-long over
#              two more MariaDB servers
#   director   shardcat director (keepalived.conf virtual_server, rr, one
#              real server with MYSQL_CHECK) in front of the direct MariaDB:
#              the L4 hop, compared with HAProxy
# for oltp_point_select and oltp_read_only, with prepared statements
# (ps=auto) and without (ps=disable). Prints QPS (median of REPEAT runs),
# p95 latency and the ratios to direct and to HAProxy (also paired: the
# median of the per-round ratios, and in how many rounds the figure was
# higher than HAProxy's); then, unless
# CONNRATE=0, new MySQL connections per second through each target
# (scripts/connrate: connect, authenticate, ping, quit in a loop). Runs are
# interleaved across targets; each run's figure is printed too, and the CPU
# time (user + system) the hop's own process (HAProxy, shardcat) spent per
# query or connection.
#
#   THREADS=16 TIME=10 REPEAT=3 TABLES=4 TABLE_SIZE=10000 scripts/bench.sh
#   TARGETS="direct haproxy director" TESTS=oltp_point_select PS_MODES=auto scripts/bench.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

THREADS=${THREADS:-16}
TIME=${TIME:-10}
REPEAT=${REPEAT:-3}
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-10000}
TESTS=${TESTS-oltp_point_select oltp_read_only} # TESTS="" runs only the connection rate
PS_MODES=${PS_MODES:-auto disable}
TARGETS=${TARGETS:-direct haproxy director proxy sharded}
CONNRATE=${CONNRATE:-1}

for tool in sysbench haproxy; do
	command -v "$tool" >/dev/null || sc_die "$tool is missing (apt-get install sysbench haproxy, or run scripts/test.sh as root)"
done

sc_workdir bench
trap sc_cleanup EXIT
declare -A PORT=()       # target -> port
declare -A UNAVAILABLE=() # target -> why
declare -A PID=()         # target -> the process whose CPU time is reported (the hops, not MariaDB)

sysbench_common() { # sysbench_common PORT
	echo --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$1" --mysql-user=bench \
		--mysql-password=benchpw --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE"
}

# --- direct ------------------------------------------------------------------
sc_log "starting MariaDB (direct)"
sc_start_mariadb direct --database sbtest --arg=--max-connections=1000
PORT[direct]=$SC_PORT
sc_log "preparing sbtest ($TABLES tables x $TABLE_SIZE rows)"
# shellcheck disable=SC2046
sysbench oltp_common $(sysbench_common "${PORT[direct]}") --threads="$TABLES" prepare >"$SC_WORK/prepare-direct.log" 2>&1 ||
	{ cat "$SC_WORK/prepare-direct.log"; sc_die "sysbench prepare failed"; }

# --- haproxy -----------------------------------------------------------------
PORT[haproxy]=$(sc_free_port)
cat >"$SC_WORK/haproxy.cfg" <<CFG
global
    maxconn 4096
    nbthread 2
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
listen mariadb_single
    bind 127.0.0.1:${PORT[haproxy]}
    server db1 127.0.0.1:${PORT[direct]} check inter 1s
CFG
haproxy -f "$SC_WORK/haproxy.cfg" -db >"$SC_WORK/haproxy.log" 2>&1 &
SC_PIDS+=("$!")
PID[haproxy]=$!
sc_wait_port "${PORT[haproxy]}" "$!" "$SC_WORK/haproxy.log" || sc_die "haproxy did not start"

# --- shardcat proxy: unsharded and sharded --------------------------------------
wants() { [[ " $TARGETS " == *" $1 "* ]]; }
if wants proxy || wants sharded; then
	why=""
	if ! sc_build_shardcat; then
		why="go build ./cmd/shardcat failed"
	elif ! sc_has_proxy; then
		why="no 'shardcat proxy' command yet"
	fi
	if [[ -n "$why" ]]; then
		UNAVAILABLE[proxy]=$why
		UNAVAILABLE[sharded]=$why
	fi
fi
if wants proxy && [[ -z "${UNAVAILABLE[proxy]:-}" ]]; then
	conf=$SC_WORK/conf-proxy
	PORT[proxy]=$(sc_free_port)
	sc_mycat_server_xml "$conf" "${PORT[proxy]}" "$(sc_free_port)" bench benchpw sbtest
	sc_mycat_rule_xml "$conf"
	sc_mycat_schema_single "$conf" sbtest sbtest "${PORT[direct]}"
	sc_log "starting shardcat proxy (unsharded) on ${PORT[proxy]}"
	sc_start_proxy "$conf" "${PORT[proxy]}"
	PID[proxy]=${SC_PIDS[-1]}
fi
if wants sharded && [[ -z "${UNAVAILABLE[sharded]:-}" ]]; then
	sc_start_mariadb shard1 --database sbtest --arg=--max-connections=1000
	shard1=$SC_PORT
	sc_start_mariadb shard2 --database sbtest --arg=--max-connections=1000
	shard2=$SC_PORT
	conf=$SC_WORK/conf-sharded
	PORT[sharded]=$(sc_free_port)
	sc_mycat_server_xml "$conf" "${PORT[sharded]}" "$(sc_free_port)" bench benchpw sbtest
	sc_mycat_rule_xml "$conf"
	tables=$(seq -s, -f 'sbtest%g' 1 "$TABLES")
	sc_mycat_schema_sharded "$conf" sbtest "$tables" "$shard1" "$shard2"
	sc_log "starting shardcat proxy (sharded over $shard1, $shard2) on ${PORT[sharded]}"
	sc_start_proxy "$conf" "${PORT[sharded]}"
	PID[sharded]=${SC_PIDS[-1]}
	# Prepare through the proxy (CREATE TABLE to both nodes, multi-row
	# INSERTs split by id; --auto-inc=off makes sysbench write the id, which
	# a sharded INSERT needs); if it cannot, load each shard directly with
	# its own rows: id mod 2 = 0 on dn1, 1 on dn2.
	# shellcheck disable=SC2046
	if sysbench oltp_common $(sysbench_common "${PORT[sharded]}") --auto-inc=off --threads=1 prepare \
		>"$SC_WORK/prepare-sharded.log" 2>&1; then
		sc_log "sharded data prepared through the proxy"
	else
		sc_log "prepare through the proxy failed (see below); loading the shards directly"
		tail -n 5 "$SC_WORK/prepare-sharded.log" | cut -c1-300 >&2
		for node in 1 2; do
			port=$shard1 rem=0
			if [[ $node == 2 ]]; then port=$shard2 rem=1; fi
			# shellcheck disable=SC2046
			sysbench oltp_common $(sysbench_common "$port") --threads="$TABLES" cleanup >/dev/null 2>&1 || true
			# shellcheck disable=SC2046
			sysbench oltp_common $(sysbench_common "$port") --threads="$TABLES" prepare >>"$SC_WORK/prepare-sharded.log" 2>&1 ||
				sc_die "direct prepare on shard $node failed"
			for t in $(seq 1 "$TABLES"); do
				mariadb --no-defaults -uroot --socket="$SC_WORK/shard$node/mysqld.sock" sbtest \
					-e "DELETE FROM sbtest$t WHERE id % 2 <> $rem"
			done
		done
	fi
fi

if wants director; then
	if sc_build_shardcat; then
		PORT[director]=$(sc_free_port)
		cat >"$SC_WORK/director.conf" <<CONF
virtual_server 127.0.0.1 ${PORT[director]} {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 127.0.0.1 ${PORT[direct]} {
        weight 1
        MYSQL_CHECK {
            user bench
            password benchpw
            connect_timeout 2
        }
    }
}
CONF
		sc_log "starting shardcat director on ${PORT[director]}"
		"$SC_WORK/bin/shardcat" director -f "$SC_WORK/director.conf" --socket "" >"$SC_WORK/director.log" 2>&1 &
		SC_PIDS+=("$!")
		PID[director]=$!
		sc_wait_port "${PORT[director]}" "$!" "$SC_WORK/director.log" || sc_die "shardcat director did not start"
	else
		UNAVAILABLE[director]="go build ./cmd/shardcat failed"
	fi
fi

# The sharded rows must sit where mod-long puts them, all of them once.
if [[ -n "${PORT[sharded]:-}" ]]; then
	total=0
	for node in 1 2; do
		for t in $(seq 1 "$TABLES"); do
			read -r rows misplaced < <(mariadb --no-defaults -uroot --socket="$SC_WORK/shard$node/mysqld.sock" -N sbtest \
				-e "SELECT COUNT(*), COALESCE(SUM(id % 2 <> $((node - 1))), 0) FROM sbtest$t")
			((misplaced == 0)) || sc_die "shard $node: sbtest$t has $misplaced rows of the other shard"
			total=$((total + rows))
		done
	done
	((total == TABLES * TABLE_SIZE)) || sc_die "the shards hold $total sbtest rows, want $((TABLES * TABLE_SIZE))"
	sc_log "sharded placement checked: $total rows, each on its mod-long node"
fi

# --- runs ----------------------------------------------------------------------
# median VALUES...: "failed" when there are none (every run failed).
median() {
	if (($# == 0)); then
		echo failed
		return
	fi
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# cpu_ticks TARGET: user+system CPU time of the target's process, in clock
# ticks ("" when the target has none of its own, e.g. direct).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
	local pid=${PID[$1]:-}
	[[ -n "$pid" && -r /proc/$pid/stat ]] || return 0
	# Fields after the command name, which is in parentheses and may hold spaces.
	sed -E 's/^.*\) //' "/proc/$pid/stat" | awk '{print $12 + $13}'
}
# cpu_per_op TICKS0 TICKS1 RATE: µs of CPU per operation over one run.
cpu_per_op() {
	[[ -n "$1" && -n "$2" && -n "$3" ]] || return 0
	awk -v a="$1" -v b="$2" -v r="$3" -v t="$TIME" -v hz="$CLK_TCK" 'BEGIN {if (r > 0) printf "%.1f", (b - a) * 1e6 / hz / (r * t)}'
}

# Runs are interleaved (round r of every target before round r+1), so a
# change in the machine's load over the run falls on every target alike,
# and round r starts r-1 targets further along the list, so no target
# always runs right after the same other one (a run leaves TIME_WAIT
# sockets, warm caches and MariaDB's thread cache to the next).
rotated() { # rotated R: $TARGETS, rotated left by R-1
	local -a t
	read -r -a t <<<"$TARGETS"
	local n=${#t[@]} i
	for ((i = 0; i < n; i++)); do
		printf '%s ' "${t[$(((i + $1 - 1) % n))]}"
	done
}
declare -A QPS=() P95=() QPS_RUNS=() P95_RUNS=() CPU=() CPU_RUNS=()
declare -A ROUND=() # "KEY|r" -> round r's figure, for paired ratios
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$REPEAT"); do
	for test in $TESTS; do
		for ps in $PS_MODES; do
			for target in $(rotated "$r"); do
				[[ -n "${PORT[$target]:-}" ]] || continue
				key="$target|$test|$ps"
				log=$SC_WORK/run-$target-$test-$ps-$r.log
				sc_log "$target $test ps=$ps run $r/$REPEAT"
				t0=$(cpu_ticks "$target")
				# shellcheck disable=SC2046
				if sysbench "$test" $(sysbench_common "${PORT[$target]}") --threads="$THREADS" --time="$TIME" \
					--db-ps-mode="$ps" --percentile=95 run >"$log" 2>&1; then
					qps=$(awk '/queries:/ {gsub(/\(/, "", $3); print $3}' "$log")
					QPS_RUNS[$key]+=" $qps"
					ROUND[$key|$r]=$qps
					p95=$(awk '/95th percentile:/ {print $3}' "$log")
					P95_RUNS[$key]+=" $p95"
					ROUND[p95|$key|$r]=$p95
					CPU_RUNS[$key]+=" $(cpu_per_op "$t0" "$(cpu_ticks "$target")" "$qps")"
				else
					sc_log "run failed:"
					tail -n 5 "$log" | cut -c1-300 >&2
				fi
			done
		done
	done
done
for key in "${!QPS_RUNS[@]}"; do
	# shellcheck disable=SC2086
	QPS[$key]=$(median ${QPS_RUNS[$key]})
	# shellcheck disable=SC2086
	P95[$key]=$(median ${P95_RUNS[$key]})
	# shellcheck disable=SC2086
	[[ -z "${CPU_RUNS[$key]// /}" ]] || CPU[$key]=$(median ${CPU_RUNS[$key]})
done

declare -A CPS=() CP95=() CPS_RUNS=() CP95_RUNS=() CCPU=() CCPU_RUNS=()
if [[ "$CONNRATE" != 0 ]]; then
	(cd "$SC_ROOT" && go build -o "$SC_WORK/bin/connrate" ./scripts/connrate) || sc_die "go build ./scripts/connrate failed"
	for r in $(seq 1 "$REPEAT"); do
		for target in $(rotated "$r"); do
			[[ -n "${PORT[$target]:-}" ]] || continue
			sc_log "$target connection rate run $r/$REPEAT"
			t0=$(cpu_ticks "$target")
			if out=$("$SC_WORK/bin/connrate" -addr "127.0.0.1:${PORT[$target]}" -user bench -password benchpw \
				-db sbtest -threads "$THREADS" -time "${TIME}s" 2>"$SC_WORK/connrate-$target-$r.err"); then
				cps=$(sed -E 's/.*conns\/s=([0-9.]+).*/\1/' <<<"$out")
				CPS_RUNS[$target]+=" $cps"
				ROUND[conns|$target|$r]=$cps
				CCPU_RUNS[$target]+=" $(cpu_per_op "$t0" "$(cpu_ticks "$target")" "$cps")"
				p95=$(sed -E 's/.*p95_ms=([0-9.]+).*/\1/' <<<"$out")
				CP95_RUNS[$target]+=" $p95"
				ROUND[p95|conns|$target|$r]=$p95
				grep -q 'errors=0' <<<"$out" || sc_log "$target: $out ($(cat "$SC_WORK/connrate-$target-$r.err"))"
			else
				sc_log "connrate failed: $(cat "$SC_WORK/connrate-$target-$r.err")"
			fi
		done
	done
	for target in "${!CPS_RUNS[@]}"; do
		# shellcheck disable=SC2086
		CPS[$target]=$(median ${CPS_RUNS[$target]})
		# shellcheck disable=SC2086
		CP95[$target]=$(median ${CP95_RUNS[$target]})
		# shellcheck disable=SC2086
		[[ -z "${CCPU_RUNS[$target]// /}" ]] || CCPU[$target]=$(median ${CCPU_RUNS[$target]})
	done
fi

round() { # round VALUE: integers for numbers, other text as is
	if [[ "$1" =~ ^[0-9]+([.][0-9]+)?$ ]]; then printf '%.0f' "$1"; else printf '%s' "$1"; fi
}

ratio() { # ratio A B: A/B, or "-" unless both are numbers
	local num='^[0-9]+([.][0-9]+)?$'
	if [[ "$1" =~ $num && "$2" =~ $num && "$2" != 0 ]]; then
		awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'
	else
		echo "-"
	fi
}

# paired KEY BASE: the median over rounds of KEY's figure divided by BASE's
# in the same round, and in how many rounds KEY's figure was the higher
# (for a p95, higher is worse). Pairs
# cancel what drifts between rounds (the machine's other load), which the
# ratio of two medians does not.
paired() {
	local r a b ratios=() ahead=0
	for r in $(seq 1 "$REPEAT"); do
		a=${ROUND[$1|$r]:-} b=${ROUND[$2|$r]:-}
		[[ -n "$a" && -n "$b" ]] || continue
		ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.4f", a/b}')")
		if awk -v a="$a" -v b="$b" 'BEGIN {exit !(a > b)}'; then ahead=$((ahead + 1)); fi
	done
	if ((${#ratios[@]} == 0)); then
		echo "-"
		return
	fi
	printf '%.2f (%d/%d)' "$(median "${ratios[@]}")" "$ahead" "${#ratios[@]}"
}

echo
echo "$(nproc) CPUs shared by every process; load average before the runs $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n "${TESTS// /}" ]]; then
	echo
	echo "sysbench $(sysbench --version | awk '{print $2}'): $THREADS threads, $TIME s, median of $REPEAT; $TABLES tables x $TABLE_SIZE rows"
	{
		printf 'target\ttest\tps-mode\tQPS\tp95 ms\tvs direct\tvs haproxy\tpaired vs haproxy\tp95 paired\tCPU µs/query\n'
		for target in $TARGETS; do
			for test in $TESTS; do
				for ps in $PS_MODES; do
					if [[ -n "${UNAVAILABLE[$target]:-}" ]]; then
						printf '%s\t%s\t%s\tnot available: %s\t\t\t\t\t\t\n' "$target" "$test" "$ps" "${UNAVAILABLE[$target]}"
						continue
					fi
					key="$target|$test|$ps"
					q=${QPS[$key]:--}
					printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$test" "$ps" "$(round "$q")" \
						"${P95[$key]:--}" "$(ratio "$q" "${QPS[direct|$test|$ps]:--}")" "$(ratio "$q" "${QPS[haproxy|$test|$ps]:--}")" \
						"$(paired "$key" "haproxy|$test|$ps")" "$(paired "p95|$key" "p95|haproxy|$test|$ps")" "${CPU[$key]:--}"
				done
			done
		done
	} | column -t -s $'\t'
	echo "each run's QPS, by round:"
	for key in $(printf '%s\n' "${!QPS_RUNS[@]}" | sort); do
		echo "  $key:${QPS_RUNS[$key]}"
	done
fi
if [[ "$CONNRATE" != 0 ]]; then
	echo
	echo "new connections per second (connect + authenticate + ping + quit), $THREADS workers, $TIME s, median of $REPEAT"
	{
		printf 'target\tconns/s\tp95 ms\tvs direct\tvs haproxy\tpaired vs haproxy\tp95 paired\tCPU µs/conn\n'
		for target in $TARGETS; do
			[[ -n "${CPS[$target]:-}" ]] || continue
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$(round "${CPS[$target]}")" "${CP95[$target]}" \
				"$(ratio "${CPS[$target]}" "${CPS[direct]:--}")" "$(ratio "${CPS[$target]}" "${CPS[haproxy]:--}")" \
				"$(paired "conns|$target" "conns|haproxy")" "$(paired "p95|conns|$target" "p95|conns|haproxy")" "${CCPU[$target]:--}"
		done
	} | column -t -s $'\t'
	echo "each run's conns/s, by round:"
	for target in $(printf '%s\n' "${!CPS_RUNS[@]}" | sort); do
		echo "  $target:${CPS_RUNS[$target]}"
	done
fi
