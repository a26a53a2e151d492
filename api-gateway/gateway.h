/*
 * gateway: the types every module of storemon-gateway shares.
 *
 * The gateway is five cooperating parts (one file each):
 *
 *   gateway_http.c     libmicrohttpd's thread pool: routes, validation,
 *                      answers from the status cache; a trigger is handed
 *                      to the trigger thread while its connection is
 *                      suspended.
 *   gateway_trigger.c  the trigger thread: end offsets, the as_of
 *                      resolution, the Running row, the request copies.
 *   gateway_results.c  the results thread: consumes report-results and
 *                      reporter-progress, materializes parts in SQLite,
 *                      completes, fails and announces reports.
 *   gateway_cache.c    report id -> status (and the CSV and JSON bodies
 *                      of complete reports), behind a rwlock.
 *   gateway_db.c       the SQLite store (one connection per thread).
 *
 * plus gateway_progress.c (the reporters' progress, shared by the results
 * and trigger threads), gateway_metrics.c, gateway_body.c (request
 * bodies and JSON text), gateway_conf.c, gateway_util.c (what this header
 * declares) and gateway_service.c (wiring).
 *
 * A report is identified by its id in canonical lower-case UUID text.
 * Instants are µs since the epoch (sm_usec_t).
 */
#ifndef SM_GATEWAY_H
#define SM_GATEWAY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "sm/reportreq.h"
#include "sm/timeutil.h"

/** Where a report is in its life. */
typedef enum sm_gw_status {
        SM_GW_RUNNING = 0, /* requested, parts still missing */
        SM_GW_COMPLETE,    /* every partition answered; CSV stored */
        SM_GW_FAILED,      /* timed out or contradictory; reason set */
        SM_GW__STATUS_CNT  /* number of statuses */
} sm_gw_status_t;

/** @brief "Running", "Complete" or "Failed" (static). */
const char *sm_gw_status_name(sm_gw_status_t st);

/** @brief The status named s, or -1. */
int sm_gw_status_parse(const char *s);

#define SM_GW_REASON_MAX 256 /* bytes of a failure reason, with the NUL */

/** What the gateway knows about one report (a plain value: copied in and
 *  out of the cache). */
typedef struct sm_gw_report {
        char id[SM_REPORT_ID_LEN + 1]; /* lower-case UUID text */
        sm_gw_status_t status;         /* where it is */
        sm_usec_t requested_at;        /* when the trigger was accepted */
        int has_as_of;                 /* as_of is known */
        sm_usec_t as_of;               /* the report's now (if has_as_of) */
        int32_t partitions_total;      /* partitions that must answer */
        int32_t partitions_done;       /* partitions fully received */
        int64_t store_count;           /* rows (Complete), else 0 */
        sm_usec_t completed_at;        /* when it completed or failed, 0 */
        char reason[SM_GW_REASON_MAX]; /* why it failed, else "" */
} sm_gw_report_t;

/**
 * An immutable, reference-counted byte string: a report's CSV or its
 * JSON answer, shared by the cache and the responses being sent.
 */
typedef struct sm_gw_blob {
        atomic_int refs; /* owners; freed when it drops to 0 */
        size_t len;      /* bytes in data */
        char data[];     /* the bytes */
} sm_gw_blob_t;

/** @brief A blob of len bytes (uninitialised), with one reference. */
sm_gw_blob_t *sm_gw_blob_new(size_t len);

/** @brief Takes one more reference.  @returns b. */
sm_gw_blob_t *sm_gw_blob_ref(sm_gw_blob_t *b);

/** @brief Drops one reference.  b may be NULL. */
void sm_gw_blob_unref(sm_gw_blob_t *b);

/** @brief Wall clock, µs since the epoch. */
sm_usec_t sm_gw_wall_usec(void);

/** @brief Monotonic clock, ms. */
int64_t sm_gw_mono_ms(void);

/** @brief Lower-cases a valid report id into out.  @returns 0, or -EINVAL
 *  when s is not a UUID (sm_reportreq_id_valid()). */
int sm_gw_id_normalize(const char *s,
                       size_t len,
                       char out[SM_REPORT_ID_LEN + 1]);

/** @brief The value of a hexadecimal digit (either case), or -1 (for
 *  %XX escapes in URLs and forms). */
int sm_gw_hex_value(char c);

#endif
