/*
 * test_timeutil: calendar arithmetic and the timestamp / time-of-day
 * parsers, including every accepted form and the refusals SPEC requires.
 */
#include "sm/timeutil.h"
#include "test.h"

static sm_usec_t ts_ok(const char *s) {
        sm_usec_t t     = -1;
        const char *why = NULL;
        int r           = sm_time_parse_timestamp(s, strlen(s), &t, &why);
        if (r != 0)
                TEST_FAIL_AT("'%s' refused: %s", s, why);
        return t;
}

static void ts_bad(const char *s) {
        sm_usec_t t;
        const char *why = NULL;
        int r           = sm_time_parse_timestamp(s, strlen(s), &t, &why);
        ASSERT_TRUE(r < 0);
        ASSERT_TRUE(why != NULL);
}

static void test_calendar(void) {
        ASSERT_EQ(sm_days_from_civil(1970, 1, 1), 0);
        ASSERT_EQ(sm_days_from_civil(2000, 3, 1), 11017);
        ASSERT_EQ(sm_days_from_civil(1969, 12, 31), -1);
        /* 2023-01-23 was a Monday, 2024-02-29 a Thursday. */
        ASSERT_EQ(sm_weekday_from_days(sm_days_from_civil(2023, 1, 23)), 0);
        ASSERT_EQ(sm_weekday_from_days(sm_days_from_civil(2024, 2, 29)), 3);
        ASSERT_EQ(sm_weekday_from_days(-1), 2); /* 1969-12-31: Wednesday */
        for (int64_t d = -800000; d < 800000; d += 997) {
                int64_t y;
                unsigned m, dd;
                sm_civil_from_days(d, &y, &m, &dd);
                if (sm_days_from_civil(y, m, dd) != d) {
                        TEST_FAIL_AT("round trip of day %lld", (long long)d);
                        break;
                }
        }
        test_passed++;
}

static void test_timestamp_forms(void) {
        /* 2023-01-22 12:09:39 UTC = 1674389379 s. */
        const sm_usec_t base = INT64_C(1674389379) * SM_USEC_PER_SEC;
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.388884 UTC"), base + 388884);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39 UTC"), base);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39UTC"), base);
        ASSERT_EQ(ts_ok("2023-01-22T12:09:39.388884Z"), base + 388884);
        ASSERT_EQ(ts_ok("2023-01-22T12:09:39+00:00"), base);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.388884+00:00"), base + 388884);
        ASSERT_EQ(ts_ok("2023-01-22T14:09:39+02:00"), base);
        ASSERT_EQ(ts_ok("2023-01-22T14:09:39+0200"), base);
        ASSERT_EQ(ts_ok("2023-01-22T14:09:39+02"), base);
        ASSERT_EQ(ts_ok("2023-01-22T06:39:39-05:30"), base);
        /* Fractions of 1 to 9 digits, truncated to microseconds. */
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.3 UTC"), base + 300000);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.38 UTC"), base + 380000);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.3888849 UTC"), base + 388884);
        ASSERT_EQ(ts_ok("2023-01-22 12:09:39.388884999Z"), base + 388884);
        /* Leap day and year boundaries. */
        ASSERT_EQ(ts_ok("2024-02-29 00:00:00 UTC"),
                  sm_days_from_civil(2024, 2, 29) * SM_USEC_PER_DAY);
        ASSERT_EQ(ts_ok("2023-12-31T23:00:00-01:00"),
                  sm_days_from_civil(2024, 1, 1) * SM_USEC_PER_DAY);
}

static void test_timestamp_refused(void) {
        ts_bad("");
        ts_bad("2023-01-22 12:09:39");                /* no zone */
        ts_bad("2023-01-22 12:09:39.5");              /* no zone */
        ts_bad("2023-01-22 12:09:39 CET");            /* unknown suffix */
        ts_bad("2023-01-22 12:09:39.1234567890 UTC"); /* 10 digits */
        ts_bad("2023-01-22 12:09:39. UTC");           /* empty fraction */
        ts_bad("2023-02-29 12:00:00 UTC");            /* no such date */
        ts_bad("2023-13-01 12:00:00 UTC");
        ts_bad("2023-01-22 24:00:00 UTC");
        ts_bad("2023-01-22 12:60:00 UTC");
        ts_bad("2023-01-22 12:00:60 UTC");
        ts_bad("2023-1-22 12:00:00 UTC");
        ts_bad("2023-01-22");
        ts_bad("yesterday");
        ts_bad("2023-01-22T12:00:00+25:00");
        ts_bad("2023-01-22T12:00:00+02:00junk");
        ts_bad("2023-01-22 12:00:00 UTC extra");
}

static void test_hms(void) {
        int32_t s = -1;
        const char *why;
        ASSERT_OK(sm_time_parse_hms("09:30", 5, &s, &why));
        ASSERT_EQ(s, 9 * 3600 + 30 * 60);
        ASSERT_OK(sm_time_parse_hms("23:59:59", 8, &s, &why));
        ASSERT_EQ(s, 86399);
        ASSERT_OK(sm_time_parse_hms("00:00:00", 8, &s, &why));
        ASSERT_EQ(s, 0);
        ASSERT_TRUE(sm_time_parse_hms("9:30", 4, &s, &why) < 0);
        ASSERT_TRUE(sm_time_parse_hms("24:00", 5, &s, &why) < 0);
        ASSERT_TRUE(sm_time_parse_hms("12:60", 5, &s, &why) < 0);
        ASSERT_TRUE(sm_time_parse_hms("12:00:", 6, &s, &why) < 0);
        ASSERT_TRUE(sm_time_parse_hms("12:00:00:00", 11, &s, &why) < 0);
        ASSERT_TRUE(sm_time_parse_hms("", 0, &s, &why) < 0);
}

static void test_format_and_as_of(void) {
        char buf[SM_TIME_FORMAT_MAX];
        sm_usec_t t;
        const char *why;
        ASSERT_STREQ(
                sm_time_format(INT64_C(1674389379388884), buf, sizeof(buf)),
                "2023-01-22 12:09:39.388884 UTC");
        ASSERT_STREQ(
                sm_time_format(INT64_C(1674389379000000), buf, sizeof(buf)),
                "2023-01-22 12:09:39 UTC");
        ASSERT_STREQ(sm_time_format_iso(0, buf, sizeof(buf)),
                     "1970-01-01T00:00:00.000000Z");
        ASSERT_STREQ(sm_time_format(-1, buf, sizeof(buf)),
                     "1969-12-31 23:59:59.999999 UTC");
        ASSERT_OK(sm_time_parse_as_of("2023-01-22 12:09:39", 19, &t, &why));
        ASSERT_EQ(t, INT64_C(1674389379000000));
        ASSERT_OK(
                sm_time_parse_as_of("2023-01-22T13:09:39+01:00", 25, &t, &why));
        ASSERT_EQ(t, INT64_C(1674389379000000));
        ASSERT_TRUE(sm_time_parse_as_of("2023-01-22", 10, &t, &why) < 0);
}

int main(void) {
        test_calendar();
        test_timestamp_forms();
        test_timestamp_refused();
        test_hms();
        test_format_and_as_of();
        TEST_DONE();
}
