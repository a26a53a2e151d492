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

struct sm_zone_s {
        char *name;     /* IANA name */
        GTimeZone *gtz; /* GLib zone (immutable, thread-safe) */
        int fixed;      /* 1 when the zone never changes offset */
        int32_t offset; /* the offset of a fixed zone */
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

int32_t sm_zone_offset_at(const sm_zone_t *zone, sm_usec_t t) {
        gint64 secs = t / SM_USEC_PER_SEC;
        gint iv;
        if (t < 0 && t % SM_USEC_PER_SEC)
                secs--;
        iv = g_time_zone_find_interval(zone->gtz, G_TIME_TYPE_UNIVERSAL, secs);
        return g_time_zone_get_offset(zone->gtz, iv);
}

sm_usec_t
sm_zone_local_to_utc(const sm_zone_t *zone, int64_t days, int32_t sec) {
        const int64_t local = days * 86400 + sec;
        int32_t cand[3];
        int64_t best = 0;
        int have     = 0;
        gint before, after;

        /* Fast path: one interval spans [local - 1 day, local + 1 day] (as
         * UTC instants), so no transition is near and every candidate
         * instant local - offset (offsets are within +-14 h) has that
         * interval's offset. */
        before = g_time_zone_find_interval(zone->gtz, G_TIME_TYPE_UNIVERSAL,
                                           local - 86400);
        after  = g_time_zone_find_interval(zone->gtz, G_TIME_TYPE_UNIVERSAL,
                                           local + 86400);
        if (before == after)
                return (local - g_time_zone_get_offset(zone->gtz, before)) *
                       SM_USEC_PER_SEC;

        cand[0] = sm_zone_offset_at(zone, (local - 86400) * SM_USEC_PER_SEC);
        cand[1] = sm_zone_offset_at(zone, local * SM_USEC_PER_SEC);
        cand[2] = sm_zone_offset_at(zone, (local + 86400) * SM_USEC_PER_SEC);
        for (int i = 0; i < 3; i++) {
                int64_t u = local - cand[i];
                if (sm_zone_offset_at(zone, u * SM_USEC_PER_SEC) != cand[i])
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
                best = local -
                       sm_zone_offset_at(zone, earliest * SM_USEC_PER_SEC);
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
