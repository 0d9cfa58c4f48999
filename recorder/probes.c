/*
 * probes.c - the family table, the shared ring buffer and drop counter, and
 * the status of every probe.  Each family follows the libbpf lifecycle
 * open -> configure -> load -> attach in its own recorder/family_NAME.c.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probes.h"
#include "record.h"
#include "sink.h"
#include "util.h"

extern const struct probe_family family_process;
extern const struct probe_family family_syscall;
extern const struct probe_family family_sched;
extern const struct probe_family family_block;
extern const struct probe_family family_net;
extern const struct probe_family family_uprobe;
extern const struct probe_family family_mem;
extern const struct probe_family family_security;
extern const struct probe_family family_dns;
extern const struct probe_family family_http;
extern const struct probe_family family_tls;
extern const struct probe_family family_profile;

static const struct probe_family *const families[] = {
	&family_process,
	&family_syscall,
	&family_sched,
	&family_block,
	&family_net,
	&family_mem,
	&family_uprobe,
	&family_security, /* no BPF: the recorder's classifier (security.c) */
	&family_dns,
	&family_http,     /* rides on syscall's sys_exit; paired in the recorder (http.c) */
	&family_tls,
	&family_profile,  /* CPU samples with stacks (perf_event), crash stacks; opt-in */
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

int probes_family_index(const char *name)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (!strcmp(families[i]->name, name))
			return (int)i;
	return -1;
}

unsigned probes_default_off(void)
{
	unsigned off = 0;

	for (size_t i = 0; i < NFAMILIES; i++)
		if (families[i]->opt_in)
			off |= 1u << i;
	return off;
}

const char *probes_family_names(void)
{
	static char names[256];

	if (!names[0])
		for (size_t i = 0, n = 0; i < NFAMILIES && n < sizeof(names); i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "", families[i]->name);
	return names;
}

void probes_add_status(struct probes *p, const char *name, const char *attach, int err, const char *why)
{
	struct probe_status *s;

	if (p->nstatus >= PROBES_MAX)
		return;
	s = &p->status[p->nstatus++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->attach, sizeof(s->attach), "%s", attach);
	s->ok = err == 0;
	if (err)
		snprintf(s->why, sizeof(s->why), "%s", why ? why : strerror(err < 0 ? -err : err));
	else
		p->nattached++;
}

static void add_status(struct probes *p, const char *family, const struct bpf_program *prog, int err)
{
	const char *name = bpf_program__name(prog);
	const char *sec = bpf_program__section_name(prog);
	char full[64];

	/* handle_exec -> process/exec */
	snprintf(full, sizeof(full), "%s/%s", family, strncmp(name, "handle_", 7) ? name : name + 7);
	probes_add_status(p, full, sec ? sec : "?", err, NULL);
}

int probes_attach(struct probes *p, const char *family, struct bpf_program *prog, struct bpf_link **link)
{
	struct bpf_link *l = bpf_program__attach(prog);
	int err = libbpf_get_error(l);

	*link = err ? NULL : l;
	add_status(p, family, prog, err);
	return err;
}

void probes_family_failed(struct probes *p, const char *family, struct bpf_object *obj, int err)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog))
			add_status(p, family, prog, err ? err : -EINVAL);
}

int probes_prepare_object(struct probes *p, struct bpf_object *obj)
{
	struct bpf_map *m;
	int ret;

	if ((m = bpf_object__find_map_by_name(obj, "events")) && (ret = bpf_map__reuse_fd(m, p->events_fd)))
		return ret;
	if ((m = bpf_object__find_map_by_name(obj, "ringbuf_drops")) && (ret = bpf_map__reuse_fd(m, p->drops_fd)))
		return ret;
	if ((m = bpf_object__find_map_by_name(obj, "shed_on")) && (ret = bpf_map__reuse_fd(m, p->overload.on_fd)))
		return ret;
	if ((m = bpf_object__find_map_by_name(obj, "shed_counts")) &&
	    (ret = bpf_map__reuse_fd(m, p->overload.counts_fd)))
		return ret;
	for (int i = 0; i < p->nshared; i++)
		if ((m = bpf_object__find_map_by_name(obj, p->shared[i].name)) &&
		    (ret = bpf_map__reuse_fd(m, p->shared[i].fd)))
			return ret;
	return 0;
}

int probes_share_maps(struct probes *p, struct bpf_map *const *maps, int n)
{
	int first = p->nshared, err = 0;

	if (p->nshared + n > PROBES_SHARED_MAX)
		return -ENOSPC;
	for (int i = 0; i < n && !err; i++) {
		struct probes_shared_map *s = &p->shared[p->nshared];

		snprintf(s->name, sizeof(s->name), "%s", bpf_map__name(maps[i]));
		if ((s->fd = fcntl(bpf_map__fd(maps[i]), F_DUPFD_CLOEXEC, 0)) < 0)
			err = -errno;
		else
			p->nshared++;
	}
	if (err)
		while (p->nshared > first)
			close(p->shared[--p->nshared].fd);
	return err;
}

int probes_map_shared(const struct probes *p, const char *name)
{
	for (int i = 0; i < p->nshared; i++)
		if (!strcmp(p->shared[i].name, name))
			return 1;
	return 0;
}

int probes_load(struct probes *p, const char *family, struct bpf_object_skeleton *s)
{
	int err = probes_prepare_object(p, *s->obj);

	if (!err)
		err = bpf_object__load_skeleton(s);
	if (err)
		probes_family_failed(p, family, *s->obj, err);
	return err;
}

int probes_rcu_barrier(struct probes *p)
{
	uint32_t zero = 0;

	if (p->barrier_fd < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, opts);

		if (p->barrier_inner_fd < 0)
			p->barrier_inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fr_barrier_in", sizeof(uint32_t),
							     sizeof(uint32_t), 1, NULL);
		if (p->barrier_inner_fd < 0)
			return -errno;
		opts.inner_map_fd = p->barrier_inner_fd;
		p->barrier_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "fr_barrier", sizeof(uint32_t),
					       sizeof(uint32_t), 1, &opts);
		if (p->barrier_fd < 0)
			return -errno;
	}
	return bpf_map_update_elem(p->barrier_fd, &zero, &p->barrier_inner_fd, BPF_ANY) ? -errno : 0;
}

static int create_shared_maps(struct probes *p, char *err, size_t errlen)
{
	p->events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0, p->cfg->ring_size, NULL);
	if (p->events_fd < 0) {
		snprintf(err, errlen, "cannot create the BPF ring buffer: %s", strerror(errno));
		return -errno;
	}
	p->drops_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "ringbuf_drops", sizeof(uint32_t), sizeof(uint64_t), 1,
				     NULL);
	if (p->drops_fd < 0) {
		snprintf(err, errlen, "cannot create the drop counter map: %s", strerror(errno));
		return -errno;
	}
	/* now, while the recorder may still make maps: it drops the capability once the probes are up */
	if (probes_rcu_barrier(p))
		fprintf(stderr, "flightrec: cannot make the maps that wait for the BPF programs (%s): a snapshot's "
			"window leaves out the counts of its last second or two\n", strerror(errno));
	return 0;
}

/* The family of the table that owns ring event KIND, its least size in *SIZE; -1 when none. */
static int event_owner(unsigned kind, size_t *size)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		for (int j = 0; j < families[i]->nevents; j++)
			if (families[i]->events[j].kind == kind) {
				*size = families[i]->events[j].size;
				return (int)i;
			}
	return -1;
}

/*
 * Ring-buffer callback: an event its family owns goes to that family's
 * event hook (nowhere when the family is off); any other is a record as
 * it is, and goes to the sink.
 */
static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct probes *p = ctx;
	const struct fr_head *h = data;
	const struct fr_kind_desc *k;

	p->events++;
	if (size < sizeof(*h)) {
		p->bad_events++;
		return 0;
	}
	if (h->kind < sizeof(p->owner) && p->owner[h->kind]) {
		int slot = p->owner[h->kind] - 1;
		if (slot == FAMILIES_MAX) /* owned by a family that is off */
			return 0;
		if (size < p->owner_size[h->kind]) {
			p->bad_events++;
			return 0;
		}
		p->family[slot]->event(p, p->state[slot], data, size);
		return 0;
	}
	if (!(k = fr_kind_by_id(h->kind)) || size < k->struct_size) {
		p->bad_events++;
		return 0;
	}
	sink_put(p->sink, data);
	return 0;
}

/* Who gets each kind of ring event, from the family table and the open families. */
static void route_events(struct probes *p)
{
	memset(p->owner, 0, sizeof(p->owner));
	for (unsigned kind = 0; kind < sizeof(p->owner); kind++) {
		size_t size;
		int fam = event_owner(kind, &size);
		if (fam < 0)
			continue;
		p->owner[kind] = FAMILIES_MAX + 1;
		p->owner_size[kind] = size;
		for (int i = 0; i < p->nfamilies; i++)
			if (p->family[i] == families[fam] && families[fam]->event)
				p->owner[kind] = (uint8_t)(i + 1);
	}
}

int probes_open(struct probes *p, const struct probe_config *cfg, struct sink *sink, char *err, size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->sink = sink;
	p->events_fd = p->drops_fd = -1;
	p->barrier_fd = p->barrier_inner_fd = -1;
	overload_init(&p->overload);
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		snprintf(err, errlen, "cannot count CPUs: %s", strerror(-p->ncpus));
		return p->ncpus ? p->ncpus : -EINVAL;
	}
	p->drops_seen = calloc((size_t)p->ncpus, sizeof(*p->drops_seen));
	if (!p->drops_seen) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((ret = create_shared_maps(p, err, errlen)) || (ret = overload_open(&p->overload, err, errlen)))
		return ret;
	for (size_t i = 0; i < NFAMILIES && p->nfamilies < FAMILIES_MAX; i++) {
		void *state = NULL;
		if (cfg->families_off & (1u << i))
			continue; /* --probes=-NAME */
		if (families[i]->open(p, &state) == 0) {
			p->family[p->nfamilies] = families[i];
			p->state[p->nfamilies++] = state;
		}
	}
	route_events(p);
	p->rb = ring_buffer__new(p->events_fd, on_ring_event, p, NULL);
	if (!p->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(errno));
		return ret;
	}
	if (p->nattached == 0) {
		snprintf(err, errlen, "no probe could be attached");
		return -ENOENT;
	}
	return 0;
}

int probes_fd(struct probes *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probes_consume(struct probes *p)
{
	return ring_buffer__consume(p->rb);
}

/*
 * How full the ring is: the producer's position less the consumer's, read
 * from the ring's first two pages (the consumer page mapped read-only
 * here; libbpf before 1.3 has no ring__avail_data_size()).  Mapped on the
 * first call; 0 when they cannot be.
 */
uint64_t probes_ring_pending(struct probes *p)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!p->ring_pos[0] && p->events_fd >= 0) {
		void *c = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, p->events_fd, 0);
		void *pr = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, p->events_fd, page);

		if (c == MAP_FAILED || pr == MAP_FAILED) {
			if (c != MAP_FAILED)
				munmap(c, (size_t)page);
			if (pr != MAP_FAILED)
				munmap(pr, (size_t)page);
			return 0;
		}
		p->ring_pos[0] = c;
		p->ring_pos[1] = pr;
	}
	if (!p->ring_pos[0])
		return 0;
	return __atomic_load_n((const uint64_t *)p->ring_pos[1], __ATOMIC_ACQUIRE) -
	       __atomic_load_n((const uint64_t *)p->ring_pos[0], __ATOMIC_ACQUIRE);
}

int probes_percpu_sum(const struct probes *p, int fd, uint32_t key, uint64_t *sum)
{
	uint64_t *vals = calloc((size_t)p->ncpus, sizeof(*vals));
	int ret = -1;

	if (vals && bpf_map_lookup_elem(fd, &key, vals) == 0) {
		*sum = 0;
		for (int cpu = 0; cpu < p->ncpus; cpu++)
			*sum += vals[cpu];
		ret = 0;
	}
	free(vals);
	return ret;
}

uint64_t probes_ring_drops_total(struct probes *p)
{
	uint64_t total = 0;

	probes_percpu_sum(p, p->drops_fd, 0, &total);
	return total;
}

void probes_flush(struct probes *p, uint64_t now_boot)
{
	/*
	 * A tick may have flipped a generation a moment ago (the stop, or a
	 * snapshot started in the same loop turn as a tick): one grace period
	 * for all makes every idle generation safe for the families to drain.
	 */
	probes_rcu_barrier(p);
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i]->flush)
			p->family[i]->flush(p, p->state[i], now_boot);
	overload_cut(p, &p->overload, now_boot);
}

void probes_tick(struct probes *p, uint64_t now_boot)
{
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i]->tick)
			p->family[i]->tick(p, p->state[i], now_boot);
	overload_tick(p, &p->overload, now_boot); /* after: all mode's tick has taken what waits in the ring */
}

void probes_stop(struct probes *p, uint64_t now_boot)
{
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i]->stop)
			p->family[i]->stop(p, p->state[i], now_boot);
	overload_cut(p, &p->overload, now_boot);
}

void probes_segment(struct probes *p)
{
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i]->segment)
			p->family[i]->segment(p, p->state[i]);
}

void probes_observe(void *probes, const struct fr_kind_desc *k, const void *rec, int opening)
{
	struct probes *p = probes;

	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i]->observe)
			p->family[i]->observe(p, p->state[i], k, rec, opening);
}

void probes_note(struct probes *p, int row, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (int i = 0; i < p->nfamilies && row >= 0 && row < p->nstatus; i++)
		if (p->family[i]->note)
			p->family[i]->note(p, p->state[i], &p->status[row], buf, cap);
}

void *probes_state(struct probes *p, const struct probe_family *family)
{
	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i] == family)
			return p->state[i];
	return NULL;
}

void probes_put(struct probes *p, const void *rec)
{
	sink_put(p->sink, rec);
}

uint64_t probes_read_drops(struct probes *p, void (*fn)(void *ctx, int cpu, uint64_t n), void *ctx)
{
	uint64_t *vals = calloc((size_t)p->ncpus, sizeof(*vals));
	uint32_t zero = 0;
	uint64_t total = 0;

	if (!vals)
		return 0;
	if (bpf_map_lookup_elem(p->drops_fd, &zero, vals) == 0) {
		for (int cpu = 0; cpu < p->ncpus; cpu++) {
			uint64_t n = vals[cpu] - p->drops_seen[cpu];
			if (!n)
				continue;
			p->drops_seen[cpu] = vals[cpu];
			total += n;
			if (fn)
				fn(ctx, cpu, n);
		}
	}
	free(vals);
	return total;
}

void probes_put_drop(struct probes *p, const char *source, uint64_t count, uint64_t since, uint64_t now)
{
	struct fr_drop d;

	memset(&d, 0, sizeof(d));
	d.head.kind = FR_KIND_drop;
	d.head.size = sizeof(d);
	d.ts = now;
	snprintf(d.source, sizeof(d.source), "%s", source);
	d.cpu = FR_CPU_NONE;
	d.count = count;
	d.since_ts = since;
	probes_put(p, &d);
}

void probes_report_lost(struct probes *p, int map_fd, uint64_t *seen, const char *source, uint64_t since,
			uint64_t now)
{
	uint64_t total = 0;

	probes_percpu_sum(p, map_fd, 0, &total);
	if (total <= *seen)
		return;
	probes_put_drop(p, source, total - *seen, since, now);
	*seen = total;
}

void probes_gens_init(struct probes_gens *g, uint32_t *gen, int lost_fd, const char *source)
{
	memset(g, 0, sizeof(*g));
	g->gen = gen;
	g->lost_fd = lost_fd;
	g->source = source;
	g->last_flip = g->prev_flip = now_boot_ns();
}

void probes_gens_tick(struct probes *p, struct probes_gens *g, uint64_t now, probes_drain_fn drain, void *ctx)
{
	int old = (int)((*g->gen & 1) ^ 1);
	struct probes_interval in = { g->last_flip, g->last_flip - g->prev_flip };

	drain(p, ctx, old, &in);
	probes_report_lost(p, g->lost_fd, &g->lost_seen, g->source, g->prev_flip, now);
	/* release: the emptied maps before the programs turn to them */
	__atomic_store_n(g->gen, (uint32_t)old, __ATOMIC_RELEASE);
	g->prev_flip = g->last_flip;
	g->last_flip = now;
}

void probes_gens_flush(struct probes *p, struct probes_gens *g, uint64_t now, probes_drain_fn drain, void *ctx)
{
	uint64_t began = g->last_flip; /* when the live generation began */
	struct probes_interval in;

	if (now < began) /* a snapshot's window that ended before the last tick: that tick stamped it */
		now = began;
	/* the idle generation, as a tick would, and the flip: the live one is idle from now */
	probes_gens_tick(p, g, now, drain, ctx);
	if (probes_rcu_barrier(p))
		return; /* programs may still write it: the next tick drains it */
	in.end = now;
	in.ns = now - began;
	drain(p, ctx, (int)((*g->gen & 1) ^ 1), &in);
	g->prev_flip = now; /* the idle generation, emptied, covers no time now */
}


void probes_drain_aggregates(struct probes *p, int map_fd, size_t key_size, size_t val_size, probes_agg_fn fn,
			     void *ctx)
{
	uint8_t *vals = calloc((size_t)p->ncpus, val_size), *key = calloc(2, key_size), *next = key + key_size;
	void *prev = NULL;

	if (!vals || !key) {
		free(vals);
		free(key);
		return;
	}
	while (bpf_map_get_next_key(map_fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(map_fd, key, vals) == 0)
			fn(p, ctx, key, vals);
	}
	/* emptied after reading: nothing writes this generation now */
	while (bpf_map_get_next_key(map_fd, NULL, next) == 0)
		if (bpf_map_delete_elem(map_fd, next))
			break;
	free(vals);
	free(key);
}

/* One CPU's hot slot of a key, as read by probes_drain_cached(). */
struct hot_entry {
	uint32_t key;
	int cpu;
	const uint8_t *val;
};

struct hot_drain {
	struct hot_entry *e;
	size_t n;
	uint8_t *used; /* per key group, by the index of its first entry */
	uint8_t *tmp;
	size_t val_size;
	probes_merge_fn merge;
	probes_agg_fn fn;
	void *ctx;
};

static int hot_entry_cmp(const void *a, const void *b)
{
	const struct hot_entry *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* The index of the first entry of KEY in the sorted entries, or N. */
static size_t hot_find(const struct hot_drain *d, uint32_t key)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->e[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->n && d->e[lo].key == key ? lo : d->n;
}

static void hot_add(const struct hot_drain *d, size_t i)
{
	for (uint32_t key = d->e[i].key; i < d->n && d->e[i].key == key; i++)
		d->merge(d->tmp + (size_t)d->e[i].cpu * d->val_size, d->e[i].val);
}

static void hot_fn(struct probes *p, void *ctx, const void *key, const void *vals)
{
	struct hot_drain *d = ctx;
	size_t i = hot_find(d, *(const uint32_t *)key);

	memcpy(d->tmp, vals, (size_t)p->ncpus * d->val_size);
	if (i < d->n) {
		hot_add(d, i);
		d->used[i] = 1;
	}
	d->fn(p, d->ctx, key, d->tmp);
}

/* A CPU's slots in an AGG_HOT_SLOTS array: AGG_HOT_PER_CPU() of bpf/agg.bpf.h. */
static uint32_t hot_per_cpu(uint32_t nslots)
{
	return 2 * nslots + 1;
}

void *probes_map_array(int fd, size_t bytes, size_t *len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	*len = (bytes + page - 1) / page * page;
	return mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

int probes_hot_slots(struct probes *p, struct bpf_map *hot, uint32_t nslots)
{
	return bpf_map__set_max_entries(hot, (uint32_t)p->ncpus * hot_per_cpu(nslots));
}

/* Hot array FD of BYTES, mapped once and kept (struct probes_hot_map); MAP_FAILED when it cannot be. */
static void *hot_map(struct probes *p, int fd, size_t bytes)
{
	struct probes_hot_map *h;

	for (int i = 0; i < p->nhot_maps; i++)
		if (p->hot_maps[i].fd == fd)
			return p->hot_maps[i].map;
	if (p->nhot_maps == PROBES_HOT_MAPS_MAX)
		return MAP_FAILED;
	h = &p->hot_maps[p->nhot_maps];
	h->map = probes_map_array(fd, bytes, &h->len);
	if (h->map != MAP_FAILED) {
		h->fd = fd;
		p->nhot_maps++;
	}
	return h->map;
}

void probes_drain_cached(struct probes *p, struct bpf_map *hash, struct bpf_map *hot, int gen, uint32_t nslots,
			 size_t val_size, probes_merge_fn merge, probes_agg_fn fn, void *ctx)
{
	int hash_fd = bpf_map__fd(hash);
	uint32_t first = (uint32_t)gen * nslots, n = nslots;
	size_t hot_size = 8 + val_size, slot_size = (size_t)p->ncpus * hot_size;
	uint8_t *map = hot_map(p, bpf_map__fd(hot), (size_t)p->ncpus * hot_per_cpu(nslots) * hot_size);
	uint8_t *slots = calloc(n, slot_size);
	struct hot_drain d = { calloc((size_t)n * p->ncpus, sizeof(*d.e)), 0, calloc((size_t)n * p->ncpus, 1),
			       calloc(1, (size_t)p->ncpus * val_size), val_size, merge, fn, ctx };

	if (map == MAP_FAILED || !slots || !d.e || !d.used || !d.tmp) {
		/* the hash alone: the slots keep their counts for a later second */
		probes_drain_aggregates(p, hash_fd, sizeof(uint32_t), val_size, fn, ctx);
		goto cleanup;
	}
	for (uint32_t s = 0; s < n; s++) {
		uint8_t *v = slots + s * slot_size;

		for (int c = 0; c < p->ncpus; c++) {
			uint8_t *slot = map + ((size_t)c * hot_per_cpu(nslots) + first + s) * hot_size;
			uint32_t key;

			memcpy(&key, slot, sizeof(key));
			if (!key)
				continue;
			memcpy(v + (size_t)c * hot_size, slot, hot_size);
			/* emptied after reading: nothing writes this generation now */
			memset(slot, 0, hot_size);
			d.e[d.n++] = (struct hot_entry){ key, c, v + (size_t)c * hot_size + 8 };
		}
	}
	qsort(d.e, d.n, sizeof(*d.e), hot_entry_cmp);
	probes_drain_aggregates(p, hash_fd, sizeof(uint32_t), val_size, hot_fn, &d);
	for (size_t i = 0; i < d.n; i++) {
		if (i && d.e[i].key == d.e[i - 1].key)
			continue;
		if (d.used[i])
			continue;
		memset(d.tmp, 0, (size_t)p->ncpus * val_size);
		hot_add(&d, i);
		fn(p, ctx, &d.e[i].key, d.tmp);
	}
cleanup:
	free(slots);
	free(d.e);
	free(d.used);
	free(d.tmp);
}

void probes_format_hist(const uint64_t *hist, int nb, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int b = 0; b < nb && n < cap; b++)
		if (hist[b])
			n += (size_t)snprintf(buf + n, cap - n, "%s%d:%llu", n ? " " : "", b, (unsigned long long)hist[b]);
}

void probes_close(struct probes *p)
{
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < 2; i++)
		if (p->ring_pos[i])
			munmap(p->ring_pos[i], (size_t)page);
	p->ring_pos[0] = p->ring_pos[1] = NULL;
	ring_buffer__free(p->rb);
	p->rb = NULL;
	while (p->nhot_maps > 0) { /* before the families close their maps */
		struct probes_hot_map *h = &p->hot_maps[--p->nhot_maps];
		munmap(h->map, h->len);
	}
	for (int i = 0; i < p->nfamilies; i++)
		p->family[i]->close(p->state[i]);
	p->nfamilies = 0;
	if (p->events_fd >= 0)
		close(p->events_fd);
	if (p->drops_fd >= 0)
		close(p->drops_fd);
	p->events_fd = p->drops_fd = -1;
	if (p->barrier_fd >= 0)
		close(p->barrier_fd);
	if (p->barrier_inner_fd >= 0)
		close(p->barrier_inner_fd);
	p->barrier_fd = p->barrier_inner_fd = -1;
	while (p->nshared > 0)
		close(p->shared[--p->nshared].fd);
	overload_close(&p->overload);
	free(p->drops_seen);
	p->drops_seen = NULL;
}
