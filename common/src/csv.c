/*
 * csv: the CSV reader (see csv.h).
 *
 * Fast path: an unquoted field is a slice of the input buffer, so a bulk
 * file of millions of rows is split without copying.  Only quoted fields
 * that contain "" are unescaped, into a scratch buffer that grows with the
 * longest record.  Files are read whole (mmap for regular files, read(2)
 * loops for pipes) because reports need every row anyway.
 */
#include "sm/csv.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct sm_csv_s {
        char *name;          /* for messages */
        const char *data;    /* the input */
        size_t len;          /* its length */
        size_t pos;          /* next byte to read */
        long line;           /* physical line of data[pos] */
        void *map;           /* mmap'ed region, or NULL */
        size_t map_len;      /* its length */
        char *owned;         /* malloc'ed input (stdin, stream lines) */
        size_t owned_cap;    /* capacity of owned (stream mode) */
        sm_str_t *fields;    /* fields of the current record */
        size_t fields_cap;   /* capacity of fields */
        size_t *scratch_off; /* per field: offset in scratch, or NOT_SCRATCH */
        size_t scratch_off_cap; /* capacity of scratch_off */
        char *scratch;          /* unescaped quoted fields */
        size_t scratch_cap;     /* capacity of scratch */
        int bom_checked;        /* the BOM test has been done */
};

static sm_csv_t *csv_new(const char *name) {
        sm_csv_t *csv = sm_xcalloc(1, sizeof(*csv));
        csv->name     = sm_xstrdup(name);
        csv->line     = 1;
        return csv;
}

sm_csv_t *sm_csv_open_buffer(const char *data, size_t len, const char *name) {
        sm_csv_t *csv = csv_new(name ? name : "<buffer>");
        csv->data     = data;
        csv->len      = len;
        return csv;
}

sm_csv_t *sm_csv_open_slice(const char *data,
                            size_t len,
                            const char *name,
                            long first_line) {
        sm_csv_t *csv    = sm_csv_open_buffer(data, len, name);
        csv->line        = first_line;
        csv->bom_checked = 1;
        return csv;
}

long sm_csv_line(const sm_csv_t *csv) {
        return csv->line;
}

const char *sm_csv_data(const sm_csv_t *csv) {
        return csv->data;
}

sm_csv_t *sm_csv_open_stream(const char *name) {
        return csv_new(name ? name : "<stdin>");
}

static int read_all(int fd, char **ret_buf, size_t *ret_len) {
        size_t cap = 1 << 16, len = 0;
        char *buf = sm_xmalloc(cap);
        for (;;) {
                ssize_t n;
                if (len == cap) {
                        cap *= 2;
                        buf = sm_xrealloc(buf, cap);
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        free(buf);
                        return -e;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret_buf = buf;
        *ret_len = len;
        return 0;
}

sm_csv_t *sm_csv_open_file(const char *path, char *errstr, size_t errstr_size) {
        sm_csv_t *csv = NULL;
        struct stat st;
        int fd = -1, r;

        if (strcmp(path, "-") == 0) {
                csv = csv_new("<stdin>");
                if ((r = read_all(STDIN_FILENO, &csv->owned, &csv->len)) < 0) {
                        snprintf(errstr, errstr_size, "<stdin>: %s",
                                 strerror(-r));
                        sm_csv_destroy(csv);
                        return NULL;
                }
                csv->data = csv->owned;
                return csv;
        }
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
                snprintf(errstr, errstr_size, "%s: is a directory", path);
                goto fail;
        }
        csv = csv_new(path);
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                csv->map = mmap(NULL, (size_t)st.st_size, PROT_READ,
                                MAP_PRIVATE, fd, 0);
                if (csv->map == MAP_FAILED) {
                        csv->map = NULL;
                        snprintf(errstr, errstr_size, "%s: mmap: %s", path,
                                 strerror(errno));
                        goto fail;
                }
                (void)madvise(csv->map, (size_t)st.st_size, MADV_SEQUENTIAL);
                csv->map_len = (size_t)st.st_size;
                csv->data    = csv->map;
                csv->len     = csv->map_len;
        } else {
                if ((r = read_all(fd, &csv->owned, &csv->len)) < 0) {
                        snprintf(errstr, errstr_size, "%s: %s", path,
                                 strerror(-r));
                        goto fail;
                }
                csv->data = csv->owned;
        }
        close(fd);
        return csv;
fail:
        if (fd >= 0)
                close(fd);
        sm_csv_destroy(csv);
        return NULL;
}

void sm_csv_destroy(sm_csv_t *csv) {
        if (!csv)
                return;
        if (csv->map)
                munmap(csv->map, csv->map_len);
        free(csv->owned);
        free(csv->fields);
        free(csv->scratch_off);
        free(csv->scratch);
        free(csv->name);
        free(csv);
}

const char *sm_csv_name(const sm_csv_t *csv) {
        return csv->name;
}

size_t sm_csv_size(const sm_csv_t *csv) {
        return csv->len;
}

size_t sm_csv_offset(const sm_csv_t *csv) {
        return csv->pos;
}

static sm_str_t trim(const char *p, size_t len) {
        while (len && (*p == ' ' || *p == '\t')) {
                p++;
                len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                len--;
        return (sm_str_t){p, len};
}

#define NOT_SCRATCH ((size_t)-1)

/* Appends a field; off is its offset in scratch (scratch may move while
 * the record is parsed, so those pointers are set at the end). */
static void push_field(sm_csv_t *csv, size_t *n, sm_str_t f, size_t off) {
        sm_xgrow((void **)&csv->fields, &csv->fields_cap, *n + 1,
                 sizeof(*csv->fields));
        sm_xgrow((void **)&csv->scratch_off, &csv->scratch_off_cap, *n + 1,
                 sizeof(*csv->scratch_off));
        csv->scratch_off[*n] = off;
        csv->fields[(*n)++]  = f;
}

/* Parses one record starting at csv->pos; a record ends at an unquoted LF
 * (a CR before it is dropped) or at the end of the data. */
static void parse_record(sm_csv_t *csv, sm_csv_row_t *row) {
        const char *d = csv->data;
        size_t end = csv->len, p = csv->pos, n = 0, scratch_used = 0;
        long lines = 0;

        row->line  = csv->line;
        row->error = NULL;

        for (;;) {
                size_t start = p;
                /* Skip leading blanks to see whether the field is quoted. */
                while (p < end && (d[p] == ' ' || d[p] == '\t'))
                        p++;
                if (p < end && d[p] == '"') {
                        size_t q   = p + 1, out;
                        int closed = 0;
                        out        = scratch_used;
                        /* Even an empty quoted field points into scratch
                         * (never NULL + 0). */
                        sm_xgrow((void **)&csv->scratch, &csv->scratch_cap,
                                 out + 1, 1);
                        while (q < end) {
                                sm_xgrow((void **)&csv->scratch,
                                         &csv->scratch_cap, out + 1, 1);
                                if (d[q] == '"') {
                                        if (q + 1 < end && d[q + 1] == '"') {
                                                csv->scratch[out++] = '"';
                                                q += 2;
                                                continue;
                                        }
                                        closed = 1;
                                        q++;
                                        break;
                                }
                                if (d[q] == '\n')
                                        lines++;
                                csv->scratch[out++] = d[q++];
                        }
                        if (!closed && !row->error)
                                row->error = "unterminated quoted field";
                        while (q < end && (d[q] == ' ' || d[q] == '\t'))
                                q++;
                        if (q < end && d[q] != ',' && d[q] != '\n' &&
                            !(d[q] == '\r' &&
                              (q + 1 == end || d[q + 1] == '\n'))) {
                                if (!row->error)
                                        row->error =
                                                "text after a closing "
                                                "quote";
                                while (q < end && d[q] != ',' && d[q] != '\n')
                                        q++;
                        }
                        /* Quoted text is kept as is, only outer blanks
                         * trimmed. */
                        push_field(csv, &n,
                                   (sm_str_t){NULL, out - scratch_used},
                                   scratch_used);
                        scratch_used = out;
                        p            = q;
                } else {
                        const char *nl, *comma;
                        size_t stop;
                        p     = start;
                        comma = memchr(d + p, ',', end - p);
                        nl    = memchr(d + p, '\n',
                                       (comma ? (size_t)(comma - d) : end) - p);
                        stop  = nl      ? (size_t)(nl - d)
                                : comma ? (size_t)(comma - d)
                                        : end;
                        {
                                size_t flen = stop - p;
                                if (flen && d[p + flen - 1] == '\r' &&
                                    (stop == end || d[stop] == '\n'))
                                        flen--;
                                push_field(csv, &n, trim(d + p, flen),
                                           NOT_SCRATCH);
                        }
                        p = stop;
                }
                if (p < end && d[p] == ',') {
                        p++;
                        continue;
                }
                break;
        }
        /* p is at '\n', at a stray CR before it, or at the end. */
        {
                size_t raw_end = p;
                if (raw_end > csv->pos && d[raw_end - 1] == '\r')
                        raw_end--;
                row->raw = (sm_str_t){d + csv->pos, raw_end - csv->pos};
        }
        if (p < end && d[p] == '\n') {
                p++;
                lines++;
        }
        for (size_t i = 0; i < n; i++)
                if (csv->scratch_off[i] != NOT_SCRATCH)
                        csv->fields[i].ptr = csv->scratch + csv->scratch_off[i];
        csv->pos = p;
        csv->line += lines;
        row->fields  = csv->fields;
        row->nfields = n;
}

static int blank_line_at(const sm_csv_t *csv, size_t *ret_next) {
        size_t p = csv->pos;
        while (p < csv->len && (csv->data[p] == ' ' || csv->data[p] == '\t' ||
                                csv->data[p] == '\r'))
                p++;
        if (p == csv->len || csv->data[p] == '\n') {
                *ret_next = p < csv->len ? p + 1 : p;
                return 1;
        }
        return 0;
}

int sm_csv_next(sm_csv_t *csv, sm_csv_row_t *row) {
        size_t next;

        if (!csv->bom_checked) {
                csv->bom_checked = 1;
                if (csv->len >= 3 && memcmp(csv->data, "\xEF\xBB\xBF", 3) == 0)
                        csv->pos = 3;
        }
        while (csv->pos < csv->len && blank_line_at(csv, &next)) {
                int had_nl = next > csv->pos && csv->data[next - 1] == '\n';
                csv->pos   = next;
                if (had_nl)
                        csv->line++;
        }
        if (csv->pos >= csv->len)
                return 0;
        parse_record(csv, row);
        return 1;
}

int sm_csv_feed(sm_csv_t *csv,
                const char *line,
                size_t len,
                sm_csv_row_t *row) {
        long this_line = csv->line;
        int r;

        sm_xgrow((void **)&csv->owned, &csv->owned_cap, len + 1, 1);
        memcpy(csv->owned, line, len);
        csv->data = csv->owned;
        csv->len  = len;
        csv->pos  = 0;
        r         = sm_csv_next(csv, row);
        /* One call is one physical line, whatever it held. */
        csv->line = this_line + 1;
        return r;
}

int sm_str_eq(sm_str_t s, const char *lit) {
        size_t n = strlen(lit);
        return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

int sm_str_caseeq(sm_str_t s, const char *lit) {
        size_t n = strlen(lit);
        return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}
