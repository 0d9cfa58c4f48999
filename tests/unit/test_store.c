/*
 * test_store.c - the segment store and the block writer: rotation by size,
 * retention within --max-disk keeping the newest, pinning, repair of a torn
 * tail, and the accounting of records that could not be written.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "store.h"
#include "tap.h"
#include "util.h"
#include "writer.h"

static char tmpdir[256];

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
}

/* Sum of sizes and count of *.seg files in DIR/log, and the lowest/highest seq. */
static uint64_t disk_usage(const char *dir, int *nsegs, uint64_t *lo, uint64_t *hi)
{
	char logdir[512], path[1024];
	struct dirent *de;
	struct stat st;
	uint64_t total = 0;
	DIR *d;

	snprintf(logdir, sizeof(logdir), "%s/log", dir);
	*nsegs = 0;
	*lo = UINT64_MAX;
	*hi = 0;
	if (!(d = opendir(logdir)))
		return 0;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".seg"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", logdir, de->d_name);
		if (stat(path, &st) == 0) {
			uint64_t seq = strtoull(de->d_name, NULL, 10);
			total += (uint64_t)st.st_size;
			(*nsegs)++;
			if (seq < *lo)
				*lo = seq;
			if (seq > *hi)
				*hi = seq;
		}
	}
	closedir(d);
	return total;
}

static struct hostinfo test_host(void)
{
	struct hostinfo hi;

	memset(&hi, 0, sizeof(hi));
	snprintf(hi.host, sizeof(hi.host), "testhost");
	snprintf(hi.kernel, sizeof(hi.kernel), "6.0-test");
	snprintf(hi.boot_id, sizeof(hi.boot_id), "00000000-0000-0000-0000-000000000001");
	return hi;
}

/* An exec record whose argv is incompressible, so block sizes are predictable. */
static void make_exec(struct fr_exec *e, uint32_t pid, uint64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->head.kind = FR_KIND_exec;
	e->ts = ts;
	e->pid = e->tid = pid;
	e->ppid = 1;
	snprintf(e->comm, sizeof(e->comm), "proc%u", pid);
	snprintf(e->filename, sizeof(e->filename), "/usr/bin/proc%u", pid);
	for (size_t i = 0; i < sizeof(e->argv); i++)
		e->argv[i] = (char)('!' + (rand() % 90));
	e->argv_len = sizeof(e->argv);
}

struct collect {
	uint64_t n;
	uint32_t max_pid, min_pid;
	uint64_t drops, drop_records;
	char drop_source[16];
};

static int collect_record(void *ctx, const struct fr_seg_hdr *seg, const struct fr_kind_desc *k, const void *rec)
{
	struct collect *c = ctx;

	if (k->id == FR_KIND_exec) {
		const struct fr_exec *e = rec;
		c->n++;
		if (e->pid > c->max_pid)
			c->max_pid = e->pid;
		if (e->pid < c->min_pid)
			c->min_pid = e->pid;
	} else if (k->id == FR_KIND_drop) {
		const struct fr_drop *d = rec;
		c->drops += d->count;
		c->drop_records++;
		snprintf(c->drop_source, sizeof(c->drop_source), "%s", d->source);
	}
	return 0;
}

static void read_all(const char *dir, struct collect *c, struct fr_read_stats *st)
{
	struct fr_input_ops ops = { .record = collect_record };
	char err[256];

	memset(c, 0, sizeof(*c));
	memset(st, 0, sizeof(*st));
	c->min_pid = UINT32_MAX;
	if (fr_input_read(dir, &ops, c, st, err, sizeof(err)))
		diag("fr_input_read %s: %s", dir, err);
}

static void test_rotation_and_budget(void)
{
	struct store_opts o = { .segment_size = 64 << 10, .segment_age_ns = 3600 * NSEC_PER_SEC, .max_disk = 256 << 10 };
	struct hostinfo hi = test_host();
	char dir[512];
	struct store s;
	struct writer w;
	struct collect c;
	struct fr_read_stats st;
	uint64_t lo, hi_seq, used;
	int nsegs, over = 0;

	snprintf(dir, sizeof(dir), "%s/budget", tmpdir);
	ok(store_open(&s, dir, &o, &hi) == 0, "store_open - new directory, expect 0");
	ok(writer_init(&w, &s) == 0, "writer_init - expect 0");
	/* 4000 records of ~300 incompressible bytes: ~1.2 MB, far over the budget. */
	for (uint32_t i = 1; i <= 4000; i++) {
		struct fr_exec e;
		make_exec(&e, i, 1000000000ULL + i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
		if (i % 50 == 0) {
			writer_flush(&w);
			if (disk_usage(dir, &nsegs, &lo, &hi_seq) > o.max_disk)
				over++;
		}
	}
	writer_flush(&w);
	used = disk_usage(dir, &nsegs, &lo, &hi_seq);
	ok(over == 0, "store_append - usage checked after every flush, expect never over --max-disk (%d times over)",
	   over);
	ok(used <= o.max_disk, "store_append - %llu bytes on disk, expect <= %llu", (unsigned long long)used,
	   (unsigned long long)o.max_disk);
	ok(used == s.total, "store - s->total %llu, expect the bytes on disk %llu", (unsigned long long)s.total,
	   (unsigned long long)used);
	ok(nsegs >= 3, "store_append - rotation by size, expect >= 3 segments kept (%d)", nsegs);
	ok(hi_seq - lo + 1 == (uint64_t)nsegs, "retention - kept segments %llu..%llu are contiguous, expect newest kept",
	   (unsigned long long)lo, (unsigned long long)hi_seq);
	ok(s.deleted > 0 && lo == s.deleted + 1, "retention - deleted %llu oldest, expect lowest kept seq %llu",
	   (unsigned long long)s.deleted, (unsigned long long)lo);
	ok(w.lost == 0, "writer - nothing lost, expect 0 (%llu)", (unsigned long long)w.lost);
	read_all(dir, &c, &st);
	ok(c.max_pid == 4000, "retention - newest record kept, expect pid 4000 (%u)", c.max_pid);
	ok(c.n == 4000 - c.min_pid + 1, "retention - records kept are a contiguous newest run, expect %u..4000 (%llu)",
	   c.min_pid, (unsigned long long)c.n);
	ok(st.bad_blocks == 0 && st.truncated_bytes == 0, "reader - no damage in rotated segments, expect 0");
	store_close(&s);
	writer_free(&w);
}

static void test_pin(void)
{
	struct store_opts o = { .segment_size = 64 << 10, .segment_age_ns = 3600 * NSEC_PER_SEC, .max_disk = 128 << 10 };
	struct hostinfo hi = test_host();
	char dir[512];
	struct store s;
	struct writer w;
	uint64_t lo, hi_seq;
	int nsegs;

	snprintf(dir, sizeof(dir), "%s/pin", tmpdir);
	store_open(&s, dir, &o, &hi);
	writer_init(&w, &s);
	for (uint32_t i = 1; i <= 100; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
	}
	writer_flush(&w);
	store_pin(&s, 1);
	for (uint32_t i = 101; i <= 2000; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
	}
	writer_flush(&w);
	disk_usage(dir, &nsegs, &lo, &hi_seq);
	ok(lo == 1, "store_pin - segment 1 pinned, expect it kept over budget (lowest %llu)", (unsigned long long)lo);
	store_pin(&s, UINT64_MAX);
	disk_usage(dir, &nsegs, &lo, &hi_seq);
	ok(lo > 1 && s.total <= o.max_disk, "store_pin - released, expect budget enforced at once (lowest %llu)",
	   (unsigned long long)lo);
	store_close(&s);
	writer_free(&w);
}

static void test_repair(void)
{
	struct store_opts o = { .segment_size = 1 << 20, .segment_age_ns = 3600 * NSEC_PER_SEC, .max_disk = 64 << 20 };
	struct hostinfo hi = test_host();
	char dir[512], path[1024];
	struct store s;
	struct writer w;
	struct collect c;
	struct fr_read_stats st;
	struct stat before, after;
	uint8_t junk[700];
	int fd;

	snprintf(dir, sizeof(dir), "%s/repair", tmpdir);
	store_open(&s, dir, &o, &hi);
	writer_init(&w, &s);
	for (uint32_t i = 1; i <= 30; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
		if (i % 10 == 0)
			writer_flush(&w);
	}
	store_close(&s);
	writer_free(&w);

	/* A crash in the middle of a write: the head of a block, then nothing. */
	store_seg_path(s.logdir, 1, path, sizeof(path));
	stat(path, &before);
	memset(junk, 0xab, sizeof(junk));
	junk[0] = 'F', junk[1] = 'R', junk[2] = 'B', junk[3] = 'K';
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "repair - torn tail appended");
	close(fd);

	ok(store_open(&s, dir, &o, &hi) == 0, "store_open - torn segment, expect 0");
	stat(path, &after);
	ok(s.repaired_bytes == sizeof(junk), "store_open - repaired %llu bytes, expect %zu",
	   (unsigned long long)s.repaired_bytes, sizeof(junk));
	ok(after.st_size == before.st_size, "store_open - segment cut back to %lld bytes, expect %lld",
	   (long long)after.st_size, (long long)before.st_size);
	read_all(dir, &c, &st);
	ok(c.n == 30 && st.bad_blocks == 0 && st.truncated_bytes == 0,
	   "reader - after repair, expect all 30 records and no damage (%llu)", (unsigned long long)c.n);
	store_close(&s);
}

static void test_write_failure_accounting(void)
{
	struct store_opts o = { .segment_size = 1 << 20, .segment_age_ns = 3600 * NSEC_PER_SEC, .max_disk = 64 << 20 };
	struct hostinfo hi = test_host();
	char dir[512];
	struct store s;
	struct writer w;
	struct collect c;
	struct fr_read_stats st;
	int real_fd, full_fd;

	snprintf(dir, sizeof(dir), "%s/full", tmpdir);
	store_open(&s, dir, &o, &hi);
	writer_init(&w, &s);
	for (uint32_t i = 1; i <= 10; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
	}
	ok(writer_flush(&w) == 0, "writer_flush - healthy disk, expect 0");

	/* The disk fills up: every write to /dev/full fails with ENOSPC. */
	full_fd = open("/dev/full", O_WRONLY);
	if (full_fd < 0) {
		skip("no /dev/full");
		store_close(&s);
		writer_free(&w);
		return;
	}
	real_fd = s.fd;
	s.fd = full_fd;
	for (uint32_t i = 11; i <= 17; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
	}
	ok(writer_flush(&w) == -ENOSPC, "writer_flush - disk full, expect -ENOSPC");
	ok(w.lost == 7 && w.lost_pending == 7, "writer - 7 records not written, expect lost 7 (%llu)",
	   (unsigned long long)w.lost);

	/* Space returns: the next block carries a drop record of the 7. */
	s.fd = real_fd;
	close(full_fd);
	for (uint32_t i = 18; i <= 20; i++) {
		struct fr_exec e;
		make_exec(&e, i, i);
		writer_add(&w, fr_kind_by_id(FR_KIND_exec), &e);
	}
	ok(writer_flush(&w) == 0, "writer_flush - space again, expect 0");
	ok(w.lost_pending == 0, "writer - loss reported, expect nothing pending");
	store_close(&s);
	writer_free(&w);
	read_all(dir, &c, &st);
	ok(c.n == 13, "reader - 10 + 3 written records, expect 13 (%llu)", (unsigned long long)c.n);
	ok(c.drop_records == 1 && c.drops == 7 && !strcmp(c.drop_source, "writer"),
	   "reader - one drop record, source writer, count 7 (%llu records, %llu lost, %s)",
	   (unsigned long long)c.drop_records, (unsigned long long)c.drops, c.drop_source);
}

static void test_parse(void)
{
	uint64_t v;

	ok(parse_duration("250ms", &v) == 0 && v == 250000000ULL, "parse_duration - 250ms, expect 250000000");
	ok(parse_duration("5m", &v) == 0 && v == 300000000000ULL, "parse_duration - 5m, expect 300 s");
	ok(parse_duration("1.5s", &v) == 0 && v == 1500000000ULL, "parse_duration - 1.5s, expect 1.5e9");
	ok(parse_duration("10", &v) == 0 && v == 10000000000ULL, "parse_duration - bare 10, expect seconds");
	ok(parse_duration("-1s", &v) == -EINVAL, "parse_duration - negative, expect -EINVAL");
	ok(parse_duration("5parsecs", &v) == -EINVAL, "parse_duration - unknown unit, expect -EINVAL");
	ok(parse_duration("", &v) == -EINVAL, "parse_duration - empty, expect -EINVAL");
	ok(parse_size("1G", &v) == 0 && v == 1073741824ULL, "parse_size - 1G, expect 2^30");
	ok(parse_size("64MiB", &v) == 0 && v == 67108864ULL, "parse_size - 64MiB, expect 2^26");
	ok(parse_size("4096", &v) == 0 && v == 4096, "parse_size - bare bytes, expect 4096");
	ok(parse_size("12Q", &v) == -EINVAL, "parse_size - unknown suffix, expect -EINVAL");
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		printf("1..0 # SKIP cannot create a temporary directory\n");
		return 0;
	}
	srand(42);
	test_parse();
	test_rotation_and_budget();
	test_pin();
	test_repair();
	test_write_failure_accounting();
	rm_rf(tmpdir);
	tap_plan(tap_n);
	return tap_done();
}
