/*
 * test_records: header mapping (any order, aliases, missing column) and
 * the accept/reject decision for each kind of row.
 */
#include "sm/records.h"
#include "test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char *write_tmp(const char *content) {
        char *path = strdup("/tmp/sm-test-records-XXXXXX");
        int fd     = mkstemp(path);
        if (fd < 0 || write(fd, content, strlen(content)) < 0) {
                TEST_FAIL_AT("cannot write temp file");
        }
        close(fd);
        return path;
}

static void test_missing_column(void) {
        char errstr[512];
        char *p = write_tmp(
                "store_id,timestamp_utc\n1,2023-01-01 00:00:00 UTC\n");
        sm_rec_reader_t *rd =
                sm_rec_reader_open(SM_REC_POLLS, p, errstr, sizeof(errstr));
        ASSERT_TRUE(rd == NULL);
        ASSERT_TRUE(strstr(errstr, "'status'") != NULL);
        unlink(p);
        free(p);
        p  = write_tmp("");
        rd = sm_rec_reader_open(SM_REC_ZONES, p, errstr, sizeof(errstr));
        ASSERT_TRUE(rd == NULL);
        ASSERT_TRUE(strstr(errstr, "empty") != NULL);
        unlink(p);
        free(p);
}

static void test_polls(void) {
        char errstr[512];
        char *p = write_tmp(
                "extra,status,store_id,timestamp_utc\n"
                "x,ACTIVE,s1,2023-01-01 00:00:00 UTC\n"
                "x,maybe,s1,2023-01-01 00:00:00 UTC\n"
                "x,active,s1,2023-01-01 00:00:00\n"
                "x,active,,2023-01-01 00:00:00 UTC\n"
                "x,active,s1\n"
                "x,Inactive,s2,2023-01-01T01:00:00+01:00\n");
        sm_rec_reader_t *rd =
                sm_rec_reader_open(SM_REC_POLLS, p, errstr, sizeof(errstr));
        sm_rec_t rec;
        sm_err_t err;
        ASSERT_TRUE(rd != NULL);
        if (!rd)
                goto out;
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), 1);
        ASSERT_TRUE(sm_str_eq(rec.u.poll.store_id, "s1"));
        ASSERT_EQ(rec.u.poll.active, 1);
        ASSERT_EQ(rec.line, 2);
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), -EINVAL);
        ASSERT_STREQ(err.code, "bad_status");
        ASSERT_EQ(err.line, 3);
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), -EINVAL);
        ASSERT_STREQ(err.code, "bad_timestamp");
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), -EINVAL);
        ASSERT_STREQ(err.code, "missing_field");
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), -EINVAL);
        ASSERT_STREQ(err.code, "field_count");
        ASSERT_EQ(err.line, 6);
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), 1);
        ASSERT_EQ(rec.u.poll.active, 0);
        ASSERT_EQ(rec.u.poll.ts, INT64_C(1672531200000000));
        ASSERT_EQ(sm_rec_next(rd, &rec, &err), 0);
out:
        sm_rec_reader_destroy(rd);
        unlink(p);
        free(p);
}

static void test_hours_and_zones(void) {
        sm_hours_rec_t h;
        sm_zone_rec_t z;
        sm_err_t err;
        sm_str_t id = {"7", 1};
#define STR(s) ((sm_str_t){s, sizeof(s) - 1})
        ASSERT_OK(sm_rec_parse_hours(id, STR("6"), STR("22:00"),
                                     STR("02:00:00"), &h, &err));
        ASSERT_EQ(h.day, 6);
        ASSERT_EQ(h.end, 7200);
        ASSERT_TRUE(sm_rec_parse_hours(id, STR("7"), STR("22:00"), STR("02:00"),
                                       &h, &err) < 0);
        ASSERT_STREQ(err.code, "bad_day");
        ASSERT_TRUE(sm_rec_parse_hours(id, STR("-1"), STR("22:00"),
                                       STR("02:00"), &h, &err) < 0);
        ASSERT_TRUE(sm_rec_parse_hours(id, STR("1"), STR("25:00"), STR("02:00"),
                                       &h, &err) < 0);
        ASSERT_STREQ(err.code, "bad_time");
        ASSERT_OK(sm_rec_parse_zone(id, STR(""), &z, &err));
        ASSERT_EQ(z.is_default, 1);
        ASSERT_STREQ(sm_zone_name(z.zone), "America/Chicago");
        ASSERT_OK(sm_rec_parse_zone(id, STR("Asia/Beirut"), &z, &err));
        ASSERT_STREQ(sm_zone_name(z.zone), "Asia/Beirut");
        ASSERT_TRUE(sm_rec_parse_zone(id, STR("Not/AZone"), &z, &err) < 0);
        ASSERT_STREQ(err.code, "bad_zone");
        ASSERT_TRUE(sm_rec_parse_zone(STR("a,b"), STR("UTC"), &z, &err) < 0);
        ASSERT_STREQ(err.code, "bad_store_id");
}

static void test_stream_feed(void) {
        sm_rec_reader_t *rd = sm_rec_reader_new_stream(SM_REC_POLLS, "<stdin>");
        sm_rec_t rec;
        sm_err_t err;
        const char *hdr = "store_id,status,timestamp_utc";
        const char *row = "9,active,2023-01-01 00:00:00 UTC";
        ASSERT_EQ(sm_rec_feed(rd, hdr, strlen(hdr), &rec, &err), 0);
        ASSERT_EQ(sm_rec_feed(rd, row, strlen(row), &rec, &err), 1);
        ASSERT_EQ(rec.line, 2);
        ASSERT_EQ(sm_rec_feed(rd, "9,x", 3, &rec, &err), -EINVAL);
        ASSERT_EQ(err.line, 3);
        sm_rec_reader_destroy(rd);

        rd = sm_rec_reader_new_stream(SM_REC_POLLS, "<stdin>");
        ASSERT_EQ(sm_rec_feed(rd, "store_id,status", 15, &rec, &err), -EBADMSG);
        ASSERT_TRUE(strstr(err.reason, "timestamp_utc") != NULL);
        sm_rec_reader_destroy(rd);
}

int main(void) {
        test_missing_column();
        test_polls();
        test_hours_and_zones();
        test_stream_feed();
        sm_zone_cache_clear();
        TEST_DONE();
}
