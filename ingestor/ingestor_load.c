/*
 * ingestor_load: `storemon-ingestor load` (see ingestor.h).
 *
 * Order.  Zones first, then business hours, then polls, each file read
 * whole and every row validated by records.h, the code the batch report
 * uses.  Zones and schedules are acknowledged before the first poll is
 * handed over, so a reporter already running has them when the polls
 * come.  A historical export is rarely in time order, so the polls are
 * read into memory and published sorted by timestamp: bulk history
 * reaches the reporter in event-time order and its grace period only has
 * to cover live disorder.  The sort is a stable LSD radix sort on the
 * timestamp (equal timestamps keep file order, so "the poll ingested last
 * wins" means the same as in the batch report).  Each poll takes 16 bytes
 * while waiting: its timestamp and its store as an index into an interned
 * id table (sm_strmap); the key bytes are the interned copy.  A large
 * polls file is read by several threads when its form allows it
 * (ingestor_scan.c), with the same validation, else by the file reader.
 *
 * Records.
 *  - StoreTimezone: one per store of the zones file, the last accepted
 *    row winning (SPEC).  An empty timezone_str is accepted and published
 *    as "America/Chicago", the zone it stands for, so every consumer reads
 *    a real zone name.  A store whose every zone row was bad gets
 *    "America/Chicago" too: SPEC gives it the default zone, and a load
 *    states the whole truth about the stores it names.
 *  - StoreHours: one per store of the hours file with every accepted row
 *    of that store, in file order.  A store whose every hours row was bad
 *    gets an empty schedule, which means open 24x7: SPEC counts only
 *    accepted rows, and a store with none is open all week.  Times are
 *    seconds since local midnight; an end of 00:00 is published as 86400
 *    (the schema's "end of the day"), which SPEC's overnight rule makes
 *    the same instant (D+1 00:00).
 *  - StorePoll: every accepted poll.
 *  The store of a bad row is found by reading the row's raw text again
 *  with the header's store_id column (the same CSV reader); a row whose
 *  store_id itself is bad names no store.
 *
 * A store id must also be valid UTF-8 to go on the wire (Avro strings);
 * a row whose id is not is set aside as bad_store_id.
 *
 * Standard input ('-') is copied into an anonymous memory file first, so
 * that it can be read like any other file (the header is read twice).
 * Messages name it "<stdin>".
 */
#include "ingestor.h"
#include "sm/strmap.h"
#include "sm/tz.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_ROWS 4096 /* rows between two progress updates */
#define RADIX_BITS    11   /* bits per radix pass */

/** An input file, opened for records and for the store of bad rows. */
struct input {
        enum sm_rec_kind kind; /* what it holds */
        const char *name;      /* as the user named it; "<stdin>" for '-' */
        const char *path;      /* what is opened */
        char fdpath[32];       /* /proc/self/fd/N of the stdin copy */
        int memfd;             /* the stdin copy, or -1 */
        sm_rec_reader_t *rd;   /* the validating reader */
        long store_col;        /* store_id column in the header, -1 none */
};

/** A store's schedule while the hours file is read. */
struct sched {
        sm_hours_row_t *rows; /* accepted rows */
        size_t nrows;         /* used */
        size_t cap;           /* allocated */
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copies stdin into a memory file; returns its fd or a negative errno. */
static int spool_stdin(void) {
        char buf[1 << 16];
        int fd = memfd_create("storemon-stdin", MFD_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        for (;;) {
                n = read(0, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        close(fd);
                        return -e;
                }
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(fd, buf + off, (size_t)(n - off));
                        if (w < 0) {
                                int e = errno;
                                if (e == EINTR)
                                        continue;
                                close(fd);
                                return -e;
                        }
                        off += w;
                }
        }
        return fd;
}

/* Finds the store_id column of the file's header (as records.h does:
 * case-insensitive); -1 if absent. */
static long find_store_col(const char *path) {
        char errstr[256];
        sm_csv_t *csv = sm_csv_open_file(path, errstr, sizeof(errstr));
        sm_csv_row_t row;
        long col = -1;

        if (!csv)
                return -1;
        if (sm_csv_next(csv, &row) && !row.error)
                for (size_t i = 0; i < row.nfields && col < 0; i++)
                        if (sm_str_caseeq(row.fields[i], "store_id"))
                                col = (long)i;
        sm_csv_destroy(csv);
        return col;
}

static void input_close(struct input *in) {
        sm_rec_reader_destroy(in->rd);
        in->rd = NULL;
        if (in->memfd >= 0)
                close(in->memfd);
        in->memfd = -1;
}

/* Opens an input; logs and returns -EBADMSG on a fatal error. */
static int
input_open(struct input *in, enum sm_rec_kind kind, const char *path) {
        char errstr[512];
        const char *msg = errstr;

        memset(in, 0, sizeof(*in));
        in->kind      = kind;
        in->memfd     = -1;
        in->name      = path;
        in->path      = path;
        in->store_col = -1;
        if (strcmp(path, "-") == 0) {
                int fd = spool_stdin();
                if (fd < 0) {
                        sm_log(SM_LOG_ERR, "load", "<stdin>: %s",
                               strerror(-fd));
                        return -EBADMSG;
                }
                in->memfd = fd;
                (void)snprintf(in->fdpath, sizeof(in->fdpath),
                               "/proc/self/fd/%d", fd);
                in->name = "<stdin>";
                in->path = in->fdpath;
        }
        in->rd = sm_rec_reader_open(kind, in->path, errstr, sizeof(errstr));
        if (!in->rd) {
                size_t n = strlen(in->path);
                if (in->memfd >= 0 && strncmp(errstr, in->path, n) == 0)
                        msg = errstr + n;
                sm_log(SM_LOG_ERR, "load", "%s%s",
                       msg == errstr ? "" : in->name, msg);
                input_close(in);
                return -EBADMSG;
        }
        in->store_col = find_store_col(in->path);
        return 0;
}

/*
 * The store a bad row names: its store_id field, when the row reads as
 * CSV and the id itself is valid.  Calls fn(arg, id, len) then.
 */
static void bad_row_store(const struct input *in,
                          sm_str_t raw,
                          void (*fn)(void *, const char *, size_t),
                          void *arg) {
        sm_csv_t *csv;
        sm_csv_row_t row;
        sm_zone_rec_t zr;
        sm_err_t err;
        sm_str_t none = {"", 0};

        if (in->store_col < 0 || raw.len == 0)
                return;
        csv = sm_csv_open_buffer(raw.ptr, raw.len, in->name);
        if (sm_csv_next(csv, &row) && !row.error &&
            (size_t)in->store_col < row.nfields) {
                sm_str_t id = row.fields[in->store_col];
                /* The same store_id rules as an accepted row. */
                if (sm_rec_parse_zone(id, none, &zr, &err) == 0 &&
                    sm_pub_check_store_id(id.ptr, id.len, &err) == 0)
                        fn(arg, id.ptr, id.len);
        }
        sm_csv_destroy(csv);
}

/* A bad row: counted, reported, published. */
static void
reject(sm_pub_t *pub, const struct input *in, sm_err_t *err, sm_str_t raw) {
        err->source = in->name;
        (void)sm_pub_reject(pub, err, raw);
}

/* Reads the next row; returns 1 accepted, -EINVAL bad (already
 * rejected unless the store id check is left), 0 at the end. */
static int
next_row(sm_pub_t *pub, struct input *in, sm_rec_t *rec, sm_err_t *err) {
        int r = sm_rec_next(in->rd, rec, err);

        if (r == 0)
                return 0;
        sm_pub_count_read(pub, in->kind);
        if (r > 0) {
                sm_str_t id = rec->kind == SM_REC_POLLS ? rec->u.poll.store_id
                              : rec->kind == SM_REC_HOURS
                                      ? rec->u.hours.store_id
                                      : rec->u.zone.store_id;
                if (sm_pub_check_store_id(id.ptr, id.len, err) == 0) {
                        sm_pub_count_accepted(pub, in->kind);
                        return 1;
                }
                err->source = in->name;
                err->line   = rec->line;
        }
        reject(pub, in, err, rec->raw);
        return -EINVAL;
}

static void
show(sm_pub_t *pub, const struct input *in, const char *phase, int64_t rows) {
        sm_csv_t *csv = sm_rec_reader_csv(in->rd);
        size_t size   = sm_csv_size(csv);

        sm_pub_progress(pub, phase, rows,
                        size ? (double)sm_csv_offset(csv) / (double)size : -1);
        sm_pub_serve(pub);
}

/* ------------------------------------------------- zones and hours */

/* Per-store entries of one size (zero-filled when made), by store id in
 * first-seen order: what the zones and hours files are folded into
 * before they are published, one record per store. */
struct per_store {
        sm_strmap_t *ids; /* store id -> index */
        void *slots;      /* by index */
        size_t cap;       /* allocated slots */
        size_t size;      /* bytes of a slot */
};

static void *per_store_slot(struct per_store *t, const char *id, size_t len) {
        uint32_t i = sm_strmap_intern(t->ids, id, len, NULL);
        sm_xgrow_zero(&t->slots, &t->cap, (size_t)i + 1, t->size);
        return (char *)t->slots + (size_t)i * t->size;
}

static void per_store_bad(void *arg, const char *id, size_t len) {
        (void)per_store_slot(arg, id, len);
}

/* Reads every row of in: add(slot, rec) for each accepted one; a bad row
 * whose store id is valid still gets its store an (empty) entry, so the
 * store is published with the default. */
static void read_per_store(sm_pub_t *pub,
                           struct input *in,
                           const char *phase,
                           struct per_store *t,
                           void (*add)(void *slot, const sm_rec_t *rec)) {
        sm_rec_t rec;
        sm_err_t err;
        int64_t rows = 0;
        int r;

        while (!sm_pub_stopping(pub) &&
               (r = next_row(pub, in, &rec, &err)) != 0) {
                if (r > 0) {
                        sm_str_t id = rec.kind == SM_REC_HOURS
                                              ? rec.u.hours.store_id
                                              : rec.u.zone.store_id;
                        add(per_store_slot(t, id.ptr, id.len), &rec);
                } else {
                        bad_row_store(in, rec.raw, per_store_bad, t);
                }
                if (++rows % PROGRESS_ROWS == 0)
                        show(pub, in, phase, rows);
        }
}

/* A zone slot: the last accepted zone, NULL = none (the default). */
static void add_zone(void *slot, const sm_rec_t *rec) {
        *(const sm_zone_t **)slot = rec->u.zone.zone;
}

static void load_zones(sm_pub_t *pub, struct input *in) {
        struct per_store z = {sm_strmap_new(), NULL, 0, sizeof(sm_zone_t *)};
        const sm_zone_t **zone;

        read_per_store(pub, in, "zones", &z, add_zone);
        zone = z.slots;
        for (uint32_t i = 0; i < sm_strmap_count(z.ids); i++) {
                size_t len;
                const char *id = sm_strmap_key(z.ids, i, &len);
                const char *name =
                        zone[i] ? sm_zone_name(zone[i]) : SM_ZONE_DEFAULT;
                if (sm_pub_stopping(pub))
                        break;
                (void)sm_pub_zone(pub, id, len, name, strlen(name));
                sm_pub_serve(pub);
        }
        input_close(in);
        free(z.slots);
        sm_strmap_destroy(z.ids);
}

/* An hours slot: the store's weekly schedule, a row at a time. */
static void add_hours(void *slot, const sm_rec_t *rec) {
        struct sched *sc = slot;
        sm_xgrow((void **)&sc->rows, &sc->cap, sc->nrows + 1,
                 sizeof(*sc->rows));
        sc->rows[sc->nrows++] = (sm_hours_row_t){
                .day_of_week = rec->u.hours.day,
                .start_local = rec->u.hours.start,
                .end_local   = rec->u.hours.end == 0 ? 86400 : rec->u.hours.end,
        };
}

static void load_hours(sm_pub_t *pub, struct input *in) {
        struct per_store h = {sm_strmap_new(), NULL, 0, sizeof(struct sched)};
        struct sched *scheds;

        read_per_store(pub, in, "hours", &h, add_hours);
        scheds = h.slots;
        for (uint32_t i = 0; i < sm_strmap_count(h.ids); i++) {
                size_t len;
                const char *id = sm_strmap_key(h.ids, i, &len);
                if (sm_pub_stopping(pub))
                        break;
                (void)sm_pub_hours(pub, id, len, scheds[i].rows,
                                   scheds[i].nrows);
                sm_pub_serve(pub);
        }
        input_close(in);
        for (size_t i = 0; i < h.cap; i++)
                free(scheds[i].rows);
        free(h.slots);
        sm_strmap_destroy(h.ids);
}

/* ---------------------------------------------------------------- polls */

/* Stable LSD radix sort of polls by timestamp, RADIX_BITS a pass, with
 * every pass's histogram counted in one read; tmp has n entries.  Returns
 * the array that holds the result (a or tmp). */
static sm_load_poll_t *
sort_polls(sm_load_poll_t *a, sm_load_poll_t *tmp, size_t n) {
        enum {
                NB   = 1 << RADIX_BITS,
                MAXP = (64 + RADIX_BITS - 1) / RADIX_BITS
        };
        size_t(*count)[NB];
        int64_t min = INT64_MAX, max = INT64_MIN;
        uint64_t range;
        int passes = 0;

        if (n < 2)
                return a;
        for (size_t i = 0; i < n; i++) {
                if (a[i].ts < min)
                        min = a[i].ts;
                if (a[i].ts > max)
                        max = a[i].ts;
        }
        range = (uint64_t)max - (uint64_t)min;
        while (range) {
                passes++;
                range >>= RADIX_BITS;
        }
        if (passes == 0)
                return a;
        count = sm_xcalloc(MAXP, sizeof(*count));
        for (size_t i = 0; i < n; i++) {
                uint64_t k = (uint64_t)a[i].ts - (uint64_t)min;
                for (int p = 0; p < passes; p++)
                        count[p][(k >> (p * RADIX_BITS)) & (NB - 1)]++;
        }
        for (int p = 0; p < passes; p++) {
                int shift  = p * RADIX_BITS;
                size_t sum = 0;
                sm_load_poll_t *t;
                for (size_t b = 0; b < NB; b++) {
                        size_t c    = count[p][b];
                        count[p][b] = sum;
                        sum += c;
                }
                for (size_t i = 0; i < n; i++) {
                        uint64_t k = (uint64_t)a[i].ts - (uint64_t)min;
                        tmp[count[p][(k >> shift) & (NB - 1)]++] = a[i];
                }
                t   = a;
                a   = tmp;
                tmp = t;
        }
        free(count);
        return a;
}

static void load_polls(sm_pub_t *pub, struct input *in) {
        sm_strmap_t *ids      = sm_strmap_new();
        sm_load_poll_t *polls = NULL, *tmp = NULL, *sorted;
        size_t npolls = 0, cap = 0, done;
        const char *phase = "reading polls";
        double t0         = now_s(), t1, t2;
        sm_rec_t rec;
        sm_err_t err;
        int64_t rows = 0;
        int r, threads;

        /* Several threads when the file allows, else the file reader. */
        threads = sm_scan_polls(pub, in->path, in->name, ids, &polls, &npolls);
        while (threads == 0 && !sm_pub_stopping(pub) &&
               (r = next_row(pub, in, &rec, &err)) != 0) {
                if (r > 0) {
                        sm_str_t id = rec.u.poll.store_id;
                        if (npolls == cap)
                                sm_xgrow((void **)&polls, &cap, npolls + 1,
                                         sizeof(*polls));
                        polls[npolls++] = (sm_load_poll_t){
                                .ts    = rec.u.poll.ts,
                                .store = sm_strmap_intern(ids, id.ptr, id.len,
                                                          NULL),
                                .flags = rec.u.poll.active ? 1u : 0u,
                        };
                }
                if (++rows % PROGRESS_ROWS == 0)
                        show(pub, in, phase, rows);
        }
        /* The file is no longer needed: the ids are interned. */
        input_close(in);
        t1 = now_s();

        phase = "sorting polls";
        sm_pub_progress(pub, phase, (int64_t)npolls, -1);
        sm_pub_serve(pub);
        tmp    = sm_xmalloc((npolls ? npolls : 1) * sizeof(*tmp));
        sorted = sort_polls(polls, tmp, npolls);
        if (sorted != polls) {
                free(polls);
                polls = sorted;
        } else {
                free(tmp);
        }
        t2 = now_s();

        /* Zones and schedules first: acknowledged before any poll. */
        if (!sm_pub_stopping(pub))
                (void)sm_pub_flush(pub, -1);

        phase = "publishing polls";
        for (done = 0; done < npolls && !sm_pub_stopping(pub); done++) {
                size_t len;
                const char *id = sm_strmap_key(ids, polls[done].store, &len);
                (void)sm_pub_poll(pub, id, len, polls[done].ts,
                                  (int)(polls[done].flags & 1));
                if ((done + 1) % PROGRESS_ROWS == 0)
                        sm_pub_progress(pub, phase, (int64_t)done + 1,
                                        (double)(done + 1) / (double)npolls);
                sm_pub_serve(pub);
        }
        sm_log(SM_LOG_DEBUG, "load",
               "polls: %zu read in %.3f s (%s), sorted in %.3f s, handed "
               "over in %.3f s",
               npolls, t1 - t0, threads > 0 ? "threads" : "one thread", t2 - t1,
               now_s() - t2);
        free(polls);
        sm_strmap_destroy(ids);
}

int sm_load_run(sm_pub_t *pub, const sm_ingest_conf_t *conf) {
        struct input in[3];
        int k;

        /* Every header is checked before anything is published. */
        for (k = 0; k < 3; k++) {
                in[k].rd    = NULL;
                in[k].memfd = -1;
        }
        for (k = 0; k < 3; k++)
                if (conf->inputs[k] && input_open(&in[k], (enum sm_rec_kind)k,
                                                  conf->inputs[k]) < 0)
                        break;
        if (k < 3) {
                for (int j = 0; j < k; j++)
                        input_close(&in[j]);
                return -EBADMSG;
        }
        if (in[SM_REC_ZONES].rd)
                load_zones(pub, &in[SM_REC_ZONES]);
        if (in[SM_REC_HOURS].rd && !sm_pub_stopping(pub))
                load_hours(pub, &in[SM_REC_HOURS]);
        if (in[SM_REC_POLLS].rd && !sm_pub_stopping(pub))
                load_polls(pub, &in[SM_REC_POLLS]);
        for (k = 0; k < 3; k++)
                input_close(&in[k]);
        return 0;
}
