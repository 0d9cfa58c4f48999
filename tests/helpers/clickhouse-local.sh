# clickhouse-local.sh - ClickHouse servers for a test, on 127.0.0.1 only
# (sourced, bash).  Each server runs Debian's clickhouse-server with a
# config of its own in a directory of the test: its data, logs, ports, a
# `default` user with the password $CH_PASSWORD, and the cluster
# `flightrec_fleet` whose shards are every server started by this test.
#
#   ch_ports N             pick N free (http tcp interserver) port triples: CH_HTTP[i] CH_TCP[i] CH_IS[i]
#   ch_start I DIR         write DIR/config.xml for server I, start it, wait for SELECT 1 (60 s at most)
#   ch_stop_all            kill every server started (by pid), wait for them
#   ch_query I SQL         run SQL on server I over HTTP (curl), print the result
#
# The cluster lists every port picked by ch_ports, so call ch_ports once,
# before the first ch_start.

CH_PASSWORD=${CH_PASSWORD:-flightrec-test}
CH_PIDS=()
CH_HTTP=() CH_TCP=() CH_IS=()

# A port nobody listens on, from a range that depends on our pid.
ch_free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . && continue
		case " ${CH_HTTP[*]} ${CH_TCP[*]} ${CH_IS[*]} " in *" $p "*) continue ;; esac
		echo "$p"
		return 0
	done
	return 1
}

ch_ports() {
	for i in $(seq 0 $(($1 - 1))); do
		CH_HTTP[$i]=$(ch_free_port) && CH_TCP[$i]=$(ch_free_port) && CH_IS[$i]=$(ch_free_port) || return 1
	done
}

ch_start() {
	local i=$1 dir=$2 shards="" pid
	mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
	for j in "${!CH_TCP[@]}"; do
		shards="$shards<shard><replica><host>127.0.0.1</host><port>${CH_TCP[$j]}</port><user>default</user><password>$CH_PASSWORD</password></replica></shard>"
	done
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/error.log</errorlog><size>10M</size><count>1</count></logger>
  <http_port>${CH_HTTP[$i]}</http_port>
  <tcp_port>${CH_TCP[$i]}</tcp_port>
  <interserver_http_port>${CH_IS[$i]}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>64</max_connections>
  <keep_alive_timeout>3</keep_alive_timeout>
  <max_concurrent_queries>16</max_concurrent_queries>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mark_cache_size>67108864</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <remote_servers><flightrec_fleet>$shards</flightrec_fleet></remote_servers>
  <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
  <max_session_timeout>3600</max_session_timeout>
  <default_session_timeout>60</default_session_timeout>
</yandex>
XML
	cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage><max_threads>2</max_threads></default></profiles>
  <users><default><password>$CH_PASSWORD</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout" 2>&1 &
	pid=$!
	CH_PIDS+=("$pid")
	for _ in $(seq 1 600); do
		kill -0 "$pid" 2>/dev/null || { echo "clickhouse-server $i exited: $(tail -3 "$dir/log/error.log" "$dir/log/stdout" 2>/dev/null)" >&2; return 1; }
		[ "$(ch_query "$i" "SELECT 1" 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	echo "clickhouse-server $i did not answer SELECT 1 within 60 s" >&2
	return 1
}

ch_stop_all() {
	local pid
	for pid in "${CH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${CH_PIDS[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CH_PIDS=()
}

ch_query() {
	curl -sS --max-time 30 -u "default:$CH_PASSWORD" --data-binary "$2" "http://127.0.0.1:${CH_HTTP[$1]}/"
}
