/*
 * test_csv: the CSV reader on SPEC's input rules: BOM, CRLF, quoting,
 * trimming, blank lines, physical line numbers, malformed records, and the
 * line-at-a-time stream mode.
 */
#include "sm/csv.h"
#include "test.h"

static int field_is(const sm_csv_row_t *row, size_t i, const char *s) {
        return i < row->nfields && sm_str_eq(row->fields[i], s);
}

static void test_basic(void) {
        const char data[] =
                "\xEF\xBB\xBF"
                "a,b,c\r\n"
                " 1 ,\t2,3\r\n"
                "\r\n"
                "   \n"
                "\"x, y\",\"say \"\"hi\"\"\", z \n"
                "\"multi\nline\",q,r\n"
                "last,row,noeol";
        sm_csv_t *csv = sm_csv_open_buffer(data, sizeof(data) - 1, "t.csv");
        sm_csv_row_t row;

        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.line, 1);
        ASSERT_EQ(row.nfields, 3);
        ASSERT_TRUE(field_is(&row, 0, "a")); /* BOM stripped */
        ASSERT_TRUE(field_is(&row, 2, "c")); /* CR dropped */

        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.line, 2);
        ASSERT_TRUE(field_is(&row, 0, "1"));
        ASSERT_TRUE(field_is(&row, 1, "2"));
        ASSERT_TRUE(row.raw.len == 8 &&
                    memcmp(row.raw.ptr, " 1 ,\t2,3", 8) == 0);

        ASSERT_EQ(sm_csv_next(csv, &row), 1); /* blank lines 3, 4 skipped */
        ASSERT_EQ(row.line, 5);
        ASSERT_EQ(row.nfields, 3);
        ASSERT_TRUE(field_is(&row, 0, "x, y"));
        ASSERT_TRUE(field_is(&row, 1, "say \"hi\""));
        ASSERT_TRUE(field_is(&row, 2, "z"));
        ASSERT_TRUE(row.error == NULL);

        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.line, 6);
        ASSERT_TRUE(field_is(&row, 0, "multi\nline"));
        ASSERT_TRUE(field_is(&row, 2, "r"));

        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.line, 8); /* the quoted field spanned line 7 */
        ASSERT_TRUE(field_is(&row, 2, "noeol"));
        ASSERT_EQ(sm_csv_next(csv, &row), 0);
        sm_csv_destroy(csv);
}

static void test_malformed(void) {
        const char data[] =
                "a,b\n"
                "\"open,x\n";
        const char data2[] =
                "a,b\n"
                "\"q\"junk,x\n"
                "ok,1\n"
                "one\n"
                "a,b,c\n"
                ",\n";
        sm_csv_t *csv = sm_csv_open_buffer(data, sizeof(data) - 1, NULL);
        sm_csv_row_t row;

        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_TRUE(row.error != NULL); /* unterminated quote */
        ASSERT_EQ(sm_csv_next(csv, &row), 0);
        sm_csv_destroy(csv);

        csv = sm_csv_open_buffer(data2, sizeof(data2) - 1, NULL);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_TRUE(row.error != NULL); /* text after closing quote */
        ASSERT_EQ(row.line, 2);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_TRUE(row.error == NULL);
        ASSERT_EQ(row.line, 3);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.nfields, 1);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.nfields, 3);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.nfields, 2); /* empty fields */
        ASSERT_EQ(row.fields[0].len, 0);
        ASSERT_EQ(sm_csv_next(csv, &row), 0);
        sm_csv_destroy(csv);
}

static void test_many_quoted_fields(void) {
        /* The scratch buffer grows while a record is parsed: earlier
         * fields must stay valid. */
        char data[8192];
        size_t n = 0;
        sm_csv_t *csv;
        sm_csv_row_t row;
        for (int i = 0; i < 200; i++)
                n += (size_t)snprintf(data + n, sizeof(data) - n,
                                      "%s\"f%03d\"\"\"", i ? "," : "", i);
        csv = sm_csv_open_buffer(data, n, NULL);
        ASSERT_EQ(sm_csv_next(csv, &row), 1);
        ASSERT_EQ(row.nfields, 200);
        ASSERT_TRUE(field_is(&row, 0, "f000\""));
        ASSERT_TRUE(field_is(&row, 199, "f199\""));
        sm_csv_destroy(csv);
}

static void test_stream(void) {
        sm_csv_t *csv = sm_csv_open_stream("<stdin>");
        sm_csv_row_t row;
        ASSERT_EQ(sm_csv_feed(csv, "\xEF\xBB\xBFh1,h2\r\n", 9, &row), 1);
        ASSERT_TRUE(field_is(&row, 0, "h1"));
        ASSERT_TRUE(field_is(&row, 1, "h2"));
        ASSERT_EQ(row.line, 1);
        ASSERT_EQ(sm_csv_feed(csv, "\n", 1, &row), 0);
        ASSERT_EQ(sm_csv_feed(csv, "x,\"y\"", 5, &row), 1);
        ASSERT_EQ(row.line, 3);
        ASSERT_TRUE(field_is(&row, 1, "y"));
        sm_csv_destroy(csv);
}

static void test_file(void) {
        char errstr[256];
        sm_csv_t *csv =
                sm_csv_open_file("/nonexistent/x.csv", errstr, sizeof(errstr));
        ASSERT_TRUE(csv == NULL);
        ASSERT_TRUE(strstr(errstr, "/nonexistent/x.csv") != NULL);
        csv = sm_csv_open_file("/", errstr, sizeof(errstr));
        ASSERT_TRUE(csv == NULL);
        ASSERT_TRUE(strstr(errstr, "directory") != NULL);
}

int main(void) {
        test_basic();
        test_malformed();
        test_many_quoted_fields();
        test_stream();
        test_file();
        TEST_DONE();
}
