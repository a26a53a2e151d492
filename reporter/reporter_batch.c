/*
 * reporter_batch: the batch report command (see reporter_batch.h).
 *
 * Flow: zones, then hours, then polls are read into per-store tables;
 * `now` is --as-of or the largest accepted poll time; each store with a
 * poll at or before `now` gets its open intervals and window sums from the
 * engine; rows are written in store-id byte order.  Bad rows go to
 * --rejects (or stderr) as `FILE:LINE: reason`, in file order, and are
 * counted by reason in the summary.
 *
 * Two cores: stores are split in two shards by the hash of their id, each
 * with its own id map and tables.  The polls file (the bulk of the work)
 * is cut in two halves at a line end, when no field is quoted (so a line
 * is a record), and parsed by two threads into per-shard lists; then one
 * thread per shard files its polls (first half first, so the later line
 * still wins a tie) and computes its rows; the two sorted row lists are
 * merged on output.  A poll's tie-break order is its physical line.
 */
#include "reporter_batch.h"
#include "engine.h"
#include "sm/log.h"
#include "sm/records.h"
#include "sm/report.h"
#include "sm/strmap.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSHARDS   2             /* store shards (one thread each) */
#define NCHUNKS   2             /* pieces of a large polls file */
#define SPLIT_MIN (1024 * 1024) /* smaller polls files are not cut */

struct store {
        sm_poll_t *polls;       /* accepted polls, file order */
        size_t npolls;          /* number of polls */
        size_t polls_cap;       /* capacity of polls */
        sm_hours_rule_t *rules; /* accepted business-hours rules */
        size_t nrules;          /* number of rules */
        size_t rules_cap;       /* capacity of rules */
        const sm_zone_t *zone;  /* last accepted zone, NULL = default */
};

struct out_row {
        const char *id; /* store id (owned by the shard's id map) */
        size_t len;     /* its length */
        sm_windows_t w; /* window sums */
};

struct shard {
        sm_strmap_t *ids;     /* store id -> index */
        struct store *stores; /* by index */
        size_t stores_cap;    /* capacity of stores */
        struct out_row *rows; /* the shard's report rows, sorted */
        size_t nrows;         /* their number */
};

/* A poll parsed by a chunk thread, waiting to be filed in its shard. */
struct parsed_poll {
        const char *id; /* store id (in the file, or the chunk's copies) */
        sm_usec_t ts;   /* poll time */
        uint32_t line;  /* physical line: the ingestion order */
        uint16_t len;   /* id length */
        uint8_t active; /* status */
};

struct chunk_reject {
        long line;        /* physical line */
        const char *code; /* reason code */
        char reason[160]; /* reason text */
};

/* One piece of the polls file and what its thread made of it. */
struct chunk {
        sm_rec_reader_t *rd;             /* reader of the piece */
        const char *data;                /* the file's bytes */
        size_t len;                      /* the file's length */
        struct parsed_poll *pp[NSHARDS]; /* accepted polls per shard */
        size_t npp[NSHARDS];             /* their numbers */
        size_t pp_cap[NSHARDS];          /* capacities */
        struct chunk_reject *rej;        /* bad rows, in order */
        size_t nrej, rej_cap;            /* their number, capacity */
        char **copies;                   /* ids that were not in data */
        size_t ncopies, copies_cap;      /* their number, capacity */
        sm_usec_t max_ts;                /* largest accepted poll time */
        int have_polls;                  /* max_ts is set */
};

struct reject_count {
        const char *code; /* sm_err_t code */
        long count;       /* rows set aside for it */
};

struct batch {
        struct shard sh[NSHARDS];   /* the stores, by shard */
        long accepted[3];           /* accepted rows per kind */
        long rejected;              /* rows set aside */
        struct reject_count rc[24]; /* rejects by code */
        int nrc;                    /* used entries of rc */
        FILE *rejects;              /* where bad rows are written */
        sm_usec_t max_ts;           /* largest accepted poll time */
        int have_polls;             /* max_ts is set */
};

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int shard_of(const char *id, size_t len) {
        return (int)(sm_hash_bytes(id, len) >> 63);
}

static struct store *store_in(struct shard *sh, const char *id, size_t len) {
        uint32_t i = sm_strmap_intern(sh->ids, id, len, NULL);
        sm_xgrow_zero((void **)&sh->stores, &sh->stores_cap, i + 1,
                      sizeof(*sh->stores));
        return &sh->stores[i];
}

static struct store *store_of(struct batch *b, sm_str_t id) {
        return store_in(&b->sh[shard_of(id.ptr, id.len)], id.ptr, id.len);
}

static void count_code(struct batch *b, const char *code) {
        int i;
        b->rejected++;
        for (i = 0; i < b->nrc; i++)
                if (strcmp(b->rc[i].code, code) == 0)
                        break;
        if (i == b->nrc) {
                if (b->nrc == (int)(sizeof(b->rc) / sizeof(b->rc[0])))
                        i = b->nrc - 1; /* cannot happen: codes are few */
                else
                        b->rc[b->nrc++] = (struct reject_count){code, 0};
        }
        b->rc[i].count++;
}

static void count_reject(struct batch *b, const sm_err_t *err) {
        fprintf(b->rejects, "%s:%ld: %s\n", err->source, err->line,
                err->reason);
        count_code(b, err->code);
}

static void apply(struct batch *b, const sm_rec_t *rec) {
        struct store *s;
        switch (rec->kind) {
        case SM_REC_POLLS: /* read by read_polls() */
                return;
        case SM_REC_HOURS:
                s = store_of(b, rec->u.hours.store_id);
                sm_xgrow((void **)&s->rules, &s->rules_cap, s->nrules + 1,
                         sizeof(*s->rules));
                s->rules[s->nrules++] = (sm_hours_rule_t){
                        .day   = (int8_t)rec->u.hours.day,
                        .start = rec->u.hours.start,
                        .end   = rec->u.hours.end,
                };
                break;
        case SM_REC_ZONES:
                s       = store_of(b, rec->u.zone.store_id);
                s->zone = rec->u.zone.zone;
                break;
        }
        b->accepted[rec->kind]++;
}

/* Reads a zones or hours file; returns 0, or -EBADMSG after printing a
 * fatal error. */
static int read_file(struct batch *b, enum sm_rec_kind kind, const char *path) {
        char errstr[512];
        sm_rec_reader_t *rd =
                sm_rec_reader_open(kind, path, errstr, sizeof(errstr));
        sm_rec_t rec;
        sm_err_t err;
        int r;

        if (!rd) {
                sm_log(SM_LOG_ERR, "batch", "%s", errstr);
                return -EBADMSG;
        }
        while ((r = sm_rec_next(rd, &rec, &err)) != 0) {
                if (r > 0)
                        apply(b, &rec);
                else
                        count_reject(b, &err);
        }
        sm_rec_reader_destroy(rd);
        return 0;
}

/* Chunk thread: parses its piece of the polls file. */
static void *parse_chunk(void *arg) {
        struct chunk *c = arg;
        sm_rec_t rec;
        sm_err_t err;
        int r;

        while ((r = sm_rec_next(c->rd, &rec, &err)) != 0) {
                const sm_poll_rec_t *p = &rec.u.poll;
                const char *id         = p->store_id.ptr;
                int k;
                if (r < 0) {
                        struct chunk_reject *cr;
                        sm_xgrow((void **)&c->rej, &c->rej_cap, c->nrej + 1,
                                 sizeof(*c->rej));
                        cr       = &c->rej[c->nrej++];
                        cr->line = err.line;
                        cr->code = err.code;
                        memcpy(cr->reason, err.reason, sizeof(cr->reason));
                        continue;
                }
                /* An unescaped quoted id lives in the reader's scratch
                 * space, valid only until the next row: keep a copy. */
                if (id < c->data || id >= c->data + c->len) {
                        sm_xgrow((void **)&c->copies, &c->copies_cap,
                                 c->ncopies + 1, sizeof(*c->copies));
                        id = c->copies[c->ncopies++] =
                                sm_xstrndup(id, p->store_id.len);
                }
                k = shard_of(id, p->store_id.len);
                sm_xgrow((void **)&c->pp[k], &c->pp_cap[k], c->npp[k] + 1,
                         sizeof(*c->pp[k]));
                c->pp[k][c->npp[k]++] = (struct parsed_poll){
                        .id     = id,
                        .ts     = p->ts,
                        .line   = (uint32_t)rec.line,
                        .len    = (uint16_t)p->store_id.len,
                        .active = (uint8_t)p->active,
                };
                if (!c->have_polls || p->ts > c->max_ts)
                        c->max_ts = p->ts;
                c->have_polls = 1;
        }
        return NULL;
}

/* Where to cut the polls file: after the line end nearest the middle, or
 * 0 (do not cut) when it is small or quotes a field (a quoted field may
 * hold a line end, so a line would not always be a record). */
static size_t split_point(const char *data, size_t len, size_t from) {
        const char *nl;
        if (len - from < SPLIT_MIN || memchr(data + from, '"', len - from))
                return 0;
        nl = memchr(data + from + (len - from) / 2, '\n',
                    len - from - (len - from) / 2);
        return nl && (size_t)(nl - data) + 1 < len ? (size_t)(nl - data) + 1
                                                   : 0;
}

static long count_lines(const char *p, size_t n) {
        long lines      = 0;
        const char *end = p + n, *nl;
        while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
                lines++;
                p = nl + 1;
        }
        return lines;
}

struct shard_job {
        struct batch *b;      /* the batch */
        struct chunk *chunks; /* the parsed pieces */
        int nchunks;          /* their number */
        int shard;            /* which shard this thread owns */
        sm_usec_t now;        /* the report instant */
};

static int cmp_out_row(const void *a, const void *b) {
        const struct out_row *x = a, *y = b;
        return sm_report_id_cmp(x->id, x->len, y->id, y->len);
}

/* Shard thread: files the shard's polls, then computes its rows. */
static void *run_shard(void *arg) {
        struct shard_job *job = arg;
        struct shard *sh      = &job->b->sh[job->shard];
        const sm_zone_t *dflt = sm_zone_default();
        sm_interval_t *ivs    = NULL;
        size_t ivs_cap        = 0;
        uint32_t nstores;

        for (int c = 0; c < job->nchunks; c++) {
                const struct chunk *ch = &job->chunks[c];
                for (size_t i = 0; i < ch->npp[job->shard]; i++) {
                        const struct parsed_poll *pp = &ch->pp[job->shard][i];
                        struct store *s = store_in(sh, pp->id, pp->len);
                        sm_xgrow((void **)&s->polls, &s->polls_cap,
                                 s->npolls + 1, sizeof(*s->polls));
                        s->polls[s->npolls++] = (sm_poll_t){
                                .ts     = pp->ts,
                                .seq    = pp->line,
                                .active = pp->active,
                        };
                }
        }
        nstores  = sm_strmap_count(sh->ids);
        sh->rows = sm_xcalloc(nstores ? nstores : 1, sizeof(*sh->rows));
        for (uint32_t i = 0; i < nstores; i++) {
                struct store *s = &sh->stores[i];
                size_t keep     = 0, nopen;
                struct out_row *row;
                if (s->npolls == 0)
                        continue;
                s->npolls = sm_engine_sort_dedup(s->polls, s->npolls);
                while (keep < s->npolls && s->polls[keep].ts <= job->now)
                        keep++;
                s->npolls = keep;
                if (keep == 0)
                        continue;
                nopen = sm_engine_open_intervals(
                        s->rules, s->nrules, s->zone ? s->zone : dflt,
                        job->now - SM_USEC_PER_WEEK, job->now, &ivs, &ivs_cap);
                row     = &sh->rows[sh->nrows++];
                row->id = sm_strmap_key(sh->ids, i, &row->len);
                sm_engine_windows(s->polls, s->npolls, ivs, nopen, job->now,
                                  &row->w);
        }
        qsort(sh->rows, sh->nrows, sizeof(*sh->rows), cmp_out_row);
        free(ivs);
        return NULL;
}

/* Reads the polls file into chunks (parsed in parallel when large);
 * returns the number of chunks, or -EBADMSG after a fatal error. */
static int read_polls(struct batch *b, const char *path, struct chunk *chunks) {
        char errstr[512];
        sm_rec_reader_t *rd =
                sm_rec_reader_open(SM_REC_POLLS, path, errstr, sizeof(errstr));
        sm_csv_t *csv;
        const char *data;
        size_t len, from, cut;
        int n = 1;
        pthread_t th;

        if (!rd) {
                sm_log(SM_LOG_ERR, "batch", "%s", errstr);
                return -EBADMSG;
        }
        csv  = sm_rec_reader_csv(rd);
        data = sm_csv_data(csv);
        len  = sm_csv_size(csv);
        from = sm_csv_offset(csv); /* after the header */
        memset(chunks, 0, NCHUNKS * sizeof(*chunks));
        cut = split_point(data, len, from);
        if (cut > from) {
                long first_line =
                        sm_csv_line(csv) + count_lines(data + from, cut - from);
                chunks[0].rd = sm_rec_reader_slice(rd, data + from, cut - from,
                                                   sm_csv_line(csv));
                chunks[1].rd = sm_rec_reader_slice(rd, data + cut, len - cut,
                                                   first_line);
                n            = 2;
        } else {
                chunks[0].rd = sm_rec_reader_slice(rd, data + from, len - from,
                                                   sm_csv_line(csv));
        }
        for (int c = 0; c < n; c++) {
                chunks[c].data = data;
                chunks[c].len  = len;
        }
        if (n == 2 && pthread_create(&th, NULL, parse_chunk, &chunks[1]) == 0) {
                parse_chunk(&chunks[0]);
                pthread_join(th, NULL);
        } else {
                for (int c = 0; c < n; c++)
                        parse_chunk(&chunks[c]);
        }
        for (int c = 0; c < n; c++) {
                sm_err_t err = {.source = path};
                for (size_t i = 0; i < chunks[c].nrej; i++) {
                        err.line = chunks[c].rej[i].line;
                        err.code = chunks[c].rej[i].code;
                        memcpy(err.reason, chunks[c].rej[i].reason,
                               sizeof(err.reason));
                        count_reject(b, &err);
                }
                for (int k = 0; k < NSHARDS; k++)
                        b->accepted[SM_REC_POLLS] += (long)chunks[c].npp[k];
                if (chunks[c].have_polls &&
                    (!b->have_polls || chunks[c].max_ts > b->max_ts)) {
                        b->max_ts     = chunks[c].max_ts;
                        b->have_polls = 1;
                }
        }
        /* The slices borrow the file's bytes from rd: keep it open. */
        chunks[0].rd = (sm_rec_reader_destroy(chunks[0].rd), rd);
        if (n == 2) {
                sm_rec_reader_destroy(chunks[1].rd);
                chunks[1].rd = NULL;
        }
        return n;
}

static void free_chunks(struct chunk *chunks) {
        for (int c = 0; c < NCHUNKS; c++) {
                sm_rec_reader_destroy(chunks[c].rd);
                for (int k = 0; k < NSHARDS; k++)
                        free(chunks[c].pp[k]);
                for (size_t i = 0; i < chunks[c].ncopies; i++)
                        free(chunks[c].copies[i]);
                free(chunks[c].copies);
                free(chunks[c].rej);
        }
}

/* Computes the shards' rows in parallel and writes them merged in id
 * order; returns the number of stores. */
static long write_report(struct batch *b,
                         struct chunk *chunks,
                         int nchunks,
                         sm_usec_t now,
                         FILE *out) {
        struct shard_job jobs[NSHARDS];
        pthread_t th;
        size_t i = 0, j = 0;
        char line[SM_REPORT_ROW_MAX];
        const struct shard *s0 = &b->sh[0], *s1 = &b->sh[1];

        for (int k = 0; k < NSHARDS; k++)
                jobs[k] = (struct shard_job){b, chunks, nchunks, k, now};
        if (pthread_create(&th, NULL, run_shard, &jobs[1]) == 0) {
                run_shard(&jobs[0]);
                pthread_join(th, NULL);
        } else {
                run_shard(&jobs[0]);
                run_shard(&jobs[1]);
        }
        fputs(SM_REPORT_HEADER "\n", out);
        while (i < s0->nrows || j < s1->nrows) {
                const struct out_row *r;
                sm_report_row_t row;
                int n;
                if (j >= s1->nrows ||
                    (i < s0->nrows &&
                     cmp_out_row(&s0->rows[i], &s1->rows[j]) <= 0))
                        r = &s0->rows[i++];
                else
                        r = &s1->rows[j++];
                row = sm_engine_report_row(r->id, r->len, &r->w);
                n   = sm_report_format_row(&row, line, sizeof(line));
                if (n > 0)
                        fwrite(line, 1, (size_t)n, out);
        }
        return (long)(s0->nrows + s1->nrows);
}

static void usage(FILE *f) {
        fprintf(f,
                "usage: storemon-reporter batch --polls FILE [--hours FILE] "
                "[--zones FILE]\n"
                "                               [--as-of 'YYYY-MM-DD "
                "HH:MM:SS'] [--out FILE] [--rejects FILE]\n"
                "\n"
                "Computes the uptime report straight from CSV files ('-' "
                "reads stdin).\n"
                "  --polls FILE    polls: store_id, timestamp_utc, status\n"
                "  --hours FILE    business hours: store_id, dayOfWeek (or "
                "day),\n"
                "                  start_time_local, end_time_local "
                "(default: all stores 24x7)\n"
                "  --zones FILE    time zones: store_id, timezone_str "
                "(default: America/Chicago)\n"
                "  --as-of TIME    report instant (UTC); default: the latest "
                "poll\n"
                "  --out FILE      report CSV (default: stdout)\n"
                "  --rejects FILE  bad rows as FILE:LINE: reason (default: "
                "stderr)\n"
                "  --quiet         no summary on stderr\n"
                "  --timing        phase timings on stderr\n"
                "Exit: 0 report written, 1 fatal input error, 2 usage "
                "error.\n");
}

int sm_batch_main(int argc, char **argv) {
        static const struct option opts[] = {
                {"polls", required_argument, NULL, 'p'},
                {"hours", required_argument, NULL, 'H'},
                {"zones", required_argument, NULL, 'z'},
                {"as-of", required_argument, NULL, 'a'},
                {"out", required_argument, NULL, 'o'},
                {"rejects", required_argument, NULL, 'r'},
                {"quiet", no_argument, NULL, 'q'},
                {"timing", no_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0},
        };
        const char *polls = NULL, *hours = NULL, *zones = NULL;
        const char *out_path = NULL, *rejects_path = NULL, *as_of_arg = NULL;
        int quiet = 0, timing = 0, c, ret = 1;
        struct batch b = {0};
        struct chunk chunks[NCHUNKS];
        int nchunks   = 0;
        sm_usec_t now = 0;
        FILE *out     = NULL;
        long nstores;
        double t0 = now_seconds(), t1, t2;
        char nowbuf[SM_TIME_FORMAT_MAX];

        optind = 1;
        while ((c = getopt_long(argc, argv, "p:H:z:a:o:r:qth", opts, NULL)) !=
               -1) {
                switch (c) {
                case 'p':
                        polls = optarg;
                        break;
                case 'H':
                        hours = optarg;
                        break;
                case 'z':
                        zones = optarg;
                        break;
                case 'a':
                        as_of_arg = optarg;
                        break;
                case 'o':
                        out_path = optarg;
                        break;
                case 'r':
                        rejects_path = optarg;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 't':
                        timing = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        fprintf(stderr,
                                "storemon-reporter batch: see --help\n");
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr,
                        "storemon-reporter batch: unexpected argument '%s'\n",
                        argv[optind]);
                return 2;
        }
        if (!polls) {
                fprintf(stderr,
                        "storemon-reporter batch: --polls is required\n");
                return 2;
        }
        if (as_of_arg) {
                const char *reason;
                if (sm_time_parse_as_of(as_of_arg, strlen(as_of_arg), &now,
                                        &reason) < 0) {
                        fprintf(stderr,
                                "storemon-reporter batch: --as-of '%s': %s\n",
                                as_of_arg, reason);
                        return 2;
                }
        }

        memset(chunks, 0, sizeof(chunks));
        for (int k = 0; k < NSHARDS; k++)
                b.sh[k].ids = sm_strmap_new();
        b.rejects = stderr;
        if (rejects_path && !(b.rejects = fopen(rejects_path, "w"))) {
                sm_log(SM_LOG_ERR, "batch", "%s: %s", rejects_path,
                       strerror(errno));
                b.rejects = NULL;
                goto out;
        }
        if ((zones && read_file(&b, SM_REC_ZONES, zones) < 0) ||
            (hours && read_file(&b, SM_REC_HOURS, hours) < 0) ||
            (nchunks = read_polls(&b, polls, chunks)) < 0)
                goto out;
        t1 = now_seconds();
        if (!as_of_arg)
                now = b.have_polls ? b.max_ts : 0;

        out = out_path ? fopen(out_path, "w") : stdout;
        if (!out) {
                sm_log(SM_LOG_ERR, "batch", "%s: %s", out_path,
                       strerror(errno));
                goto out;
        }
        nstores = write_report(&b, chunks, nchunks, now, out);
        if (fflush(out) != 0 || ferror(out)) {
                sm_log(SM_LOG_ERR, "batch", "%s: write failed: %s",
                       out_path ? out_path : "<stdout>", strerror(errno));
                goto out;
        }
        t2 = now_seconds();
        if (!quiet) {
                fprintf(stderr,
                        "storemon-reporter batch: %ld stores reported, now "
                        "%s%s\n"
                        "  accepted: %ld polls, %ld hours rows, %ld zone "
                        "rows\n"
                        "  rejected: %ld rows",
                        nstores,
                        b.have_polls || as_of_arg
                                ? sm_time_format(now, nowbuf, sizeof(nowbuf))
                                : "(no polls)",
                        as_of_arg ? " (--as-of)" : "", b.accepted[0],
                        b.accepted[1], b.accepted[2], b.rejected);
                for (int i = 0; i < b.nrc; i++)
                        fprintf(stderr, "%s %s %ld", i ? "," : ":",
                                b.rc[i].code, b.rc[i].count);
                fputc('\n', stderr);
        }
        if (timing)
                fprintf(stderr, "timing: read %.3f s, report %.3f s\n", t1 - t0,
                        t2 - t1);
        ret = 0;
out:
        if (out && out != stdout)
                fclose(out);
        if (b.rejects && b.rejects != stderr)
                fclose(b.rejects);
        free_chunks(chunks);
        for (int k = 0; k < NSHARDS; k++) {
                for (size_t i = 0; i < b.sh[k].stores_cap; i++) {
                        free(b.sh[k].stores[i].polls);
                        free(b.sh[k].stores[i].rules);
                }
                free(b.sh[k].stores);
                free(b.sh[k].rows);
                sm_strmap_destroy(b.sh[k].ids);
        }
        return ret;
}
