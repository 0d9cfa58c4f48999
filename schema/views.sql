-- views.sql - the tables and views derived from the record tables.
--
-- The record tables (proc_exec, proc_fork, proc_exit, drops, ...) are
-- generated from records.def by schema/ddl.c; this file adds what a
-- responder queries first.  All times are integer ns since the Unix epoch
-- (UTC); durations are integer ns in columns ending _ns.

-- One row per process lifetime, rebuilt by the replay loader from the
-- fork, exec and exit records.  start_ts is NULL when the process started
-- before the window; exit_ts when it outlived it.  exe and argv are those
-- of its last exec.  container, pod_uid, pod and namespace are those of its
-- last exec (or of the table at the window's start, or of its parent when
-- it forked and never exec'd); NULL outside containers and pods, and in
-- archives of format 1.0, which did not record pods.
CREATE TABLE processes (
	host TEXT NOT NULL,
	pid INTEGER NOT NULL,
	ppid INTEGER,
	uid INTEGER,
	gid INTEGER,
	comm TEXT,
	exe TEXT,
	argv TEXT,
	start_ts INTEGER,
	exit_ts INTEGER,
	exit_code INTEGER,
	exit_signal INTEGER,
	container TEXT,
	pod_uid TEXT,
	pod TEXT,
	namespace TEXT
);

-- The archives (or segment directories) loaded, with their manifests.
CREATE TABLE archives (
	host TEXT,
	path TEXT NOT NULL,
	manifest TEXT,
	records INTEGER,
	bad_blocks INTEGER,
	truncated_bytes INTEGER
);

-- Block requests with their device as major:minor; rwbs is NULL in
-- archives older than 1.4.
CREATE VIEW io AS
	SELECT host, ts, pid, tid, comm, major || ':' || minor AS dev, disk, op, rwbs, sector, bytes,
	       queue_ns, service_ns, error
	  FROM io_requests;

-- Every stretch where records were lost, and why: the ring buffer was full
-- (per CPU), the disk could not take them, a family's map was full, or the
-- recorder was not running (from the end of its last log to its restart),
-- or, under overload, per-call rows of --syscalls=all gave way to the
-- counts (shed: dropped is the rows not written; the counts stay exact),
-- or the http family's messages did (shed-http: dropped is the HTTP
-- messages not read, each end's request or response; the read and write
-- counts stay exact).
CREATE VIEW gaps AS
	SELECT host,
	       CASE WHEN since_ts > 0 THEN since_ts ELSE ts END AS start_ts,
	       ts AS end_ts,
	       CASE WHEN cpu <> 4294967295 THEN cpu END AS cpu,
	       CASE WHEN source NOT IN ('ringbuf', 'writer', 'down') THEN source END AS kind,
	       count AS dropped,
	       CASE source WHEN 'ringbuf' THEN 'ring buffer full'
	                   WHEN 'writer' THEN 'cannot write to disk'
	                   WHEN 'down' THEN 'recorder not running'
	                   WHEN 'shed' THEN 'overload: per-call rows reduced to counts'
	                   WHEN 'shed-http' THEN 'overload: HTTP messages reduced to counts'
	                   ELSE source || ' map full' END AS reason
	  FROM drops;

-- The two ends of one TCP connection, each as its host's recorder saw it:
-- the 4-tuple mirrored (this end's local address and port are the other's
-- remote ones, and the reverse) and the two lifetimes overlapping, give or
-- take a second of clock difference between hosts.  One row per end, so a
-- pair shows twice, once from each side; both ends on one host (loopback,
-- two network namespaces) pair too, with peer_host = host.  Addresses must
-- be the same at both ends: through NAT (a Kubernetes Service's cluster
-- IP, a load balancer) the ends do not meet.  IPv4 in IPv6 (::ffff:a.b.c.d)
-- counts as the IPv4 address.
CREATE VIEW conn_pairs AS
	SELECT a.rowid AS conn_id, a.host, a.ts, a.end_ts, a.pid, a.comm, a.direction,
	       a.laddr, a.lport, a.raddr, a.rport, a.outcome, a.bytes_sent, a.bytes_received,
	       b.rowid AS peer_conn_id, b.host AS peer_host, b.pid AS peer_pid, b.comm AS peer_comm,
	       b.direction AS peer_direction, b.ts AS peer_ts, b.end_ts AS peer_end_ts, b.outcome AS peer_outcome,
	       b.bytes_sent AS peer_bytes_sent, b.bytes_received AS peer_bytes_received
	  FROM connections a JOIN connections b
	    ON b.rport = a.lport AND b.lport = a.rport AND b.rowid <> a.rowid
	   AND replace(b.raddr, '::ffff:', '') = replace(a.laddr, '::ffff:', '')
	   AND replace(b.laddr, '::ffff:', '') = replace(a.raddr, '::ffff:', '')
	   AND (b.end_ts IS NULL OR a.ts <= b.end_ts + 1000000000)
	   AND (a.end_ts IS NULL OR b.ts <= a.end_ts + 1000000000);

-- Everything in time order, one row per event.  Lost records show as
-- rows of kind 'gap'.
CREATE VIEW timeline AS
	SELECT ts, host, pid, comm, 'exec' AS kind,
	       'exec ' || filename || CASE WHEN argv <> '' THEN ' [' || argv || ']' ELSE '' END AS summary,
	       NULL AS duration_ns
	  FROM proc_exec
	UNION ALL
	SELECT ts, host, pid, comm, 'fork', 'fork from ' || ppid, NULL
	  FROM proc_fork
	UNION ALL
	SELECT ts, host, pid, comm, 'exit',
	       CASE WHEN exit_signal <> 0 THEN 'killed by signal ' || exit_signal ||
	                 CASE WHEN core_dumped THEN ' (core dumped)' ELSE '' END
	            ELSE 'exit ' || exit_code END,
	       NULL
	  FROM proc_exit
	UNION ALL
	SELECT ts, host, pid, comm, 'crash',
	       CASE signal WHEN 11 THEN 'SIGSEGV' WHEN 7 THEN 'SIGBUS' WHEN 4 THEN 'SIGILL' WHEN 8 THEN 'SIGFPE'
	                   WHEN 6 THEN 'SIGABRT' WHEN 5 THEN 'SIGTRAP' ELSE 'signal ' || signal END ||
	       ' (code ' || code || ')' || CASE WHEN addr <> 0 OR code > 0 THEN ' at ' || printf('0x%x', addr) ELSE '' END ||
	       CASE WHEN function <> '' THEN ' in ' || function ELSE '' END || ' (thread ' || tid || ')', NULL
	  FROM crashes
	UNION ALL
	SELECT ts, host, pid, comm, 'oom',
	       'killed by the OOM killer (oom_score_adj ' || oom_score_adj || ') while ' ||
	       trigger_comm || ' [' || trigger_pid || '] was allocating' ||
	       COALESCE(', rss anon ' || anon_rss_kb || ' KiB, file ' || file_rss_kb || ' KiB, shmem ' || shmem_rss_kb || ' KiB', ''), NULL
	  FROM oom_kills
	UNION ALL
	SELECT ts, host, pid, comm, 'runq', 'waited ' || (delay_ns / 1000000) || '.' ||
	       substr('00' || (delay_ns / 10000 % 100), -2) || 'ms for a CPU, then ran on cpu ' || cpu, delay_ns
	  FROM runq
	UNION ALL
	SELECT ts, host, pid, comm, 'io', op || coalesce(' ' || rwbs, '') || ' ' || bytes || ' B ' || disk || ' sector ' || sector ||
	       CASE WHEN error <> 0 THEN ' error ' || error ELSE '' END, queue_ns + service_ns
	  FROM io_requests
	UNION ALL
	SELECT ts, host, pid, comm, 'conn',
	       direction || ' ' || laddr || ':' || lport || ' -> ' || raddr || ':' || rport || ' ' || outcome ||
	       ', sent ' || bytes_sent || ' B, received ' || bytes_received || ' B' ||
	       CASE WHEN retransmits > 0 THEN ', ' || retransmits || ' retransmits' ELSE '' END ||
	       coalesce((SELECT ', peer ' || CASE WHEN p.peer_host <> p.host THEN p.peer_host || ' ' ELSE '' END ||
	                        p.peer_comm || ' [' || p.peer_pid || ']'
	                   FROM conn_pairs p WHERE p.conn_id = connections.rowid LIMIT 1), ''),
	       duration_ns
	  FROM connections
	UNION ALL
	SELECT start_ts, host, NULL, NULL, 'gap',
	       reason || CASE WHEN cpu IS NOT NULL THEN ' on cpu ' || cpu ELSE '' END ||
	       CASE WHEN dropped > 0 THEN ': ' || dropped || CASE WHEN kind = 'shed' THEN ' rows counted only'
	                                                         WHEN kind = 'shed-http' THEN ' messages counted only'
	                                                         ELSE ' records lost' END ELSE '' END,
	       end_ts - start_ts
	  FROM gaps
	UNION ALL
	SELECT ts, host, pid, comm, 'syscall',
	       name || '(' || args || ') = ' || ret || COALESCE(' ' || error, '') ||
	       CASE WHEN reason IN ('error', 'slow') THEN ' [' || reason || ']' ELSE '' END ||
	       CASE WHEN count > 1 THEN ' [' || count || ' identical calls in ' || (span_ns / 1000000) || ' ms]'
	            ELSE '' END,
	       latency_ns
	  FROM syscalls
	UNION ALL
	-- The per-second memory and lock counts are in the timeline only where
	-- they are news: 16 MiB of resident growth, 10000 faults, 10 ms of
	-- waiting for kernel locks in a second.  Every row is in its table.
	-- Stamped, like their records, with the end of their second.
	SELECT ts, host, pid, comm, 'rss',
	       'resident set ' || CASE WHEN growth_bytes >= 0 THEN '+' ELSE '' END ||
	       printf('%.1f', growth_bytes / 1048576.0) || ' MiB to ' || printf('%.1f', rss_bytes / 1048576.0) || ' MiB',
	       interval_ns
	  FROM rss_stats WHERE growth_bytes >= 16777216
	UNION ALL
	SELECT ts, host, pid, comm, 'faults',
	       faults || ' page faults (' || write_faults || ' on writes)', interval_ns
	  FROM fault_stats WHERE faults >= 10000
	UNION ALL
	SELECT ts, host, pid, comm, 'locks',
	       'waited ' || printf('%.1f', total_ns / 1e6) || ' ms for kernel locks (' || waits || ' waits, longest ' ||
	       printf('%.1f', max_ns / 1e6) || ' ms)', total_ns
	  FROM lock_stats WHERE total_ns >= 10000000
	UNION ALL
	SELECT ts, host, pid, comm, 'security',
	       severity || ' ' || kind || ' (uid ' || uid || '): ' || detail ||
	       CASE WHEN container <> '' THEN ' [container ' || substr(container, 1, 12) || ']' ELSE '' END, NULL
	  FROM security
	UNION ALL
	SELECT ts, host, pid, comm, 'func',
	       symbol || '() in ' || binary || ' took ' || printf('%.1f', latency_ns / 1e6) || ' ms', latency_ns
	  FROM funcs
	UNION ALL
	-- A lookup on the wire: "A example.com: NXDOMAIN, 0 answers from
	-- 10.0.0.2 (udp)"; through libc: "getaddrinfo(example.com) = EAI_NONAME".
	SELECT ts, host, pid, comm, 'dns',
	       CASE WHEN source = 'getaddrinfo' THEN
	            'getaddrinfo(' || query || ') = ' || result ||
	            CASE WHEN result = '0' THEN ', ' || answers || ' result' || CASE WHEN answers <> 1 THEN 's' ELSE '' END
	                 ELSE '' END
	       ELSE qtype || ' ' || query || ': ' || rcode || ', ' ||
	            CASE WHEN rcode = 'TIMEOUT' THEN 'no response from ' || server
	                 ELSE answers || ' answer' || CASE WHEN answers <> 1 THEN 's' ELSE '' END || ' from ' || server END ||
	            ' (' || proto || ')' END,
	       latency_ns
	  FROM dns
	UNION ALL
	SELECT ts, host, pid, comm, 'http',
	       role || ' ' || method || ' ' || path || ' ' ||
	       CASE WHEN status > 0 THEN status || ', ' || bytes || ' B' ELSE 'no response' END ||
	       CASE role WHEN 'server' THEN ' from ' ELSE ' to ' END || raddr || ':' || rport ||
	       CASE WHEN tls THEN ' (TLS)' ELSE '' END, latency_ns
	  FROM http
	UNION ALL
	SELECT ts, host, pid, comm, 'tls',
	       'TLS ' || CASE WHEN role <> '' THEN role ELSE 'handshake' END ||
	       CASE WHEN laddr <> '' THEN ' ' || laddr || ':' || lport || ' -> ' || raddr || ':' || rport ELSE '' END ||
	       CASE WHEN ok THEN ' ok' ELSE ' failed: ' || error END ||
	       ' in ' || printf('%.1f', latency_ns / 1e6) || ' ms', latency_ns
	  FROM tls
	ORDER BY ts;

-- A syscall record holds an empty error when the call succeeded; the
-- column is NULL then, so that `error IS NULL` means success.
CREATE TRIGGER syscalls_error_null AFTER INSERT ON syscalls WHEN NEW.error = ''
BEGIN
	UPDATE syscalls SET error = NULL WHERE rowid = NEW.rowid;
END;

-- The per-second counts of syscall_stats over the whole window, per
-- process and call: where a process spent its time in the kernel.  The
-- latencies are those of the timed calls (all of them before format 1.4).
CREATE VIEW syscall_totals AS
	SELECT host, pid, max(comm) AS comm, name, sum(count) AS calls, sum(errors) AS errors,
	       sum(total_ns) AS total_ns, max(max_ns) AS max_ns,
	       CASE WHEN sum(coalesce(timed, count)) > 0 THEN sum(total_ns) / sum(coalesce(timed, count)) END AS avg_ns,
	       min(ts - interval_ns) AS first_ts, max(ts) AS last_ts
	  FROM syscall_stats
	 GROUP BY host, pid, name;

-- Time in futex(2) per process and second, from the syscall counts: where
-- threads waited for each other in user space (mutexes, condition
-- variables).  Kernel locks are in lock_stats.
CREATE VIEW futex_waits AS
	SELECT ts, host, pid, comm, sum(count) AS calls, sum(total_ns) AS total_ns, max(max_ns) AS max_ns,
	       max(interval_ns) AS interval_ns
	  FROM syscall_stats
	 WHERE name IN ('futex', 'futex_wait', 'futex_waitv')
	 GROUP BY host, pid, ts;
