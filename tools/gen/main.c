/*
 * storemon-gen: deterministic, realistic data sets for storemon.
 *
 * Two modes:
 * - real store set: --hours and/or --zones name the real files; the stores
 *   are the union of their store_ids, and only polls.csv is generated
 *   (--copy-inputs also copies the two files next to it);
 * - synthetic: --stores N makes N stores with ids like the real ones and
 *   writes polls.csv, menu_hours.csv and timezones.csv.
 *
 * main() parses and checks the options, builds the store set, runs the
 * writers and prints a one-line summary on stderr; the model lives in
 * gen_polls.c and gen_hours.c.  The same seed and arguments give
 * byte-identical files.
 *
 * Exit status: 0 done, 1 an input or output failed, 2 a usage error.
 */
#include "gen.h"

#include "sm/log.h"
#include "sm/timeutil.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "storemon-gen"

#define DEFAULT_END      "2023-01-25 18:00:00"
#define DEFAULT_DAYS     7.0
#define DEFAULT_INTERVAL SM_USEC_PER_HOUR
#define DEFAULT_DUP      0.01
#define DEFAULT_MISS     0.03
#define MAX_SLOTS        UINT64_C(10000000)
#define MAX_POLL_ROWS    UINT64_C(4000000000)

/** The command line, before the cross-option checks. */
typedef struct args {
        const char *hours;   /* --hours */
        const char *zones;   /* --zones */
        const char *out_dir; /* --out-dir */
        uint64_t nstores;    /* --stores (0: real mode) */
        uint64_t per_store;  /* --polls-per-store (0: not given) */
        double days;         /* --days */
        int days_set;        /* --days was given */
        int interval_set;    /* --interval was given */
        int id_style_set;    /* --id-style was given */
        int copy_inputs;     /* --copy-inputs */
        int quiet;           /* --quiet */
} args_t;

enum {
        OPT_HOURS = 256,
        OPT_ZONES,
        OPT_STORES,
        OPT_OUT_DIR,
        OPT_COPY_INPUTS,
        OPT_ID_STYLE,
        OPT_INTERVAL,
        OPT_DAYS,
        OPT_PER_STORE,
        OPT_END,
        OPT_SEED,
        OPT_FORMAT,
        OPT_ORDER,
        OPT_DUP_RATE,
        OPT_MISS_RATE,
        OPT_BAD_ROWS,
        OPT_QUIET,
};

static const struct option options[] = {
        {"hours", required_argument, NULL, OPT_HOURS},
        {"zones", required_argument, NULL, OPT_ZONES},
        {"stores", required_argument, NULL, OPT_STORES},
        {"out-dir", required_argument, NULL, OPT_OUT_DIR},
        {"copy-inputs", no_argument, NULL, OPT_COPY_INPUTS},
        {"id-style", required_argument, NULL, OPT_ID_STYLE},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"days", required_argument, NULL, OPT_DAYS},
        {"polls-per-store", required_argument, NULL, OPT_PER_STORE},
        {"end", required_argument, NULL, OPT_END},
        {"seed", required_argument, NULL, OPT_SEED},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"order", required_argument, NULL, OPT_ORDER},
        {"dup-rate", required_argument, NULL, OPT_DUP_RATE},
        {"miss-rate", required_argument, NULL, OPT_MISS_RATE},
        {"bad-rows", required_argument, NULL, OPT_BAD_ROWS},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

static void help(void) {
        printf("Usage: " PROG
               " --hours FILE --zones FILE --out-dir DIR "
               "[OPTION]...\n"
               "       " PROG
               " --stores N --out-dir DIR [OPTION]...\n"
               "\n"
               "Writes a realistic, deterministic storemon data set.\n"
               "With --hours/--zones the stores are the union of the "
               "store_ids of those\n"
               "files and only DIR/polls.csv is written; with --stores N, "
               "N synthetic\n"
               "stores get DIR/polls.csv, DIR/menu_hours.csv and "
               "DIR/timezones.csv.\n"
               "\n"
               "Store set:\n"
               "  --hours FILE          business-hours CSV (real mode)\n"
               "  --zones FILE          time-zone CSV (real mode)\n"
               "  --copy-inputs         real mode: also copy them to "
               "DIR/hours.csv and\n"
               "                        DIR/timezones.csv\n"
               "  --stores N            synthetic mode: N stores\n"
               "  --id-style STYLE      synthetic ids: int (v1, 19-digit "
               "integers; default)\n"
               "                        or uuid (v2; hours header "
               "dayOfWeek)\n"
               "  --out-dir DIR         where to write (created if "
               "needed)\n"
               "\n"
               "Polls:\n"
               "  --end TIME            every poll is before TIME, "
               "'YYYY-MM-DD HH:MM:SS' UTC\n"
               "                        (default '" DEFAULT_END
               "')\n"
               "  --days D              days of polls, plus two hours "
               "(default 7)\n"
               "  --interval DUR        poll interval: N[s|m|h], a bare "
               "number is minutes\n"
               "                        (default 60m)\n"
               "  --polls-per-store N   poll slots per store, instead of "
               "--days or\n"
               "                        --interval\n"
               "  --miss-rate R         mean fraction of missed polls "
               "(default 0.03)\n"
               "  --dup-rate R          fraction of polls delivered twice "
               "(default 0.01)\n"
               "  --bad-rows R          add about R malformed rows per row "
               "to every file\n"
               "                        written (default 0)\n"
               "  --format FORM         timestamps: real "
               "('2023-01-22 12:09:39.388884 UTC',\n"
               "                        default) or iso "
               "('2023-01-22T12:09:39.388884Z')\n"
               "  --order ORDER         row order: export (shuffled short "
               "runs, default),\n"
               "                        time or store\n"
               "  --seed S              random seed, 0..2^64-1 (default "
               "1)\n"
               "\n"
               "  --quiet               no summary line\n"
               "  -h, --help            this help\n");
}

/* A usage error: one line on stderr, exit status 2. */
static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...) {
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, PROG ": %s (see --help)\n", msg);
        return 2;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!*s || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v     = strtoull(s, &end, 10);
        if (errno || *end || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_double(const char *s, double lo, double hi, double *ret) {
        char *end;
        double v;

        if (!*s || *s == ' ')
                return -EINVAL;
        errno = 0;
        v     = strtod(s, &end);
        if (errno || *end || !isfinite(v) || v < lo || v > hi)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* N, Ns, Nm or Nh (a bare number is minutes), 1 s .. 7 days. */
static int parse_interval(const char *s, sm_usec_t *ret) {
        char num[32];
        size_t len     = strlen(s);
        sm_usec_t unit = SM_USEC_PER_MIN;
        uint64_t v;

        if (len == 0 || len >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, len + 1);
        switch (num[len - 1]) {
        case 's':
                unit = SM_USEC_PER_SEC;
                break;
        case 'm':
                unit = SM_USEC_PER_MIN;
                break;
        case 'h':
                unit = SM_USEC_PER_HOUR;
                break;
        default:
                len++;
                break;
        }
        num[len - 1] = '\0';
        if (parse_u64(num, 1, (uint64_t)(SM_USEC_PER_WEEK / unit), &v) < 0)
                return -EINVAL;
        *ret = (sm_usec_t)v * unit;
        return 0;
}

static char *path_join(const char *dir, const char *name) {
        size_t n = strlen(dir) + strlen(name) + 2;
        char *p  = sm_xmalloc(n);

        snprintf(p, n, "%s/%s", dir, name);
        return p;
}

/* mkdir -p */
static int make_dir(const char *path, char *errstr, size_t errstr_size) {
        char *p = path_join(path, "");
        int r   = 0;

        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        snprintf(errstr, errstr_size, "%s: %s", p,
                                 strerror(errno));
                        r = -errno;
                        break;
                }
                *s = '/';
        }
        free(p);
        return r;
}

/* Copies src to dst byte for byte (refusing to copy a file onto itself). */
static int
copy_file(const char *src, const char *dst, char *errstr, size_t errstr_size) {
        struct stat sst, dst_st;
        char buf[1 << 16];
        int in = -1, out = -1, r = 0;

        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &sst) < 0) {
                r = -errno;
                snprintf(errstr, errstr_size, "%s: %s", src, strerror(-r));
                goto out;
        }
        if (stat(dst, &dst_st) == 0 && dst_st.st_dev == sst.st_dev &&
            dst_st.st_ino == sst.st_ino) {
                snprintf(errstr, errstr_size, "%s: is the input %s", dst, src);
                r = -EINVAL;
                goto out;
        }
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0) {
                r = -errno;
                snprintf(errstr, errstr_size, "%s: %s", dst, strerror(-r));
                goto out;
        }
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf)), off = 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        snprintf(errstr, errstr_size, "%s: %s", src,
                                 strerror(-r));
                        goto out;
                }
                if (n == 0)
                        break;
                while (off < n) {
                        ssize_t w = write(out, buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w < 0) {
                                r = -errno;
                                snprintf(errstr, errstr_size, "%s: %s", dst,
                                         strerror(-r));
                                goto out;
                        }
                        off += w;
                }
        }
out:
        if (in >= 0)
                close(in);
        if (out >= 0 && close(out) < 0 && r == 0) {
                r = -errno;
                snprintf(errstr, errstr_size, "%s: %s", dst, strerror(-r));
        }
        return r;
}

static double now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
        sm_gen_conf_t conf;
        sm_gen_stats_t stats;
        args_t a;
        sm_gen_stores_t *stores = NULL;
        char errstr[512], t1[SM_TIME_FORMAT_MAX], t2[SM_TIME_FORMAT_MAX];
        char *path          = NULL;
        const char *end_arg = DEFAULT_END, *reason = NULL;
        double started = now_sec();
        uint64_t nstores;
        int c, ret = 1;

        memset(&conf, 0, sizeof(conf));
        memset(&stats, 0, sizeof(stats));
        memset(&a, 0, sizeof(a));
        conf.seed      = 1;
        conf.interval  = DEFAULT_INTERVAL;
        conf.dup_rate  = DEFAULT_DUP;
        conf.miss_rate = DEFAULT_MISS;
        a.days         = DEFAULT_DAYS;
        sm_log_init(PROG, SM_LOG_NOTICE);

        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (c) {
                case OPT_HOURS:
                        a.hours = optarg;
                        break;
                case OPT_ZONES:
                        a.zones = optarg;
                        break;
                case OPT_OUT_DIR:
                        a.out_dir = optarg;
                        break;
                case OPT_STORES:
                        if (parse_u64(optarg, 1, 10000000, &a.nstores) < 0)
                                return usage(
                                        "--stores: expected 1 .. "
                                        "10000000, got '%s'",
                                        optarg);
                        break;
                case OPT_COPY_INPUTS:
                        a.copy_inputs = 1;
                        break;
                case OPT_ID_STYLE:
                        if (strcmp(optarg, "int") == 0)
                                conf.id_style = SM_GEN_ID_INT;
                        else if (strcmp(optarg, "uuid") == 0)
                                conf.id_style = SM_GEN_ID_UUID;
                        else
                                return usage(
                                        "--id-style: expected int or "
                                        "uuid, got '%s'",
                                        optarg);
                        a.id_style_set = 1;
                        break;
                case OPT_INTERVAL:
                        if (parse_interval(optarg, &conf.interval) < 0)
                                return usage(
                                        "--interval: expected N[s|m|h] "
                                        "from 1s to 7 days, got '%s'",
                                        optarg);
                        a.interval_set = 1;
                        break;
                case OPT_DAYS:
                        if (parse_double(optarg, 0.001, 3660, &a.days) < 0)
                                return usage(
                                        "--days: expected a number "
                                        "from 0.001 to 3660, got '%s'",
                                        optarg);
                        a.days_set = 1;
                        break;
                case OPT_PER_STORE:
                        if (parse_u64(optarg, 1, MAX_SLOTS, &a.per_store) < 0)
                                return usage(
                                        "--polls-per-store: expected 1 "
                                        ".. 10000000, got '%s'",
                                        optarg);
                        break;
                case OPT_END:
                        end_arg = optarg;
                        break;
                case OPT_SEED:
                        if (parse_u64(optarg, 0, UINT64_MAX, &conf.seed) < 0)
                                return usage(
                                        "--seed: expected 0 .. "
                                        "18446744073709551615, got '%s'",
                                        optarg);
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "real") == 0)
                                conf.iso = 0;
                        else if (strcmp(optarg, "iso") == 0)
                                conf.iso = 1;
                        else
                                return usage(
                                        "--format: expected real or iso, "
                                        "got '%s'",
                                        optarg);
                        break;
                case OPT_ORDER:
                        if (strcmp(optarg, "export") == 0)
                                conf.order = SM_GEN_ORDER_EXPORT;
                        else if (strcmp(optarg, "time") == 0)
                                conf.order = SM_GEN_ORDER_TIME;
                        else if (strcmp(optarg, "store") == 0)
                                conf.order = SM_GEN_ORDER_STORE;
                        else
                                return usage(
                                        "--order: expected export, time "
                                        "or store, got '%s'",
                                        optarg);
                        break;
                case OPT_DUP_RATE:
                        if (parse_double(optarg, 0, 0.5, &conf.dup_rate) < 0)
                                return usage(
                                        "--dup-rate: expected 0 .. 0.5, "
                                        "got '%s'",
                                        optarg);
                        break;
                case OPT_MISS_RATE:
                        if (parse_double(optarg, 0, 0.5, &conf.miss_rate) < 0)
                                return usage(
                                        "--miss-rate: expected 0 .. 0.5, "
                                        "got '%s'",
                                        optarg);
                        break;
                case OPT_BAD_ROWS:
                        if (parse_double(optarg, 0, 0.5, &conf.bad_rate) < 0)
                                return usage(
                                        "--bad-rows: expected 0 .. 0.5, "
                                        "got '%s'",
                                        optarg);
                        break;
                case OPT_QUIET:
                        a.quiet = 1;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        /* getopt_long has printed the one line */
                        return 2;
                }
        }

        /* Checks across options. */
        if (optind < argc)
                return usage("unexpected argument '%s'", argv[optind]);
        if (!a.out_dir)
                return usage("--out-dir is required");
        if (a.nstores && (a.hours || a.zones))
                return usage(
                        "--stores and --hours/--zones exclude each "
                        "other");
        if (!a.nstores && !a.hours && !a.zones)
                return usage("give --stores N, or --hours and --zones");
        if (a.copy_inputs && a.nstores)
                return usage("--copy-inputs needs --hours/--zones");
        if (a.id_style_set && !a.nstores)
                return usage("--id-style needs --stores");
        if (sm_time_parse_as_of(end_arg, strlen(end_arg), &conf.end, &reason) <
            0)
                return usage(
                        "--end: expected 'YYYY-MM-DD HH:MM:SS', got "
                        "'%s'",
                        end_arg);
        if (a.per_store) {
                if (a.days_set && a.interval_set)
                        return usage(
                                "--polls-per-store, --days and "
                                "--interval: give two at most");
                conf.nslots = a.per_store;
                if (!a.interval_set) {
                        /* the days are cut into per_store slots */
                        double iv = a.days * (double)SM_USEC_PER_DAY /
                                    (double)a.per_store;
                        if (iv < (double)SM_USEC_PER_SEC)
                                return usage(
                                        "--polls-per-store: the "
                                        "interval would be under a "
                                        "second");
                        conf.interval = (sm_usec_t)llround(iv);
                }
        } else {
                sm_usec_t span =
                        (sm_usec_t)llround(a.days * (double)SM_USEC_PER_DAY);
                sm_usec_t extra = 2 * SM_USEC_PER_HOUR;
                conf.nslots =
                        (uint64_t)((span + conf.interval - 1) / conf.interval +
                                   (extra + conf.interval - 1) / conf.interval);
                if (conf.nslots > MAX_SLOTS)
                        return usage(
                                "--days / --interval: more than "
                                "10000000 polls per store");
        }
        if (a.quiet)
                sm_log_set_level(SM_LOG_WARN);

        /* The store set. */
        stores = sm_gen_stores_new();
        if (a.nstores) {
                sm_gen_stores_synth(stores, (size_t)a.nstores, conf.id_style,
                                    conf.seed);
        } else {
                const char *files[2] = {a.hours, a.zones};
                for (int i = 0; i < 2; i++) {
                        size_t rows, skipped;
                        if (!files[i])
                                continue;
                        if (sm_gen_stores_load(stores, files[i], &rows,
                                               &skipped, errstr,
                                               sizeof(errstr)) < 0) {
                                sm_log(SM_LOG_ERR, "main", "%s", errstr);
                                goto out;
                        }
                        if (skipped)
                                sm_log(SM_LOG_WARN, "main",
                                       "%s: %zu of %zu rows skipped "
                                       "(malformed or no store_id)",
                                       files[i], skipped, rows);
                }
                if (sm_gen_stores_count(stores) == 0) {
                        sm_log(SM_LOG_ERR, "main",
                               "no store ids in the "
                               "input files");
                        goto out;
                }
        }
        nstores = sm_gen_stores_count(stores);
        if (nstores * conf.nslots > MAX_POLL_ROWS) {
                ret = usage("that would be more than 4e9 polls");
                goto out;
        }

        /* The files. */
        if (make_dir(a.out_dir, errstr, sizeof(errstr)) < 0) {
                sm_log(SM_LOG_ERR, "main", "%s", errstr);
                goto out;
        }
        path = path_join(a.out_dir, "polls.csv");
        if (sm_gen_polls_write(&conf, stores, path, &stats, errstr,
                               sizeof(errstr)) < 0)
                goto fail;
        free(path);
        path = NULL;
        if (a.nstores) {
                path = path_join(a.out_dir, "menu_hours.csv");
                if (sm_gen_hours_write(&conf, stores, path, &stats, errstr,
                                       sizeof(errstr)) < 0)
                        goto fail;
                free(path);
                path = path_join(a.out_dir, "timezones.csv");
                if (sm_gen_zones_write(&conf, stores, path, &stats, errstr,
                                       sizeof(errstr)) < 0)
                        goto fail;
        } else if (a.copy_inputs) {
                const char *files[2] = {a.hours, a.zones};
                const char *names[2] = {"hours.csv", "timezones.csv"};
                for (int i = 0; i < 2; i++) {
                        if (!files[i])
                                continue;
                        free(path);
                        path = path_join(a.out_dir, names[i]);
                        if (copy_file(files[i], path, errstr, sizeof(errstr)) <
                            0)
                                goto fail;
                }
        }

        sm_time_format(stats.first, t1, sizeof(t1));
        sm_time_format(stats.last, t2, sizeof(t2));
        sm_log(SM_LOG_NOTICE, "main",
               "%" PRIu64 " stores, %" PRIu64 " poll rows (%" PRIu64
               " polls, %.1f%% active, %" PRIu64 " duplicates), %" PRIu64
               " bad rows (polls %" PRIu64 ", hours %" PRIu64 ", zones %" PRIu64
               "), %s .. %s, in %.2f s",
               nstores, stats.polls + stats.dups + stats.bad_polls, stats.polls,
               stats.polls ? 100.0 * (double)(stats.polls - stats.inactive) /
                                     (double)stats.polls
                           : 0.0,
               stats.dups, stats.bad_polls + stats.bad_hours + stats.bad_zones,
               stats.bad_polls, stats.bad_hours, stats.bad_zones, t1, t2,
               now_sec() - started);
        ret = 0;
        goto out;
fail:
        sm_log(SM_LOG_ERR, "main", "%s", errstr);
out:
        free(path);
        sm_gen_stores_destroy(stores);
        return ret;
}
