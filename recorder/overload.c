/*
 * overload.c - shed the most verbose records while the ring is under
 * pressure, count what was shed, and say so (see overload.h).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "overload.h"
#include "probes.h"

/* What each slot sheds: its drop record's source, and the words of the recorder's messages. */
static const struct {
	const char *source, *what;
} slots[SHED_SLOTS] = {
	[SHED_ROWS] = { "shed", "per-call rows" },
	[SHED_HTTP] = { "shed-http", "HTTP messages" },
};

void overload_init(struct overload *o)
{
	memset(o, 0, sizeof(*o));
	o->on_fd = o->counts_fd = -1;
}

int overload_open(struct overload *o, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	void *m;

	overload_init(o);
	o->on_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "shed_on", sizeof(uint32_t), sizeof(uint32_t), 1, &opts);
	o->counts_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "shed_counts", sizeof(uint32_t), sizeof(uint64_t),
				      SHED_SLOTS, NULL);
	if (o->on_fd < 0 || o->counts_fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot create the overload maps: %s", strerror(e));
		overload_close(o);
		return -e;
	}
	m = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, o->on_fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		snprintf(err, errlen, "cannot map the overload flag: %s", strerror(e));
		overload_close(o);
		return -e;
	}
	o->on = m;
	return 0;
}

void overload_close(struct overload *o)
{
	if (o->on)
		munmap(o->on, (size_t)sysconf(_SC_PAGESIZE));
	if (o->on_fd >= 0)
		close(o->on_fd);
	if (o->counts_fd >= 0)
		close(o->counts_fd);
	o->on = NULL;
	o->on_fd = o->counts_fd = -1;
}

void overload_may_shed(struct overload *o, int slot)
{
	if (slot >= 0 && slot < SHED_SLOTS)
		o->wanted |= 1u << slot;
}

/* Each slot's count so far, all CPUs, into TOTAL. */
static void read_counts(struct probes *p, struct overload *o, uint64_t total[SHED_SLOTS])
{
	for (uint32_t slot = 0; slot < SHED_SLOTS; slot++)
		if (probes_percpu_sum(p, o->counts_fd, slot, &total[slot]))
			total[slot] = o->seen[slot]; /* unreadable: nothing new */
}

/* "per-call rows and HTTP messages": what the open families shed, for messages. */
static const char *wanted_words(const struct overload *o, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int s = 0; s < SHED_SLOTS; s++)
		if (o->wanted & (1u << s))
			n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? " and " : "", slots[s].what);
	return buf;
}

/*
 * The period from o->since to NOW as drop records: one for each slot that
 * shed something, or for the last slot wanted when none did (the period
 * still shows).  Then a new period begins at NOW; the counts of this one
 * into SAID (words for the recorder's message), when not NULL.  A count
 * that a program adds after the flag is cleared goes to the next period:
 * it starts from the totals read here, not from a new reading.
 */
static void put_period(struct probes *p, struct overload *o, uint64_t now, char *said, size_t cap)
{
	uint64_t total[SHED_SLOTS], d[SHED_SLOTS];
	int any = 0, last = 0;
	size_t n = 0;

	read_counts(p, o, total);
	for (int s = 0; s < SHED_SLOTS; s++) {
		d[s] = total[s] - o->seen[s];
		if (o->wanted & (1u << s)) {
			any |= d[s] != 0;
			last = s;
		}
	}
	if (said)
		said[0] = '\0';
	for (int s = 0; s < SHED_SLOTS; s++) {
		if (!(o->wanted & (1u << s)) || (any ? !d[s] : s != last))
			continue;
		probes_put_drop(p, slots[s].source, d[s], o->since, now);
		if (said)
			n += (size_t)snprintf(said + n, n < cap ? cap - n : 0, "%s%" PRIu64 " %s", n ? " and " : "", d[s],
					      slots[s].what);
	}
	memcpy(o->seen, total, sizeof(o->seen));
	o->since = now;
}

void overload_tick(struct probes *p, struct overload *o, uint64_t now)
{
	uint64_t pending, drops, ring = p->cfg->ring_size;
	char words[128], said[160];
	int lost, pressed;

	if (!o->wanted || !o->on)
		return;
	pending = probes_ring_pending(p);
	drops = probes_ring_drops_total(p);
	lost = drops != o->ring_lost_seen;
	pressed = pending > ring / 2 || lost;
	o->ring_lost_seen = drops;
	if (!o->since) {
		if (!pressed)
			return;
		o->since = now; /* o->seen: the totals when the last period ended */
		o->calm_ticks = 0;
		__atomic_store_n(o->on, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "flightrec: overload: the ring is %" PRIu64 "%% full%s; %s give way to counts\n",
			pending * 100 / ring, lost ? " and lost events" : "", wanted_words(o, words, sizeof(words)));
		return;
	}
	o->calm_ticks = pending < ring / 8 && !pressed ? o->calm_ticks + 1 : 0;
	if (o->calm_ticks < OVERLOAD_CALM_TICKS)
		return;
	__atomic_store_n(o->on, 0, __ATOMIC_RELAXED);
	put_period(p, o, now, said, sizeof(said));
	o->since = 0;
	fprintf(stderr, "flightrec: overload over: %s were counted only; %s again\n", said,
		wanted_words(o, words, sizeof(words)));
}

void overload_cut(struct probes *p, struct overload *o, uint64_t now)
{
	if (o->since && now > o->since)
		put_period(p, o, now, NULL, 0);
}
