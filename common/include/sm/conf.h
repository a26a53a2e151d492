/*
 * conf: one declarative table of settings per service, filled from
 * defaults < config file < environment < command line, whatever the order
 * of the arguments (STYLE: redis standardConfig, kcat -X).
 *
 * A setting named "state-dir" of service "reporter" is:
 *   --state-dir VALUE or --state-dir=VALUE   on the command line,
 *   SM_REPORTER_STATE_DIR                    in the environment,
 *   state-dir = VALUE                        in the file (--config FILE or
 *                                            SM_CONFIG), '#' comments.
 * `brokers` also reads STOREMON_BROKERS.  Kafka properties pass through:
 * `-X key=value` on the command line, `kafka.key = value` in the file.
 * `--dump-config` prints the effective values (secrets masked) and where
 * each came from.
 *
 * Numbers are checked for a full parse and the table's range; durations
 * take a unit (us, ms, s, m, h, d; a bare number is seconds) and are kept
 * in microseconds.  A usage error fills errstr with one line naming the
 * setting and its source.
 */
#ifndef SM_CONF_H
#define SM_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sm/kafka.h"

enum sm_conf_type {
        SM_CONF_STR = 0,  /* text */
        SM_CONF_INT,      /* integer in [min, max] */
        SM_CONF_DURATION, /* microseconds in [min, max] */
        SM_CONF_BOOL,     /* true/false, yes/no, 1/0, on/off */
};

/** One setting of a service. */
typedef struct sm_conf_def {
        const char *name;       /* "state-dir": option, file key, env name */
        enum sm_conf_type type; /* how the value is read */
        const char *def;        /* default as text, or NULL for none */
        int64_t min;            /* smallest allowed (INT, DURATION) */
        int64_t max;            /* largest allowed (INT, DURATION) */
        int required;           /* must be set somewhere */
        int secret;             /* masked by --dump-config */
        const char *help;       /* one line for --help */
} sm_conf_def_t;

typedef struct sm_conf_s sm_conf_t;

/** @brief A configuration for one service ("reporter"); the table is
 *  borrowed and must outlive the conf. */
sm_conf_t *
sm_conf_new(const char *service, const sm_conf_def_t *defs, size_t ndefs);
void sm_conf_destroy(sm_conf_t *conf);

/**
 * @brief Applies file, environment and command line (argv[0] is the
 *   command name and is skipped).
 * @returns 0; 1 when --help or --dump-config was handled (printed to out:
 *   the caller exits 0); -EINVAL with errstr filled for a usage error;
 *   -EIO when the config file cannot be read.  Positional arguments are
 *   refused.
 */
int sm_conf_load(sm_conf_t *conf,
                 int argc,
                 char **argv,
                 const char *usage,
                 FILE *out,
                 char *errstr,
                 size_t errstr_size);

/** @brief Text value (NULL when unset).  Valid until sm_conf_destroy(). */
const char *sm_conf_str(const sm_conf_t *conf, const char *name);
/** @brief Integer, duration (µs) or bool (0/1) value; 0 when unset. */
int64_t sm_conf_int(const sm_conf_t *conf, const char *name);

/** @brief The Kafka properties given (-X / kafka.*), in order. */
const sm_kafka_prop_t *sm_conf_kafka_props(const sm_conf_t *conf,
                                           size_t *ret_n);

/** @brief Parses a duration ("90s", "2h", "500ms", "3" = seconds). */
int sm_conf_parse_duration(const char *s, int64_t *ret_usec);

#endif
