/*
 * csv: a CSV reader that follows SPEC's input rules.
 *
 * - RFC 4180 quoting ("a, b" and "" for a quote inside a quoted field);
 *   a quoted field may span lines.
 * - A UTF-8 BOM before the header is skipped; LF and CRLF line ends.
 * - Fields are trimmed of surrounding spaces and tabs.
 * - Line numbers are physical lines, the header being line 1; a record
 *   that spans lines has the number of its first line.
 * - Blank lines are skipped.
 *
 * The reader works over one buffer: a whole file (mapped or read), or one
 * line at a time for live streams (sm_csv_feed).  Fields point into the
 * buffer, or into the reader's scratch space when a quoted field had to be
 * unescaped; they are valid until the next call on the reader.
 */
#ifndef SM_CSV_H
#define SM_CSV_H

#include <stddef.h>

typedef struct sm_csv_s sm_csv_t;

/** A borrowed piece of text (not NUL-terminated). */
typedef struct sm_str {
        const char *ptr; /* first byte */
        size_t len;      /* length in bytes */
} sm_str_t;

/** One record. */
typedef struct sm_csv_row {
        const sm_str_t *fields; /* nfields trimmed fields */
        size_t nfields;         /* number of fields in this record */
        long line;              /* physical line of its first byte */
        sm_str_t raw;           /* the record's text without its line end */
        const char *error;      /* NULL, or why the record is malformed */
} sm_csv_row_t;

/**
 * @brief Opens a file ("-" is standard input, read to its end).
 * @param name  how the file is named in messages (borrowed; may be NULL to
 *   use path).
 * @returns the reader, or NULL with errstr filled.
 */
sm_csv_t *sm_csv_open_file(const char *path, char *errstr, size_t errstr_size);

/** @brief A reader over a buffer the caller keeps alive (not copied). */
sm_csv_t *sm_csv_open_buffer(const char *data, size_t len, const char *name);

/** @brief A reader over a slice of a larger input that starts at physical
 *  line first_line (no BOM check: the slice is not the file's start). */
sm_csv_t *sm_csv_open_slice(const char *data,
                            size_t len,
                            const char *name,
                            long first_line);

/** @brief The physical line of the next byte to read. */
long sm_csv_line(const sm_csv_t *csv);

/** @brief The whole input (valid as long as the reader). */
const char *sm_csv_data(const sm_csv_t *csv);

/** @brief A reader for a live stream: lines are given with sm_csv_feed. */
sm_csv_t *sm_csv_open_stream(const char *name);

void sm_csv_destroy(sm_csv_t *csv);

/** @brief The name used in messages (path or "<stdin>"). */
const char *sm_csv_name(const sm_csv_t *csv);

/** @brief Total size of the input in bytes, and how far reading got (for
 *  progress display). */
size_t sm_csv_size(const sm_csv_t *csv);
size_t sm_csv_offset(const sm_csv_t *csv);

/**
 * @brief Reads the next record.
 * @returns 1 with *row set, 0 at the end of input.  A malformed record (an
 *   unterminated quote, text after a closing quote) is still returned, with
 *   row->error set.
 */
int sm_csv_next(sm_csv_t *csv, sm_csv_row_t *row);

/**
 * @brief Stream mode: parses one physical line (without or with its line
 *   end) as the next record; the line number advances by one per call.
 *   Blank lines give 0.  The line is copied.
 * @returns 1 with *row set, or 0 for a blank line.
 */
int sm_csv_feed(sm_csv_t *csv, const char *line, size_t len, sm_csv_row_t *row);

/** @brief Compares a field with a NUL-terminated string. */
int sm_str_eq(sm_str_t s, const char *lit);
/** @brief The same, ignoring ASCII case. */
int sm_str_caseeq(sm_str_t s, const char *lit);

#endif
