/*
 * storemon-broker: the embedded broker.  Hosts librdkafka's mock cluster
 * (rdkafka_mock.h) with every storemon topic created, so the whole system
 * and every test runs on one machine without a real Kafka.
 *
 *   storemon-broker --partitions 16 --bootstrap-file FILE
 *
 * Once the cluster listens and every topic exists, the bootstrap list
 * ("127.0.0.1:PORT[,127.0.0.1:PORT...]") is printed as one line on stdout
 * and, with --bootstrap-file, written to FILE atomically (temporary file,
 * fsync, rename), one line ending in '\n'; a reader polling for FILE never
 * sees a partial address.  A FILE left over from an earlier run is removed
 * at startup, before anything else, so nobody connects to a dead broker.
 * Diagnostics go to stderr through sm_log.
 *
 * Topics (names and groups from sm/topics.h):
 *   store-polls, store-hours, store-timezones, report-requests
 *                            --partitions P (default 16), co-partitioned
 *   report-results           --results-partitions (default P: see topics.h)
 *   report-ready, ingest-rejects, reporter-progress
 *                            --aux-partitions (default 4)
 * Every topic gets --replication R (default min(3, --brokers)).  On the
 * mock, replication only shapes the metadata (replicas, ISR, leader
 * choice): each partition has a single log whatever R is.
 *
 * What the mock is (librdkafka 2.0.2, read in src/rdkafka_mock.c and
 * checked against the installed library):
 *
 *  - Retention.  rd_kafka_mock_partition_init() hard-codes
 *    max_size = 5 MiB and max_cnt = 100000 per partition, and
 *    rd_kafka_mock_msgset_new() (called by
 *    rd_kafka_mock_partition_log_append()) drops the oldest record
 *    batches while cnt > max_cnt or size > max_size, always keeping the
 *    newest one.  size counts the stored RecordBatch bytes (compressed, as
 *    produced) and cnt counts batches, not messages, so lz4 and larger
 *    batches (linger.ms, batch.size) stretch the limit.  Nothing raises it:
 *    rdkafka_mock.h has no setter, the only test.mock.* properties are
 *    test.mock.num.brokers and test.mock.broker.rtt, the partition struct
 *    is private (rdkafka_mock_int.h is not installed), and no mock command
 *    touches the limits.  The only levers are more partitions (capacity is
 *    5 MiB x partitions) and compression.  A consumer whose offset was
 *    dropped gets OFFSET_OUT_OF_RANGE, so auto.offset.reset=error turns
 *    the loss into an error instead of a silent jump.
 *  - Request size.  The mock rejects (and disconnects) any request larger
 *    than the hosting handle's receive.message.max.bytes (default 100 MB);
 *    raise it with -X if a client sends bigger produce requests.
 *  - Listening.  Each mock broker binds 127.0.0.1 with port 0 (the kernel
 *    picks it; there is no API to choose one), SO_REUSEADDR, backlog 5.
 *    Only local clients can reach it.  When socket(), bind() or listen()
 *    fails the mock logs at LOG_CRIT and then aborts in
 *    rd_kafka_mock_cluster_destroy()'s assertion on the cluster count
 *    (seen with a low RLIMIT_NOFILE).  So we first probe the same
 *    socket/bind/listen for every broker, a connect to one of them (with
 *    the loopback interface down, bind still works but connect does not)
 *    and a few spare descriptors, and exit 1 with the reason instead
 *    (broker_cluster.c).
 *  - Auto-created topics get 4 partitions; Admin CreateTopics is not
 *    served, hence the topics are created here.  No compaction, no
 *    transaction isolation, and a restart loses all data and offsets.
 *
 * The mock's own thread is created with all signals blocked (it treats an
 * EINTR from poll(2) as fatal).  SIGINT and SIGTERM only record the
 * signal; the main loop polls the hosting handle every 100 ms, sees it,
 * removes the bootstrap file, destroys the cluster and the handle, removes
 * the pid file and exits 0.  A SIGINT while already stopping exits at
 * once with 130 after removing our files (lstat/unlink/write/_exit only,
 * all async-signal-safe).
 *
 * Configuration is the command line only: the broker is started by
 * scripts and tests, which pass everything they mean.
 *
 * Exit status: 0 after a signal, 1 when the broker cannot start or run,
 * 2 for a usage error (one line on stderr), 130 on a second SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "broker.h"
#include "sm/log.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#define PROG                   "storemon-broker"
#define BROKER_POLL_MS         100  /* main loop wake-up, <= 200 ms */
#define BROKER_MAX_PARTITIONS  4096 /* per topic */
#define BROKER_MAX_BROKERS     64   /* mock brokers */
#define BROKER_MAX_PROPS       64   /* -X options */
#define BROKER_SECOND_SIG_EXIT 130  /* 128 + SIGINT */

/** Parsed command line; strings are borrowed from argv. */
struct args {
        sm_broker_conf_t bconf;              /* cluster shape */
        const char *bootstrap_file;          /* --bootstrap-file, or NULL */
        const char *pid_file;                /* --pid-file, or NULL */
        const char *control_fifo;            /* --control-fifo, or NULL */
        enum sm_log_level log_level;         /* --log-level */
        const char *props[BROKER_MAX_PROPS]; /* -X key=value */
        int props_cnt;                       /* entries used in props */
        int help;                            /* --help given */
};

/* Shared with the signal handler. */
static volatile sig_atomic_t stop_signal; /* first SIGINT/SIGTERM, or 0 */
static const char *bootstrap_path;        /* --bootstrap-file, or NULL */
static const char *pid_path;              /* --pid-file, or NULL */
static sm_broker_file_t bootstrap_id;     /* the bootstrap file we wrote */
static sm_broker_file_t pid_id;           /* the pid file we wrote */

static void usage(FILE *fp) {
        fprintf(fp,
                "Usage: " PROG
                " [OPTIONS]\n"
                "Hosts librdkafka's mock cluster with every storemon topic "
                "and prints its\n"
                "bootstrap address (host:port[,host:port]) on stdout.\n"
                "\n"
                "  --partitions N          partitions of " SM_TOPIC_POLLS
                ", " SM_TOPIC_HOURS
                ",\n"
                "                          " SM_TOPIC_TIMEZONES
                ", " SM_TOPIC_REPORT_REQUESTS
                " (1..%d, default %d)\n"
                "  --results-partitions N  partitions "
                "of " SM_TOPIC_REPORT_RESULTS
                " (default: --partitions)\n"
                "  --aux-partitions N      partitions of " SM_TOPIC_REPORT_READY
                ", " SM_TOPIC_INGEST_REJECTS
                ",\n"
                "                          " SM_TOPIC_REPORTER_PROGRESS
                " (default %d)\n"
                "  --brokers N             mock brokers (1..%d, default 1)\n"
                "  --replication N         replication factor of every topic\n"
                "                          (1..brokers, default min(3, "
                "brokers))\n"
                "  --bootstrap-file FILE   write the bootstrap address to "
                "FILE (atomically)\n"
                "                          once listening; removed on exit\n"
                "  --pid-file FILE         write the process id to FILE; "
                "removed on exit\n"
                "  --control-fifo PATH     fault injection for tests: "
                "commands 'down ID',\n"
                "                          'up ID', 'errors APIKEY ERR...' "
                "written to the FIFO PATH\n"
                "  -X KEY=VALUE            librdkafka property of the "
                "hosting handle\n"
                "                          (e.g. debug=mock)\n"
                "  --log-level LEVEL       err, warn, notice, info, debug "
                "(default info)\n"
                "  -h, --help              this text\n"
                "\n"
                "SIGINT/SIGTERM stop it cleanly (exit 0); a second SIGINT "
                "exits at once.\n",
                BROKER_MAX_PARTITIONS, SM_TOPIC_DEFAULT_PARTITIONS,
                SM_TOPIC_DEFAULT_AUX_PARTITIONS, BROKER_MAX_BROKERS);
}

static void set_errstr(char *errstr, size_t errstr_size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_errstr(char *errstr, size_t errstr_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

/** @brief Parses the whole of \p s as a decimal integer in [min, max].
 *  @returns 0 and sets *ret_val, or -EINVAL / -ERANGE. */
static int parse_int(const char *s, int min, int max, int *ret_val) {
        char *end;
        long v;

        /* strtol() would also take leading blanks and a '+'. */
        if (!(*s >= '0' && *s <= '9') && *s != '-')
                return -EINVAL;
        errno = 0;
        v     = strtol(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret_val = (int)v;
        return 0;
}

enum {
        OPT_PARTITIONS = 256,
        OPT_RESULTS_PARTITIONS,
        OPT_AUX_PARTITIONS,
        OPT_BROKERS,
        OPT_REPLICATION,
        OPT_BOOTSTRAP_FILE,
        OPT_PID_FILE,
        OPT_CONTROL_FIFO,
        OPT_LOG_LEVEL,
};

static const struct option long_options[] = {
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"results-partitions", required_argument, NULL, OPT_RESULTS_PARTITIONS},
        {"aux-partitions", required_argument, NULL, OPT_AUX_PARTITIONS},
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"replication", required_argument, NULL, OPT_REPLICATION},
        {"bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP_FILE},
        {"pid-file", required_argument, NULL, OPT_PID_FILE},
        {"control-fifo", required_argument, NULL, OPT_CONTROL_FIFO},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/** @brief Option \p c as typed ("--partitions", "-X"), for messages;
 *  valid until the next call. */
static const char *opt_name(int c) {
        static char name[32];
        const struct option *o;

        for (o = long_options; o->name; o++) {
                if (o->val == c && c >= 256) {
                        (void)snprintf(name, sizeof(name), "--%s", o->name);
                        return name;
                }
        }
        (void)snprintf(name, sizeof(name), "-%c", (char)c);
        return name;
}

/** @brief A numeric option: full-string parse and range check. */
static int parse_num_opt(int c,
                         const char *arg,
                         int min,
                         int max,
                         int *ret_val,
                         char *errstr,
                         size_t errstr_size) {
        if (parse_int(arg, min, max, ret_val) < 0) {
                set_errstr(errstr, errstr_size,
                           "%s: expected an integer in %d..%d, got '%s'",
                           opt_name(c), min, max, arg);
                return -EINVAL;
        }
        return 0;
}

/**
 * @brief Parses argv into \p ret_args (defaults applied), then checks the
 *        options against each other.
 * @returns 0, or -EINVAL with a one-line reason in \p errstr.
 */
static int parse_args(int argc,
                      char **argv,
                      struct args *ret_args,
                      char *errstr,
                      size_t errstr_size) {
        struct args a;
        int results_set     = 0;
        int replication_set = 0;
        int c;

        memset(&a, 0, sizeof(a));
        a.bconf.partitions     = SM_TOPIC_DEFAULT_PARTITIONS;
        a.bconf.aux_partitions = SM_TOPIC_DEFAULT_AUX_PARTITIONS;
        a.bconf.brokers        = 1;
        a.log_level            = SM_LOG_INFO;

        opterr = 0;
        optind = 1;
        while ((c = getopt_long(argc, argv, ":hX:", long_options, NULL)) !=
               -1) {
                switch (c) {
                case OPT_PARTITIONS:
                        if (parse_num_opt(c, optarg, 1, BROKER_MAX_PARTITIONS,
                                          &a.bconf.partitions, errstr,
                                          errstr_size) < 0)
                                return -EINVAL;
                        break;
                case OPT_RESULTS_PARTITIONS:
                        if (parse_num_opt(c, optarg, 1, BROKER_MAX_PARTITIONS,
                                          &a.bconf.results_partitions, errstr,
                                          errstr_size) < 0)
                                return -EINVAL;
                        results_set = 1;
                        break;
                case OPT_AUX_PARTITIONS:
                        if (parse_num_opt(c, optarg, 1, BROKER_MAX_PARTITIONS,
                                          &a.bconf.aux_partitions, errstr,
                                          errstr_size) < 0)
                                return -EINVAL;
                        break;
                case OPT_BROKERS:
                        if (parse_num_opt(c, optarg, 1, BROKER_MAX_BROKERS,
                                          &a.bconf.brokers, errstr,
                                          errstr_size) < 0)
                                return -EINVAL;
                        break;
                case OPT_REPLICATION:
                        if (parse_num_opt(c, optarg, 1, BROKER_MAX_BROKERS,
                                          &a.bconf.replication, errstr,
                                          errstr_size) < 0)
                                return -EINVAL;
                        replication_set = 1;
                        break;
                case OPT_BOOTSTRAP_FILE:
                        if (!*optarg) {
                                set_errstr(errstr, errstr_size,
                                           "--bootstrap-file: empty path");
                                return -EINVAL;
                        }
                        a.bootstrap_file = optarg;
                        break;
                case OPT_CONTROL_FIFO:
                        if (!*optarg) {
                                set_errstr(errstr, errstr_size,
                                           "--control-fifo: empty path");
                                return -EINVAL;
                        }
                        a.control_fifo = optarg;
                        break;
                case OPT_PID_FILE:
                        if (!*optarg) {
                                set_errstr(errstr, errstr_size,
                                           "--pid-file: empty path");
                                return -EINVAL;
                        }
                        a.pid_file = optarg;
                        break;
                case OPT_LOG_LEVEL:
                        if (sm_log_level_parse(optarg, &a.log_level) < 0) {
                                set_errstr(errstr, errstr_size,
                                           "--log-level: expected err, warn, "
                                           "notice, info or debug, got '%s'",
                                           optarg);
                                return -EINVAL;
                        }
                        break;
                case 'X':
                        if (!strchr(optarg, '=') || optarg[0] == '=') {
                                set_errstr(errstr, errstr_size,
                                           "-X: expected KEY=VALUE, got '%s'",
                                           optarg);
                                return -EINVAL;
                        }
                        if (a.props_cnt == BROKER_MAX_PROPS) {
                                set_errstr(errstr, errstr_size,
                                           "-X: at most %d properties",
                                           BROKER_MAX_PROPS);
                                return -EINVAL;
                        }
                        a.props[a.props_cnt++] = optarg;
                        break;
                case 'h':
                        a.help = 1;
                        break;
                case ':':
                        if (optopt)
                                set_errstr(errstr, errstr_size,
                                           "%s needs a value",
                                           opt_name(optopt));
                        else
                                set_errstr(errstr, errstr_size,
                                           "%s needs a value",
                                           argv[optind - 1]);
                        return -EINVAL;
                default:
                        if (optopt && optopt < 256 && optopt != 'h')
                                set_errstr(errstr, errstr_size,
                                           "unknown option '-%c'", optopt);
                        else
                                set_errstr(errstr, errstr_size,
                                           "unknown or malformed option '%s'",
                                           argv[optind - 1]);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                set_errstr(errstr, errstr_size, "unexpected argument '%s'",
                           argv[optind]);
                return -EINVAL;
        }

        /* Across options, now that all are known. */
        if (!results_set)
                a.bconf.results_partitions = a.bconf.partitions;
        if (!replication_set)
                a.bconf.replication = a.bconf.brokers < 3 ? a.bconf.brokers : 3;
        if (a.bconf.replication > a.bconf.brokers) {
                set_errstr(errstr, errstr_size,
                           "--replication %d is more than --brokers %d",
                           a.bconf.replication, a.bconf.brokers);
                return -EINVAL;
        }

        *ret_args = a;
        return 0;
}

/** @brief The hosting handle's configuration: our defaults, then every
 *  -X in order.  @returns a new conf, or NULL with \p errstr (an unknown
 *  key or a bad value). */
static rd_kafka_conf_t *
build_conf(const struct args *a, char *errstr, size_t errstr_size) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char rderr[256];
        int i;

        if (rd_kafka_conf_set(conf, "client.id", PROG, rderr, sizeof(rderr)) !=
            RD_KAFKA_CONF_OK) {
                set_errstr(errstr, errstr_size, "client.id: %s", rderr);
                goto fail;
        }
        for (i = 0; i < a->props_cnt; i++) {
                char *kv  = sm_xstrdup(a->props[i]);
                char *val = strchr(kv, '=');
                rd_kafka_conf_res_t res;

                *val++ = '\0';
                res    = rd_kafka_conf_set(conf, kv, val, rderr, sizeof(rderr));
                free(kv);
                if (res != RD_KAFKA_CONF_OK) {
                        set_errstr(errstr, errstr_size, "-X %s: %s",
                                   a->props[i], rderr);
                        goto fail;
                }
        }
        return conf;

fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/** @brief SIGINT/SIGTERM: record the first; a SIGINT after that removes
 *  our files and exits at once.  Async-signal-safe calls only. */
static void on_stop_signal(int sig) {
        static const char msg[] = PROG ": SIGINT while stopping, exiting now\n";
        int saved_errno         = errno;

        if (stop_signal && sig == SIGINT) {
                (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
                (void)sm_broker_file_remove(bootstrap_path, &bootstrap_id);
                (void)sm_broker_file_remove(pid_path, &pid_id);
                _exit(BROKER_SECOND_SIG_EXIT);
        }
        if (!stop_signal)
                stop_signal = sig;
        errno = saved_errno;
}

static int install_signals(void) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sa.sa_flags   = SA_RESTART;
        (void)sigemptyset(&sa.sa_mask);
        if (sigaction(SIGINT, &sa, NULL) < 0 ||
            sigaction(SIGTERM, &sa, NULL) < 0)
                return -errno;

        /* stdout may be a pipe whose reader is gone: report, don't die. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_IGN;
        (void)sigemptyset(&sa.sa_mask);
        if (sigaction(SIGPIPE, &sa, NULL) < 0)
                return -errno;
        return 0;
}

/** @brief Every client connection costs the mock a descriptor, and running
 *  out of them while it creates a listener aborts it: use the hard limit. */
static void raise_nofile_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                sm_log(SM_LOG_DEBUG, "main", "cannot raise RLIMIT_NOFILE: %s",
                       strerror(errno));
}

/** @brief Removes a bootstrap file left by an earlier run, so nobody
 *  polling for it connects to a broker that is gone. */
static void remove_stale_file(const char *path) {
        if (unlink(path) == 0)
                sm_log(SM_LOG_NOTICE, "main", "removed stale bootstrap file %s",
                       path);
        else if (errno != ENOENT)
                sm_log(SM_LOG_WARN, "main", "cannot remove old %s: %s", path,
                       strerror(errno));
}

static void remove_file(const char *path, const sm_broker_file_t *id) {
        int r = sm_broker_file_remove(path, id);

        if (r == -ESTALE)
                sm_log(SM_LOG_WARN, "main",
                       "%s was replaced by another process; left in place",
                       path);
        else if (r < 0)
                sm_log(SM_LOG_WARN, "main", "cannot remove %s: %s", path,
                       strerror(-r));
}

int main(int argc, char **argv) {
        struct args args;
        int control_fd = -1;     /* --control-fifo, or -1 */
        char control_buf[512];   /* a partial command line */
        size_t control_used = 0; /* bytes in control_buf */
        char errstr[512];
        char line[64];
        rd_kafka_conf_t *conf = NULL;
        sm_broker_t *broker   = NULL;
        const char *bootstraps;
        char *text = NULL;
        size_t text_size;
        int ret = 1;
        int r;

        sm_log_init("broker", SM_LOG_INFO);

        /* Parse: a usage error is one line and exit 2. */
        if (parse_args(argc, argv, &args, errstr, sizeof(errstr)) < 0) {
                fprintf(stderr, PROG ": %s (see --help)\n", errstr);
                return 2;
        }
        if (args.help) {
                usage(stdout);
                return 0;
        }
        sm_log_set_level(args.log_level);
        if (!(conf = build_conf(&args, errstr, sizeof(errstr)))) {
                fprintf(stderr, PROG ": %s (see --help)\n", errstr);
                return 2;
        }

        /* Init. */
        bootstrap_path = args.bootstrap_file;
        pid_path       = args.pid_file;
        if ((r = install_signals()) < 0) {
                sm_log(SM_LOG_ERR, "main", "cannot install signal handlers: %s",
                       strerror(-r));
                goto out;
        }
        raise_nofile_limit();
        if (args.bootstrap_file)
                remove_stale_file(args.bootstrap_file);

        broker = sm_broker_new(&args.bconf, conf, errstr, sizeof(errstr));
        conf   = NULL; /* owned by sm_broker_new() */
        if (!broker) {
                sm_log(SM_LOG_ERR, "main",
                       "refusing to start %d mock broker(s): %s",
                       args.bconf.brokers, errstr);
                goto out;
        }
        bootstraps = sm_broker_bootstraps(broker);

        if (args.pid_file) {
                (void)snprintf(line, sizeof(line), "%ld\n", (long)getpid());
                if ((r = sm_broker_file_write(args.pid_file, line, &pid_id,
                                              errstr, sizeof(errstr))) < 0) {
                        sm_log(SM_LOG_ERR, "main", "pid file: %s", errstr);
                        goto out;
                }
        }
        if (args.bootstrap_file) {
                text_size = strlen(bootstraps) + 2;
                text      = sm_xmalloc(text_size);
                (void)snprintf(text, text_size, "%s\n", bootstraps);
                if ((r = sm_broker_file_write(args.bootstrap_file, text,
                                              &bootstrap_id, errstr,
                                              sizeof(errstr))) < 0) {
                        sm_log(SM_LOG_ERR, "main", "bootstrap file: %s",
                               errstr);
                        goto out;
                }
        }
        if (printf("%s\n", bootstraps) < 0 || fflush(stdout) != 0)
                sm_log(SM_LOG_WARN, "main", "cannot write to stdout: %s",
                       strerror(errno));

        sm_log(SM_LOG_NOTICE, "main",
               "listening on %s: %d broker(s), %d partition(s) per store "
               "topic, %d for " SM_TOPIC_REPORT_RESULTS
               ", %d per aux topic, replication %d",
               bootstraps, args.bconf.brokers, args.bconf.partitions,
               args.bconf.results_partitions, args.bconf.aux_partitions,
               args.bconf.replication);

        if (args.control_fifo &&
            (control_fd = sm_broker_control_open(args.control_fifo, errstr,
                                                 sizeof(errstr))) < 0) {
                sm_log(SM_LOG_ERR, "main", "control FIFO: %s", errstr);
                goto out;
        }

        /* Run. */
        while (!stop_signal) {
                sm_broker_poll(broker, BROKER_POLL_MS);
                sm_broker_control_serve(broker, control_fd, control_buf,
                                        sizeof(control_buf), &control_used);
        }

        sm_log(SM_LOG_NOTICE, "main", "stopping on %s",
               stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        ret = 0;

out:
        /* Shutdown: unpublish the address first, so nobody new connects,
         * then the cluster, then the pid file (the process is nearly
         * gone). */
        remove_file(args.bootstrap_file, &bootstrap_id);
        sm_broker_destroy(broker);
        if (conf)
                rd_kafka_conf_destroy(conf);
        remove_file(args.pid_file, &pid_id);
        if (control_fd >= 0) {
                close(control_fd);
                (void)unlink(args.control_fifo);
        }
        free(text);
        if (ret == 0)
                sm_log(SM_LOG_INFO, "main", "stopped");
        return ret;
}
