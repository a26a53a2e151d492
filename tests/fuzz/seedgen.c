/*
 * seedgen: writes valid single-object frames of every record type, the
 * seed corpus of fuzz_codec.
 *
 * Usage: fuzz_seedgen DIR   writes DIR/<Record>-<n>.bin (tests/fuzz/
 * corpus/codec/ holds its output; rerun it when a schema changes).  The
 * messages cover the edges: empty and long strings, null and set
 * optionals, zero and several array items, negative and extreme numbers.
 */
#include "sm/codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[4096];
static sm_buf_t buf;
static int nfail;

static void put(const char *name, int n, int r, const char *errstr) {
        char path[4200];
        FILE *f;

        if (r < 0) {
                fprintf(stderr, "%s-%d: %s\n", name, n, errstr);
                nfail++;
                return;
        }
        snprintf(path, sizeof(path), "%s/%s-%d.bin", dir, name, n);
        f = fopen(path, "wb");
        if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len) {
                perror(path);
                nfail++;
        }
        if (f)
                fclose(f);
}

#define S(lit) lit, sizeof(lit) - 1

int main(int argc, char **argv) {
        char errstr[512];
        sm_codec_t *codec;
        const sm_usec_t t      = INT64_C(1674409779388884); /* 2023-01-22 */
        static const char id[] = "be92970a-cfed-4da0-ba1b-22a8007eb825";
        char longs[300];

        if (argc != 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        snprintf(dir, sizeof(dir), "%s", argv[1]);
        codec = sm_codec_new(errstr, sizeof(errstr));
        if (!codec) {
                fprintf(stderr, "%s\n", errstr);
                return 1;
        }
        memset(longs, 'x', sizeof(longs));

        {
                sm_poll_msg_t m[] = {
                        {S("8419537941919820732"), t, 1},
                        {S("s"), 0, 0},
                        {longs, 255, INT64_MIN, 1},
                        {S("caf\xc3\xa9"), INT64_MAX, 0},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("StorePoll", (int)i,
                            sm_codec_encode_poll(codec, &m[i], &buf, errstr,
                                                 sizeof(errstr)),
                            errstr);
        }
        {
                static const sm_hours_row_t rows[] = {
                        {0, 9 * 3600, 17 * 3600},
                        {5, 22 * 3600, 2 * 3600},
                        {6, 0, 86399},
                };
                sm_hours_msg_t m[] = {
                        {S("1481966498820158979"), rows, 3},
                        {S("24x7"), NULL, 0},
                        {S("one"), rows + 1, 1},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("StoreHours", (int)i,
                            sm_codec_encode_hours(codec, &m[i], &buf, errstr,
                                                  sizeof(errstr)),
                            errstr);
        }
        {
                sm_tz_msg_t m[] = {
                        {S("1481966498820158979"), S("America/Denver")},
                        {S("s"), S("")},
                        {S("s"), S("UTC")},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("StoreTimezone", (int)i,
                            sm_codec_encode_tz(codec, &m[i], &buf, errstr,
                                               sizeof(errstr)),
                            errstr);
        }
        {
                sm_reject_msg_t m[] = {
                        {S("polls.csv"), 12, S("x,2023-01-22,active"),
                         S("timestamp: no time zone")},
                        {S("<stdin>"), 0, S(""), S("malformed_csv")},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("RejectedRow", (int)i,
                            sm_codec_encode_reject(codec, &m[i], &buf, errstr,
                                                   sizeof(errstr)),
                            errstr);
        }
        {
                sm_request_msg_t m[] = {
                        {S(id), t, 1, t - 3600, 3, 100, 20, 5},
                        {S(id), t, 0, 0, 0, -1, -1, -1},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("ReportRequest", (int)i,
                            sm_codec_encode_request(codec, &m[i], &buf, errstr,
                                                    sizeof(errstr)),
                            errstr);
        }
        {
                static const sm_report_row_t rows[] = {
                        {S("1481966498820158979"), 60, 23.5, 160, 0, 0.5, 8},
                        {S("2"), 0, 0, 0, 60, 24, 168},
                };
                sm_part_msg_t m[] = {
                        {S(id), 3, 0, t, rows, 2, 0, -1},
                        {S(id), 0, 7, t, rows + 1, 1, 1, 1201},
                        {S(id), 15, 0, t, NULL, 0, 1, 0},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("ReportPart", (int)i,
                            sm_codec_encode_part(codec, &m[i], &buf, errstr,
                                                 sizeof(errstr)),
                            errstr);
        }
        {
                sm_ready_msg_t m[] = {
                        {S(id), t, t + 5000000, 2000,
                         S("http://127.0.0.1:8080/reports/"
                           "be92970a-cfed-4da0-ba1b-22a8007eb825.csv")},
                        {S(id), 0, 0, 0, S("")},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("ReportReady", (int)i,
                            sm_codec_encode_ready(codec, &m[i], &buf, errstr,
                                                  sizeof(errstr)),
                            errstr);
        }
        {
                sm_progress_msg_t m[] = {
                        {S("reporter-1"), 4, 1, t, 123456, t + 1},
                        {S("r"), 0, 0, 0, -1, 0},
                };
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        put("ReporterProgress", (int)i,
                            sm_codec_encode_progress(codec, &m[i], &buf, errstr,
                                                     sizeof(errstr)),
                            errstr);
        }
        sm_buf_free(&buf);
        sm_codec_destroy(codec);
        return nfail ? 1 : 0;
}
