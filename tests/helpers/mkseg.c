/*
 * mkseg.c - test helper: write a segment file from a text description, so
 * that tests of the readers need neither root nor a recorder.
 *
 *   mkseg [-H HOST] [-d DELTA_NS] [-b RECORDS_PER_BLOCK] OUT.seg < SPEC
 *   mkseg [-H HOST] --synthetic N OUT.seg
 *
 * SPEC lines (times are boot-time ns; real = boot + DELTA):
 *   exec TS PID TID PPID UID GID COMM FILENAME ARG...
 *   cexec TS PID TID PPID UID GID COMM FILENAME CONTAINER POD_UID POD NAMESPACE ARG...
 *        (an exec in a container; "-" for an empty text)
 *   fork TS PID PPID UID GID COMM
 *   exit TS PID TID PPID UID GID COMM CODE SIGNAL CORE
 *   drop TS SOURCE CPU COUNT SINCE_TS
 *   conn TS END_TS PID COMM LADDR LPORT RADDR RPORT DIRECTION SENT RECEIVED OUTCOME
 *        (END_TS 0: still open; the family is 6 when LADDR holds a ':')
 *   stack TS ID FRAMES
 *   call TS PID COMM NAME RET ERROR LATENCY_NS COUNT FD_KIND
 *        (a syscalls row; "-" for an empty error or fd_kind)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "segment.h"

struct out {
	FILE *f;
	struct fr_blockbuf bb;
	uint8_t *sealed;
	size_t cap;
	uint64_t delta;
	unsigned per_block;
};

static void seal(struct out *o)
{
	int n;

	if (!o->bb.nrecords)
		return;
	n = fr_block_seal(&o->bb, 0, o->delta, o->sealed, o->cap);
	if (n < 0 || fwrite(o->sealed, 1, (size_t)n, o->f) != (size_t)n) {
		fprintf(stderr, "mkseg: cannot write a block\n");
		exit(1);
	}
	fr_blockbuf_reset(&o->bb);
}

static void add(struct out *o, const void *rec)
{
	const struct fr_kind_desc *k = fr_kind_by_id(((const struct fr_head *)rec)->kind);

	if (fr_blockbuf_add(&o->bb, k, rec) == -ENOSPC) {
		seal(o);
		fr_blockbuf_add(&o->bb, k, rec);
	}
	if (o->per_block && o->bb.nrecords >= o->per_block)
		seal(o);
}

static void set_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* One SPEC line; 0, or -1 when it cannot be parsed. */
static int parse_line(struct out *o, char *line)
{
	char *w[64];
	int n = 0;
	union {
		struct fr_exec exec;
		struct fr_fork fork;
		struct fr_exit exit;
		struct fr_drop drop;
		struct fr_conn conn;
		struct fr_stack stack;
		struct fr_syscall call;
	} u;

	for (char *t = strtok(line, " \t\n"); t && n < 64; t = strtok(NULL, " \t\n"))
		w[n++] = t;
	if (n == 0 || w[0][0] == '#')
		return 0;
	memset(&u, 0, sizeof(u));
	if ((!strcmp(w[0], "exec") && n >= 9) || (!strcmp(w[0], "cexec") && n >= 13)) {
		struct fr_exec *e = &u.exec;
		size_t len = 0;
		int arg = 9;
		e->head.kind = FR_KIND_exec;
		e->ts = strtoull(w[1], NULL, 10);
		e->pid = (uint32_t)atoi(w[2]);
		e->tid = (uint32_t)atoi(w[3]);
		e->ppid = (uint32_t)atoi(w[4]);
		e->uid = (uint32_t)atoi(w[5]);
		e->gid = (uint32_t)atoi(w[6]);
		set_str(e->comm, sizeof(e->comm), w[7]);
		set_str(e->filename, sizeof(e->filename), w[8]);
		set_str(e->exe, sizeof(e->exe), w[8]);
		if (w[0][0] == 'c') {
			set_str(e->container, sizeof(e->container), strcmp(w[9], "-") ? w[9] : "");
			set_str(e->pod_uid, sizeof(e->pod_uid), strcmp(w[10], "-") ? w[10] : "");
			set_str(e->pod, sizeof(e->pod), strcmp(w[11], "-") ? w[11] : "");
			set_str(e->namespace, sizeof(e->namespace), strcmp(w[12], "-") ? w[12] : "");
			arg = 13;
		}
		for (int i = arg; i < n && len < sizeof(e->argv); i++) {
			size_t l = strlen(w[i]) + 1;
			if (len + l > sizeof(e->argv))
				l = sizeof(e->argv) - len;
			memcpy(e->argv + len, w[i], l);
			len += l;
		}
		e->argv_len = (uint16_t)len;
	} else if (!strcmp(w[0], "fork") && n == 7) {
		struct fr_fork *f = &u.fork;
		f->head.kind = FR_KIND_fork;
		f->ts = strtoull(w[1], NULL, 10);
		f->pid = (uint32_t)atoi(w[2]);
		f->ppid = (uint32_t)atoi(w[3]);
		f->uid = (uint32_t)atoi(w[4]);
		f->gid = (uint32_t)atoi(w[5]);
		set_str(f->comm, sizeof(f->comm), w[6]);
	} else if (!strcmp(w[0], "exit") && n == 11) {
		struct fr_exit *x = &u.exit;
		x->head.kind = FR_KIND_exit;
		x->ts = strtoull(w[1], NULL, 10);
		x->pid = (uint32_t)atoi(w[2]);
		x->tid = (uint32_t)atoi(w[3]);
		x->ppid = (uint32_t)atoi(w[4]);
		x->uid = (uint32_t)atoi(w[5]);
		x->gid = (uint32_t)atoi(w[6]);
		set_str(x->comm, sizeof(x->comm), w[7]);
		x->exit_code = atoi(w[8]);
		x->exit_signal = (uint32_t)atoi(w[9]);
		x->core_dumped = (uint8_t)atoi(w[10]);
	} else if (!strcmp(w[0], "drop") && n == 6) {
		struct fr_drop *d = &u.drop;
		d->head.kind = FR_KIND_drop;
		d->ts = strtoull(w[1], NULL, 10);
		set_str(d->source, sizeof(d->source), w[2]);
		d->cpu = (uint32_t)strtoul(w[3], NULL, 10);
		d->count = strtoull(w[4], NULL, 10);
		d->since_ts = strtoull(w[5], NULL, 10);
	} else if (!strcmp(w[0], "conn") && n == 13) {
		struct fr_conn *c = &u.conn;
		c->head.kind = FR_KIND_conn;
		c->ts = strtoull(w[1], NULL, 10);
		c->end_ts = strtoull(w[2], NULL, 10);
		c->pid = (uint32_t)atoi(w[3]);
		set_str(c->comm, sizeof(c->comm), w[4]);
		c->family = strchr(w[5], ':') ? 6 : 4;
		set_str(c->laddr, sizeof(c->laddr), w[5]);
		c->lport = (uint16_t)atoi(w[6]);
		set_str(c->raddr, sizeof(c->raddr), w[7]);
		c->rport = (uint16_t)atoi(w[8]);
		set_str(c->direction, sizeof(c->direction), w[9]);
		c->bytes_sent = strtoull(w[10], NULL, 10);
		c->bytes_received = strtoull(w[11], NULL, 10);
		c->duration_ns = c->end_ts ? c->end_ts - c->ts : 0;
		set_str(c->outcome, sizeof(c->outcome), w[12]);
	} else if (!strcmp(w[0], "stack") && n == 4) {
		struct fr_stack *k = &u.stack;
		k->head.kind = FR_KIND_stack;
		k->ts = strtoull(w[1], NULL, 10);
		k->id = strtoull(w[2], NULL, 10);
		set_str(k->frames, sizeof(k->frames), w[3]);
	} else if (!strcmp(w[0], "call") && n == 10) {
		struct fr_syscall *c = &u.call;
		c->head.kind = FR_KIND_syscall;
		c->ts = strtoull(w[1], NULL, 10);
		c->pid = c->tid = (uint32_t)atoi(w[2]);
		set_str(c->comm, sizeof(c->comm), w[3]);
		set_str(c->name, sizeof(c->name), w[4]);
		c->ret = strtoll(w[5], NULL, 10);
		set_str(c->error, sizeof(c->error), strcmp(w[6], "-") ? w[6] : "");
		c->latency_ns = strtoull(w[7], NULL, 10);
		c->count = strtoull(w[8], NULL, 10);
		set_str(c->fd_kind, sizeof(c->fd_kind), strcmp(w[9], "-") ? w[9] : "");
		set_str(c->reason, sizeof(c->reason), "all");
	} else {
		return -1;
	}
	add(o, &u);
	return 0;
}

/* N plausible lifecycles (fork, exec, exit), for load benchmarks. */
static void synthetic(struct out *o, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		unsigned long p = i / 3, ts = 1000000000UL + i * 1000;
		union {
			struct fr_exec exec;
			struct fr_fork fork;
			struct fr_exit exit;
		} u;
		memset(&u, 0, sizeof(u));
		switch (i % 3) {
		case 0:
			u.fork.head.kind = FR_KIND_fork;
			u.fork.ts = ts;
			u.fork.pid = (uint32_t)(1000 + p % 4000000);
			u.fork.ppid = 1;
			snprintf(u.fork.comm, sizeof(u.fork.comm), "bash");
			break;
		case 1:
			u.exec.head.kind = FR_KIND_exec;
			u.exec.ts = ts;
			u.exec.pid = u.exec.tid = (uint32_t)(1000 + p % 4000000);
			u.exec.ppid = 1;
			snprintf(u.exec.comm, sizeof(u.exec.comm), "worker");
			snprintf(u.exec.filename, sizeof(u.exec.filename), "/usr/bin/worker");
			u.exec.argv_len = (uint16_t)snprintf(u.exec.argv, sizeof(u.exec.argv), "worker --job %lu", p);
			break;
		default:
			u.exit.head.kind = FR_KIND_exit;
			u.exit.ts = ts;
			u.exit.pid = u.exit.tid = (uint32_t)(1000 + p % 4000000);
			u.exit.ppid = 1;
			snprintf(u.exit.comm, sizeof(u.exit.comm), "worker");
			u.exit.exit_code = (int32_t)(p % 3);
		}
		add(o, &u);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "synthetic", required_argument, NULL, 's' },
		{ 0 },
	};
	struct out o = { 0 };
	struct fr_seg_hdr h = { 0 };
	uint8_t hdr[FR_SEG_HDR_LEN];
	const char *host = "testhost";
	unsigned long nsynth = 0;
	char line[4096];
	int c, lineno = 0;

	o.delta = 1700000000000000000ULL; /* 2023-11-14T22:13:20Z at boot */
	while ((c = getopt_long(argc, argv, "H:d:b:", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			host = optarg;
			break;
		case 'd':
			o.delta = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			o.per_block = (unsigned)atoi(optarg);
			break;
		case 's':
			nsynth = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: mkseg [-H HOST] [-d DELTA_NS] [-b N] [--synthetic N] OUT.seg < SPEC\n");
			return 1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: mkseg [-H HOST] [-d DELTA_NS] [-b N] [--synthetic N] OUT.seg < SPEC\n");
		return 1;
	}
	if (!(o.f = fopen(argv[optind], "wb")) || fr_blockbuf_init(&o.bb, FR_BLOCK_RAW_TARGET) ||
	    !(o.sealed = malloc(o.cap = fr_block_bound(FR_BLOCK_RAW_TARGET)))) {
		fprintf(stderr, "mkseg: cannot create %s\n", argv[optind]);
		return 1;
	}
	h.major = FR_FORMAT_MAJOR;
	h.minor = FR_FORMAT_MINOR;
	h.seq = 1;
	h.created_real = o.delta;
	snprintf(h.boot_id, sizeof(h.boot_id), "00000000-0000-0000-0000-00000000beef");
	snprintf(h.host, sizeof(h.host), "%s", host);
	snprintf(h.kernel, sizeof(h.kernel), "6.0-test");
	fr_seg_hdr_encode(&h, hdr);
	if (fwrite(hdr, 1, sizeof(hdr), o.f) != sizeof(hdr)) {
		fprintf(stderr, "mkseg: cannot write %s\n", argv[optind]);
		return 1;
	}
	if (nsynth) {
		synthetic(&o, nsynth);
	} else {
		while (fgets(line, sizeof(line), stdin)) {
			lineno++;
			if (parse_line(&o, line)) {
				fprintf(stderr, "mkseg: line %d: cannot parse\n", lineno);
				return 1;
			}
		}
	}
	seal(&o);
	if (fclose(o.f)) {
		fprintf(stderr, "mkseg: cannot write %s\n", argv[optind]);
		return 1;
	}
	fr_blockbuf_free(&o.bb);
	free(o.sealed);
	return 0;
}
