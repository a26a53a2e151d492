/*
 * tz: zone cache and local -> UTC conversion (see tz.h).
 *
 * GLib's g_date_time_new resolves DST gaps and overlaps differently from
 * SPEC, so the conversion is done by hand: the candidate offsets are the
 * ones in force a day before, at, and a day after the naive instant; a
 * candidate o is valid when the instant L - o really has offset o.  Of the
 * valid ones the earliest instant wins (fold=0).  When none is valid the
 * wall time falls in a gap, and it is read with the offset in force just
 * before the change, which is the offset at the earliest candidate instant.
 *
 * GLib finds the interval of an instant by a linear scan of the zone's
 * transitions, which dominated the batch report.  So each zone keeps, per
 * year (1970-2099, made on first use and then read without a lock), the
 * interval index and offset at every UTC midnight: an instant on a day
 * with no transition (the same interval at both of its midnights) is
 * answered from the table, and only the two days a year with a transition
 * ask GLib.
 *
 * The name check keeps POSIX TZ strings and file paths (which
 * g_time_zone_new_identifier also accepts) out: only names that exist as
 * files in the tzdata directory are zones.
 */
#include "sm/tz.h"
#include "sm/xalloc.h"

#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define YEAR_FIRST 1970 /* first year with a day table */
#define YEAR_COUNT 130  /* years with day tables (to 2099) */

/* The interval and offset at each UTC midnight of one year, and of the
 * first midnight of the next. */
struct zone_year {
        int64_t first_day; /* day number of January 1 */
        int ndays;         /* days in the year */
        gint idx[367];     /* interval at midnight of each day */
        int32_t off[367];  /* offset at midnight of each day */
};

struct sm_zone_s {
        char *name;                          /* IANA name */
        GTimeZone *gtz;                      /* GLib zone (thread-safe) */
        pthread_mutex_t years_lock;          /* serializes making years */
        struct zone_year *years[YEAR_COUNT]; /* made on first use; then
                                                read without the lock */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *cache; /* name -> sm_zone_t; protected by cache_lock */
static sm_zone_t *cache_bad_marker; /* value for names known to be bad */

static int name_looks_iana(const char *name, size_t len) {
        size_t part = 0;
        if (len == 0 || len > 64)
                return 0;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                if (c == '/') {
                        if (part == 0)
                                return 0;
                        part = 0;
                        continue;
                }
                if (part == 0 &&
                    !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                        return 0;
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                      c == '+'))
                        return 0;
                part++;
        }
        return part > 0;
}

static int tzdata_has(const char *name) {
        const char *dir = getenv("TZDIR");
        char path[512];
        struct stat st;
        if (!dir || !*dir)
                dir = "/usr/share/zoneinfo";
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
            sizeof(path))
                return 0;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void zone_free(gpointer p) {
        sm_zone_t *zone = p;
        if (!zone || zone == cache_bad_marker)
                return;
        for (int y = 0; y < YEAR_COUNT; y++)
                free(zone->years[y]);
        pthread_mutex_destroy(&zone->years_lock);
        g_time_zone_unref(zone->gtz);
        free(zone->name);
        free(zone);
}

static sm_zone_t *zone_load(const char *name) {
        GTimeZone *gtz = g_time_zone_new_identifier(name);
        sm_zone_t *zone;
        if (!gtz)
                return NULL;
        zone       = sm_xcalloc(1, sizeof(*zone));
        zone->name = sm_xstrdup(name);
        zone->gtz  = gtz;
        pthread_mutex_init(&zone->years_lock, NULL);
        return zone;
}

const sm_zone_t *
sm_zone_get(const char *name, size_t len, const char **reason) {
        char key[72];
        sm_zone_t *zone;

        if (len == 0) {
                *reason = "time zone: empty name";
                return NULL;
        }
        if (!name_looks_iana(name, len)) {
                *reason = "time zone: not an IANA zone name";
                return NULL;
        }
        memcpy(key, name, len);
        key[len] = '\0';

        pthread_mutex_lock(&cache_lock);
        if (!cache) {
                static sm_zone_t bad;
                cache_bad_marker = &bad;
                cache = g_hash_table_new_full(g_str_hash, g_str_equal, free,
                                              zone_free);
        }
        zone = g_hash_table_lookup(cache, key);
        if (!zone) {
                zone = tzdata_has(key) ? zone_load(key) : NULL;
                g_hash_table_insert(cache, sm_xstrdup(key),
                                    zone ? zone : cache_bad_marker);
        }
        pthread_mutex_unlock(&cache_lock);
        if (!zone || zone == cache_bad_marker) {
                *reason = "time zone: unknown IANA zone";
                return NULL;
        }
        return zone;
}

const sm_zone_t *sm_zone_default(void) {
        const char *reason;
        const sm_zone_t *zone =
                sm_zone_get(SM_ZONE_DEFAULT, strlen(SM_ZONE_DEFAULT), &reason);
        if (!zone) {
                g_error("time zone %s cannot be loaded (%s): install tzdata",
                        SM_ZONE_DEFAULT, reason);
        }
        return zone;
}

const char *sm_zone_name(const sm_zone_t *zone) {
        return zone->name;
}

static int32_t glib_offset(const sm_zone_t *zone, int64_t secs) {
        gint iv = g_time_zone_find_interval(zone->gtz, G_TIME_TYPE_UNIVERSAL,
                                            secs);
        return g_time_zone_get_offset(zone->gtz, iv);
}

/* The day table of the year holding `day`, or NULL outside 1970-2099. */
static const struct zone_year *year_of(sm_zone_t *zone, int64_t day) {
        int64_t y;
        unsigned m, d;
        struct zone_year *zy;

        sm_civil_from_days(day, &y, &m, &d);
        if (y < YEAR_FIRST || y >= YEAR_FIRST + YEAR_COUNT)
                return NULL;
        zy = __atomic_load_n(&zone->years[y - YEAR_FIRST], __ATOMIC_ACQUIRE);
        if (zy)
                return zy;
        pthread_mutex_lock(&zone->years_lock);
        zy = zone->years[y - YEAR_FIRST];
        if (!zy) {
                zy            = sm_xcalloc(1, sizeof(*zy));
                zy->first_day = sm_days_from_civil(y, 1, 1);
                zy->ndays =
                        (int)(sm_days_from_civil(y + 1, 1, 1) - zy->first_day);
                for (int i = 0; i <= zy->ndays; i++) {
                        zy->idx[i] = g_time_zone_find_interval(
                                zone->gtz, G_TIME_TYPE_UNIVERSAL,
                                (zy->first_day + i) * 86400);
                        zy->off[i] =
                                g_time_zone_get_offset(zone->gtz, zy->idx[i]);
                }
                __atomic_store_n(&zone->years[y - YEAR_FIRST], zy,
                                 __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&zone->years_lock);
        return zy;
}

/* The offset at UTC second secs. */
static int32_t offset_at_sec(const sm_zone_t *czone, int64_t secs) {
        sm_zone_t *zone = (sm_zone_t *)czone; /* day tables are a cache */
        int64_t day     = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        const struct zone_year *zy = year_of(zone, day);
        int i;
        if (!zy)
                return glib_offset(zone, secs);
        i = (int)(day - zy->first_day);
        if (zy->idx[i] == zy->idx[i + 1])
                return zy->off[i];
        return glib_offset(zone, secs); /* a transition that day */
}

/* 1 when no transition happens in [from_sec, to_sec]. */
static int steady(const sm_zone_t *czone,
                  int64_t from_sec,
                  int64_t to_sec,
                  int32_t *ret_offset) {
        sm_zone_t *zone = (sm_zone_t *)czone;
        int64_t d0      = from_sec >= 0 ? from_sec / 86400
                                        : -((-from_sec + 86399) / 86400);
        int64_t d1 =
                (to_sec >= 0 ? to_sec / 86400 : -((-to_sec + 86399) / 86400)) +
                1;
        const struct zone_year *a = year_of(zone, d0), *b = year_of(zone, d1);
        gint ia, ib;
        if (!a || !b)
                return 0;
        ia = a->idx[d0 - a->first_day];
        ib = b->idx[d1 - b->first_day];
        if (ia != ib)
                return 0;
        *ret_offset = a->off[d0 - a->first_day];
        return 1;
}

int32_t sm_zone_offset_at(const sm_zone_t *zone, sm_usec_t t) {
        gint64 secs = t / SM_USEC_PER_SEC;
        if (t < 0 && t % SM_USEC_PER_SEC)
                secs--;
        return offset_at_sec(zone, secs);
}

sm_usec_t
sm_zone_local_to_utc(const sm_zone_t *zone, int64_t days, int32_t sec) {
        const int64_t local = days * 86400 + sec;
        int32_t cand[3], off;
        int64_t best = 0;
        int have     = 0;

        /* Fast path: one interval spans [local - 1 day, local + 1 day] (as
         * UTC instants), so no transition is near and every candidate
         * instant local - offset (offsets are within +-14 h) has that
         * interval's offset. */
        if (steady(zone, local - 86400, local + 86400, &off))
                return (local - off) * SM_USEC_PER_SEC;

        cand[0] = offset_at_sec(zone, local - 86400);
        cand[1] = offset_at_sec(zone, local);
        cand[2] = offset_at_sec(zone, local + 86400);
        for (int i = 0; i < 3; i++) {
                int64_t u = local - cand[i];
                if (offset_at_sec(zone, u) != cand[i])
                        continue;
                if (!have || u < best)
                        best = u;
                have = 1;
        }
        if (!have) {
                /* A gap: the earliest candidate instant lies before the
                 * change, and its offset is the one in force before it. */
                int64_t earliest = local - cand[0];
                for (int i = 1; i < 3; i++)
                        if (local - cand[i] < earliest)
                                earliest = local - cand[i];
                best = local - offset_at_sec(zone, earliest);
        }
        return best * SM_USEC_PER_SEC;
}

void sm_zone_cache_clear(void) {
        pthread_mutex_lock(&cache_lock);
        if (cache)
                g_hash_table_destroy(cache);
        cache = NULL;
        pthread_mutex_unlock(&cache_lock);
}
