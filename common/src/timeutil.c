/*
 * timeutil: calendar arithmetic and timestamp parsing (see timeutil.h).
 *
 * The parsers are hand-written: they run once per input row (millions of
 * times in a bulk load), must accept exactly the forms SPEC lists, and must
 * say precisely what is wrong with a bad one.  days_from_civil is Howard
 * Hinnant's algorithm, exact over the whole int64 range we use.
 */
#include "sm/timeutil.h"

#include <errno.h>
#include <stdio.h>

int64_t sm_days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        const int64_t era  = (y >= 0 ? y : y - 399) / 400;
        const unsigned yoe = (unsigned)(y - era * 400);
        const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

void sm_civil_from_days(int64_t z,
                        int64_t *ret_y,
                        unsigned *ret_m,
                        unsigned *ret_d) {
        z += 719468;
        const int64_t era  = (z >= 0 ? z : z - 146096) / 146097;
        const unsigned doe = (unsigned)(z - era * 146097);
        const unsigned yoe =
                (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const int64_t y    = (int64_t)yoe + era * 400;
        const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const unsigned mp  = (5 * doy + 2) / 153;
        const unsigned d   = doy - (153 * mp + 2) / 5 + 1;
        const unsigned m   = mp < 10 ? mp + 3 : mp - 9;
        *ret_y             = y + (m <= 2);
        *ret_m             = m;
        *ret_d             = d;
}

int sm_weekday_from_days(int64_t days) {
        /* 1970-01-01 was a Thursday (3 when Monday is 0). */
        int64_t w = (days + 3) % 7;
        return (int)(w < 0 ? w + 7 : w);
}

static int is_leap(int64_t y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m) {
        static const unsigned dm[] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
        return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Reads exactly n decimal digits at s[*pos]. */
static int digits(const char *s, size_t len, size_t *pos, int n, int64_t *ret) {
        int64_t v = 0;
        if (*pos + (size_t)n > len)
                return -1;
        for (int i = 0; i < n; i++) {
                char c = s[*pos + (size_t)i];
                if (c < '0' || c > '9')
                        return -1;
                v = v * 10 + (c - '0');
        }
        *pos += (size_t)n;
        *ret = v;
        return 0;
}

/* Parses `YYYY-MM-DD[ T]HH:MM:SS[.f]` and leaves *pos after it. */
static int parse_datetime(const char *s,
                          size_t len,
                          size_t *pos,
                          sm_usec_t *ret,
                          const char **reason) {
        int64_t y, mo, d, h, mi, se, frac = 0;

        if (digits(s, len, pos, 4, &y) || *pos >= len || s[(*pos)++] != '-' ||
            digits(s, len, pos, 2, &mo) || *pos >= len || s[(*pos)++] != '-' ||
            digits(s, len, pos, 2, &d)) {
                *reason = "timestamp: expected a date YYYY-MM-DD";
                return -EINVAL;
        }
        if (*pos >= len || (s[*pos] != ' ' && s[*pos] != 'T')) {
                *reason = "timestamp: expected a time after the date";
                return -EINVAL;
        }
        (*pos)++;
        if (digits(s, len, pos, 2, &h) || *pos >= len || s[(*pos)++] != ':' ||
            digits(s, len, pos, 2, &mi) || *pos >= len || s[(*pos)++] != ':' ||
            digits(s, len, pos, 2, &se)) {
                *reason = "timestamp: expected a time HH:MM:SS";
                return -EINVAL;
        }
        if (mo < 1 || mo > 12 || d < 1 ||
            d > (int64_t)days_in_month(y, (unsigned)mo)) {
                *reason = "timestamp: no such date";
                return -EINVAL;
        }
        if (h > 23 || mi > 59 || se > 59) {
                *reason = "timestamp: time of day out of range";
                return -EINVAL;
        }
        if (*pos < len && s[*pos] == '.') {
                int n = 0;
                (*pos)++;
                while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
                        if (n < 6)
                                frac = frac * 10 + (s[*pos] - '0');
                        n++;
                        (*pos)++;
                }
                if (n < 1 || n > 9) {
                        *reason =
                                "timestamp: fraction must have 1 to 9 "
                                "digits";
                        return -EINVAL;
                }
                for (; n < 6; n++)
                        frac *= 10;
        }
        *ret = (sm_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                h * 3600 + mi * 60 + se) *
                       SM_USEC_PER_SEC +
               frac;
        return 0;
}

/* Parses the zone suffix at s[pos..len): UTC, Z, +HH:MM, +HHMM, +HH.
 * Returns the offset east of UTC in seconds via *ret_off. */
static int parse_zone(const char *s,
                      size_t len,
                      size_t pos,
                      int64_t *ret_off,
                      const char **reason) {
        int64_t hh = 0, mm = 0;
        int sign;

        if (pos < len && s[pos] == ' ')
                pos++;
        if (pos == len) {
                *reason =
                        "timestamp: no time zone (expected UTC, Z or an "
                        "offset)";
                return -EINVAL;
        }
        if ((len - pos == 3 && s[pos] == 'U' && s[pos + 1] == 'T' &&
             s[pos + 2] == 'C') ||
            (len - pos == 1 && (s[pos] == 'Z' || s[pos] == 'z'))) {
                *ret_off = 0;
                return 0;
        }
        if (s[pos] != '+' && s[pos] != '-') {
                *reason = "timestamp: unknown time zone suffix";
                return -EINVAL;
        }
        sign = s[pos] == '-' ? -1 : 1;
        pos++;
        if (digits(s, len, &pos, 2, &hh))
                goto bad;
        if (pos < len && s[pos] == ':')
                pos++;
        if (pos < len && digits(s, len, &pos, 2, &mm))
                goto bad;
        if (pos != len || hh > 23 || mm > 59)
                goto bad;
        *ret_off = sign * (hh * 3600 + mm * 60);
        return 0;
bad:
        *reason = "timestamp: bad UTC offset (expected +HH:MM)";
        return -EINVAL;
}

int sm_time_parse_timestamp(const char *s,
                            size_t len,
                            sm_usec_t *ret_usec,
                            const char **reason) {
        size_t pos = 0;
        sm_usec_t t;
        int64_t off;
        int r;

        if (len == 0) {
                *reason = "timestamp: empty";
                return -EINVAL;
        }
        if ((r = parse_datetime(s, len, &pos, &t, reason)) < 0)
                return r;
        if ((r = parse_zone(s, len, pos, &off, reason)) < 0)
                return r;
        *ret_usec = t - off * SM_USEC_PER_SEC;
        return 0;
}

int sm_time_parse_as_of(const char *s,
                        size_t len,
                        sm_usec_t *ret_usec,
                        const char **reason) {
        size_t pos = 0;
        sm_usec_t t;
        int64_t off = 0;
        int r;

        if ((r = parse_datetime(s, len, &pos, &t, reason)) < 0)
                return r;
        if (pos != len && (r = parse_zone(s, len, pos, &off, reason)) < 0)
                return r;
        *ret_usec = t - off * SM_USEC_PER_SEC;
        return 0;
}

int sm_time_parse_hms(const char *s,
                      size_t len,
                      int32_t *ret_sec,
                      const char **reason) {
        size_t pos = 0;
        int64_t h, m, sec = 0;

        if (digits(s, len, &pos, 2, &h) || pos >= len || s[pos++] != ':' ||
            digits(s, len, &pos, 2, &m)) {
                *reason = "time: expected HH:MM or HH:MM:SS";
                return -EINVAL;
        }
        if (pos < len) {
                if (s[pos++] != ':' || digits(s, len, &pos, 2, &sec) ||
                    pos != len) {
                        *reason = "time: expected HH:MM or HH:MM:SS";
                        return -EINVAL;
                }
        }
        if (h > 23 || m > 59 || sec > 59) {
                *reason = "time: out of range (00:00:00 to 23:59:59)";
                return -EINVAL;
        }
        *ret_sec = (int32_t)(h * 3600 + m * 60 + sec);
        return 0;
}

static void split(sm_usec_t t,
                  int64_t *y,
                  unsigned *mo,
                  unsigned *d,
                  int *h,
                  int *mi,
                  int *s,
                  int64_t *us) {
        int64_t secs = t / SM_USEC_PER_SEC, days, rem;
        *us          = t % SM_USEC_PER_SEC;
        if (*us < 0) {
                *us += SM_USEC_PER_SEC;
                secs--;
        }
        days = secs / 86400;
        rem  = secs % 86400;
        if (rem < 0) {
                rem += 86400;
                days--;
        }
        sm_civil_from_days(days, y, mo, d);
        *h  = (int)(rem / 3600);
        *mi = (int)(rem / 60 % 60);
        *s  = (int)(rem % 60);
}

char *sm_time_format(sm_usec_t t, char *buf, size_t size) {
        int64_t y, us;
        unsigned mo, d;
        int h, mi, s;

        split(t, &y, &mo, &d, &h, &mi, &s, &us);
        if (us)
                snprintf(buf, size,
                         "%04lld-%02u-%02u %02d:%02d:%02d.%06lld UTC",
                         (long long)y, mo, d, h, mi, s, (long long)us);
        else
                snprintf(buf, size, "%04lld-%02u-%02u %02d:%02d:%02d UTC",
                         (long long)y, mo, d, h, mi, s);
        return buf;
}

char *sm_time_format_iso(sm_usec_t t, char *buf, size_t size) {
        int64_t y, us;
        unsigned mo, d;
        int h, mi, s;

        split(t, &y, &mo, &d, &h, &mi, &s, &us);
        snprintf(buf, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                 (long long)y, mo, d, h, mi, s, (long long)us);
        return buf;
}
