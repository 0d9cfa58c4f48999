/*
 * syscall_fmt.bpf.h - building the args text of a syscall record in BPF:
 * literals, user strings (quoted), decimal, hex and octal numbers, flag
 * sets by name, and socket addresses as ip:port, [ip6]:port or unix:"path".
 *
 * bpf_snprintf() would do some of this but needs 5.13; this works from 5.8.
 * The text grows in struct sc_text, whose buffer is twice SC_ARGS_LEN: the
 * write offset is masked below SC_ARGS_LEN and every copy is bounded by
 * SC_ARGS_LEN, so the verifier can see that no write leaves the buffer.
 * len never passes SC_ARGS_LEN - 1: what does not fit is cut.
 */
#ifndef FR_SYSCALL_FMT_BPF_H
#define FR_SYSCALL_FMT_BPF_H

#include "syscall_abi.bpf.h"

struct sc_text {
	__u32 len;
	__u32 nr;  /* the call it describes */
	__u64 aux; /* accept: the user's sockaddr pointer, read at exit */
	__u64 arg[5]; /* the call's first five arguments */
	char tmp[24]; /* digits of a number being written */
	__u64 num;    /* the number, passed through memory (see launder()) */
	__u64 lat;    /* exit_only: the latency, from one half of an audit exit to the other */
	__u64 timed;  /* and whether it was timed */
	char buf[SC_ARGS_BUF];
};

#define SC_MASK (SC_ARGS_LEN - 1)

static __always_inline void ap_c(struct sc_text *t, char c)
{
	__u32 n = t->len;

	if (n >= SC_ARGS_LEN - 1)
		return;
	barrier_var(n); /* keep the mask: the verifier needs it, the compiler thinks not */
	t->buf[n & SC_MASK] = c;
	t->len = n + 1;
}

/* A NUL-terminated string in kernel or BPF memory (a literal, a table entry). */
static __noinline void ap_lit(struct sc_text *t, const char *s)
{
	__u32 n = t->len;
	long r;

	if (n >= SC_ARGS_LEN - 1)
		return;
	barrier_var(n);
	n &= SC_MASK;
	r = bpf_probe_read_kernel_str(&t->buf[n], SC_ARGS_LEN - n, s);
	if (r > 1)
		t->len = n + (__u32)r - 1;
}

/* A user string, in double quotes, at most MAX bytes of it (cut when longer). */
static __noinline void ap_ustr(struct sc_text *t, const void *uptr, __u32 max)
{
	__u32 n, room;
	long r;

	if (!uptr) {
		ap_lit(t, "NULL");
		return;
	}
	ap_c(t, '"');
	n = t->len;
	if (n >= SC_ARGS_LEN - 2)
		return;
	barrier_var(n);
	n &= SC_MASK;
	room = SC_ARGS_LEN - 1 - n; /* keep one byte for the closing quote */
	if (room > max + 1)
		room = max + 1;
	r = bpf_probe_read_user_str(&t->buf[n], room & SC_MASK, uptr);
	if (r > 1)
		t->len = n + (__u32)r - 1;
	else if (r < 0)
		ap_lit(t, "?");
	ap_c(t, '"');
}

/*
 * Numbers.  No loop and no branch on the value: the digits are written
 * right-aligned into tmp at constant offsets and counted arithmetically
 * ((q | -q) >> 63 is 1 when q is not 0), then copied in one go.  Each call
 * costs the verifier one straight pass instead of a path per digit count.
 */
/*
 * The digit count becomes a copy size, which the verifier must know
 * precisely, and it would track that precision back to the caller's value
 * and split every branch the caller took on it (2^n paths for n flag
 * tests).  A trip through map memory ends that chain.
 */
static __always_inline __u64 launder(struct sc_text *t, __u64 v)
{
	t->num = v;
	return *(volatile __u64 *)&t->num;
}

static __noinline void ap_digits(struct sc_text *t, __u32 nd)
{
	__u32 n = t->len;

	if (nd < 1 || nd > sizeof(t->tmp) || n + nd >= SC_ARGS_LEN)
		return;
	barrier_var(n);
	n &= SC_MASK;
	bpf_probe_read_kernel(&t->buf[n], nd, &t->tmp[sizeof(t->tmp) - nd]);
	t->len = n + nd;
}

static __noinline void ap_unum(struct sc_text *t, __u64 v)
{
	__u32 nd = 1;

	v = launder(t, v);
#pragma unroll
	for (int k = 0; k < 20; k++) {
		barrier_var(v); /* one digit at a time: hoisted, the divisions spill 300 bytes of stack */
		t->tmp[23 - k] = '0' + v % 10;
		v /= 10;
		nd += (v | -v) >> 63;
	}
	ap_digits(t, nd);
}

/* 0x and lowercase hex digits */
static __noinline void ap_hex(struct sc_text *t, __u64 v)
{
	__u32 nd = 1;

	v = launder(t, v);
#pragma unroll
	for (int k = 0; k < 16; k++) {
		__u64 d = v & 15;
		t->tmp[23 - k] = '0' + d + 39 * ((9 - d) >> 63);
		v >>= 4;
		nd += (v | -v) >> 63;
	}
	ap_c(t, '0');
	ap_c(t, 'x');
	ap_digits(t, nd);
}

/* A file mode, octal with a leading 0: 0644. */
static __noinline void ap_oct(struct sc_text *t, __u64 v)
{
	__u32 nd = 1;

	v = launder(t, v) & 07777777;
#pragma unroll
	for (int k = 0; k < 8; k++) {
		t->tmp[23 - k] = '0' + (v & 7);
		v >>= 3;
		nd += (v | -v) >> 63;
	}
	ap_c(t, '0');
	ap_digits(t, nd);
}

static __always_inline void ap_dec(struct sc_text *t, __s64 v)
{
	if (v < 0) {
		ap_c(t, '-');
		v = -v;
	}
	ap_unum(t, (__u64)v);
}

/* " KEY=" */
static __always_inline void ap_key(struct sc_text *t, const char *key)
{
	if (t->len)
		ap_c(t, ' ');
	ap_lit(t, key);
	ap_c(t, '=');
}

struct sc_flagname {
	__u64 mask;
	char name[20];
};

/* The names of the bits of V that TABLE knows, joined by |; the rest in hex. */
static __always_inline void ap_flags(struct sc_text *t, __u64 v, const struct sc_flagname *table, int n)
{
	int first = 1;

#pragma unroll
	for (int i = 0; i < n; i++) {
		if ((v & table[i].mask) != table[i].mask || !table[i].mask)
			continue;
		if (!first)
			ap_c(t, '|');
		ap_lit(t, table[i].name);
		v &= ~table[i].mask;
		first = 0;
	}
	if (v || first) {
		if (!first)
			ap_c(t, '|');
		ap_hex(t, v);
	}
}

/* A 16-bit group of an IPv6 address: hex, no prefix, no leading zeros. */
static __noinline void ap_hex4(struct sc_text *t, __u32 g)
{
	__u32 nd = 1;

	g = (__u32)launder(t, g);
#pragma unroll
	for (int k = 0; k < 4; k++) {
		__u64 d = g & 15;
		t->tmp[23 - k] = '0' + d + 39 * ((9 - d) >> 63);
		g >>= 4;
		nd += ((__u64)g | -(__u64)g) >> 63;
	}
	ap_digits(t, nd);
}

/* One IPv6 address, with the longest run of two or more zero groups as :: (RFC 5952). */
static __noinline void ap_ip6(struct sc_text *t, const __u8 *a)
{
	int best = 8, bestlen = 0, run = 0;

#pragma unroll
	for (int i = 0; i < 8; i++) {
		if (a[2 * i] | a[2 * i + 1]) {
			run = 0;
			continue;
		}
		run++;
		if (run > bestlen && run > 1) {
			bestlen = run;
			best = i - run + 1;
		}
	}
#pragma unroll
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			ap_c(t, ':');
			ap_c(t, ':');
			continue;
		}
		if (i > best && i < best + bestlen)
			continue;
		if (i && i != best + bestlen)
			ap_c(t, ':');
		ap_hex4(t, ((__u32)a[2 * i] << 8) | a[2 * i + 1]);
	}
}

/* A socket address read from user memory: ip:port, [ip6]:port, unix:"path". */
static __noinline void ap_sockaddr(struct sc_text *t, const void *uptr, __u32 ulen)
{
	__u8 sa[28] = {};
	__u16 family, port;

	if (!uptr) {
		ap_lit(t, "NULL");
		return;
	}
	if (bpf_probe_read_user(sa, sizeof(sa), uptr) && bpf_probe_read_user(sa, 16, uptr)) {
		ap_lit(t, "?");
		return;
	}
	family = sa[0] | (sa[1] << 8);
	port = (sa[2] << 8) | sa[3];
	switch (family) {
	case 2: /* AF_INET */
#pragma unroll
		for (int i = 0; i < 4; i++) {
			if (i)
				ap_c(t, '.');
			ap_unum(t, sa[4 + i]);
		}
		ap_c(t, ':');
		ap_unum(t, port);
		break;
	case 10: /* AF_INET6 */
		ap_c(t, '[');
		ap_ip6(t, &sa[8]);
		ap_c(t, ']');
		ap_c(t, ':');
		ap_unum(t, port);
		break;
	case 1: /* AF_UNIX */
		ap_lit(t, "unix:");
		if (ulen <= 2) {
			ap_lit(t, "unnamed");
		} else if (sa[2] == 0) {
			ap_c(t, '@'); /* abstract */
			ap_ustr(t, (const char *)uptr + 3, ulen > 3 ? (ulen - 3) & 127 : 0);
		} else {
			ap_ustr(t, (const char *)uptr + 2, 108);
		}
		break;
	default:
		ap_lit(t, "family:");
		ap_unum(t, family);
	}
}

#endif
