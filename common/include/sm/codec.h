/*
 * codec: storemon's Avro records to and from single-object frames.
 *
 * Each record type on a topic has a plain C struct here (sm_poll_msg_t,
 * ...), an sm_codec_encode_<rec>() that frames it (wire.h: C3 01,
 * fingerprint, Avro binary) and an sm_codec_decode_<rec>() that checks a
 * frame and fills the struct.  The schemas come from schemas/<Name>.avsc,
 * embedded in the build (sm/schemas.h); sm_codec_new() parses each one
 * once, computes its canonical form and fingerprint, builds one avro-c
 * value interface per schema and checks that every schema still has the
 * fields, in the order and of the types, that this file's structs map
 * (a changed .avsc fails here, at startup, not on the wire).
 *
 * The work per record uses avro-c's value API on values made once and
 * reused (avro_value_reset); there is no JSON and no allocation of ours on
 * that path.  Strings to encode are handed to avro-c without a copy.
 *
 * Decoding trusts nothing: the header, the fingerprint and then the whole
 * body are checked against the schema (lengths, varints, enum and union
 * indexes, UTF-8, no trailing bytes) before avro-c reads it, so a
 * truncated, foreign or random frame is an error (-EBADMSG and errstr),
 * never a crash or a huge allocation.
 *
 * Strings.  Every string field is a (pointer, length) pair; it need not be
 * NUL-terminated on encode.  Strings must be valid UTF-8 without NUL bytes
 * (sm_wire_text_valid): encoding anything else is -EINVAL, and decoding it
 * is -EBADMSG, so a decoded string is always also a valid C string.  A
 * NULL pointer with length 0 encodes the empty string.
 *
 * Lifetimes.  A decoded struct borrows its strings and arrays from the
 * codec: they are valid until the next sm_codec_decode_<rec>() of the same
 * record type on the same codec, or sm_codec_destroy().  Decoded strings
 * are NUL-terminated.
 *
 * Threads.  A codec is not thread-safe: each thread makes its own with
 * sm_codec_new() (a few hundred microseconds, once).
 */
#ifndef SM_CODEC_H
#define SM_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sm/report.h"
#include "sm/timeutil.h"
#include "sm/wire.h"

typedef struct sm_codec_s sm_codec_t;

/** The record types, one per schemas/<Name>.avsc. */
typedef enum sm_record {
        SM_RECORD_STORE_POLL = 0,    /* StorePoll, topic store-polls */
        SM_RECORD_STORE_HOURS,       /* StoreHours, topic store-hours */
        SM_RECORD_STORE_TIMEZONE,    /* StoreTimezone, store-timezones */
        SM_RECORD_REJECTED_ROW,      /* RejectedRow, ingest-rejects */
        SM_RECORD_REPORT_REQUEST,    /* ReportRequest, report-requests */
        SM_RECORD_REPORT_PART,       /* ReportPart, report-results */
        SM_RECORD_REPORT_READY,      /* ReportReady, report-ready */
        SM_RECORD_REPORTER_PROGRESS, /* ReporterProgress */
        SM_RECORD__CNT               /* number of record types */
} sm_record_t;

/** StorePoll: one poll of one store. */
typedef struct sm_poll_msg {
        const char *store_id; /* the store */
        size_t store_id_len;  /* its length in bytes */
        sm_usec_t ts;         /* timestamp_utc, µs since the epoch */
        int active;           /* 1 = ACTIVE, 0 = INACTIVE (any non-zero
                               * value encodes ACTIVE) */
} sm_poll_msg_t;

/** BusinessHours: one opening interval of a StoreHours. */
typedef struct sm_hours_row {
        int32_t day_of_week; /* 0 = Monday ... 6 = Sunday */
        int32_t start_local; /* seconds since local midnight */
        int32_t end_local;   /* seconds since local midnight */
} sm_hours_row_t;

/** StoreHours: a store's whole weekly schedule (no rows = open 24x7). */
typedef struct sm_hours_msg {
        const char *store_id;       /* the store */
        size_t store_id_len;        /* its length in bytes */
        const sm_hours_row_t *rows; /* nrows intervals (may be NULL if 0) */
        size_t nrows;               /* number of intervals */
} sm_hours_msg_t;

/** StoreTimezone: a store's IANA zone. */
typedef struct sm_tz_msg {
        const char *store_id;     /* the store */
        size_t store_id_len;      /* its length in bytes */
        const char *timezone_str; /* e.g. "America/Denver" */
        size_t timezone_str_len;  /* its length in bytes */
} sm_tz_msg_t;

/** RejectedRow: an input row the ingestor refused. */
typedef struct sm_reject_msg {
        const char *source; /* file name, "<stdin>", endpoint */
        size_t source_len;  /* its length in bytes */
        int64_t line;       /* physical line; 0 if the source has none */
        const char *raw;    /* the row's text (valid UTF-8, see top) */
        size_t raw_len;     /* its length in bytes */
        const char *reason; /* why it was refused */
        size_t reason_len;  /* its length in bytes */
} sm_reject_msg_t;

/** ReportRequest: one partition's copy of a report request. */
typedef struct sm_request_msg {
        const char *report_id;  /* the report */
        size_t report_id_len;   /* its length in bytes */
        sm_usec_t requested_at; /* when the gateway accepted it */
        int has_as_of;          /* 1 if as_of is set, 0 for null */
        sm_usec_t as_of;        /* the report's now (if has_as_of) */
        int32_t partition;      /* the partition this copy is for */
        int64_t end_polls;      /* end offset in store-polls, -1 unknown */
        int64_t end_hours;      /* end offset in store-hours, -1 unknown */
        int64_t end_zones;      /* end offset in store-timezones, -1 unknown */
} sm_request_msg_t;

/* ReportRow: one store's line of a report is sm_report_row_t
 * (sm/report.h), shared with the CSV writer. */

/** ReportPart: one chunk of one partition's share of a report. */
typedef struct sm_part_msg {
        const char *report_id;       /* the report */
        size_t report_id_len;        /* its length in bytes */
        int32_t partition;           /* whose stores the rows cover */
        int32_t part;                /* 0-based chunk index */
        sm_usec_t as_of;             /* the now the windows are for */
        const sm_report_row_t *rows; /* nrows rows (may be NULL if 0) */
        size_t nrows;                /* number of rows in this chunk */
        int last;                    /* 1 on the partition's final chunk */
        int64_t row_count;           /* rows of the whole partition (when
                                      * last), else -1 */
} sm_part_msg_t;

/** ReportReady: a finished report. */
typedef struct sm_ready_msg {
        const char *report_id;  /* the report */
        size_t report_id_len;   /* its length in bytes */
        sm_usec_t as_of;        /* the report's now */
        sm_usec_t completed_at; /* when it was stored */
        int64_t store_count;    /* rows in the report */
        const char *url;        /* where to fetch it */
        size_t url_len;         /* its length in bytes */
} sm_ready_msg_t;

/** ReporterProgress: a reporter instance's progress on one partition. */
typedef struct sm_progress_msg {
        const char *instance;   /* the reporter instance */
        size_t instance_len;    /* its length in bytes */
        int32_t partition;      /* the store-polls partition */
        int has_watermark;      /* 1 if watermark is set, 0 for null */
        sm_usec_t watermark;    /* largest poll timestamp applied */
        int64_t applied_offset; /* last offset applied, -1 none */
        sm_usec_t updated_at;   /* when this was published */
} sm_progress_msg_t;

/**
 * @brief Loads every embedded schema and builds the codec.
 * @returns the codec (free with sm_codec_destroy()), or NULL with errstr
 *   filled if a schema is missing, does not parse, or no longer matches
 *   the structs above.
 */
sm_codec_t *sm_codec_new(char *errstr, size_t errstr_size);

/** @brief Frees the codec and everything decoded with it.  codec may be
 *  NULL. */
void sm_codec_destroy(sm_codec_t *codec);

/** @brief The record's name, e.g. "StorePoll" (static), or "?" for a value
 *  out of range. */
const char *sm_codec_record_name(sm_record_t rec);

/** @brief The CRC-64-AVRO fingerprint of the record's schema. */
uint64_t sm_codec_fingerprint(const sm_codec_t *codec, sm_record_t rec);

/** @brief The Parsing Canonical Form of the record's schema (valid until
 *  sm_codec_destroy()). */
const char *sm_codec_canonical_form(const sm_codec_t *codec, sm_record_t rec);

/**
 * @brief Tells which record a frame holds, from its header alone (the body
 *   is not checked).
 * @returns 0 and sets *ret_rec, or -EBADMSG with errstr filled when buf is
 *   not a single-object frame or its fingerprint is not one of ours.
 */
int sm_codec_peek_fingerprint(const sm_codec_t *codec,
                              const void *buf,
                              size_t len,
                              sm_record_t *ret_rec,
                              char *errstr,
                              size_t errstr_size);

/*
 * Encoders.  Each replaces out's content with one frame (out->len is its
 * size) and grows out as needed; out must be zero-initialised or a buffer
 * used before.  The message is only read.
 * @returns 0, or -EINVAL with errstr filled for a message that cannot be
 *   encoded (a string that is not valid UTF-8 or holds a NUL, a NULL
 *   pointer with a non-zero length), or -EMSGSIZE for a frame over 1 GiB.
 *   out's content is unspecified after an error.
 */
int sm_codec_encode_poll(sm_codec_t *codec,
                         const sm_poll_msg_t *msg,
                         sm_buf_t *out,
                         char *errstr,
                         size_t errstr_size);
int sm_codec_encode_hours(sm_codec_t *codec,
                          const sm_hours_msg_t *msg,
                          sm_buf_t *out,
                          char *errstr,
                          size_t errstr_size);
int sm_codec_encode_tz(sm_codec_t *codec,
                       const sm_tz_msg_t *msg,
                       sm_buf_t *out,
                       char *errstr,
                       size_t errstr_size);
int sm_codec_encode_reject(sm_codec_t *codec,
                           const sm_reject_msg_t *msg,
                           sm_buf_t *out,
                           char *errstr,
                           size_t errstr_size);
int sm_codec_encode_request(sm_codec_t *codec,
                            const sm_request_msg_t *msg,
                            sm_buf_t *out,
                            char *errstr,
                            size_t errstr_size);
int sm_codec_encode_part(sm_codec_t *codec,
                         const sm_part_msg_t *msg,
                         sm_buf_t *out,
                         char *errstr,
                         size_t errstr_size);
int sm_codec_encode_ready(sm_codec_t *codec,
                          const sm_ready_msg_t *msg,
                          sm_buf_t *out,
                          char *errstr,
                          size_t errstr_size);
int sm_codec_encode_progress(sm_codec_t *codec,
                             const sm_progress_msg_t *msg,
                             sm_buf_t *out,
                             char *errstr,
                             size_t errstr_size);

/*
 * Decoders.  Each checks that buf[0..len) is exactly one frame of its
 * record type and fills *ret_msg, whose strings and arrays are borrowed
 * from the codec (see Lifetimes at the top).
 * @returns 0, or -EBADMSG with errstr filled (too short, not C3 01, a
 *   fingerprint of another or an unknown schema, a truncated or malformed
 *   body, trailing bytes); *ret_msg is untouched then.
 */
int sm_codec_decode_poll(sm_codec_t *codec,
                         const void *buf,
                         size_t len,
                         sm_poll_msg_t *ret_msg,
                         char *errstr,
                         size_t errstr_size);
int sm_codec_decode_hours(sm_codec_t *codec,
                          const void *buf,
                          size_t len,
                          sm_hours_msg_t *ret_msg,
                          char *errstr,
                          size_t errstr_size);
int sm_codec_decode_tz(sm_codec_t *codec,
                       const void *buf,
                       size_t len,
                       sm_tz_msg_t *ret_msg,
                       char *errstr,
                       size_t errstr_size);
int sm_codec_decode_reject(sm_codec_t *codec,
                           const void *buf,
                           size_t len,
                           sm_reject_msg_t *ret_msg,
                           char *errstr,
                           size_t errstr_size);
int sm_codec_decode_request(sm_codec_t *codec,
                            const void *buf,
                            size_t len,
                            sm_request_msg_t *ret_msg,
                            char *errstr,
                            size_t errstr_size);
int sm_codec_decode_part(sm_codec_t *codec,
                         const void *buf,
                         size_t len,
                         sm_part_msg_t *ret_msg,
                         char *errstr,
                         size_t errstr_size);
int sm_codec_decode_ready(sm_codec_t *codec,
                          const void *buf,
                          size_t len,
                          sm_ready_msg_t *ret_msg,
                          char *errstr,
                          size_t errstr_size);
int sm_codec_decode_progress(sm_codec_t *codec,
                             const void *buf,
                             size_t len,
                             sm_progress_msg_t *ret_msg,
                             char *errstr,
                             size_t errstr_size);

#endif
