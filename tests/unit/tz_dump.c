/*
 * tz_dump: prints local -> UTC conversions for tz_crosscheck.sh.
 * usage: tz_dump ZONE YEAR STEP_MINUTES
 * One line per local wall time of the year (every STEP minutes):
 * `YYYY-MM-DD HH:MM <utc seconds>`.
 */
#include "sm/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
        const sm_zone_t *z;
        const char *why;
        long year, step;
        int64_t first, last;

        if (argc != 4) {
                fprintf(stderr, "usage: tz_dump ZONE YEAR STEP_MINUTES\n");
                return 2;
        }
        year = strtol(argv[2], NULL, 10);
        step = strtol(argv[3], NULL, 10);
        if (!(z = sm_zone_get(argv[1], strlen(argv[1]), &why)) || step < 1) {
                fprintf(stderr, "tz_dump: %s\n", z ? "bad step" : why);
                return 2;
        }
        first = sm_days_from_civil(year, 1, 1);
        last  = sm_days_from_civil(year + 1, 1, 1);
        for (int64_t d = first; d < last; d++) {
                int64_t y;
                unsigned m, dd;
                sm_civil_from_days(d, &y, &m, &dd);
                for (long sec = 0; sec < 86400; sec += step * 60)
                        printf("%04lld-%02u-%02u %02ld:%02ld %lld\n",
                               (long long)y, m, dd, sec / 3600, sec / 60 % 60,
                               (long long)(sm_zone_local_to_utc(z, d,
                                                                (int32_t)sec) /
                                           1000000));
        }
        sm_zone_cache_clear();
        return 0;
}
