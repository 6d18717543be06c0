#!/usr/bin/env bash
# Runs every test of shardcat on a Debian machine that has only Go:
#   1. installs the real test peers (MariaDB, sysbench, HAProxy, keepalived,
#      iproute2) with apt-get when one is missing, as root or through sudo;
#   2. go vet ./...
#   3. go test -race -count=1 ./... (integration tests start their own
#      MariaDB servers on 127.0.0.1; with CI=true a missing peer fails them);
#   4. go-sql-driver/mysql's suite via scripts/gosqldriver-suite.sh, mode
#      $SHARDCAT_DRIVER_SUITE (default proxy; "direct" checks the suite itself).
# Prints a summary and exits non-zero if any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
	export PATH=$PATH:/usr/local/go/bin
fi
command -v go >/dev/null || { echo "error: Go is not installed (need Go 1.26 on PATH)" >&2; exit 1; }
# mariadbd and ipvsadm-like tools live in sbin, often not on a user's PATH.
export PATH=$PATH:/usr/sbin:/sbin

declare -a summary=()
failed=0
record() { # record NAME RC SECONDS
	local status=PASS
	if [[ $2 -ne 0 ]]; then status=FAIL; failed=1; fi
	summary+=("$(printf '%-34s %s  (%ss)' "$1" "$status" "$3")")
}
run_step() { # run_step NAME CMD...
	local name=$1 start=$SECONDS rc=0
	shift
	echo
	echo "==> $name"
	"$@" || rc=$?
	record "$name" "$rc" $((SECONDS - start))
}

# --- 1. test peers -----------------------------------------------------------
peers_missing() {
	local missing=()
	local cmd
	for cmd in mariadbd mariadb mariadb-install-db sysbench haproxy keepalived ip; do
		command -v "$cmd" >/dev/null || missing+=("$cmd")
	done
	echo "${missing[*]}"
}

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "error: need root or sudo to run: $*" >&2
		return 1
	fi
}

# Debian's mariadb-server starts its own server (port 3306) on install. Our
# tests start their own servers, so the distribution's must not run: disable
# it and stop it by its own pid file. (Not /etc/init.d/mariadb stop: when
# mysqladmin fails it runs `killall mariadbd`, which would hit test servers.)
stop_distro_mariadb() {
	if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
		as_root systemctl disable --now mariadb >/dev/null 2>&1 || true
		return 0
	fi
	as_root update-rc.d mariadb disable >/dev/null 2>&1 || true
	local pidfile=/run/mysqld/mysqld.pid pid
	[[ -s $pidfile ]] || return 0
	pid=$(cat "$pidfile")
	as_root kill -0 "$pid" 2>/dev/null || return 0
	echo "stopping Debian's own MariaDB (pid $pid)"
	as_root kill -TERM "$pid"
	for _ in $(seq 1 300); do
		as_root kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "Debian's MariaDB (pid $pid) did not stop" >&2
	return 1
}

install_peers() {
	local missing
	missing=$(peers_missing)
	if [[ -z "$missing" ]]; then
		echo "test peers present"
	else
		echo "missing: $missing; installing with apt-get"
		local log
		log=$(mktemp)
		# Forbid service starts during the install (policy-rc.d exit 101),
		# unless the machine already has a policy of its own.
		local policy=/usr/sbin/policy-rc.d own_policy=0
		if [[ ! -e $policy ]]; then
			as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
			own_policy=1
		fi
		local rc=0
		as_root apt-get update -qq >"$log" 2>&1 &&
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				mariadb-server mariadb-client sysbench haproxy keepalived iproute2 >>"$log" 2>&1 || rc=$?
		if ((own_policy)); then as_root rm -f "$policy"; fi
		if ((rc != 0)); then
			echo "apt-get failed (rc=$rc):" >&2
			grep -iE '^(E:|W:)|error' "$log" >&2 || tail -n 30 "$log" >&2
			rm -f "$log"
			return "$rc"
		fi
		rm -f "$log"
		missing=$(peers_missing)
		if [[ -n "$missing" ]]; then
			echo "still missing after install: $missing" >&2
			return 1
		fi
	fi
	stop_distro_mariadb
}

run_step "install test peers" install_peers

# --- 2. vet, 3. tests --------------------------------------------------------
# SHARDCAT_TEST_PKGS narrows the packages (default ./...), e.g. while
# working on one part: SHARDCAT_TEST_PKGS="./internal/mariadb/" scripts/test.sh
read -r -a pkgs <<<"${SHARDCAT_TEST_PKGS:-./...}"
run_step "go vet ${pkgs[*]}" go vet "${pkgs[@]}"
# CI=true (when the caller set it) turns skipped integration tests into failures.
run_step "go test -race ${pkgs[*]}" go test -race -count=1 -timeout 25m "${pkgs[@]}"

# Shell scripts too, when shellcheck is installed (it is not a test peer).
if command -v shellcheck >/dev/null; then
	run_step "shellcheck scripts" shellcheck -x -P SCRIPTDIR/.. -s bash scripts/*.sh .ci/run
fi

# --- 4. the driver's own suite ----------------------------------------------
# bench.sh end to end at a tiny size: every target measured, the paired
# ratios filled in (the figures themselves are not judged here).
bench_smoke() {
	local out
	out=$(TARGETS="direct haproxy director" TESTS=oltp_point_select PS_MODES=auto TIME=1 REPEAT=2 \
		TABLES=1 TABLE_SIZE=1000 THREADS=4 bash scripts/bench.sh 2>&1) || {
		tail -n 20 <<<"$out" >&2
		return 1
	}
	if ! grep -Eq '^director +oltp_point_select +auto +[0-9]+ .*\([0-2]/2\)' <<<"$out" ||
		! grep -Eq '^director +[0-9]+ +[0-9.]+ .*\([0-2]/2\)' <<<"$out"; then
		echo "bench.sh printed no paired figures for the director:" >&2
		tail -n 20 <<<"$out" >&2
		return 1
	fi
}
run_step "bench.sh smoke run" bench_smoke
suite_mode=${SHARDCAT_DRIVER_SUITE:-proxy}
run_step "go-sql-driver suite ($suite_mode)" bash scripts/gosqldriver-suite.sh "$suite_mode"

echo
echo "==> summary"
printf '  %s\n' "${summary[@]}"
if ((failed)); then
	echo "FAILED"
	exit 1
fi
echo "ALL PASSED"
