/*
 * gen_out: buffered output for the generator's CSV files.
 *
 * Millions of rows go through here, so a row costs a few memcpy()s into a
 * 1 MiB buffer and the file sees one write(2) per full buffer.  Numbers and
 * timestamps are formatted by hand (no printf per row): a timestamp is the
 * date from sm_civil_from_days() plus fixed-width digits, in the same forms
 * sm_time_format() / sm_time_format_iso() print, except that the real
 * form drops trailing zeros of the fraction as the Loop export does
 * (`16:00:49.46544 UTC`); sm_time_parse_timestamp() reads both.
 *
 * Write errors are sticky: the first one stops further writes and is
 * returned by sm_gen_out_close(), so callers need not check every row.
 */
#include "gen.h"

#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BUF_SIZE (1u << 20)

struct sm_gen_out_s {
        char *path;     /* for messages */
        int fd;         /* the file */
        char *buf;      /* pending bytes */
        size_t len;     /* bytes in buf */
        uint64_t total; /* bytes accepted so far */
        int err;        /* first write error (positive errno), or 0 */
};

sm_gen_out_t *
sm_gen_out_open(const char *path, char *errstr, size_t errstr_size) {
        sm_gen_out_t *out;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return NULL;
        }
        out       = sm_xcalloc(1, sizeof(*out));
        out->path = sm_xstrdup(path);
        out->fd   = fd;
        out->buf  = sm_xmalloc(OUT_BUF_SIZE);
        return out;
}

static void flush(sm_gen_out_t *out) {
        size_t off = 0;

        while (!out->err && off < out->len) {
                ssize_t n = write(out->fd, out->buf + off, out->len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        out->err = errno;
                        break;
                }
                off += (size_t)n;
        }
        out->len = 0;
}

int sm_gen_out_close(sm_gen_out_t *out, char *errstr, size_t errstr_size) {
        int r = 0;

        if (!out)
                return 0;
        flush(out);
        if (close(out->fd) < 0 && !out->err)
                out->err = errno;
        if (out->err) {
                r = -out->err;
                snprintf(errstr, errstr_size, "%s: %s", out->path,
                         strerror(out->err));
        }
        free(out->buf);
        free(out->path);
        free(out);
        return r;
}

void sm_gen_out_write(sm_gen_out_t *out, const char *s, size_t len) {
        out->total += len;
        while (len > 0) {
                size_t room = OUT_BUF_SIZE - out->len;
                size_t n    = len < room ? len : room;
                memcpy(out->buf + out->len, s, n);
                out->len += n;
                s += n;
                len -= n;
                if (out->len == OUT_BUF_SIZE)
                        flush(out);
        }
}

void sm_gen_out_str(sm_gen_out_t *out, const char *s) {
        sm_gen_out_write(out, s, strlen(s));
}

void sm_gen_out_char(sm_gen_out_t *out, char c) {
        if (out->len == OUT_BUF_SIZE)
                flush(out);
        out->buf[out->len++] = c;
        out->total++;
}

void sm_gen_out_uint(sm_gen_out_t *out, uint64_t v) {
        char tmp[24];
        size_t i = sizeof(tmp);

        do {
                tmp[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        sm_gen_out_write(out, tmp + i, sizeof(tmp) - i);
}

void sm_gen_out_field(sm_gen_out_t *out, const char *s, size_t len) {
        int quote = len > 0 && (s[0] == ' ' || s[0] == '\t' ||
                                s[len - 1] == ' ' || s[len - 1] == '\t');

        for (size_t i = 0; i < len && !quote; i++)
                quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' ||
                        s[i] == '\r';
        if (!quote) {
                sm_gen_out_write(out, s, len);
                return;
        }
        sm_gen_out_char(out, '"');
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '"')
                        sm_gen_out_char(out, '"');
                sm_gen_out_char(out, s[i]);
        }
        sm_gen_out_char(out, '"');
}

/* Writes v as exactly n digits at p. */
static void put_digits(char *p, unsigned v, int n) {
        while (n-- > 0) {
                p[n] = (char)('0' + v % 10);
                v /= 10;
        }
}

size_t sm_gen_time_text(sm_usec_t t, int iso, int zone, char *buf) {
        int64_t days  = t / SM_USEC_PER_DAY, y;
        sm_usec_t rem = t % SM_USEC_PER_DAY;
        unsigned mo, d, sec, us;
        size_t n;

        if (rem < 0) {
                rem += SM_USEC_PER_DAY;
                days--;
        }
        sm_civil_from_days(days, &y, &mo, &d);
        sec = (unsigned)(rem / SM_USEC_PER_SEC);
        us  = (unsigned)(rem % SM_USEC_PER_SEC);
        put_digits(buf, (unsigned)y, 4);
        buf[4] = '-';
        put_digits(buf + 5, mo, 2);
        buf[7] = '-';
        put_digits(buf + 8, d, 2);
        buf[10] = iso ? 'T' : ' ';
        put_digits(buf + 11, sec / 3600, 2);
        buf[13] = ':';
        put_digits(buf + 14, sec / 60 % 60, 2);
        buf[16] = ':';
        put_digits(buf + 17, sec % 60, 2);
        n = 19;
        if (iso) {
                buf[n++] = '.';
                put_digits(buf + n, us, 6);
                n += 6;
                if (zone)
                        buf[n++] = 'Z';
        } else {
                if (us) {
                        int digits = 6;
                        while (us % 10 == 0) {
                                us /= 10;
                                digits--;
                        }
                        buf[n++] = '.';
                        put_digits(buf + n, us, digits);
                        n += (size_t)digits;
                }
                if (zone) {
                        memcpy(buf + n, " UTC", 4);
                        n += 4;
                }
        }
        return n;
}

void sm_gen_out_time(sm_gen_out_t *out, sm_usec_t t, int iso, int zone) {
        char buf[SM_TIME_FORMAT_MAX];
        size_t n = sm_gen_time_text(t, iso, zone, buf);

        sm_gen_out_write(out, buf, n);
}

void sm_gen_out_hms(sm_gen_out_t *out, int32_t sec, int short_form) {
        char buf[8];

        put_digits(buf, (unsigned)sec / 3600, 2);
        buf[2] = ':';
        put_digits(buf + 3, (unsigned)sec / 60 % 60, 2);
        buf[5] = ':';
        put_digits(buf + 6, (unsigned)sec % 60, 2);
        sm_gen_out_write(out, buf, short_form ? 5 : 8);
}

uint64_t sm_gen_out_bytes(const sm_gen_out_t *out) {
        return out->total;
}
