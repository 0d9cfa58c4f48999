# nginx-lib.sh - one nginx on loopback for a test, sourced after lib.sh:
# one worker, a private prefix under $TEST_TMP, serving $TEST_TMP/www.
#
#   nginx_start [EXTRA-LISTEN]   writes the config, starts it, waits for its
#                                worker; sets nginx_pid, worker and port
#   cleanup_nginx                stops it (trap it with cleanup)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
www=$TEST_TMP/www
nginx_pid= worker=
port=$(/usr/bin/python3 -c "
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()")
mkdir -p "$www" "$TEST_TMP/logs" "$TEST_TMP/temp"
chmod 755 "$TEST_TMP" "$www" # the worker runs as nobody

cleanup_nginx() {
	[ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
	for _ in $(seq 1 50); do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.1; done
	nginx_pid=
}

# 0 when nginx answers on 127.0.0.1:$port with its worker forked.
nginx_start() {
	cat >"$TEST_TMP/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $TEST_TMP/nginx.pid;
error_log $TEST_TMP/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $TEST_TMP/temp;
	server {
		listen 127.0.0.1:$port;
		${1:-}
		root $www;
	}
}
CONF
	"$NGINX" -p "$TEST_TMP" -c "$TEST_TMP/nginx.conf" 2>"$TEST_TMP/nginx.err" &
	nginx_pid=$!
	up() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; }
	wait_for 10 up || return 1
	# The master listens before it forks its worker: a connect can succeed before there is one.
	has_worker() { worker=$(pgrep -P "$nginx_pid" | head -1); [ -n "$worker" ]; }
	wait_for 10 has_worker
}
