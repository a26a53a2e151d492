/*
 * gateway_conf: the settings table of storemon-gateway (see
 * gateway_conf.h).  One row per setting, as every storemon service does
 * (sm/conf.h): name, type, default, range, help.
 */
#include "gateway_conf.h"
#include "sm/timeutil.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KIB INT64_C(1024)
#define MIB (1024 * KIB)

static const sm_conf_def_t gw_defs[] = {
        {"brokers", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "Kafka bootstrap servers (also STOREMON_BROKERS)"},
        {"port", SM_CONF_INT, "8080", 0, 65535, 0, 0,
         "HTTP port (0: any free port, see --port-file)"},
        {"bind", SM_CONF_STR, "", 0, 0, 0, 0,
         "address to listen on, IPv4 or IPv6 (default: every address)"},
        {"db", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "SQLite database of the reports (WAL; created when missing)"},
        {"public-url", SM_CONF_STR, "", 0, 0, 0, 0,
         "base of the report URLs in ReportReady and csv_url (default "
         "http://127.0.0.1:PORT)"},
        {"threads", SM_CONF_INT, "2", 1, 64, 0, 0, "HTTP worker threads"},
        {"connection-limit", SM_CONF_INT, "1024", 1, 65536, 0, 0,
         "most concurrent HTTP connections"},
        {"connection-timeout", SM_CONF_DURATION, "30s", SM_USEC_PER_SEC,
         SM_USEC_PER_HOUR, 0, 0, "idle HTTP connections are closed after"},
        {"request-timeout", SM_CONF_DURATION, "30s", SM_USEC_PER_SEC,
         SM_USEC_PER_HOUR, 0, 0,
         "a request (headers and body) must arrive whole within this of "
         "the connection opening or of the previous response; else 408 "
         "and the connection is closed"},
        {"max-body", SM_CONF_INT, "65536", 1, 16 * MIB, 0, 0,
         "largest request body in bytes (413 above)"},
        {"report-timeout", SM_CONF_DURATION, "120s", SM_USEC_PER_SEC,
         7 * SM_USEC_PER_DAY, 0, 0,
         "a report still missing parts after this is Failed"},
        {"trigger-wait", SM_CONF_DURATION, "3s", 0, SM_USEC_PER_MIN, 0, 0,
         "longest wait for the reporters' progress to resolve as_of"},
        {"cache-bytes", SM_CONF_INT, "268435456", 0, INT64_C(1) << 40, 0, 0,
         "bytes of report bodies (CSV, JSON) kept in memory"},
        {"port-file", SM_CONF_STR, "", 0, 0, 0, 0,
         "write the listening port to FILE once serving"},
        {"log-level", SM_CONF_STR, "info", 0, 0, 0, 0,
         "err, warn, notice, info or debug"},
};

struct sm_gw_conf_s {
        sm_conf_t *conf;    /* the layered settings */
        sm_gw_settings_t s; /* their typed values */
};

int sm_gw_conf_parse(int argc,
                     char **argv,
                     sm_gw_conf_t **ret_conf,
                     const sm_gw_settings_t **ret_settings) {
        static const char usage[] =
                "usage: storemon-gateway --brokers ADDR --port N --db FILE "
                "[OPTIONS]\n"
                "The HTTP API of storemon: trigger_report / get_report, "
                "reports materialized in SQLite, report-ready events.";
        sm_gw_conf_t *gc    = sm_xcalloc(1, sizeof(*gc));
        sm_gw_settings_t *s = &gc->s;
        char errstr[512];
        int r;

        gc->conf = sm_conf_new("GATEWAY", gw_defs,
                               sizeof(gw_defs) / sizeof(gw_defs[0]));
        r        = sm_conf_load(gc->conf, argc, argv, usage, stdout, errstr,
                                sizeof(errstr));
        if (r != 0) {
                if (r < 0)
                        fprintf(stderr, "storemon-gateway: %s\n", errstr);
                sm_gw_conf_destroy(gc);
                return r;
        }
        s->brokers          = sm_conf_str(gc->conf, "brokers");
        s->port             = (int)sm_conf_int(gc->conf, "port");
        s->bind             = sm_conf_str(gc->conf, "bind");
        s->db               = sm_conf_str(gc->conf, "db");
        s->public_url       = sm_conf_str(gc->conf, "public-url");
        s->port_file        = sm_conf_str(gc->conf, "port-file");
        s->threads          = (int)sm_conf_int(gc->conf, "threads");
        s->connection_limit = (int)sm_conf_int(gc->conf, "connection-limit");
        s->connection_timeout_s =
                (int)(sm_conf_int(gc->conf, "connection-timeout") /
                      SM_USEC_PER_SEC);
        s->request_timeout_us = sm_conf_int(gc->conf, "request-timeout");
        s->max_body           = sm_conf_int(gc->conf, "max-body");
        s->report_timeout_us  = sm_conf_int(gc->conf, "report-timeout");
        s->trigger_wait_us    = sm_conf_int(gc->conf, "trigger-wait");
        s->cache_bytes        = sm_conf_int(gc->conf, "cache-bytes");
        s->props              = sm_conf_kafka_props(gc->conf, &s->nprops);
        if (sm_log_level_parse(sm_conf_str(gc->conf, "log-level"),
                               &s->log_level) < 0) {
                fprintf(stderr,
                        "storemon-gateway: --log-level '%s': expected err, "
                        "warn, notice, info or debug\n",
                        sm_conf_str(gc->conf, "log-level"));
                sm_gw_conf_destroy(gc);
                return -EINVAL;
        }
        if (!*s->db) {
                fprintf(stderr, "storemon-gateway: --db must not be empty\n");
                sm_gw_conf_destroy(gc);
                return -EINVAL;
        }
        if (*s->public_url && strncmp(s->public_url, "http://", 7) != 0 &&
            strncmp(s->public_url, "https://", 8) != 0) {
                fprintf(stderr,
                        "storemon-gateway: --public-url '%s': expected "
                        "http://HOST[:PORT] or https://...\n",
                        s->public_url);
                sm_gw_conf_destroy(gc);
                return -EINVAL;
        }
        *ret_conf     = gc;
        *ret_settings = s;
        return 0;
}

void sm_gw_conf_destroy(sm_gw_conf_t *gc) {
        if (!gc)
                return;
        sm_conf_destroy(gc->conf);
        free(gc);
}
