/*
 * records: reading and validating the three input kinds (polls, business
 * hours, time zones) from CSV, with SPEC's rules.
 *
 * This is the one place that decides whether an input row is accepted:
 * the batch report, the ingestor's bulk load and its live stream all read
 * rows through it, so a row is accepted or rejected the same way
 * everywhere.  Columns are found by header name (case-insensitive, any
 * order, extra columns ignored); a missing required column is a fatal error
 * naming it.  A bad row yields an sm_err_t {source, line, code, reason} and
 * reading goes on.
 */
#ifndef SM_RECORDS_H
#define SM_RECORDS_H

#include <stdint.h>

#include "sm/csv.h"
#include "sm/timeutil.h"
#include "sm/tz.h"

enum sm_rec_kind {
        SM_REC_POLLS = 0,
        SM_REC_HOURS,
        SM_REC_ZONES,
};

/** Why a row was set aside: a short, stable code for counting, and a
 *  sentence for people. */
typedef struct sm_err {
        const char *source; /* file name as given (borrowed) */
        long line;          /* physical line (header = 1); 0 = no line */
        const char *code;   /* static short code, e.g. "bad_timestamp" */
        char reason[160];   /* what is wrong, naming the field */
} sm_err_t;

typedef struct sm_poll_rec {
        sm_str_t store_id; /* borrowed from the reader */
        sm_usec_t ts;      /* poll instant, UTC */
        int active;        /* 1 active, 0 inactive */
} sm_poll_rec_t;

typedef struct sm_hours_rec {
        sm_str_t store_id; /* borrowed from the reader */
        int day;           /* 0 = Monday ... 6 = Sunday */
        int32_t start;     /* seconds since local midnight */
        int32_t end;       /* seconds since local midnight */
} sm_hours_rec_t;

typedef struct sm_zone_rec {
        sm_str_t store_id;     /* borrowed from the reader */
        const sm_zone_t *zone; /* the zone; the default one for an empty
                                  name */
        int is_default;        /* 1 when the name was empty */
} sm_zone_rec_t;

/** One accepted row. */
typedef struct sm_rec {
        enum sm_rec_kind kind; /* which member is set */
        long line;             /* physical line of the row */
        sm_str_t raw;          /* the row's text (borrowed) */
        union {
                sm_poll_rec_t poll;
                sm_hours_rec_t hours;
                sm_zone_rec_t zone;
        } u;
} sm_rec_t;

typedef struct sm_rec_reader_s sm_rec_reader_t;

/** @brief "polls", "hours" or "zones". */
const char *sm_rec_kind_name(enum sm_rec_kind kind);

/**
 * @brief Opens a CSV file ("-" = stdin) of one kind and reads its header.
 * @returns the reader, or NULL with errstr naming the file and the problem
 *   (cannot open, empty file, missing required column).
 */
sm_rec_reader_t *sm_rec_reader_open(enum sm_rec_kind kind,
                                    const char *path,
                                    char *errstr,
                                    size_t errstr_size);

/**
 * @brief A reader of the same kind and columns as rd over a slice of its
 *   input (data, len) starting at physical line first_line, for reading
 *   one file in several threads.  The slice must start at a record.
 */
sm_rec_reader_t *sm_rec_reader_slice(const sm_rec_reader_t *rd,
                                     const char *data,
                                     size_t len,
                                     long first_line);

/** @brief A reader for a live stream of lines (sm_rec_feed); the first
 *  non-blank line fed is the header. */
sm_rec_reader_t *sm_rec_reader_new_stream(enum sm_rec_kind kind,
                                          const char *name);

void sm_rec_reader_destroy(sm_rec_reader_t *rd);

/** @brief The underlying CSV reader (for progress). */
sm_csv_t *sm_rec_reader_csv(sm_rec_reader_t *rd);

/**
 * @brief Reads the next row.
 * @returns 1 with *rec set, 0 at the end, or -EINVAL for a bad row with
 *   *err filled (rec->line and rec->raw are set then too).  Fields of *rec
 *   are valid until the next call.
 */
int sm_rec_next(sm_rec_reader_t *rd, sm_rec_t *rec, sm_err_t *err);

/**
 * @brief Stream mode: parses one line.  The first non-blank line must be
 *   the header (returns 0 then, or -EBADMSG with errstr-like text in
 *   err->reason when a required column is missing).
 * @returns 1 with *rec set, 0 for a header or blank line, -EINVAL for a bad
 *   row.
 */
int sm_rec_feed(sm_rec_reader_t *rd,
                const char *line,
                size_t len,
                sm_rec_t *rec,
                sm_err_t *err);

/**
 * @brief Validates a poll given as separate fields (e.g. from NDJSON).
 * @returns 0 with *ret set (store_id borrowed from the argument), or
 *   -EINVAL with err->code and err->reason filled (source/line untouched).
 */
int sm_rec_parse_poll(sm_str_t store_id,
                      sm_str_t timestamp,
                      sm_str_t status,
                      sm_poll_rec_t *ret,
                      sm_err_t *err);

/** @brief Validates a business-hours row given as fields (day as text). */
int sm_rec_parse_hours(sm_str_t store_id,
                       sm_str_t day,
                       sm_str_t start,
                       sm_str_t end,
                       sm_hours_rec_t *ret,
                       sm_err_t *err);

/** @brief Validates a time-zone row given as fields. */
int sm_rec_parse_zone(sm_str_t store_id,
                      sm_str_t zone,
                      sm_zone_rec_t *ret,
                      sm_err_t *err);

#endif
