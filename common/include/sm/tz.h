/*
 * tz: IANA time zones and local wall-clock time to UTC.
 *
 * Zones come from the system tzdata through GLib's GTimeZone (thread-safe,
 * no TZ switching).  A process-wide cache maps a zone name to one immutable
 * sm_zone_t, so a data set with 14k stores in 11 zones loads 11 zones.
 *
 * local -> UTC follows SPEC (Python zoneinfo, fold=0): a wall time that
 * happens twice takes the earlier instant; a wall time that does not exist
 * is read with the offset in force before the change.
 */
#ifndef SM_TZ_H
#define SM_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "sm/timeutil.h"

typedef struct sm_zone_s sm_zone_t;

/** The zone of a store with no (or an empty) time-zone row. */
#define SM_ZONE_DEFAULT "America/Chicago"

/**
 * @brief Looks a zone up by IANA name (e.g. "America/Denver", "UTC").
 *   Names must look like IANA names (letters, digits, '_', '-', '+', parts
 *   separated by '/', no "..", no leading '/') and exist in the tzdata.
 * @param reason  on failure, a static string saying why.
 * @returns the zone (owned by the cache; valid until sm_zone_cache_clear()),
 *   or NULL.
 */
const sm_zone_t *sm_zone_get(const char *name, size_t len, const char **reason);

/** @brief The default zone (America/Chicago); aborts if tzdata lacks it. */
const sm_zone_t *sm_zone_default(void);

/** @brief The zone's name (valid as long as the zone). */
const char *sm_zone_name(const sm_zone_t *zone);

/**
 * @brief The UTC instant of a local wall-clock time.
 * @param days  local calendar date as days since 1970-01-01.
 * @param sec   seconds since local midnight (0 .. 86399; 86400 allowed for
 *   "midnight at the end of the day").
 */
sm_usec_t
sm_zone_local_to_utc(const sm_zone_t *zone, int64_t days, int32_t sec);

/** @brief The UTC offset in seconds in force at instant t. */
int32_t sm_zone_offset_at(const sm_zone_t *zone, sm_usec_t t);

/** @brief Frees every cached zone (at exit, for leak checkers). */
void sm_zone_cache_clear(void);

#endif
