/*
 * ingestor_conf: storemon-ingestor's settings (see ingestor.h).
 *
 * One declarative table, read by the shared sm/conf.h module like every
 * storemon service's: a setting "max-lag" is `--max-lag N` on the command
 * line, SM_INGESTOR_MAX_LAG in the environment and `max-lag = N` in the
 * config file (--config FILE or SM_CONFIG), with that precedence over the
 * default whatever the order of argv; `brokers` also reads
 * STOREMON_BROKERS; `-X key=value` / `kafka.key = value` go to librdkafka.
 *
 * The command is argv[1] and the rest are settings, so sm_conf_load()
 * sees the command as its argv[0].  What the table cannot say (a setting
 * that belongs to one command, at most one input on stdin, the values of
 * an enumeration) is checked here, after everything is applied.
 */
#include "ingestor.h"
#include "sm/topics.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#define US_PER_MS INT64_C(1000)

/* Default max-lag: polls per store-polls partition.  The embedded broker
 * keeps 5 MiB per partition; a StorePoll with a 36-byte store id takes at
 * most ~110 bytes in a batch before compression, so 40000 of them stay
 * under 4.4 MB even uncompressed. */
static const sm_conf_def_t settings[] = {
        {"brokers", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "bootstrap host:port[,...] (also STOREMON_BROKERS)"},
        {"polls", SM_CONF_STR, NULL, 0, 0, 0, 0,
         "load: polls CSV ('-' = stdin)"},
        {"hours", SM_CONF_STR, NULL, 0, 0, 0, 0, "load: business-hours CSV"},
        {"zones", SM_CONF_STR, NULL, 0, 0, 0, 0, "load: time-zone CSV"},
        {"source", SM_CONF_STR, "<stdin>", 0, 0, 0, 0,
         "stream: the source name in rejects"},
        {"rejects", SM_CONF_STR, NULL, 0, 0, 0, 0,
         "also write bad rows here ('FILE:LINE: reason')"},
        {"max-lag", SM_CONF_INT, "40000", 0, INT64_C(1000000000000), 0, 0,
         "pause at this group lag per partition; 0 = off"},
        {"lag-group", SM_CONF_STR, "storemon-reporter", 0, 0, 0, 0,
         "the consumer group whose lag is watched"},
        {"lag-interval", SM_CONF_DURATION, "500ms", 50 * US_PER_MS,
         60000 * US_PER_MS, 0, 0, "how often the lag is read"},
        {"shutdown-timeout", SM_CONF_DURATION, "10s", 0, 3600000 * US_PER_MS, 0,
         0, "max wait for acks after SIGINT/SIGTERM"},
        {"progress", SM_CONF_STR, "auto", 0, 0, 0, 0,
         "progress line: auto (stderr a tty), on, off"},
        {"log-level", SM_CONF_STR, "info", 0, 0, 0, 0,
         "err, warn, notice, info or debug"},
};

static const char usage_text[] =
        "Usage: " SM_INGEST_PROG
        " load --brokers ADDR [--polls FILE] [--hours FILE]\n"
        "                         [--zones FILE] [SETTINGS]\n"
        "       " SM_INGEST_PROG
        " stream --brokers ADDR [SETTINGS] < polls\n"
        "\n"
        "Validates input rows as the batch report does and publishes them "
        "as Avro\n"
        "records keyed by store_id: " SM_TOPIC_POLLS ", " SM_TOPIC_HOURS
        " (one whole schedule per\n"
        "store), " SM_TOPIC_TIMEZONES
        "; bad rows go to " SM_TOPIC_INGEST_REJECTS
        " with their reason.\n"
        "\n"
        "Inputs (columns found by header name, any order; extra columns "
        "ignored):\n"
        "  polls   store_id, timestamp_utc, status\n"
        "  hours   store_id, dayOfWeek (or day), start_time_local, "
        "end_time_local\n"
        "  zones   store_id, timezone_str\n"
        "\n"
        "  load    publish CSV files ('-' = stdin): zones, then hours, then "
        "every poll\n"
        "          in timestamp order; returns once every record is "
        "acknowledged\n"
        "  stream  publish polls from stdin as they come: CSV with a "
        "header, or NDJSON\n"
        "          {\"store_id\":..,\"timestamp_utc\":..,\"status\":..} "
        "lines (the first\n"
        "          line tells which); ends at EOF or SIGINT/SIGTERM\n"
        "\n"
        "Exit: 0 every accepted record acknowledged; 1 fatal input error, "
        "delivery\n"
        "failure or records left unacknowledged; 2 usage or configuration "
        "error;\n"
        "128+N when `load` was interrupted by signal N (all it had accepted "
        "was\n"
        "delivered, but it did not read everything).";

static void set_errstr(char *errstr, size_t errstr_size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_errstr(char *errstr, size_t errstr_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        (void)vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

/* The command-independent help: argv[1] was --help or -h. */
static int is_help(const char *arg) {
        return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int sm_ingest_conf_parse(int argc,
                         char **argv,
                         sm_ingest_conf_t *ret_conf,
                         char *errstr,
                         size_t errstr_size) {
        sm_ingest_conf_t c;
        const char *cmd = argc > 1 ? argv[1] : NULL;
        const char *v;
        int r, nstdin = 0;

        memset(&c, 0, sizeof(c));
        if (cmd && strcmp(cmd, "load") == 0)
                c.cmd = SM_INGEST_CMD_LOAD;
        else if (cmd && strcmp(cmd, "stream") == 0)
                c.cmd = SM_INGEST_CMD_STREAM;
        else if (!cmd || !is_help(cmd)) {
                set_errstr(errstr, errstr_size,
                           "%s%s%s: expected 'load' or 'stream' first (see "
                           "--help)",
                           cmd ? "unknown command '" : "no command",
                           cmd ? cmd : "", cmd ? "'" : "");
                return -EINVAL;
        }
        c.src = sm_conf_new("ingestor", settings,
                            sizeof(settings) / sizeof(settings[0]));
        if (c.cmd == SM_INGEST_CMD_NONE) {
                /* --help before any command: the whole help. */
                char *help_argv[] = {argv[0], argv[1], NULL};
                r = sm_conf_load(c.src, 2, help_argv, usage_text, stdout,
                                 errstr, errstr_size);
        } else {
                /* sm_conf_load() skips its argv[0]: here the command. */
                r = sm_conf_load(c.src, argc - 1, argv + 1, usage_text, stdout,
                                 errstr, errstr_size);
        }
        if (r != 0) {
                sm_conf_destroy(c.src);
                return r > 0 ? 1 : -EINVAL;
        }

        c.brokers              = sm_conf_str(c.src, "brokers");
        c.inputs[SM_REC_POLLS] = sm_conf_str(c.src, "polls");
        c.inputs[SM_REC_HOURS] = sm_conf_str(c.src, "hours");
        c.inputs[SM_REC_ZONES] = sm_conf_str(c.src, "zones");
        c.source               = sm_conf_str(c.src, "source");
        c.rejects              = sm_conf_str(c.src, "rejects");
        c.max_lag              = sm_conf_int(c.src, "max-lag");
        c.lag_group            = sm_conf_str(c.src, "lag-group");
        c.lag_interval_ms      = sm_conf_int(c.src, "lag-interval") / US_PER_MS;
        c.shutdown_timeout_ms =
                sm_conf_int(c.src, "shutdown-timeout") / US_PER_MS;
        c.props = sm_conf_kafka_props(c.src, &c.nprops);

        /* What the table cannot say. */
        v = sm_conf_str(c.src, "progress");
        if (strcmp(v, "auto") == 0)
                c.progress = SM_INGEST_PROGRESS_AUTO;
        else if (strcmp(v, "on") == 0)
                c.progress = SM_INGEST_PROGRESS_ON;
        else if (strcmp(v, "off") == 0)
                c.progress = SM_INGEST_PROGRESS_OFF;
        else {
                set_errstr(errstr, errstr_size,
                           "progress '%s': expected auto, on or off", v);
                goto fail;
        }
        v = sm_conf_str(c.src, "log-level");
        if (sm_log_level_parse(v, &c.log_level) < 0) {
                set_errstr(errstr, errstr_size,
                           "log-level '%s': expected err, warn, notice, info "
                           "or debug",
                           v);
                goto fail;
        }
        for (int k = 0; k < 3; k++) {
                if (!c.inputs[k])
                        continue;
                if (c.cmd == SM_INGEST_CMD_STREAM) {
                        set_errstr(errstr, errstr_size,
                                   "stream: --%s is for load; stream reads "
                                   "polls from stdin",
                                   sm_rec_kind_name(k));
                        goto fail;
                }
                if (!*c.inputs[k]) {
                        set_errstr(errstr, errstr_size, "--%s: empty path",
                                   sm_rec_kind_name(k));
                        goto fail;
                }
                nstdin += strcmp(c.inputs[k], "-") == 0;
        }
        if (c.cmd == SM_INGEST_CMD_LOAD && !c.inputs[0] && !c.inputs[1] &&
            !c.inputs[2]) {
                set_errstr(errstr, errstr_size,
                           "load: give at least one of --polls, --hours, "
                           "--zones");
                goto fail;
        }
        if (nstdin > 1) {
                set_errstr(errstr, errstr_size,
                           "load: only one input can be '-' (stdin)");
                goto fail;
        }
        if (!*c.source || !*c.lag_group) {
                set_errstr(errstr, errstr_size, "%s: empty name",
                           *c.source ? "lag-group" : "source");
                goto fail;
        }
        if (c.rejects && !*c.rejects)
                c.rejects = NULL;
        *ret_conf = c;
        return 0;
fail:
        sm_conf_destroy(c.src);
        return -EINVAL;
}

void sm_ingest_conf_free(sm_ingest_conf_t *conf) {
        if (!conf)
                return;
        sm_conf_destroy(conf->src);
        memset(conf, 0, sizeof(*conf));
}
