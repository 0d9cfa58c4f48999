/*
 * family_uprobe.c - loader of bpf/uprobe.bpf.c: one uprobe per --uprobe
 * BINARY:SYMBOL, counting the calls of that function in every process.
 *
 * A binary that does not exist or has no such symbol is a probe that failed
 * to attach: it is reported with its reason (startup lines, `flightrec
 * status`, the probes table of every archive) and the recorder goes on with
 * the rest.  Nothing is loaded when no --uprobe is given.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "family_uprobe.h"
#include "probes.h"
#include "uprobe.skel.h"

struct uprobe_state {
	struct uprobe_bpf *skel;
	struct bpf_link *links[UPROBES_MAX];
	int nlinks;
};

/* Attach spec I; 0, or -errno with the reason in WHY. */
static int attach_one(struct uprobe_state *st, const struct uprobe_spec *u, int i, char *why, size_t cap)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = u->symbol, .bpf_cookie = (__u64)i);
	struct bpf_link *l;
	struct stat sb;
	int err;

	/* libbpf resolves a bare name through $PATH: check only real paths. */
	if (strchr(u->binary, '/') && stat(u->binary, &sb) < 0) {
		err = -errno;
		snprintf(why, cap, "cannot open %s: %s", u->binary, strerror(errno));
		return err;
	}
	l = bpf_program__attach_uprobe_opts(st->skel->progs.handle_call, -1, u->binary, 0, &opts);
	if ((err = libbpf_get_error(l))) {
		if (err == -ENOENT)
			snprintf(why, cap, "no function %s in %s", u->symbol, u->binary);
		else
			snprintf(why, cap, "%s", strerror(-err));
		return err;
	}
	st->links[st->nlinks++] = l;
	return 0;
}

static int uprobe_open(struct probes *p, void **state)
{
	struct uprobe_state *st;
	char name[64], attach[96], why[160];
	int err;

	*state = NULL;
	if (!p->cfg->nuprobes)
		return 0;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	if (!(st->skel = uprobe_bpf__open())) {
		free(st);
		return -errno;
	}
	err = uprobe_bpf__load(st->skel);
	for (int i = 0; i < p->cfg->nuprobes; i++) {
		const struct uprobe_spec *u = &p->cfg->uprobes[i];
		snprintf(name, sizeof(name), "uprobe/%s", u->symbol);
		snprintf(attach, sizeof(attach), "uprobe/%s:%s", u->binary, u->symbol);
		if (err) {
			probes_add_status(p, name, attach, err, NULL);
			continue;
		}
		probes_add_status(p, name, attach, attach_one(st, u, i, why, sizeof(why)), why);
	}
	if (err) {
		uprobe_bpf__destroy(st->skel);
		free(st);
		return err;
	}
	*state = st;
	return 0;
}

static void uprobe_close(void *state)
{
	struct uprobe_state *st = state;

	if (!st)
		return;
	for (int i = 0; i < st->nlinks; i++)
		bpf_link__destroy(st->links[i]);
	uprobe_bpf__destroy(st->skel);
	free(st);
}

const struct probe_family family_uprobe = {
	.name = "uprobe",
	.open = uprobe_open,
	.close = uprobe_close,
};

int uprobe_calls(struct probes *p, uint64_t *calls, int n)
{
	struct uprobe_state *st = NULL;
	uint64_t *vals;

	for (int i = 0; i < p->nfamilies; i++)
		if (p->family[i] == &family_uprobe)
			st = p->state[i];
	memset(calls, 0, (size_t)n * sizeof(*calls));
	if (!st || !(vals = calloc((size_t)p->ncpus, sizeof(*vals))))
		return -ENOENT;
	for (__u32 slot = 0; slot < (__u32)n && slot < UPROBES_MAX; slot++)
		if (bpf_map_lookup_elem(bpf_map__fd(st->skel->maps.uprobe_calls), &slot, vals) == 0)
			for (int c = 0; c < p->ncpus; c++)
				calls[slot] += vals[c];
	free(vals);
	return 0;
}
