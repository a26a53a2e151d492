/*
 * ingestor: the pieces of storemon-ingestor below main.c.
 *
 *  - ingestor_conf.c:     the settings table (read by sm/conf.h:
 *                         defaults < config file < environment <
 *                         command line) and the checks across settings.
 *  - ingestor_publish.c:  the producer, the codec, delivery reports and
 *                         counters, rejects (topic and file), lag pacing,
 *                         the progress line and the summary.
 *  - ingestor_load.c:     `load`: zones, then hours (one schedule per
 *                         store), then every poll sorted by time.
 *  - ingestor_scan.c:     a polls file read by several threads.
 *  - ingestor_stream.c:   `stream`: poll lines from stdin (CSV or NDJSON),
 *                         published as they come.
 *
 * See main.c for the design notes.
 */
#ifndef SM_INGESTOR_H
#define SM_INGESTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sm/codec.h"
#include "sm/conf.h"
#include "sm/csv.h"
#include "sm/kafka.h"
#include "sm/log.h"
#include "sm/records.h"
#include "sm/strmap.h"

#define SM_INGEST_PROG "storemon-ingestor"

/** Exit statuses. */
#define SM_INGEST_EXIT_OK 0 /* everything accepted was acknowledged */
#define SM_INGEST_EXIT_FAIL                                                    \
        1                      /* fatal input error, or something accepted     \
                                * was not delivered */
#define SM_INGEST_EXIT_USAGE 2 /* usage or configuration error */

enum sm_ingest_cmd {
        SM_INGEST_CMD_NONE = 0,
        SM_INGEST_CMD_LOAD,   /* load --polls/--hours/--zones */
        SM_INGEST_CMD_STREAM, /* stream: polls from stdin */
};

enum sm_ingest_progress {
        SM_INGEST_PROGRESS_AUTO = 0, /* when stderr is a terminal */
        SM_INGEST_PROGRESS_ON,       /* always */
        SM_INGEST_PROGRESS_OFF,      /* never */
};

/** The effective configuration, read from the shared settings table
 *  (sm/conf.h).  Strings are borrowed from `src` and valid until
 *  sm_ingest_conf_free(). */
typedef struct sm_ingest_conf {
        sm_conf_t *src;                   /* the layered settings */
        enum sm_ingest_cmd cmd;           /* the command */
        const char *brokers;              /* bootstrap list */
        int64_t max_lag;                  /* max group lag per store-polls
                                           * partition; 0 = no pacing */
        const char *lag_group;            /* the consumer group to watch */
        int64_t lag_interval_ms;          /* how often lag is read */
        int64_t shutdown_timeout_ms;      /* flush wait after a signal */
        const char *rejects;              /* rejects file, or NULL */
        enum sm_log_level log_level;      /* sm_log level */
        enum sm_ingest_progress progress; /* progress line */
        const char *source;               /* stream: source name */
        const char *inputs[3];            /* load: files by sm_rec_kind, or
                                           * NULL */
        const sm_kafka_prop_t *props;     /* Kafka properties, file then -X */
        size_t nprops;                    /* entries in props */
} sm_ingest_conf_t;

/**
 * @brief Builds the configuration: argv[1] is the command, the rest goes
 *   through sm_conf_load() (defaults < config file (--config or SM_CONFIG)
 *   < SM_INGESTOR_* / STOREMON_BROKERS < command line).  Prints --help
 *   and --dump-config itself.
 * @returns 0 to run, 1 when help or the configuration was printed (exit
 *   0), or -EINVAL with a one-line reason in errstr (usage error, exit 2).
 */
int sm_ingest_conf_parse(int argc,
                         char **argv,
                         sm_ingest_conf_t *ret_conf,
                         char *errstr,
                         size_t errstr_size);

/** @brief Frees a configuration (conf may be NULL or zeroed). */
void sm_ingest_conf_free(sm_ingest_conf_t *conf);

/* ------------------------------------------------------------ publish */

typedef struct sm_pub_s sm_pub_t;

/** Record types the ingestor publishes, for counters. */
enum sm_pub_rec {
        SM_PUB_POLL = 0, /* StorePoll -> store-polls */
        SM_PUB_HOURS,    /* StoreHours -> store-hours */
        SM_PUB_ZONE,     /* StoreTimezone -> store-timezones */
        SM_PUB_REJECT,   /* RejectedRow -> ingest-rejects */
        SM_PUB__CNT
};

/**
 * @brief Creates the producer (our defaults, then conf->props), the codec
 *   and the rejects file.
 * @param cmd  "load" or "stream", for messages.
 * @returns the publisher, or NULL with errstr filled; *ret_usage is set to
 *   1 when the cause is a configuration error (a bad -X).
 */
sm_pub_t *sm_pub_new(const sm_ingest_conf_t *conf,
                     const char *cmd,
                     int *ret_usage,
                     char *errstr,
                     size_t errstr_size);

/** @brief Flushes nothing; destroys the producer (after sm_pub_finish()),
 *  the codec and closes the rejects file.  pub may be NULL. */
void sm_pub_destroy(sm_pub_t *pub);

/** @brief Counts a row read from an input of the given kind. */
void sm_pub_count_read(sm_pub_t *pub, enum sm_rec_kind kind);

/** @brief Counts rows read and rows accepted at once. */
void sm_pub_count_rows(sm_pub_t *pub,
                       enum sm_rec_kind kind,
                       int64_t read,
                       int64_t accepted);

/** @brief Counts an accepted row of the given kind. */
void sm_pub_count_accepted(sm_pub_t *pub, enum sm_rec_kind kind);

/**
 * @brief Publishes a StorePoll keyed by store_id.  The store id must be
 *   valid UTF-8 (sm_pub_check_store_id()).
 * @returns 0, or -EIO when the record could not be handed to librdkafka
 *   (already counted as a delivery failure), -ECANCELED after a fatal
 *   Kafka error.
 */
int sm_pub_poll(sm_pub_t *pub,
                const char *store_id,
                size_t len,
                int64_t ts,
                int active);

/** @brief Publishes a StoreHours: the store's whole schedule (nrows may be
 *  0: open 24x7).  Returns as sm_pub_poll(). */
int sm_pub_hours(sm_pub_t *pub,
                 const char *store_id,
                 size_t len,
                 const sm_hours_row_t *rows,
                 size_t nrows);

/** @brief Publishes a StoreTimezone.  Returns as sm_pub_poll(). */
int sm_pub_zone(sm_pub_t *pub,
                const char *store_id,
                size_t len,
                const char *zone,
                size_t zone_len);

/**
 * @brief Sets a bad row aside: counts it by code, writes `FILE:LINE:
 *   reason` to the rejects file (if any) and publishes a RejectedRow keyed
 *   by its source (raw text made valid UTF-8 first).
 * @returns as sm_pub_poll().
 */
int sm_pub_reject(sm_pub_t *pub, const sm_err_t *err, sm_str_t raw);

/**
 * @brief Whether a store id can go on the wire (valid UTF-8, no NUL).
 * @returns 0, or -EINVAL with err->code and err->reason filled.
 */
int sm_pub_check_store_id(const char *id, size_t len, sm_err_t *err);

/**
 * @brief Serves delivery reports, reads the group's lag when due and
 *   waits while it is over the limit, and redraws the progress line.
 *   Cheap to call once per record.
 */
void sm_pub_serve(sm_pub_t *pub);

/** @brief Like sm_pub_serve(), but waits up to timeout_ms for events. */
void sm_pub_wait(sm_pub_t *pub, int timeout_ms);

/**
 * @brief Sets what the progress line shows: a phase ("reading polls.csv",
 *   "publishing polls"), the rows done in it (the rate is rows per second
 *   since the phase began) and, when fraction >= 0, the fraction done.
 *   The line is redrawn at most 5 times a second, and only when enabled.
 */
void sm_pub_progress(sm_pub_t *pub,
                     const char *phase,
                     int64_t rows,
                     double fraction);

/**
 * @brief Waits until every record handed over so far is acknowledged or
 *   failed.  timeout_ms < 0 waits as long as librdkafka keeps trying
 *   (message.timeout.ms bounds it), but a signal turns the wait into one
 *   of conf->shutdown_timeout_ms.
 * @returns 0 when nothing is outstanding, or -ETIMEDOUT.
 */
int sm_pub_flush(sm_pub_t *pub, int timeout_ms);

/** @brief Whether the run must stop (a signal or a fatal Kafka error). */
int sm_pub_stopping(const sm_pub_t *pub);

/**
 * @brief Prints the summary on stderr (clearing the progress line first)
 *   and computes the exit status.
 * @param fatal  1 when the run stopped on a fatal input error.
 * @returns SM_INGEST_EXIT_OK or SM_INGEST_EXIT_FAIL.
 */
int sm_pub_summary(sm_pub_t *pub, int fatal);

/* ------------------------------------------------------------ scan */

/** A poll waiting to be published (16 bytes). */
typedef struct sm_load_poll {
        int64_t ts;     /* timestamp, µs UTC */
        uint32_t store; /* index in the id table */
        uint32_t flags; /* bit 0: active */
} sm_load_poll_t;

/**
 * @brief Reads a polls file with several threads, when it can: the file
 *   has more than one chunk's worth of data, starts with its header on
 *   line 1 and holds no '"' (so every physical line is one record).  Rows
 *   are validated by records.h (sm_rec_feed), exactly as the sequential
 *   reader does; the polls come back in file order, bad rows are
 *   published in file order with their physical line numbers, and the
 *   rows are counted.
 * @param path  what to open; name: how rejects name it.
 * @param ids   the id table the polls' store indexes refer to.
 * @returns 1 with *ret_polls (malloc'ed) and *ret_npolls set; 0 when the
 *   file does not qualify (nothing was done: read it sequentially); or a
 *   negative errno (logged).
 */
int sm_scan_polls(sm_pub_t *pub,
                  const char *path,
                  const char *name,
                  sm_strmap_t *ids,
                  sm_load_poll_t **ret_polls,
                  size_t *ret_npolls);

/* ------------------------------------------------------------ commands */

/** @brief Runs `load`.  @returns 0, or -EBADMSG after logging a fatal
 *  input error (missing column, unreadable file). */
int sm_load_run(sm_pub_t *pub, const sm_ingest_conf_t *conf);

/** @brief Runs `stream` until EOF or a signal.  @returns as
 *  sm_load_run(). */
int sm_stream_run(sm_pub_t *pub, const sm_ingest_conf_t *conf);

#endif
