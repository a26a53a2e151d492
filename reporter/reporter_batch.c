/*
 * reporter_batch: the batch report command (see reporter_batch.h).
 *
 * Flow: zones, then hours, then polls are read into per-store tables
 * (store ids interned once); `now` is --as-of or the largest accepted poll
 * time; each store with a poll at or before `now` gets its open intervals
 * and window sums from the engine; rows are written in store-id byte order.
 * Bad rows go to --rejects (or stderr) as `FILE:LINE: reason` and are
 * counted by reason in the summary.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct store {
        sm_poll_t *polls;       /* accepted polls, file order */
        size_t npolls;          /* number of polls */
        size_t polls_cap;       /* capacity of polls */
        sm_hours_rule_t *rules; /* accepted business-hours rules */
        size_t nrules;          /* number of rules */
        size_t rules_cap;       /* capacity of rules */
        const sm_zone_t *zone;  /* last accepted zone, NULL = default */
};

struct reject_count {
        const char *code; /* sm_err_t code */
        long count;       /* rows set aside for it */
};

struct batch {
        sm_strmap_t *ids;           /* store id -> index */
        struct store *stores;       /* by index */
        size_t stores_cap;          /* capacity of stores */
        uint32_t seq;               /* rows ingested so far */
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

static struct store *store_of(struct batch *b, sm_str_t id) {
        uint32_t i = sm_strmap_intern(b->ids, id.ptr, id.len, NULL);
        if (i >= b->stores_cap) {
                size_t old = b->stores_cap;
                sm_xgrow((void **)&b->stores, &b->stores_cap, i + 1,
                         sizeof(*b->stores));
                memset(b->stores + old, 0,
                       (b->stores_cap - old) * sizeof(*b->stores));
        }
        return &b->stores[i];
}

static void count_reject(struct batch *b, const sm_err_t *err) {
        int i;
        b->rejected++;
        fprintf(b->rejects, "%s:%ld: %s\n", err->source, err->line,
                err->reason);
        for (i = 0; i < b->nrc; i++)
                if (strcmp(b->rc[i].code, err->code) == 0)
                        break;
        if (i == b->nrc) {
                if (b->nrc == (int)(sizeof(b->rc) / sizeof(b->rc[0])))
                        i = b->nrc - 1; /* cannot happen: codes are few */
                else
                        b->rc[b->nrc++] = (struct reject_count){err->code, 0};
        }
        b->rc[i].count++;
}

static void apply(struct batch *b, const sm_rec_t *rec) {
        struct store *s;
        switch (rec->kind) {
        case SM_REC_POLLS:
                s = store_of(b, rec->u.poll.store_id);
                sm_xgrow((void **)&s->polls, &s->polls_cap, s->npolls + 1,
                         sizeof(*s->polls));
                s->polls[s->npolls++] = (sm_poll_t){
                        .ts     = rec->u.poll.ts,
                        .seq    = b->seq++,
                        .active = (uint8_t)rec->u.poll.active,
                };
                if (!b->have_polls || rec->u.poll.ts > b->max_ts)
                        b->max_ts = rec->u.poll.ts;
                b->have_polls = 1;
                break;
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

/* Reads one file; returns 0, or -EBADMSG after printing a fatal error. */
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

struct out_row {
        const char *id; /* store id (owned by the id map) */
        size_t len;     /* its length */
        uint32_t index; /* store index */
};

static int cmp_out_row(const void *a, const void *b) {
        const struct out_row *x = a, *y = b;
        return sm_report_id_cmp(x->id, x->len, y->id, y->len);
}

/* Computes and writes the report; returns the number of stores. */
static long write_report(struct batch *b, sm_usec_t now, FILE *out) {
        uint32_t nstores      = sm_strmap_count(b->ids);
        struct out_row *rows  = sm_xcalloc(nstores, sizeof(*rows));
        sm_interval_t *ivs    = NULL;
        size_t ivs_cap        = 0;
        const sm_zone_t *dflt = sm_zone_default();
        uint32_t nrows        = 0;
        char line[SM_REPORT_ROW_MAX];

        for (uint32_t i = 0; i < nstores; i++) {
                struct store *s = &b->stores[i];
                size_t keep     = 0;
                if (s->npolls == 0)
                        continue;
                s->npolls = sm_engine_sort_dedup(s->polls, s->npolls);
                while (keep < s->npolls && s->polls[keep].ts <= now)
                        keep++;
                s->npolls = keep;
                if (keep == 0)
                        continue;
                rows[nrows].id    = sm_strmap_key(b->ids, i, &rows[nrows].len);
                rows[nrows].index = i;
                nrows++;
        }
        qsort(rows, nrows, sizeof(*rows), cmp_out_row);
        fputs(SM_REPORT_HEADER "\n", out);
        for (uint32_t r = 0; r < nrows; r++) {
                struct store *s = &b->stores[rows[r].index];
                sm_windows_t w;
                size_t nopen = sm_engine_open_intervals(
                        s->rules, s->nrules, s->zone ? s->zone : dflt,
                        now - SM_USEC_PER_WEEK, now, &ivs, &ivs_cap);
                sm_report_row_t row;
                int n;

                sm_engine_windows(s->polls, s->npolls, ivs, nopen, now, &w);
                row = (sm_report_row_t){
                        .store_id         = rows[r].id,
                        .store_id_len     = rows[r].len,
                        .uptime_last_hour = sm_engine_report_value(
                                SM_WIN_HOUR, w.up2[SM_WIN_HOUR]),
                        .uptime_last_day = sm_engine_report_value(
                                SM_WIN_DAY, w.up2[SM_WIN_DAY]),
                        .uptime_last_week = sm_engine_report_value(
                                SM_WIN_WEEK, w.up2[SM_WIN_WEEK]),
                        .downtime_last_hour = sm_engine_report_value(
                                SM_WIN_HOUR, w.down2[SM_WIN_HOUR]),
                        .downtime_last_day = sm_engine_report_value(
                                SM_WIN_DAY, w.down2[SM_WIN_DAY]),
                        .downtime_last_week = sm_engine_report_value(
                                SM_WIN_WEEK, w.down2[SM_WIN_WEEK]),
                };
                n = sm_report_format_row(&row, line, sizeof(line));
                if (n > 0)
                        fwrite(line, 1, (size_t)n, out);
        }
        free(ivs);
        free(rows);
        return nrows;
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
        sm_usec_t now  = 0;
        FILE *out      = NULL;
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

        b.ids     = sm_strmap_new();
        b.rejects = stderr;
        if (rejects_path && !(b.rejects = fopen(rejects_path, "w"))) {
                sm_log(SM_LOG_ERR, "batch", "%s: %s", rejects_path,
                       strerror(errno));
                b.rejects = NULL;
                goto out;
        }
        if ((zones && read_file(&b, SM_REC_ZONES, zones) < 0) ||
            (hours && read_file(&b, SM_REC_HOURS, hours) < 0) ||
            read_file(&b, SM_REC_POLLS, polls) < 0)
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
        nstores = write_report(&b, now, out);
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
        for (size_t i = 0; i < b.stores_cap; i++) {
                free(b.stores[i].polls);
                free(b.stores[i].rules);
        }
        free(b.stores);
        sm_strmap_destroy(b.ids);
        return ret;
}
