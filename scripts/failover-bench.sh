#!/usr/bin/env bash
# VRRP failover benchmark: time from kill -9 of the master (keepalived,
# priority 150) to (a) the VIP present on the backup and (b) a TCP connect
# from a client namespace to VIP:port succeeding, with keepalived and with
# shardcat as the backup (priority 100), at VRRPv3 advert 0.1 s and VRRPv2
# advert 1 s. Runs in throw-away network namespaces (root needed); prints
# median and worst per case and the load average.
#
#   scripts/failover-bench.sh            # RUNS=20
#   RUNS=5 scripts/failover-bench.sh
#   RAW=1 scripts/failover-bench.sh      # also every run's figures
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-20}
RAW=${RAW:-0}
[ "$(id -u)" = 0 ] || sc_die "run as root (network namespaces, raw sockets)"
command -v keepalived >/dev/null || [ -x /usr/sbin/keepalived ] || sc_die "keepalived is missing (apt-get install keepalived)"

sc_workdir failover
trap 'rm -rf "$SC_WORK"' EXIT
cd "$SC_ROOT"
sc_log "failover benchmark, $RUNS runs per case (about $((RUNS * 25)) s)"
SHARDCAT_FAILOVER_RUNS=$RUNS SHARDCAT_FAILOVER_OUT="$SC_WORK/table.txt" \
	go test -count=1 -timeout 60m -run '^TestFailoverBench$' ./cmd/shardcat/ >"$SC_WORK/log.txt" 2>&1 ||
	{ cat "$SC_WORK/log.txt" >&2; sc_die "benchmark failed"; }
echo "failover after kill -9 of the master, $RUNS runs each ($(date -u +%Y-%m-%dT%H:%MZ)):"
cat "$SC_WORK/table.txt"
if [ "$RAW" = 1 ]; then
	echo "every run (setting, backup, run, VIP, connect, VIP since the last advert):"
	cat "$SC_WORK/table.txt.raw"
fi
echo "load average:$(uptime | sed 's/.*load average://')"
