/*
 * fuzz_csv: the CSV reader and row validation (csv.h, records.h).
 *
 * One input is used four ways:
 * - as a whole buffer, read with sm_csv_next() to the end;
 * - as a whole file of each kind (polls, hours, zones), read with
 *   sm_rec_reader_open() + sm_rec_next() (the file is a memfd, so the
 *   reader's open/mmap path is the real one);
 * - as a live stream of each kind: split on '\n', each line in its own
 *   exact-size heap copy, fed with sm_rec_feed().
 * Every field and raw text handed back is read byte by byte, so ASan
 * reports a pointer or length that leaves the input.
 */
#include "fuzz.h"
#include "sm/csv.h"
#include "sm/records.h"
#include "sm/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int sm_fuzz_init(void) {
        return 0;
}

void sm_fuzz_fini(void) {
        sm_zone_cache_clear();
}

static void touch_str(sm_str_t s) {
        sm_fuzz_touch(s.ptr, s.len);
}

static void touch_rec(const sm_rec_t *rec, int r, const sm_err_t *err) {
        touch_str(rec->raw);
        if (r < 0) {
                sm_fuzz_touch(err->reason, strlen(err->reason));
                if (err->code)
                        sm_fuzz_touch(err->code, strlen(err->code));
                return;
        }
        if (r != 1)
                return;
        switch (rec->kind) {
        case SM_REC_POLLS:
                touch_str(rec->u.poll.store_id);
                break;
        case SM_REC_HOURS:
                touch_str(rec->u.hours.store_id);
                break;
        case SM_REC_ZONES:
                touch_str(rec->u.zone.store_id);
                if (rec->u.zone.zone)
                        (void)sm_zone_name(rec->u.zone.zone);
                break;
        }
}

static void whole_buffer(const uint8_t *data, size_t size) {
        sm_csv_t *csv = sm_csv_open_buffer((const char *)data, size, "fuzz");
        sm_csv_row_t row;

        while (sm_csv_next(csv, &row) == 1) {
                for (size_t i = 0; i < row.nfields; i++)
                        touch_str(row.fields[i]);
                touch_str(row.raw);
                if (sm_csv_offset(csv) > sm_csv_size(csv))
                        abort();
        }
        sm_csv_destroy(csv);
}

static void
whole_file(enum sm_rec_kind kind, const uint8_t *data, size_t size) {
        char path[64], errstr[256];
        sm_rec_reader_t *rd = NULL;
        sm_rec_t rec;
        sm_err_t err;
        int fd, r;

        fd = memfd_create("fuzz_csv", MFD_CLOEXEC);
        if (fd < 0)
                return;
        if (size && write(fd, data, size) != (ssize_t)size)
                goto out;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rd = sm_rec_reader_open(kind, path, errstr, sizeof(errstr));
        if (!rd)
                goto out;
        for (;;) {
                memset(&rec, 0, sizeof(rec));
                memset(&err, 0, sizeof(err));
                if ((r = sm_rec_next(rd, &rec, &err)) == 0)
                        break;
                touch_rec(&rec, r, &err);
        }
out:
        sm_rec_reader_destroy(rd);
        close(fd);
}

static void stream(enum sm_rec_kind kind, const uint8_t *data, size_t size) {
        sm_rec_reader_t *rd = sm_rec_reader_new_stream(kind, "fuzz");
        size_t pos          = 0;
        sm_rec_t rec;
        sm_err_t err;

        while (pos < size) {
                const uint8_t *nl = memchr(data + pos, '\n', size - pos);
                size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
                char *line = malloc(len ? len : 1);
                int r;

                if (!line)
                        abort();
                memcpy(line, data + pos, len);
                memset(&rec, 0, sizeof(rec));
                memset(&err, 0, sizeof(err));
                r = sm_rec_feed(rd, line, len, &rec, &err);
                touch_rec(&rec, r, &err);
                free(line);
                pos += len + (nl ? 1 : 0);
        }
        sm_rec_reader_destroy(rd);
}

int sm_fuzz_one(const uint8_t *data, size_t size) {
        whole_buffer(data, size);
        for (int k = SM_REC_POLLS; k <= SM_REC_ZONES; k++) {
                whole_file((enum sm_rec_kind)k, data, size);
                stream((enum sm_rec_kind)k, data, size);
        }
        return 0;
}
