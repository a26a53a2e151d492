/*
 * report: formatting of report rows (see report.h).
 *
 * Store ids with a comma, quote or line break are quoted as RFC 4180 says
 * (the readers reject such ids, so this only guards the format).  Values
 * use the C locale's `%.2f`: storemon never calls setlocale.
 */
#include "sm/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sm_report_format_row(const sm_report_row_t *row, char *buf, size_t size) {
        size_t pos = 0;
        int n;
        int quote = memchr(row->store_id, ',', row->store_id_len) ||
                    memchr(row->store_id, '"', row->store_id_len) ||
                    memchr(row->store_id, '\n', row->store_id_len) ||
                    memchr(row->store_id, '\r', row->store_id_len);

        if (size < row->store_id_len * 2 + 3)
                return -ENOSPC;
        if (quote) {
                buf[pos++] = '"';
                for (size_t i = 0; i < row->store_id_len; i++) {
                        if (row->store_id[i] == '"')
                                buf[pos++] = '"';
                        buf[pos++] = row->store_id[i];
                }
                buf[pos++] = '"';
        } else {
                memcpy(buf, row->store_id, row->store_id_len);
                pos = row->store_id_len;
        }
        n = snprintf(buf + pos, size - pos, ",%.2f,%.2f,%.2f,%.2f,%.2f,%.2f\n",
                     row->uptime_last_hour, row->uptime_last_day,
                     row->uptime_last_week, row->downtime_last_hour,
                     row->downtime_last_day, row->downtime_last_week);
        if (n < 0 || (size_t)n >= size - pos)
                return -ENOSPC;
        return (int)(pos + (size_t)n);
}

int sm_report_id_cmp(const char *a, size_t alen, const char *b, size_t blen) {
        int c = memcmp(a, b, alen < blen ? alen : blen);
        if (c)
                return c;
        return (alen > blen) - (alen < blen);
}
