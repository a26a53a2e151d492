/*
 * fuzz_time: timestamps, times of day, as-of instants and zone names
 * (timeutil.h, tz.h).
 *
 * The whole input goes to sm_time_parse_timestamp(), sm_time_parse_hms(),
 * sm_time_parse_as_of() and sm_zone_get().  Beyond "no crash", the
 * results are checked: a failure names a reason; a time of day is in
 * 0..86399; an instant printed by sm_time_format() and
 * sm_time_format_iso() parses back to itself; a zone found converts a
 * local time and reports an offset within +-26 h.
 */
#include "fuzz.h"
#include "sm/timeutil.h"
#include "sm/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sm_fuzz_init(void) {
        return 0;
}

void sm_fuzz_fini(void) {
        sm_zone_cache_clear();
}

static void check_reason(const char *reason) {
        if (!reason)
                abort();
        sm_fuzz_touch(reason, strlen(reason));
}

/* t must survive both printed forms. */
static void round_trip(sm_usec_t t) {
        char buf[SM_TIME_FORMAT_MAX];
        const char *why = NULL;
        sm_usec_t back;

        sm_time_format(t, buf, sizeof(buf));
        if (sm_time_parse_timestamp(buf, strlen(buf), &back, &why) < 0 ||
            back != t) {
                fprintf(stderr, "round trip of %lld via '%s' failed\n",
                        (long long)t, buf);
                abort();
        }
        sm_time_format_iso(t, buf, sizeof(buf));
        if (sm_time_parse_as_of(buf, strlen(buf), &back, &why) < 0 ||
            back != t) {
                fprintf(stderr, "round trip of %lld via '%s' failed\n",
                        (long long)t, buf);
                abort();
        }
}

int sm_fuzz_one(const uint8_t *data, size_t size) {
        const char *s   = (const char *)data;
        const char *why = NULL;
        const sm_zone_t *zone;
        sm_usec_t t;
        int32_t sec;

        if (sm_time_parse_timestamp(s, size, &t, &why) == 0)
                round_trip(t);
        else
                check_reason(why);

        why = NULL;
        if (sm_time_parse_hms(s, size, &sec, &why) == 0) {
                if (sec < 0 || sec >= 86400)
                        abort();
        } else {
                check_reason(why);
        }

        why = NULL;
        if (sm_time_parse_as_of(s, size, &t, &why) == 0)
                round_trip(t);
        else
                check_reason(why);

        why  = NULL;
        zone = sm_zone_get(s, size, &why);
        if (zone) {
                int32_t off = sm_zone_offset_at(zone, 0);
                sm_fuzz_touch(sm_zone_name(zone), strlen(sm_zone_name(zone)));
                if (off < -26 * 3600 || off > 26 * 3600)
                        abort();
                (void)sm_zone_local_to_utc(zone, 19378, 9 * 3600);
        } else {
                check_reason(why);
        }
        return 0;
}
