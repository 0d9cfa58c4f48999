/*
 * util.c - parsing of durations and sizes, clocks, durable file helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* A non-negative decimal number followed by a unit; the unit into UNIT. */
static int parse_number(const char *s, double *v, const char **unit)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *v < 0 || *v != *v)
		return -EINVAL;
	*unit = end;
	return 0;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		{ "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 },
	};
	const char *unit;
	double v;

	if (parse_number(s, &v, &unit))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		if (v * units[i].ns > 1e19)
			return -EINVAL;
		*ns = (uint64_t)(v * units[i].ns + 0.5);
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const char suffixes[] = "KMGT";
	const char *unit;
	double v, mul = 1;

	if (parse_number(s, &v, &unit))
		return -EINVAL;
	if (*unit) {
		const char *p = strchr(suffixes, unit[0] & ~0x20);
		if (!p || !unit[0])
			return -EINVAL;
		for (long i = 0; i <= p - suffixes; i++)
			mul *= 1024;
		unit++;
		if (*unit == 'i' || *unit == 'I')
			unit++;
		if (*unit == 'B' || *unit == 'b')
			unit++;
		if (*unit)
			return -EINVAL;
	}
	if (v * mul > 1.8e19)
		return -EINVAL;
	*bytes = (uint64_t)(v * mul);
	return 0;
}

void format_size(uint64_t bytes, char *buf, size_t cap)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, cap, "%.1f %s", v, units[u]);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t now_boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

uint64_t now_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void clock_pair(uint64_t *boot, uint64_t *real)
{
	uint64_t b0 = clock_ns(CLOCK_BOOTTIME);
	uint64_t r = clock_ns(CLOCK_REALTIME);
	uint64_t b1 = clock_ns(CLOCK_BOOTTIME);

	*boot = b0 + (b1 - b0) / 2;
	*real = r;
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mkdir_mode(const char *path, unsigned mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fsync_parent(const char *path)
{
	char dir[4096];
	char *slash;
	int fd, ret = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

size_t json_quote(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	if (cap < 3) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	out[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		size_t len;

		if (c == '"' || c == '\\')
			len = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20)
			len = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			esc[0] = (char)c, len = 1;
		if (n + len + 2 > cap) /* room left for the closing quote and the NUL */
			break;
		memcpy(out + n, esc, len);
		n += len;
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}
