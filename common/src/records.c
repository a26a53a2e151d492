/*
 * records: input rows -> validated records (see records.h).
 *
 * A reader maps the required columns of its kind to positions in the
 * header once; each row is then checked field by field, and the first
 * problem found becomes the row's reason.  The reasons name the column as
 * the header spells it in SPEC, so a user can find the cell to fix.
 */
#include "sm/records.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS         4
#define STORE_ID_MAX_LEN 255

struct column {
        const char *name;  /* column name in SPEC */
        const char *alias; /* another accepted name, or NULL */
};

static const struct column kind_columns[3][MAX_COLS] = {
        [SM_REC_POLLS] = {{"store_id", NULL},
                          {"timestamp_utc", NULL},
                          {"status", NULL}},
        [SM_REC_HOURS] = {{"store_id", NULL},
                          {"dayOfWeek", "day"},
                          {"start_time_local", NULL},
                          {"end_time_local", NULL}},
        [SM_REC_ZONES] = {{"store_id", NULL}, {"timezone_str", NULL}},
};
static const int kind_ncols[3] = {3, 4, 2};

struct sm_rec_reader_s {
        enum sm_rec_kind kind; /* what the rows are */
        sm_csv_t *csv;         /* the CSV underneath */
        int have_header;       /* the header has been read (stream mode) */
        size_t header_fields;  /* number of header fields */
        int col[MAX_COLS];     /* position of each required column */
};

const char *sm_rec_kind_name(enum sm_rec_kind kind) {
        static const char *const names[] = {"polls", "hours", "zones"};
        return names[kind];
}

static void set_err(sm_err_t *err, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void set_err(sm_err_t *err, const char *code, const char *fmt, ...) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
        va_end(ap);
}

/* Maps the header's columns; fills errstr and returns -EBADMSG when a
 * required column is missing. */
static int map_header(sm_rec_reader_t *rd,
                      const sm_csv_row_t *row,
                      char *errstr,
                      size_t errstr_size) {
        const struct column *cols = kind_columns[rd->kind];

        if (row->error) {
                snprintf(errstr, errstr_size, "%s:%ld: malformed header: %s",
                         sm_csv_name(rd->csv), row->line, row->error);
                return -EBADMSG;
        }
        rd->header_fields = row->nfields;
        for (int c = 0; c < kind_ncols[rd->kind]; c++) {
                rd->col[c] = -1;
                for (size_t i = 0; i < row->nfields && rd->col[c] < 0; i++)
                        if (sm_str_caseeq(row->fields[i], cols[c].name))
                                rd->col[c] = (int)i;
                for (size_t i = 0;
                     cols[c].alias && i < row->nfields && rd->col[c] < 0; i++)
                        if (sm_str_caseeq(row->fields[i], cols[c].alias))
                                rd->col[c] = (int)i;
                if (rd->col[c] < 0) {
                        snprintf(errstr, errstr_size,
                                 "%s:%ld: missing required column '%s' in "
                                 "the %s header (found: %.*s)",
                                 sm_csv_name(rd->csv), row->line, cols[c].name,
                                 sm_rec_kind_name(rd->kind),
                                 (int)(row->raw.len > 200 ? 200 : row->raw.len),
                                 row->raw.ptr);
                        return -EBADMSG;
                }
        }
        rd->have_header = 1;
        return 0;
}

sm_rec_reader_t *sm_rec_reader_open(enum sm_rec_kind kind,
                                    const char *path,
                                    char *errstr,
                                    size_t errstr_size) {
        sm_rec_reader_t *rd = NULL;
        sm_csv_row_t row;
        sm_csv_t *csv = sm_csv_open_file(path, errstr, errstr_size);

        if (!csv)
                return NULL;
        rd       = sm_xcalloc(1, sizeof(*rd));
        rd->kind = kind;
        rd->csv  = csv;
        if (!sm_csv_next(csv, &row)) {
                snprintf(errstr, errstr_size,
                         "%s: empty file: expected a %s header", path,
                         sm_rec_kind_name(kind));
                goto fail;
        }
        if (map_header(rd, &row, errstr, errstr_size) < 0)
                goto fail;
        return rd;
fail:
        sm_rec_reader_destroy(rd);
        return NULL;
}

sm_rec_reader_t *sm_rec_reader_slice(const sm_rec_reader_t *rd,
                                     const char *data,
                                     size_t len,
                                     long first_line) {
        sm_rec_reader_t *sl = sm_xcalloc(1, sizeof(*sl));
        *sl                 = *rd;
        sl->csv =
                sm_csv_open_slice(data, len, sm_csv_name(rd->csv), first_line);
        return sl;
}

sm_rec_reader_t *sm_rec_reader_new_stream(enum sm_rec_kind kind,
                                          const char *name) {
        sm_rec_reader_t *rd = sm_xcalloc(1, sizeof(*rd));
        rd->kind            = kind;
        rd->csv             = sm_csv_open_stream(name);
        return rd;
}

void sm_rec_reader_destroy(sm_rec_reader_t *rd) {
        if (!rd)
                return;
        sm_csv_destroy(rd->csv);
        free(rd);
}

sm_csv_t *sm_rec_reader_csv(sm_rec_reader_t *rd) {
        return rd->csv;
}

static int check_store_id(sm_str_t id, sm_err_t *err) {
        if (id.len == 0) {
                set_err(err, "missing_field", "missing store_id");
                return -EINVAL;
        }
        if (id.len > STORE_ID_MAX_LEN) {
                set_err(err, "bad_store_id", "store_id: longer than %d bytes",
                        STORE_ID_MAX_LEN);
                return -EINVAL;
        }
        for (size_t i = 0; i < id.len; i++) {
                unsigned char c = (unsigned char)id.ptr[i];
                if (c < 0x20 || c == 0x7f || c == '"' || c == ',') {
                        set_err(err, "bad_store_id",
                                "store_id: control character, comma or "
                                "quote at byte %zu",
                                i + 1);
                        return -EINVAL;
                }
        }
        return 0;
}

int sm_rec_parse_poll(sm_str_t store_id,
                      sm_str_t timestamp,
                      sm_str_t status,
                      sm_poll_rec_t *ret,
                      sm_err_t *err) {
        const char *reason;
        sm_usec_t ts;
        int active;

        if (check_store_id(store_id, err) < 0)
                return -EINVAL;
        if (timestamp.len == 0) {
                set_err(err, "missing_field", "missing timestamp_utc");
                return -EINVAL;
        }
        if (status.len == 0) {
                set_err(err, "missing_field", "missing status");
                return -EINVAL;
        }
        if (sm_time_parse_timestamp(timestamp.ptr, timestamp.len, &ts,
                                    &reason) < 0) {
                set_err(err, "bad_timestamp", "timestamp_utc '%.*s': %s",
                        (int)(timestamp.len > 60 ? 60 : timestamp.len),
                        timestamp.ptr, reason);
                return -EINVAL;
        }
        if (sm_str_caseeq(status, "active"))
                active = 1;
        else if (sm_str_caseeq(status, "inactive"))
                active = 0;
        else {
                set_err(err, "bad_status",
                        "status '%.*s': expected active or inactive",
                        (int)(status.len > 40 ? 40 : status.len), status.ptr);
                return -EINVAL;
        }
        ret->store_id = store_id;
        ret->ts       = ts;
        ret->active   = active;
        return 0;
}

int sm_rec_parse_hours(sm_str_t store_id,
                       sm_str_t day,
                       sm_str_t start,
                       sm_str_t end,
                       sm_hours_rec_t *ret,
                       sm_err_t *err) {
        const char *reason;
        int32_t s, e;

        if (check_store_id(store_id, err) < 0)
                return -EINVAL;
        if (day.len == 0) {
                set_err(err, "missing_field", "missing dayOfWeek");
                return -EINVAL;
        }
        if (start.len == 0) {
                set_err(err, "missing_field", "missing start_time_local");
                return -EINVAL;
        }
        if (end.len == 0) {
                set_err(err, "missing_field", "missing end_time_local");
                return -EINVAL;
        }
        if (day.len != 1 || day.ptr[0] < '0' || day.ptr[0] > '6') {
                set_err(err, "bad_day",
                        "dayOfWeek '%.*s': expected 0 (Monday) to 6 (Sunday)",
                        (int)(day.len > 20 ? 20 : day.len), day.ptr);
                return -EINVAL;
        }
        if (sm_time_parse_hms(start.ptr, start.len, &s, &reason) < 0) {
                set_err(err, "bad_time", "start_time_local '%.*s': %s",
                        (int)(start.len > 20 ? 20 : start.len), start.ptr,
                        reason);
                return -EINVAL;
        }
        if (sm_time_parse_hms(end.ptr, end.len, &e, &reason) < 0) {
                set_err(err, "bad_time", "end_time_local '%.*s': %s",
                        (int)(end.len > 20 ? 20 : end.len), end.ptr, reason);
                return -EINVAL;
        }
        ret->store_id = store_id;
        ret->day      = day.ptr[0] - '0';
        ret->start    = s;
        ret->end      = e;
        return 0;
}

int sm_rec_parse_zone(sm_str_t store_id,
                      sm_str_t zone,
                      sm_zone_rec_t *ret,
                      sm_err_t *err) {
        const char *reason;
        const sm_zone_t *z;

        if (check_store_id(store_id, err) < 0)
                return -EINVAL;
        if (zone.len == 0) {
                ret->store_id   = store_id;
                ret->zone       = sm_zone_default();
                ret->is_default = 1;
                return 0;
        }
        if (!(z = sm_zone_get(zone.ptr, zone.len, &reason))) {
                set_err(err, "bad_zone", "timezone_str '%.*s': %s",
                        (int)(zone.len > 60 ? 60 : zone.len), zone.ptr, reason);
                return -EINVAL;
        }
        ret->store_id   = store_id;
        ret->zone       = z;
        ret->is_default = 0;
        return 0;
}

/* Validates one CSV row of the reader's kind. */
static int parse_row(sm_rec_reader_t *rd,
                     const sm_csv_row_t *row,
                     sm_rec_t *rec,
                     sm_err_t *err) {
        const sm_str_t *f = row->fields;
        const int *col    = rd->col;

        rec->kind   = rd->kind;
        rec->line   = row->line;
        rec->raw    = row->raw;
        err->source = sm_csv_name(rd->csv);
        err->line   = row->line;
        if (row->error) {
                set_err(err, "malformed_csv", "%s", row->error);
                return -EINVAL;
        }
        if (row->nfields != rd->header_fields) {
                set_err(err, "field_count", "expected %zu fields, got %zu",
                        rd->header_fields, row->nfields);
                return -EINVAL;
        }
        switch (rd->kind) {
        case SM_REC_POLLS:
                return sm_rec_parse_poll(f[col[0]], f[col[1]], f[col[2]],
                                         &rec->u.poll, err);
        case SM_REC_HOURS:
                return sm_rec_parse_hours(f[col[0]], f[col[1]], f[col[2]],
                                          f[col[3]], &rec->u.hours, err);
        case SM_REC_ZONES:
                return sm_rec_parse_zone(f[col[0]], f[col[1]], &rec->u.zone,
                                         err);
        }
        return -EINVAL;
}

int sm_rec_next(sm_rec_reader_t *rd, sm_rec_t *rec, sm_err_t *err) {
        sm_csv_row_t row;
        if (!sm_csv_next(rd->csv, &row))
                return 0;
        return parse_row(rd, &row, rec, err) < 0 ? -EINVAL : 1;
}

int sm_rec_feed(sm_rec_reader_t *rd,
                const char *line,
                size_t len,
                sm_rec_t *rec,
                sm_err_t *err) {
        sm_csv_row_t row;
        if (!sm_csv_feed(rd->csv, line, len, &row))
                return 0;
        if (!rd->have_header) {
                err->source = sm_csv_name(rd->csv);
                err->line   = row.line;
                err->code   = "bad_header";
                if (map_header(rd, &row, err->reason, sizeof(err->reason)) < 0)
                        return -EBADMSG;
                return 0;
        }
        return parse_row(rd, &row, rec, err) < 0 ? -EINVAL : 1;
}
