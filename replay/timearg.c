/*
 * timearg.c - the TIME and DUR arguments of dot-commands.
 *
 *   TIME  2026-11-24 15:40:03[.123456]  (UTC; a 'T' and a trailing 'Z' are accepted)
 *         15:40:03[.123]                (UTC, on the day the window starts)
 *         +30s, -2m                     (relative to the window's start)
 *         1795552731120012874           (raw Unix-epoch ns)
 *   DUR   250ms, 5s, 2m, 1h, 1500us, 42ns (a bare number is seconds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timearg.h"

int parse_dur_ns(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1e9 },
		      { "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 } };
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v >= 0) || v > 9e18)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v * units[i].ns >= 9e18)
				return -1; /* beyond int64 ns: about 285 years */
			*ns = (int64_t)(v * units[i].ns + 0.5);
			return 0;
		}
	return -1;
}

/* "2026-11-24 15:40:03.5" (or with T/Z) into Unix-epoch ns. */
static int parse_utc(const char *s, int64_t *ns)
{
	int Y, M, D, h, m, n = 0;
	double sec;
	struct tm tm = { 0 };
	char rest[8] = "";

	if (sscanf(s, "%d-%d-%d%*[ T]%d:%d:%lf%n", &Y, &M, &D, &h, &m, &sec, &n) < 6 || Y < 1678 || Y > 2261 ||
	    !(sec >= 0 && sec < 61))
		return -1; /* the years int64 ns can hold */
	snprintf(rest, sizeof(rest), "%s", s + n);
	if (rest[0] && strcmp(rest, "Z"))
		return -1;
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	*ns = (int64_t)timegm(&tm) * 1000000000 + (int64_t)(sec * 1e9 + 0.5);
	return 0;
}

int parse_time_ns(const char *s, int64_t window_start, int64_t *ns)
{
	int64_t d;
	char *end;

	if ((s[0] == '+' || s[0] == '-') && parse_dur_ns(s + 1, &d) == 0) {
		if (__builtin_add_overflow(window_start, s[0] == '+' ? d : -d, ns))
			return -1;
		return 0;
	}
	if (strchr(s, '-') && parse_utc(s, ns) == 0)
		return 0;
	if (strchr(s, ':')) {
		/* a time of day: on the day the window starts */
		char day[16], full[64];
		time_t t = (time_t)(window_start / 1000000000);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		snprintf(full, sizeof(full), "%s %s", day, s);
		return parse_utc(full, ns);
	}
	d = strtoll(s, &end, 10);
	if (*s && !*end && d > 0) {
		*ns = d;
		return 0;
	}
	return -1;
}
