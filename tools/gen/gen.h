/*
 * storemon-gen: the pieces shared by the generator's modules.
 *
 * The generator is built around counter-based randomness: every decision
 * about one poll (missed or not, its jitter, a redelivery, a bad copy) is a
 * pure function of (seed, store id, slot number), and every per-store trait
 * (behaviour class, outages, poller gaps, hours, zone) is a function of
 * (seed, store id).  So the rows can be written in any order (the shuffled
 * "export" order is the default) without keeping the data set in memory,
 * and the same seed and arguments always give byte-identical files.
 *
 * Modules:
 * - gen_rng.c:    splitmix64 / xoshiro256** and the draws built on them.
 * - gen_out.c:    buffered file output, CSV quoting, timestamp text.
 * - gen_stores.c: the store set (read from CSV files or synthesised).
 * - gen_polls.c:  the store behaviour model and polls.csv.
 * - gen_hours.c:  synthetic business hours and time zones.
 */
#ifndef SM_GEN_H
#define SM_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "sm/timeutil.h"

/* ------------------------------------------------------------------ rng */

/** xoshiro256** state. */
typedef struct sm_gen_rng {
        uint64_t s[4]; /* never all zero */
} sm_gen_rng_t;

/** @brief The splitmix64 finaliser: a good 64-bit mixing function. */
static inline uint64_t sm_gen_mix(uint64_t z) {
        z += UINT64_C(0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

/** @brief A key for (key, n): used to derive independent streams. */
static inline uint64_t sm_gen_hash2(uint64_t key, uint64_t n) {
        return sm_gen_mix(key ^ sm_gen_mix(n));
}

/** @brief Seeds the generator from one 64-bit value (any value). */
void sm_gen_rng_seed(sm_gen_rng_t *rng, uint64_t seed);

/** @brief The next 64 random bits. */
uint64_t sm_gen_rng_next(sm_gen_rng_t *rng);

/** @brief A uniform double in [0, 1). */
double sm_gen_rng_unit(sm_gen_rng_t *rng);

/** @brief A uniform integer in [0, n); n > 0. */
uint64_t sm_gen_rng_below(sm_gen_rng_t *rng, uint64_t n);

/** @brief An exponentially distributed duration with the given mean. */
sm_usec_t sm_gen_rng_exp(sm_gen_rng_t *rng, sm_usec_t mean);

/** @brief A log-uniform duration in [lo, hi); 0 < lo <= hi. */
sm_usec_t sm_gen_rng_loguniform(sm_gen_rng_t *rng, sm_usec_t lo, sm_usec_t hi);

/** @brief Picks an index from weights[0..n) (weights sum to > 0). */
size_t sm_gen_rng_pick(sm_gen_rng_t *rng, const unsigned *weights, size_t n);

/** @brief 64-bit FNV-1a of a byte string. */
uint64_t sm_gen_hash_bytes(const char *s, size_t len);

/* ------------------------------------------------------------------ out */

typedef struct sm_gen_out_s sm_gen_out_t;

/**
 * @brief Creates (truncates) a file for buffered writing.
 * @returns the writer, or NULL with errstr filled.
 */
sm_gen_out_t *
sm_gen_out_open(const char *path, char *errstr, size_t errstr_size);

/**
 * @brief Flushes and closes the file and frees the writer (NULL is a
 *   no-op).  Write errors are sticky: the first one is reported here.
 * @returns 0, or a negative errno with errstr filled.
 */
int sm_gen_out_close(sm_gen_out_t *out, char *errstr, size_t errstr_size);

/** @brief Appends len bytes. */
void sm_gen_out_write(sm_gen_out_t *out, const char *s, size_t len);

/** @brief Appends a NUL-terminated string. */
void sm_gen_out_str(sm_gen_out_t *out, const char *s);

/** @brief Appends one byte. */
void sm_gen_out_char(sm_gen_out_t *out, char c);

/** @brief Appends an unsigned decimal number. */
void sm_gen_out_uint(sm_gen_out_t *out, uint64_t v);

/** @brief Appends one CSV field, quoted (RFC 4180) when it holds a comma,
 *  a quote, a line end or surrounding spaces. */
void sm_gen_out_field(sm_gen_out_t *out, const char *s, size_t len);

/**
 * @brief Formats a poll timestamp into buf (SM_TIME_FORMAT_MAX bytes, not
 *   NUL-terminated).
 * @param iso  0: the real data's form `2023-01-22 12:09:39.388884 UTC`
 *   (trailing zeros of the fraction dropped, no fraction when it is zero,
 *   as in the Loop export); 1: ISO 8601 `2023-01-22T12:09:39.388884Z`
 *   (as sm_time_format_iso()).
 * @param zone  0 leaves the zone suffix out (for bad rows).
 * @returns the length written.
 */
size_t sm_gen_time_text(sm_usec_t t, int iso, int zone, char *buf);

/** @brief Appends a poll timestamp (see sm_gen_time_text()). */
void sm_gen_out_time(sm_gen_out_t *out, sm_usec_t t, int iso, int zone);

/** @brief Appends a local time of day `HH:MM:SS` (or `HH:MM` when short);
 *  sec in 0 .. 86399. */
void sm_gen_out_hms(sm_gen_out_t *out, int32_t sec, int short_form);

/** @brief Bytes written so far. */
uint64_t sm_gen_out_bytes(const sm_gen_out_t *out);

/* --------------------------------------------------------------- stores */

typedef struct sm_gen_stores_s sm_gen_stores_t;

/** How synthetic store ids look. */
enum sm_gen_id_style {
        SM_GEN_ID_INT  = 0, /* v1: decimal 63-bit integers */
        SM_GEN_ID_UUID = 1, /* v2: random (version 4) UUIDs */
};

sm_gen_stores_t *sm_gen_stores_new(void);
void sm_gen_stores_destroy(sm_gen_stores_t *stores);

/**
 * @brief Adds a store id (copied) unless it is already in the set.
 * @returns 1 when added, 0 when it was there.
 */
int sm_gen_stores_add(sm_gen_stores_t *stores, const char *id, size_t len);

/** @brief Number of stores, in the order they were first added. */
size_t sm_gen_stores_count(const sm_gen_stores_t *stores);

/** @brief The id of store i (borrowed; valid as long as the set) and its
 *  length. */
const char *
sm_gen_stores_id(const sm_gen_stores_t *stores, size_t i, size_t *ret_len);

/** @brief A key for store i: a hash of its id (and so independent of the
 *  store's position in the set). */
uint64_t sm_gen_stores_key(const sm_gen_stores_t *stores, size_t i);

/**
 * @brief Adds the store_id column of a CSV file (header by name, as SPEC
 *   says).  Malformed rows and empty ids are skipped and counted.
 * @param ret_rows, ret_skipped  data rows read and rows skipped.
 * @returns 0, or -EINVAL/-errno with errstr filled (unreadable file, no
 *   store_id column).
 */
int sm_gen_stores_load(sm_gen_stores_t *stores,
                       const char *path,
                       size_t *ret_rows,
                       size_t *ret_skipped,
                       char *errstr,
                       size_t errstr_size);

/** @brief Adds n new synthetic stores with ids drawn from seed. */
void sm_gen_stores_synth(sm_gen_stores_t *stores,
                         size_t n,
                         enum sm_gen_id_style style,
                         uint64_t seed);

/* ----------------------------------------------------------- generation */

/** The order of polls.csv rows. */
enum sm_gen_order {
        SM_GEN_ORDER_EXPORT = 0, /* short time-sorted runs, shuffled */
        SM_GEN_ORDER_TIME   = 1, /* by timestamp */
        SM_GEN_ORDER_STORE  = 2, /* by store, then timestamp */
};

/** What to generate (filled by main from the command line). */
typedef struct sm_gen_conf {
        uint64_t seed;                 /* --seed */
        sm_usec_t end;                 /* --end: every poll is before it */
        sm_usec_t interval;            /* poll interval */
        uint64_t nslots;               /* poll slots per store */
        int iso;                       /* --format iso */
        enum sm_gen_order order;       /* --order */
        enum sm_gen_id_style id_style; /* --id-style (synthetic mode) */
        double dup_rate;               /* --dup-rate: redelivered polls */
        double miss_rate;              /* --miss-rate: mean missed-poll rate */
        double bad_rate;               /* --bad-rows: bad rows per good row */
} sm_gen_conf_t;

/** Counters for the summary line. */
typedef struct sm_gen_stats {
        uint64_t polls;      /* distinct polls written */
        uint64_t inactive;   /* of which inactive */
        uint64_t dups;       /* redelivered copies written */
        uint64_t bad_polls;  /* malformed poll rows */
        uint64_t hours_rows; /* good business-hours rows */
        uint64_t bad_hours;  /* malformed business-hours rows */
        uint64_t zone_rows;  /* good time-zone rows */
        uint64_t bad_zones;  /* malformed time-zone rows */
        uint64_t no_hours;   /* stores without hours rows (24x7) */
        uint64_t no_zone;    /* stores without a zone row */
        sm_usec_t first;     /* earliest poll */
        sm_usec_t last;      /* latest poll */
} sm_gen_stats_t;

/**
 * @brief Writes polls.csv for every store of the set.
 * @returns 0, or a negative errno with errstr filled.
 */
int sm_gen_polls_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size);

/**
 * @brief Writes synthetic business hours (header `day` for integer ids,
 *   `dayOfWeek` for UUIDs, as in the real v1 and v2 files).
 * @returns 0, or a negative errno with errstr filled.
 */
int sm_gen_hours_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size);

/**
 * @brief Writes synthetic time zones, grouped by zone as the real export.
 * @returns 0, or a negative errno with errstr filled.
 */
int sm_gen_zones_write(const sm_gen_conf_t *conf,
                       const sm_gen_stores_t *stores,
                       const char *path,
                       sm_gen_stats_t *stats,
                       char *errstr,
                       size_t errstr_size);

#endif
