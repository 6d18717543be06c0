# Shared helpers for scripts/*.sh; source it, do not run it.
# Background processes started here are recorded in SC_PIDS and stopped by
# sc_cleanup (SIGTERM by pid, then SIGKILL), which the caller traps on EXIT.

SC_ROOT=${SC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SC_PIDS=()
SC_WORK=""

sc_log() { printf '==> %s\n' "$*" >&2; }
sc_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# sc_workdir PREFIX: a fresh work dir under /tmp (short: unix socket paths).
sc_workdir() {
	SC_WORK=$(mktemp -d "/tmp/$1-XXXXXX")
}

sc_cleanup() {
	local pid
	for pid in "${SC_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${SC_PIDS[@]}"; do
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SC_PIDS=()
	if [[ -n "$SC_WORK" && -z "${KEEP_WORK:-}" ]]; then
		rm -rf "$SC_WORK"
	fi
}

# sc_build_testdb: builds scripts/testdb into the work dir once.
sc_build_testdb() {
	[[ -x "$SC_WORK/bin/testdb" ]] && return 0
	(cd "$SC_ROOT" && go build -o "$SC_WORK/bin/testdb" ./scripts/testdb)
}

# sc_start_mariadb NAME [testdb flags...]: starts a server in $SC_WORK/NAME
# and sets SC_PORT to its port once it is ready.
sc_start_mariadb() {
	local name=$1
	shift
	sc_build_testdb
	local dir="$SC_WORK/$name"
	mkdir -p "$dir"
	"$SC_WORK/bin/testdb" --dir "$dir" --ready-file "$dir/ready" "$@" >"$dir/testdb.log" 2>&1 &
	local pid=$!
	SC_PIDS+=("$pid")
	for _ in $(seq 1 600); do
		if [[ -s "$dir/ready" ]]; then
			# shellcheck disable=SC2034 # read by the caller
			SC_PORT=$(cat "$dir/ready")
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$dir/testdb.log" >&2
			sc_die "MariaDB $name did not start"
		fi
		sleep 0.1
	done
	cat "$dir/testdb.log" >&2
	sc_die "MariaDB $name not ready after 60 s"
}

# sc_free_port: a free TCP port on 127.0.0.1.
sc_free_port() {
	sc_build_testdb
	"$SC_WORK/bin/testdb" -free-port
}

# sc_wait_port PORT PID LOG: waits until 127.0.0.1:PORT accepts TCP while
# PID lives; on failure prints LOG.
sc_wait_port() {
	local port=$1 pid=$2 log=$3
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$log" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	tail -n 30 "$log" >&2 || true
	return 1
}

# sc_mycat_server_xml DIR SERVER_PORT MANAGER_PORT USER PASSWORD SCHEMAS [SSL_CERT SSL_KEY]
sc_mycat_server_xml() {
	local dir=$1 port=$2 mport=$3 user=$4 pass=$5 schemas=$6 cert=${7:-} key=${8:-}
	local ssl=""
	if [[ -n "$cert" ]]; then
		ssl="		<property name=\"sslCert\">$cert</property>
		<property name=\"sslKey\">$key</property>"
	fi
	mkdir -p "$dir"
	cat >"$dir/server.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:server SYSTEM "server.dtd">
<mycat:server xmlns:mycat="http://io.mycat/">
	<system>
		<property name="serverPort">$port</property>
		<property name="managerPort">$mport</property>
		<property name="bindIp">127.0.0.1</property>
		<property name="charset">utf8mb4</property>
		<property name="maxPacketSize">67108864</property>
$ssl
	</system>
	<user name="$user" defaultAccount="true">
		<property name="password">$pass</property>
		<property name="schemas">$schemas</property>
	</user>
</mycat:server>
XML
}

# sc_mycat_rule_xml DIR: the mod-long rule on column id over 2 nodes.
sc_mycat_rule_xml() {
	cat >"$1/rule.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:rule SYSTEM "rule.dtd">
<mycat:rule xmlns:mycat="http://io.mycat/">
	<tableRule name="mod-long">
		<rule>
			<columns>id</columns>
			<algorithm>mod-long</algorithm>
		</rule>
	</tableRule>
	<function name="mod-long" class="io.mycat.route.function.PartitionByMod">
		<property name="count">2</property>
	</function>
</mycat:rule>
XML
}

# sc_mycat_datahost NAME PORT USER PASSWORD: one <dataHost> element.
sc_mycat_datahost() {
	cat <<XML
	<dataHost name="$1" maxCon="1000" minCon="10" balance="0" writeType="0" dbType="mysql" dbDriver="native" switchType="1" slaveThreshold="100">
		<heartbeat>select user()</heartbeat>
		<writeHost host="$1-w" url="127.0.0.1:$2" user="$3" password="$4"/>
	</dataHost>
XML
}

# sc_mycat_schema_single DIR SCHEMA DATABASE PORT: a schema whose every
# table lives on one node (dn1 = DATABASE on 127.0.0.1:PORT, user bench).
sc_mycat_schema_single() {
	local dir=$1 schema=$2 database=$3 port=$4
	cat >"$dir/schema.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:schema SYSTEM "schema.dtd">
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="$schema" checkSQLschema="false" dataNode="dn1"/>
	<dataNode name="dn1" dataHost="host1" database="$database"/>
$(sc_mycat_datahost host1 "$port" bench benchpw)
</mycat:schema>
XML
}

# sc_mycat_schema_sharded DIR SCHEMA TABLES PORT1 PORT2: TABLES (a comma
# list) sharded by id with mod-long over dn1 (database SCHEMA on PORT1) and
# dn2 (on PORT2); other tables on dn1.
sc_mycat_schema_sharded() {
	local dir=$1 schema=$2 tables=$3 port1=$4 port2=$5
	cat >"$dir/schema.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE mycat:schema SYSTEM "schema.dtd">
<mycat:schema xmlns:mycat="http://io.mycat/">
	<schema name="$schema" checkSQLschema="false" dataNode="dn1">
		<table name="$tables" primaryKey="id" rule="mod-long" dataNode="dn1,dn2"/>
	</schema>
	<dataNode name="dn1" dataHost="host1" database="$schema"/>
	<dataNode name="dn2" dataHost="host2" database="$schema"/>
$(sc_mycat_datahost host1 "$port1" bench benchpw)
$(sc_mycat_datahost host2 "$port2" bench benchpw)
</mycat:schema>
XML
}

# sc_build_shardcat: builds the shardcat binary once; fails if it has no
# proxy subcommand yet.
sc_build_shardcat() {
	[[ -x "$SC_WORK/bin/shardcat" ]] && return 0
	(cd "$SC_ROOT" && go build -o "$SC_WORK/bin/shardcat" ./cmd/shardcat) || return 1
}

# sc_has_proxy: whether the built shardcat has the proxy command (build first).
sc_has_proxy() {
	"$SC_WORK/bin/shardcat" help 2>&1 | grep -qE '^\s+proxy\s'
}

# sc_start_proxy CONF_DIR PORT: starts shardcat proxy and waits for PORT.
sc_start_proxy() {
	local conf=$1 port=$2
	local log="$conf/proxy.log"
	"$SC_WORK/bin/shardcat" proxy --conf "$conf" >"$log" 2>&1 &
	local pid=$!
	SC_PIDS+=("$pid")
	sc_wait_port "$port" "$pid" "$log" || sc_die "shardcat proxy --conf $conf did not listen on $port (log above)"
}
