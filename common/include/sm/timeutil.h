/*
 * timeutil: instants and the text forms of time in storemon's inputs.
 *
 * An instant is an int64_t count of microseconds since 1970-01-01 UTC
 * (sm_usec_t).  Text is converted only at the edges: parsing poll
 * timestamps and business-hours times, and printing `now` / `as_of`.
 * The calendar arithmetic is the proleptic Gregorian one (days_from_civil),
 * independent of the process's TZ and locale.
 */
#ifndef SM_TIMEUTIL_H
#define SM_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sm_usec_t;

#define SM_USEC_PER_SEC  INT64_C(1000000)
#define SM_USEC_PER_MIN  (60 * SM_USEC_PER_SEC)
#define SM_USEC_PER_HOUR (60 * SM_USEC_PER_MIN)
#define SM_USEC_PER_DAY  (24 * SM_USEC_PER_HOUR)
#define SM_USEC_PER_WEEK (7 * SM_USEC_PER_DAY)

/** @brief Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t sm_days_from_civil(int64_t y, unsigned m, unsigned d);

/** @brief The date of a day number (inverse of sm_days_from_civil). */
void sm_civil_from_days(int64_t z,
                        int64_t *ret_y,
                        unsigned *ret_m,
                        unsigned *ret_d);

/** @brief Weekday of a day number: 0 = Monday ... 6 = Sunday. */
int sm_weekday_from_days(int64_t days);

/**
 * @brief Parses a poll timestamp:
 *   `YYYY-MM-DD HH:MM:SS[.f] UTC` (the real data's form) or ISO 8601
 *   `YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)`; a space may stand for the T,
 *   `UTC`/`Z` may follow without a space, an offset may be `+HHMM` or `+HH`.
 *   Fractions of 1 to 9 digits are truncated to microseconds.  A time
 *   without any zone suffix is refused.
 * @param s, len  the text (not necessarily NUL-terminated).
 * @param reason  on error, a static string naming the problem.
 * @returns 0 and sets *ret_usec, or -EINVAL.
 */
int sm_time_parse_timestamp(const char *s,
                            size_t len,
                            sm_usec_t *ret_usec,
                            const char **reason);

/**
 * @brief Parses a local time of day `HH:MM` or `HH:MM:SS` (00:00:00 to
 *   23:59:59).
 * @returns 0 and sets *ret_sec (seconds since midnight), or -EINVAL with
 *   *reason set.
 */
int sm_time_parse_hms(const char *s,
                      size_t len,
                      int32_t *ret_sec,
                      const char **reason);

/**
 * @brief Parses an as-of instant given by a user: any poll timestamp form,
 *   or `YYYY-MM-DD HH:MM:SS[.f]` / `YYYY-MM-DDTHH:MM:SS[.f]` read as UTC.
 * @returns 0 and sets *ret_usec, or -EINVAL with *reason set.
 */
int sm_time_parse_as_of(const char *s,
                        size_t len,
                        sm_usec_t *ret_usec,
                        const char **reason);

/** @brief Writes `YYYY-MM-DD HH:MM:SS[.ffffff] UTC` (fraction only when not
 *  zero) into buf.  @returns buf. */
char *sm_time_format(sm_usec_t t, char *buf, size_t size);

/** @brief Writes ISO 8601 `YYYY-MM-DDTHH:MM:SS.ffffffZ`. @returns buf. */
char *sm_time_format_iso(sm_usec_t t, char *buf, size_t size);

#define SM_TIME_FORMAT_MAX 40

#endif
