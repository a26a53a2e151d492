/*
 * gateway_conf: the gateway's settings table (sm/conf.h) and the typed
 * values the other modules read.
 *
 * `storemon-gateway --brokers ADDR --port N --db FILE [OPTIONS]`; every
 * setting may also come from SM_GATEWAY_<NAME>, a --config file, and
 * Kafka properties from -X key=value (see sm/conf.h for the precedence).
 */
#ifndef SM_GATEWAY_CONF_H
#define SM_GATEWAY_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "sm/conf.h"
#include "sm/log.h"

/** The effective settings, typed.  Strings are borrowed from the conf
 *  and valid until sm_gw_conf_destroy(). */
typedef struct sm_gw_settings {
        const char *brokers;          /* Kafka bootstrap servers */
        int port;                     /* HTTP port, 0 = any free one */
        const char *bind;             /* address to listen on, "" = all */
        const char *db;               /* SQLite file */
        const char *public_url;       /* base of report URLs, "" = default */
        const char *port_file;        /* where to write the port, "" none */
        int threads;                  /* HTTP worker threads */
        int connection_limit;         /* concurrent connections */
        int connection_timeout_s;     /* idle connection timeout, s */
        int64_t request_timeout_us;   /* a request must arrive in this */
        int64_t max_body;             /* largest request body, bytes */
        int64_t report_timeout_us;    /* Running -> Failed after this */
        int64_t trigger_wait_us;      /* longest wait for progress */
        int64_t cache_bytes;          /* CSV/JSON bodies kept in memory */
        enum sm_log_level log_level;  /* logging threshold */
        const sm_kafka_prop_t *props; /* -X properties */
        size_t nprops;                /* their number */
} sm_gw_settings_t;

typedef struct sm_gw_conf_s sm_gw_conf_t;

/**
 * @brief Parses the command line (and the file and environment).
 * @param ret_conf, ret_settings  on 0, the conf (free with
 *   sm_gw_conf_destroy()) and its typed values (valid as long).
 * @returns 0 to run; 1 when --help or --dump-config was printed (exit 0);
 *   -EINVAL for a usage error, -EIO for an unreadable config file (both
 *   printed as one line on stderr).
 */
int sm_gw_conf_parse(int argc,
                     char **argv,
                     sm_gw_conf_t **ret_conf,
                     const sm_gw_settings_t **ret_settings);

void sm_gw_conf_destroy(sm_gw_conf_t *conf);

#endif
