/*
 * ingestor_stream: `storemon-ingestor stream` (see ingestor.h).
 *
 * The live path for pollers: poll lines arrive on stdin and each accepted
 * one is handed to the producer at once (linger.ms = 5 keeps latency low
 * and still batches bursts).  The first non-blank line decides the format
 * for the whole stream:
 *
 *  - it starts with '{': NDJSON, one object per line with string members
 *    "store_id", "timestamp_utc" and "status", trimmed of surrounding
 *    spaces like CSV fields (other members are ignored, as extra CSV
 *    columns are; null is a missing field).  Only strings are taken: a store id
 * is opaque text (SPEC), so a JSON number is refused rather than turned back
 * into text that might differ from what the poller meant.
 *  - otherwise CSV: that line is the header (a missing required column is
 *    fatal and names it) and every later line one row, read by records.h
 *    in stream mode.  A quoted field cannot span lines here.
 *
 * Either way a row is validated by the same functions as the batch report
 * (sm_rec_feed / sm_rec_parse_poll), and a bad one is set aside with its
 * physical line number (line 1 is the first line of the stream).
 *
 * stdin is read with read(2) after poll(2) with a 100 ms timeout, not with
 * stdio, so delivery reports, the lag check and the progress line are
 * served while the poller is quiet, and a signal ends the loop at once.
 * A line longer than 1 MiB is set aside (line_too_long) without being
 * buffered whole.  EOF or SIGINT/SIGTERM ends the stream; main then waits
 * for the acknowledgements.
 */
#include "ingestor.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1 << 20) /* longest line accepted */
#define READ_CHUNK     (1 << 16) /* bytes read at once */
#define IDLE_POLL_MS   100       /* stdin wait between two serves */

enum format {
        FMT_UNKNOWN = 0, /* no non-blank line yet */
        FMT_CSV,         /* a header, then rows */
        FMT_JSON,        /* one object per line */
};

struct stream {
        sm_pub_t *pub;       /* where records go */
        const char *source;  /* name in rejects */
        enum format fmt;     /* decided by the first non-blank line */
        sm_rec_reader_t *rd; /* CSV reader (FMT_CSV) */
        long line;           /* physical lines seen */
        long blanks;         /* blank lines before the format was known */
        int64_t rows;        /* rows read (not header, not blank) */
        int fatal;           /* a fatal input error happened */
};

static int is_blank(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return 0;
        return 1;
}

static void
reject(struct stream *st, sm_err_t *err, const char *s, size_t len) {
        sm_str_t raw = {s, len};
        err->source  = st->source;
        err->line    = st->line;
        (void)sm_pub_reject(st->pub, err, raw);
}

static void publish(struct stream *st,
                    const sm_poll_rec_t *poll,
                    const char *s,
                    size_t len) {
        sm_err_t err;

        if (sm_pub_check_store_id(poll->store_id.ptr, poll->store_id.len,
                                  &err) < 0) {
                reject(st, &err, s, len);
                return;
        }
        sm_pub_count_accepted(st->pub, SM_REC_POLLS);
        (void)sm_pub_poll(st->pub, poll->store_id.ptr, poll->store_id.len,
                          poll->ts, poll->active);
}

/* A string member of an NDJSON object: absent = empty (the validator then
 * reports the missing field); not a string = -EINVAL with err filled. */
static int member(json_t *obj, const char *key, sm_str_t *ret, sm_err_t *err) {
        json_t *v = json_object_get(obj, key);

        if (!v || json_is_null(v)) {
                *ret = (sm_str_t){"", 0};
                return 0;
        }
        if (!json_is_string(v)) {
                err->code = "bad_json";
                (void)snprintf(err->reason, sizeof(err->reason),
                               "%s: expected a JSON string", key);
                return -EINVAL;
        }
        *ret = (sm_str_t){json_string_value(v), json_string_length(v)};
        /* Trimmed like a CSV field, so both forms read the same. */
        while (ret->len && (ret->ptr[0] == ' ' || ret->ptr[0] == '\t'))
                ret->ptr++, ret->len--;
        while (ret->len && (ret->ptr[ret->len - 1] == ' ' ||
                            ret->ptr[ret->len - 1] == '\t'))
                ret->len--;
        return 0;
}

static void json_line(struct stream *st, const char *s, size_t len) {
        json_error_t jerr;
        json_t *obj;
        sm_str_t id, ts, status;
        sm_poll_rec_t poll;
        sm_err_t err;

        sm_pub_count_read(st->pub, SM_REC_POLLS);
        st->rows++;
        obj = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj) {
                err.code = "bad_json";
                (void)snprintf(err.reason, sizeof(err.reason),
                               "NDJSON: %.100s (column %d)", jerr.text,
                               jerr.column);
                reject(st, &err, s, len);
                return;
        }
        if (!json_is_object(obj)) {
                err.code = "bad_json";
                (void)snprintf(err.reason, sizeof(err.reason),
                               "NDJSON: expected an object");
                reject(st, &err, s, len);
        } else if (member(obj, "store_id", &id, &err) < 0 ||
                   member(obj, "timestamp_utc", &ts, &err) < 0 ||
                   member(obj, "status", &status, &err) < 0 ||
                   sm_rec_parse_poll(id, ts, status, &poll, &err) < 0) {
                reject(st, &err, s, len);
        } else {
                publish(st, &poll, s, len);
        }
        json_decref(obj);
}

static void csv_line(struct stream *st, const char *s, size_t len) {
        sm_rec_t rec;
        sm_err_t err;
        int r = sm_rec_feed(st->rd, s, len, &rec, &err);

        if (r == 0)
                return; /* the header, or a blank line */
        if (r == -EBADMSG) {
                sm_log(SM_LOG_ERR, "stream", "%s", err.reason);
                st->fatal = 1;
                return;
        }
        sm_pub_count_read(st->pub, SM_REC_POLLS);
        st->rows++;
        if (r < 0) {
                err.source = st->source;
                (void)sm_pub_reject(st->pub, &err, rec.raw);
                return;
        }
        publish(st, &rec.u.poll, s, len);
}

/* One physical line, without its '\n'. */
static void line(struct stream *st, const char *s, size_t len) {
        const char *p = s;
        size_t n      = len;

        st->line++;
        if (n && s[n - 1] == '\r')
                n--;
        if (st->fmt == FMT_UNKNOWN) {
                if (st->line == 1 && n >= 3 &&
                    memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                        p += 3, n -= 3;
                if (is_blank(p, n)) {
                        st->blanks++;
                        return;
                }
                while (n && (*p == ' ' || *p == '\t'))
                        p++, n--;
                if (*p == '{') {
                        st->fmt = FMT_JSON;
                        json_line(st, p, n);
                        return;
                }
                st->fmt = FMT_CSV;
                st->rd  = sm_rec_reader_new_stream(SM_REC_POLLS, st->source);
                /* Keep the reader's line numbers physical. */
                for (long i = 0; i < st->blanks; i++)
                        csv_line(st, "", 0);
                csv_line(st, s, len);
                return;
        }
        if (st->fmt == FMT_JSON) {
                if (!is_blank(s, n))
                        json_line(st, s, n);
                return;
        }
        csv_line(st, s, len);
}

static void too_long(struct stream *st, const char *s) {
        sm_err_t err;

        st->line++;
        sm_pub_count_read(st->pub, SM_REC_POLLS);
        st->rows++;
        err.code = "line_too_long";
        (void)snprintf(err.reason, sizeof(err.reason),
                       "line longer than %d bytes", LINE_MAX_BYTES);
        reject(st, &err, s, 200);
        if (st->fmt == FMT_CSV) {
                /* The CSV reader counts lines too: keep it in step. */
                sm_rec_t rec;
                (void)sm_rec_feed(st->rd, "", 0, &rec, &err);
        }
}

int sm_stream_run(sm_pub_t *pub, const sm_ingest_conf_t *conf) {
        struct stream st = {.pub = pub, .source = conf->source};
        char *buf        = sm_xmalloc(LINE_MAX_BYTES + READ_CHUNK);
        size_t len       = 0;
        int skipping     = 0; /* inside a line that was too long */
        int eof          = 0;

        while (!eof && !st.fatal && !sm_pub_stopping(pub)) {
                struct pollfd pfd = {.fd = 0, .events = POLLIN};
                size_t start      = 0, i;
                ssize_t n;
                int r = poll(&pfd, 1, IDLE_POLL_MS);

                if (r < 0 && errno != EINTR) {
                        sm_log(SM_LOG_ERR, "stream", "stdin: %s",
                               strerror(errno));
                        break;
                }
                if (r <= 0) {
                        sm_pub_wait(pub, 0);
                        continue;
                }
                n = read(0, buf + len, READ_CHUNK);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        sm_log(SM_LOG_ERR, "stream", "stdin: %s",
                               strerror(errno));
                        break;
                }
                if (n == 0) {
                        eof = 1;
                        if (len > 0 && !skipping)
                                line(&st, buf, len);
                        len = 0;
                        break;
                }
                for (i = len, len += (size_t)n; i < len && !st.fatal; i++) {
                        if (buf[i] != '\n')
                                continue;
                        if (skipping)
                                skipping = 0;
                        else
                                line(&st, buf + start, i - start);
                        start = i + 1;
                }
                memmove(buf, buf + start, len - start);
                len -= start;
                if (len >= LINE_MAX_BYTES) {
                        if (!skipping)
                                too_long(&st, buf);
                        skipping = 1;
                        len      = 0;
                }
                sm_pub_progress(pub, "stream", st.rows, -1);
                sm_pub_wait(pub, 0);
        }
        free(buf);
        sm_rec_reader_destroy(st.rd);
        return st.fatal ? -EBADMSG : 0;
}
