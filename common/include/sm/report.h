/*
 * report: the report CSV, byte for byte as SPEC defines it.
 *
 * Every producer of a report (batch command, reporter service, gateway)
 * writes its rows through here, so the header, the column order, the
 * `%.2f` rounding and the quoting are the same everywhere.
 */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stddef.h>

/** The header line, without the line end. */
#define SM_REPORT_HEADER                                                       \
        "store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"          \
        "downtime_last_hour,downtime_last_day,downtime_last_week"

/** One store's line of a report, in report units (also the Avro
 *  ReportRow of a ReportPart, see codec.h). */
typedef struct sm_report_row {
        const char *store_id;      /* the store (borrowed) */
        size_t store_id_len;       /* its length in bytes */
        double uptime_last_hour;   /* minutes */
        double uptime_last_day;    /* hours */
        double uptime_last_week;   /* hours */
        double downtime_last_hour; /* minutes */
        double downtime_last_day;  /* hours */
        double downtime_last_week; /* hours */
} sm_report_row_t;

/** A row never exceeds this (store ids are at most 255 bytes). */
#define SM_REPORT_ROW_MAX 1024

/**
 * @brief Formats one row with its line end ("\n").
 * @returns the number of bytes written (< size), or -ENOSPC.
 */
int sm_report_format_row(const sm_report_row_t *row, char *buf, size_t size);

/** @brief Byte-order comparison of two store ids (SPEC's row order). */
int sm_report_id_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
