/*
 * symbols.c - frames of sampled stacks, and their names (symbols.h).
 *
 * Three tables: the modules (executable files, by build id or by device
 * and inode, with their function symbols once loaded), the maps of the
 * processes seen (which module each executable mapping is), and, in a
 * snapshot's child only, the frames noted in the window.  Symbol offsets
 * are file offsets, as the kernel's build-id frames are: a symbol's
 * address is turned into one through the PT_LOAD segment holding it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "symbols.h"
#include "util.h"

#define BID_MAX 20            /* what the kernel keeps of a build id */
#define PID_SLOTS 8192        /* processes whose maps are kept */
#define PID_FORGET_NS (60ull * 1000000000ull)
#define RESCAN_NS 1000000000ull /* a frame outside the known maps rereads them at most this often */
#define NOTE_SLOTS_MIN 1024

struct sym {
	uint64_t off, size;
	uint32_t name; /* in the module's pool */
};

struct module {
	uint8_t bid[BID_MAX]; /* zero-padded */
	int has_bid;
	dev_t dev;
	ino_t ino;
	char *path;       /* as the process names it */
	uint32_t pid;     /* a process that maps it, to open it through */
	uint64_t start, end; /* that mapping (for /proc/PID/map_files) */
	int loaded;       /* its symbols were read (or could not be) */
	struct sym *syms;
	size_t nsyms;
	char *pool;
	size_t pool_len;
};

struct mapping {
	uint64_t start, end, pgoff;
	int mod; /* index in modules */
};

struct pidmaps {
	uint32_t pid; /* 0: empty slot */
	uint64_t used, scanned;
	struct mapping *m;
	size_t n;
};

struct symbols {
	struct module *mods;
	size_t nmods, capmods;
	struct pidmaps *pids; /* PID_SLOTS */
	size_t npids;
	char **notes; /* open addressing, noted frame texts */
	size_t nnotes, capnotes;
	/*
	 * /proc/kallsyms, opened while the recorder still has its
	 * capabilities: the kernel decides whether to show the addresses by
	 * the credentials of the opener (kallsyms_show_value()), and the
	 * recorder drops CAP_SYSLOG once its probes are attached.
	 */
	int kallsyms_fd;
};

struct symbols *symbols_new(void)
{
	struct symbols *s = calloc(1, sizeof(*s));

	if (!s || !(s->pids = calloc(PID_SLOTS, sizeof(*s->pids)))) {
		free(s);
		return NULL;
	}
	elf_version(EV_CURRENT);
	s->kallsyms_fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	return s;
}

static void pidmaps_clear(struct pidmaps *p)
{
	free(p->m);
	memset(p, 0, sizeof(*p));
}

void symbols_free(struct symbols *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmods; i++) {
		free(s->mods[i].path);
		free(s->mods[i].syms);
		free(s->mods[i].pool);
	}
	free(s->mods);
	for (size_t i = 0; i < PID_SLOTS; i++)
		free(s->pids[i].m);
	free(s->pids);
	for (size_t i = 0; i < s->capnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	if (s->kallsyms_fd >= 0)
		close(s->kallsyms_fd);
	free(s);
}

/* ---- ELF: build ids and function symbols ---- */

/* The GNU build id of ELF into BID (zero-padded to BID_MAX); 1 when it has one. */
static int elf_build_id(Elf *elf, uint8_t *bid)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff, next;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((next = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + noff, "GNU", 4) && nh.n_descsz > 0) {
				memset(bid, 0, BID_MAX);
				memcpy(bid, (const char *)d->d_buf + doff, nh.n_descsz < BID_MAX ? nh.n_descsz : BID_MAX);
				return 1;
			}
			off = next;
		}
	}
	return 0;
}

struct loads {
	GElf_Phdr ph[32];
	size_t n;
};

static void elf_loads(Elf *elf, struct loads *l)
{
	size_t n = 0;

	l->n = 0;
	if (elf_getphdrnum(elf, &n))
		return;
	for (size_t i = 0; i < n && l->n < 32; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			l->ph[l->n++] = ph;
	}
}

/* The file offset of address V, or UINT64_MAX when no PT_LOAD holds it. */
static uint64_t loads_offset(const struct loads *l, uint64_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (v >= l->ph[i].p_vaddr && v < l->ph[i].p_vaddr + l->ph[i].p_filesz)
			return v - l->ph[i].p_vaddr + l->ph[i].p_offset;
	return UINT64_MAX;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	/* a sized symbol first: it is the one kept */
	return (y->size > x->size) - (y->size < x->size);
}

/* Add the function symbols of ELF's symbol tables (of TYPE) to M, at file offsets through L. */
static void load_table(struct module *m, Elf *elf, const struct loads *l, Elf64_Word type)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym st;
			const char *name;
			uint64_t off;
			size_t len;

			if (!gelf_getsym(d, (int)i, &st) || !st.st_value || st.st_shndx == SHN_UNDEF ||
			    (GELF_ST_TYPE(st.st_info) != STT_FUNC && GELF_ST_TYPE(st.st_info) != STT_GNU_IFUNC))
				continue;
			if (!(name = elf_strptr(elf, sh.sh_link, st.st_name)) || !*name)
				continue;
			if ((off = loads_offset(l, st.st_value)) == UINT64_MAX)
				continue;
			len = strlen(name) + 1;
			if (m->nsyms % 1024 == 0) {
				struct sym *ns = realloc(m->syms, (m->nsyms + 1024) * sizeof(*ns));
				if (!ns)
					return;
				m->syms = ns;
			}
			if ((m->pool_len + len) / 65536 != m->pool_len / 65536 || !m->pool) {
				char *np = realloc(m->pool, (m->pool_len + len + 65535) / 65536 * 65536 + 65536);
				if (!np)
					return;
				m->pool = np;
			}
			memcpy(m->pool + m->pool_len, name, len);
			m->syms[m->nsyms++] = (struct sym){ off, st.st_size, (uint32_t)m->pool_len };
			m->pool_len += len;
		}
	}
}

/* Sort M's symbols and keep one per offset; a symbol without a size ends at the next one. */
static void syms_finish(struct module *m)
{
	size_t j = 0;

	if (!m->nsyms)
		return;
	qsort(m->syms, m->nsyms, sizeof(*m->syms), sym_cmp);
	for (size_t i = 0; i < m->nsyms; i++)
		if (!j || m->syms[i].off != m->syms[j - 1].off)
			m->syms[j++] = m->syms[i];
	m->nsyms = j;
	for (size_t i = 0; i < m->nsyms; i++)
		if (!m->syms[i].size)
			m->syms[i].size = i + 1 < m->nsyms ? m->syms[i + 1].off - m->syms[i].off : 1;
}

/* Open M's file: through the process that maps it, else its container's root, else the host's path. */
static int module_open(const struct module *m)
{
	char p[4400];
	int fd;

	snprintf(p, sizeof(p), "/proc/%u/map_files/%llx-%llx", m->pid, (unsigned long long)m->start,
		 (unsigned long long)m->end);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	snprintf(p, sizeof(p), "/proc/%u/root%s", m->pid, m->path);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
		return fd;
	return open(m->path, O_RDONLY | O_CLOEXEC);
}

/* Read M's symbols, once: from its debug file under /usr/lib/debug/.build-id when there is one. */
static void module_load(struct module *m)
{
	struct loads l;
	Elf *elf;
	int fd;

	if (m->loaded)
		return;
	m->loaded = 1;
	if ((fd = module_open(m)) < 0)
		return;
	if (!(elf = elf_begin(fd, ELF_C_READ_MMAP, NULL))) {
		close(fd);
		return;
	}
	uint8_t bid[BID_MAX];
	if (m->has_bid && (!elf_build_id(elf, bid) || memcmp(bid, m->bid, BID_MAX))) {
		/* not the file the frames came from (replaced since): no names rather than wrong ones */
		elf_end(elf);
		close(fd);
		return;
	}
	elf_loads(elf, &l);
	if (m->has_bid) {
		char dbg[128];
		int n = snprintf(dbg, sizeof(dbg), "/usr/lib/debug/.build-id/%02x/", m->bid[0]);
		int blen = BID_MAX;
		while (blen > 1 && !m->bid[blen - 1])
			blen--;
		for (int i = 1; i < blen; i++)
			n += snprintf(dbg + n, sizeof(dbg) - (size_t)n, "%02x", m->bid[i]);
		snprintf(dbg + n, sizeof(dbg) - (size_t)n, ".debug");
		int dfd = open(dbg, O_RDONLY | O_CLOEXEC);
		Elf *de = dfd >= 0 ? elf_begin(dfd, ELF_C_READ_MMAP, NULL) : NULL;
		if (de)
			load_table(m, de, &l, SHT_SYMTAB);
		if (de)
			elf_end(de);
		if (dfd >= 0)
			close(dfd);
	}
	if (!m->nsyms)
		load_table(m, elf, &l, SHT_SYMTAB);
	load_table(m, elf, &l, SHT_DYNSYM);
	syms_finish(m);
	elf_end(elf);
	close(fd);
}

/* The name of offset OFF in M, or NULL: never the name of a symbol that does not hold it. */
static const char *module_name_at(struct module *m, uint64_t off)
{
	size_t lo = 0, hi;

	module_load(m);
	hi = m->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->syms[mid].off <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || off - m->syms[lo - 1].off >= m->syms[lo - 1].size)
		return NULL;
	return m->pool + m->syms[lo - 1].name;
}

/* ---- modules and process maps ---- */

static int module_by_bid(struct symbols *s, const uint8_t *bid)
{
	for (size_t i = 0; i < s->nmods; i++)
		if (s->mods[i].has_bid && !memcmp(s->mods[i].bid, bid, BID_MAX))
			return (int)i;
	return -1;
}

/* The module of the file mapped at START-END by PID (device DEV, inode INO, named PATH); -1 on failure. */
static int module_for(struct symbols *s, uint32_t pid, uint64_t start, uint64_t end, dev_t dev, ino_t ino,
		      const char *path)
{
	struct module m = { 0 };
	char p[64];
	Elf *elf;
	int fd, i;

	for (size_t j = 0; j < s->nmods; j++)
		if (s->mods[j].dev == dev && s->mods[j].ino == ino && !strcmp(s->mods[j].path, path))
			return (int)j;
	snprintf(p, sizeof(p), "/proc/%u/map_files/%llx-%llx", pid, (unsigned long long)start,
		 (unsigned long long)end);
	m.pid = pid;
	m.start = start;
	m.end = end;
	m.dev = dev;
	m.ino = ino;
	if (!(m.path = strdup(path)))
		return -1;
	if ((fd = module_open(&m)) >= 0) {
		if ((elf = elf_begin(fd, ELF_C_READ_MMAP, NULL))) {
			m.has_bid = elf_build_id(elf, m.bid);
			elf_end(elf);
		}
		close(fd);
	}
	if (m.has_bid && (i = module_by_bid(s, m.bid)) >= 0) {
		free(m.path);
		return i; /* the same file under another name or in another container */
	}
	if (s->nmods == s->capmods) {
		size_t cap = s->capmods ? 2 * s->capmods : 64;
		struct module *n = realloc(s->mods, cap * sizeof(*n));
		if (!n) {
			free(m.path);
			return -1;
		}
		s->mods = n;
		s->capmods = cap;
	}
	s->mods[s->nmods] = m;
	return (int)s->nmods++;
}

static struct pidmaps *pid_slot(struct symbols *s, uint32_t pid)
{
	size_t i = (pid * 2654435761u) % PID_SLOTS;

	while (s->pids[i].pid && s->pids[i].pid != pid)
		i = (i + 1) % PID_SLOTS;
	return &s->pids[i];
}

/* Read /proc/PID/maps into P (its executable file mappings). */
static void pid_scan(struct symbols *s, struct pidmaps *p, uint32_t pid)
{
	char path[64], line[4400];
	FILE *f;

	p->scanned = now_boot_ns();
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	if (!(f = fopen(path, "re")))
		return;
	p->n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff, ino;
		unsigned maj, min;
		char perms[8], *name;
		int at = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj, &min, &ino,
			   &at) < 7 || !at || perms[2] != 'x')
			continue;
		name = line + at;
		name[strcspn(name, "\n")] = '\0';
		if (name[0] != '/')
			continue;
		size_t nl = strlen(name);
		if (nl > 10 && !strcmp(name + nl - 10, " (deleted)"))
			name[nl - 10] = '\0';
		int mod = module_for(s, pid, start, end, makedev(maj, min), (ino_t)ino, name);
		if (mod < 0)
			continue;
		if (p->n % 32 == 0) {
			struct mapping *nm = realloc(p->m, (p->n + 32) * sizeof(*nm));
			if (!nm)
				break;
			p->m = nm;
		}
		p->m[p->n++] = (struct mapping){ start, end, pgoff, mod };
	}
	fclose(f);
}

/* The maps of PID, read the first time it is seen; NULL when the table is full. */
static struct pidmaps *pid_maps(struct symbols *s, uint32_t pid)
{
	struct pidmaps *p = pid_slot(s, pid);

	if (!p->pid) {
		if (s->npids >= PID_SLOTS / 2)
			return NULL;
		p->pid = pid;
		s->npids++;
		pid_scan(s, p, pid);
	}
	p->used = now_boot_ns();
	return p;
}

void symbols_sweep(struct symbols *s, uint64_t now)
{
	struct pidmaps *old = s->pids, *fresh = calloc(PID_SLOTS, sizeof(*fresh));

	if (!fresh)
		return;
	s->pids = fresh;
	s->npids = 0;
	for (size_t i = 0; i < PID_SLOTS; i++) {
		if (!old[i].pid)
			continue;
		if (now - old[i].used < PID_FORGET_NS) {
			*pid_slot(s, old[i].pid) = old[i];
			s->npids++;
		} else {
			pidmaps_clear(&old[i]);
		}
	}
	free(old);
}

/* ---- frame texts ---- */

static size_t bid_text(const uint8_t *bid, char *buf, size_t cap)
{
	size_t n = 0;

	for (int i = 0; i < BID_MAX && n + 3 <= cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%02x", bid[i]);
	return n;
}

static size_t module_frame(const struct module *m, uint64_t off, char *buf, size_t cap)
{
	size_t n;

	if (m->has_bid) {
		n = (size_t)snprintf(buf, cap, "b:");
		n += bid_text(m->bid, buf + n, cap - n);
		return n + (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "+%llx", (unsigned long long)off);
	}
	/* ';' separates frames: a path holding one is shown with '?' */
	n = (size_t)snprintf(buf, cap, "p:%s+%llx", m->path, (unsigned long long)off);
	for (size_t i = 2; i < n && i < cap; i++)
		if (buf[i] == ';' || buf[i] == '\t' || buf[i] == '\n')
			buf[i] = '?';
	return n < cap ? n : cap - 1;
}

size_t symbols_user_ip(struct symbols *s, uint32_t pid, uint64_t ip, int caller, char *buf, size_t cap)
{
	struct pidmaps *p = pid_maps(s, pid);

	if (caller && ip)
		ip--;
	for (int pass = 0; p && pass < 2; pass++) {
		for (size_t i = 0; i < p->n; i++)
			if (ip >= p->m[i].start && ip < p->m[i].end)
				return module_frame(&s->mods[p->m[i].mod], ip - p->m[i].start + p->m[i].pgoff, buf, cap);
		if (now_boot_ns() - p->scanned < RESCAN_NS)
			break;
		pid_scan(s, p, pid); /* mapped since: a dlopen, an exec */
	}
	size_t n = (size_t)snprintf(buf, cap, "u:%llx", (unsigned long long)ip);
	return n < cap ? n : cap - 1;
}

size_t symbols_user_frame(struct symbols *s, uint32_t pid, const struct bpf_stack_build_id *f, int caller, char *buf,
			  size_t cap)
{
	uint64_t off;
	size_t n;
	int mod;

	if (f->status != BPF_STACK_BUILD_ID_VALID)
		return symbols_user_ip(s, pid, f->ip, caller, buf, cap);
	off = f->offset - (caller && f->offset ? 1 : 0);
	if ((mod = module_by_bid(s, f->build_id)) < 0) {
		/* learn which file it is while the process still maps it */
		struct pidmaps *p = pid_maps(s, pid);
		if (p && now_boot_ns() - p->scanned >= RESCAN_NS)
			pid_scan(s, p, pid);
		mod = module_by_bid(s, f->build_id);
	}
	if (mod >= 0) {
		module_load(&s->mods[mod]); /* now, while its file can be opened */
		return module_frame(&s->mods[mod], off, buf, cap);
	}
	n = (size_t)snprintf(buf, cap, "b:");
	n += bid_text(f->build_id, buf + n, cap - n);
	n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "+%llx", (unsigned long long)off);
	return n < cap ? n : cap - 1;
}

size_t symbols_kernel_frame(uint64_t addr, int caller, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "k:%llx", (unsigned long long)(addr - (caller && addr ? 1 : 0)));

	return n < cap ? n : cap - 1;
}

/* ---- the window's frames and symbols.txt ---- */

static uint64_t text_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

static int note_one(struct symbols *s, const char *f, size_t n)
{
	if (2 * (s->nnotes + 1) > s->capnotes) {
		size_t cap = s->capnotes ? 2 * s->capnotes : NOTE_SLOTS_MIN;
		char **nn = calloc(cap, sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		for (size_t i = 0; i < s->capnotes; i++) {
			if (!s->notes[i])
				continue;
			size_t j = text_hash(s->notes[i], strlen(s->notes[i])) % cap;
			while (nn[j])
				j = (j + 1) % cap;
			nn[j] = s->notes[i];
		}
		free(s->notes);
		s->notes = nn;
		s->capnotes = cap;
	}
	size_t j = text_hash(f, n) % s->capnotes;
	while (s->notes[j]) {
		if (!strncmp(s->notes[j], f, n) && !s->notes[j][n])
			return 0;
		j = (j + 1) % s->capnotes;
	}
	if (!(s->notes[j] = strndup(f, n)))
		return -ENOMEM;
	s->nnotes++;
	return 0;
}

int symbols_note(struct symbols *s, const char *frames)
{
	const char *p = frames;

	while (*p) {
		size_t n = strcspn(p, ";");
		if (n && note_one(s, p, n))
			return -ENOMEM;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

struct ksym {
	uint64_t addr;
	char *name;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* The text symbols of /proc/kallsyms, sorted; none when addresses are hidden (kptr_restrict). */
static struct ksym *kallsyms_load(int fd, size_t *n)
{
	struct ksym *k = NULL;
	size_t cap = 0;
	char line[512];
	FILE *f;
	int dup_fd;

	*n = 0;
	/* snapshot children are its only readers, one at a time: rewind it; the dup is for fclose */
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || (dup_fd = dup(fd)) < 0)
		return NULL;
	if (!(f = fdopen(dup_fd, "r"))) {
		close(dup_fd);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];
		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (*n == cap) {
			struct ksym *nk = realloc(k, (cap = cap ? 2 * cap : 65536) * sizeof(*nk));
			if (!nk)
				break;
			k = nk;
		}
		if (!(k[*n].name = strdup(name)))
			break;
		k[(*n)++].addr = a;
	}
	fclose(f);
	if (*n)
		qsort(k, *n, sizeof(*k), ksym_cmp);
	return k;
}

/* The kernel function holding ADDR: the last symbol at or below it, if another one follows. */
static const char *ksym_at(const struct ksym *k, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (k[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* past the last symbol: no end is known, so no name */
	return lo && lo < n ? k[lo - 1].name : NULL;
}

int symbols_kernel_function(struct symbols *s, const char *name, uint64_t *start, uint64_t *end)
{
	size_t n, i;
	struct ksym *k = kallsyms_load(s->kallsyms_fd, &n);
	int ret = -ENOENT;

	for (i = 0; i + 1 < n; i++)
		if (!strcmp(k[i].name, name) && k[i + 1].addr > k[i].addr) {
			*start = k[i].addr;
			*end = k[i + 1].addr;
			ret = 0;
			break;
		}
	for (i = 0; i < n; i++)
		free(k[i].name);
	free(k);
	return ret;
}

struct outbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void out_add(struct outbuf *o, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), need = o->len + la + lb + lc + 4;

	if (o->err)
		return;
	if (need > o->cap) {
		size_t cap = o->cap ? o->cap : 65536;
		while (cap < need)
			cap *= 2;
		char *np = realloc(o->p, cap);
		if (!np) {
			o->err = 1;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	char *w = o->p + o->len;
	memcpy(w, a, la);
	w[la] = '\t';
	memcpy(w + la + 1, b, lb);
	w[la + 1 + lb] = '\t';
	/* a name holding a separator is written with '?' instead */
	for (size_t i = 0; i < lc; i++)
		w[la + 2 + lb + i] = (c[i] == '\t' || c[i] == '\n' || c[i] == ';') ? '?' : c[i];
	w[la + 2 + lb + lc] = '\n';
	o->len += la + lb + lc + 3;
}

void symbols_learn_exe(struct symbols *s, uint32_t pid, const char *exe)
{
	struct stat st;
	char p[4400];

	if (!exe[0] || exe[0] != '/')
		return;
	snprintf(p, sizeof(p), "/proc/%u/root%s", pid, exe);
	if (stat(p, &st) && stat(exe, &st))
		return;
	module_for(s, pid, 0, 0, st.st_dev, st.st_ino, exe);
}

void symbols_learn_pid(struct symbols *s, uint32_t pid)
{
	pid_maps(s, pid);
}

/* The module of user frame F (b: or p:), its offset in *OFF; NULL when none is known. */
static struct module *frame_module(struct symbols *s, const char *f, uint64_t *off)
{
	const char *plus = strrchr(f, '+');
	unsigned long long v;

	if ((strncmp(f, "b:", 2) && strncmp(f, "p:", 2)) || !plus || sscanf(plus + 1, "%llx", &v) != 1)
		return NULL;
	*off = v;
	for (size_t m = 0; m < s->nmods; m++) {
		char head[4400];
		module_frame(&s->mods[m], v, head, sizeof(head));
		if (!strcmp(head, f))
			return &s->mods[m];
	}
	return NULL;
}

void symbols_frame_name(struct symbols *s, const char *f, char *buf, size_t cap)
{
	uint64_t off;
	struct module *m = frame_module(s, f, &off);
	const char *name = m ? module_name_at(m, off) : NULL;

	snprintf(buf, cap, "%s", name ? name : "");
}

int symbols_member(struct symbols *s, char **out, size_t *len)
{
	struct outbuf o = { 0 };
	struct ksym *k = NULL;
	size_t nk = 0;
	int ktried = 0;
	uint8_t *used = calloc(s->nmods ? s->nmods : 1, 1);

	if (!used)
		return -ENOMEM;
	out_add(&o, "flightrec-symbols", "1", "");
	for (size_t i = 0; i < s->capnotes; i++) {
		const char *f = s->notes[i], *name = NULL;
		unsigned long long v;
		if (!f)
			continue;
		if (!strncmp(f, "k:", 2) && sscanf(f + 2, "%llx", &v) == 1) {
			if (!ktried++)
				k = kallsyms_load(s->kallsyms_fd, &nk);
			name = ksym_at(k, nk, v);
		} else {
			uint64_t off;
			struct module *m = frame_module(s, f, &off);
			if (m) {
				used[m - s->mods] = 1;
				name = module_name_at(m, off);
			}
		}
		if (name)
			out_add(&o, "s", f, name);
	}
	for (size_t m = 0; m < s->nmods; m++) {
		char b[64] = "b:";
		if (!used[m] || !s->mods[m].has_bid)
			continue;
		bid_text(s->mods[m].bid, b + 2, sizeof(b) - 2);
		out_add(&o, "m", b, s->mods[m].path);
	}
	for (size_t i = 0; i < nk; i++)
		free(k[i].name);
	free(k);
	free(used);
	if (o.err) {
		free(o.p);
		return -ENOMEM;
	}
	*out = o.p;
	*len = o.len;
	return 0;
}
