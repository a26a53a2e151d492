/*
 * test_tz: zone-name validation and local -> UTC conversion at DST edges
 * (values from Python's zoneinfo with fold=0, SPEC's reference rule).
 * tz_crosscheck.sh compares whole years of conversions the same way.
 */
#include "sm/tz.h"
#include "test.h"

static const sm_zone_t *zone(const char *name) {
        const char *why    = NULL;
        const sm_zone_t *z = sm_zone_get(name, strlen(name), &why);
        if (!z)
                TEST_FAIL_AT("zone %s refused: %s", name, why);
        return z;
}

static void zone_bad(const char *name) {
        const char *why = NULL;
        ASSERT_TRUE(sm_zone_get(name, strlen(name), &why) == NULL);
        ASSERT_TRUE(why != NULL);
}

static sm_usec_t l2u(const char *name, int y, int mo, int d, int h, int mi) {
        const sm_zone_t *z = zone(name);
        if (!z)
                return 0;
        return sm_zone_local_to_utc(z, sm_days_from_civil(y, mo, d),
                                    h * 3600 + mi * 60);
}

#define S(x) (INT64_C(x) * SM_USEC_PER_SEC)

static void test_names(void) {
        ASSERT_STREQ(sm_zone_name(zone("America/Denver")), "America/Denver");
        ASSERT_TRUE(zone("UTC") != NULL);
        ASSERT_TRUE(zone("America/Indiana/Indianapolis") != NULL);
        ASSERT_TRUE(zone("EST5EDT") != NULL); /* a real tzdata zone */
        ASSERT_TRUE(zone("Etc/GMT+5") != NULL);
        ASSERT_TRUE(zone("America/Denver") == zone("America/Denver"));
        ASSERT_STREQ(sm_zone_name(sm_zone_default()), "America/Chicago");
        zone_bad("");
        zone_bad("Not/AZone");
        zone_bad("Mars/Olympus_Mons");
        zone_bad("+05:00");
        zone_bad("UTC+5");
        zone_bad("EST5");
        zone_bad("../etc/passwd");
        zone_bad("/usr/share/zoneinfo/UTC");
        zone_bad("America//Denver");
        zone_bad("America/");
        zone_bad("America/Denver ");
        zone_bad("posixrules/../UTC");
}

static void test_conversions(void) {
        /* Plain times. */
        ASSERT_EQ(l2u("Asia/Kolkata", 2023, 1, 1, 0, 0), S(1672511400));
        ASSERT_EQ(l2u("UTC", 2023, 1, 23, 9, 0),
                  sm_days_from_civil(2023, 1, 23) * SM_USEC_PER_DAY +
                          9 * SM_USEC_PER_HOUR);
        /* Spring forward: a missing wall time takes the offset before. */
        ASSERT_EQ(l2u("America/Chicago", 2023, 3, 12, 2, 30), S(1678609800));
        ASSERT_EQ(l2u("America/New_York", 2023, 3, 12, 2, 30), S(1678606200));
        ASSERT_EQ(l2u("America/New_York", 2023, 3, 12, 3, 15), S(1678605300));
        ASSERT_EQ(l2u("Europe/London", 2023, 3, 26, 1, 30), S(1679794200));
        ASSERT_EQ(l2u("Australia/Sydney", 2023, 10, 1, 2, 30), S(1696091400));
        ASSERT_EQ(l2u("Pacific/Chatham", 2023, 9, 24, 2, 50), S(1695477900));
        ASSERT_EQ(l2u("America/Santiago", 2023, 9, 3, 0, 30), S(1693715400));
        /* Fall back: a repeated wall time takes the earlier instant. */
        ASSERT_EQ(l2u("America/Chicago", 2023, 11, 5, 1, 30), S(1699165800));
        ASSERT_EQ(l2u("Europe/London", 2023, 10, 29, 1, 30), S(1698539400));
        ASSERT_EQ(l2u("Australia/Sydney", 2023, 4, 2, 2, 30), S(1680363000));
        ASSERT_EQ(l2u("America/Santiago", 2023, 4, 1, 23, 30), S(1680402600));
}

static void test_offsets(void) {
        const sm_zone_t *ny = zone("America/New_York");
        if (!ny)
                return;
        ASSERT_EQ(sm_zone_offset_at(ny, S(1678604399)), -5 * 3600);
        ASSERT_EQ(sm_zone_offset_at(ny, S(1678604400)), -4 * 3600);
}

int main(void) {
        test_names();
        test_conversions();
        test_offsets();
        sm_zone_cache_clear();
        TEST_DONE();
}
