/*
 * codec: the Avro records of storemon's topics (see codec.h).
 *
 * Startup (sm_codec_new).  For each record type: find its embedded .avsc
 * (sm/schemas.h), compute the canonical form and fingerprint (wire.c),
 * parse it with avro-c, check it against the field table below (name,
 * position and type of every field the structs map), build one generic
 * value interface, one value for encoding and one for decoding, and a
 * small tree (chk_node_t) that the body checker walks.
 *
 * Encoding.  Reset the record's encode value, set each field by index
 * (strings are given to avro-c as borrowed buffers, not copied), write it
 * with a memory writer just past the 10-byte header in the caller's
 * sm_buf_t; when the buffer is too small avro-c says ENOSPC and we double
 * it and write again (the buffer is kept, so this happens only while it
 * grows).  Then the header goes in front.
 *
 * Decoding.  Check the header and the fingerprint, then walk the body
 * against the schema tree without building anything (check_value): every
 * length is bounded by the bytes left, varints are at most 10 bytes,
 * ints fit 32 bits, enum and union indexes are in range, booleans are 0 or
 * 1, strings are UTF-8 without NUL, array blocks cannot claim more items
 * than there are bytes, and the body ends exactly at the end of the
 * frame.  Only then does avro-c read it (avro_value_read on a memory
 * reader), because avro-c trusts lengths: a garbage string length would
 * make it allocate that many bytes.  The fields are then read out by
 * index into the caller's struct; strings point into the decode value,
 * arrays into codec-owned row arrays, which is why they live until the
 * next decode of the same record type.
 *
 * Field indexes.  The F_* enums below give the position of each field in
 * its schema; the field tables list the same fields in the same order,
 * and sm_codec_new refuses a schema where they differ.
 */
#include "sm/codec.h"
#include "sm/schemas.h"
#include "sm/wire.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>

/* The largest frame an encoder produces. */
#define MAX_FRAME ((size_t)1 << 30)

/* The namespace of every storemon schema. */
#define NAMESPACE "storemon"

static int fail(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int
fail(char *errstr, size_t errstr_size, int err, const char *fmt, ...) {
        va_list ap;

        if (errstr && errstr_size) {
                va_start(ap, fmt);
                vsnprintf(errstr, errstr_size, fmt, ap);
                va_end(ap);
        }
        return err;
}


/*
 * What the C side expects of each schema.
 */

/* The shapes of field the structs map. */
typedef enum field_type {
        FT_STRING,   /* string */
        FT_INT,      /* int */
        FT_LONG,     /* long (plain or timestamp-micros) */
        FT_DOUBLE,   /* double */
        FT_BOOL,     /* boolean */
        FT_ENUM,     /* enum (symbols checked separately) */
        FT_OPT_LONG, /* ["null", long] */
        FT_ARRAY,    /* array of the record described by sub */
        FT_RECORD,   /* the record described by sub */
} field_type_t;

typedef struct field_spec {
        const char *name;             /* field name; NULL ends a table */
        field_type_t type;            /* expected shape */
        const struct field_spec *sub; /* FT_ARRAY, FT_RECORD: its fields */
} field_spec_t;

/* Branches of an FT_OPT_LONG union. */
#define OPT_NULL 0
#define OPT_LONG 1

enum { F_POLL_STORE_ID, F_POLL_TS, F_POLL_STATUS };
static const field_spec_t poll_fields[] = {
        {"store_id", FT_STRING, NULL},
        {"timestamp_utc", FT_LONG, NULL},
        {"status", FT_ENUM, NULL},
        {NULL, 0, NULL},
};

enum { F_BH_DAY, F_BH_START, F_BH_END };
static const field_spec_t business_hours_fields[] = {
        {"day_of_week", FT_INT, NULL},
        {"start_local", FT_INT, NULL},
        {"end_local", FT_INT, NULL},
        {NULL, 0, NULL},
};

enum { F_HOURS_STORE_ID, F_HOURS_HOURS };
static const field_spec_t hours_fields[] = {
        {"store_id", FT_STRING, NULL},
        {"hours", FT_ARRAY, business_hours_fields},
        {NULL, 0, NULL},
};

enum { F_TZ_STORE_ID, F_TZ_TIMEZONE };
static const field_spec_t tz_fields[] = {
        {"store_id", FT_STRING, NULL},
        {"timezone_str", FT_STRING, NULL},
        {NULL, 0, NULL},
};

enum { F_REJ_SOURCE, F_REJ_LINE, F_REJ_RAW, F_REJ_REASON };
static const field_spec_t reject_fields[] = {
        {"source", FT_STRING, NULL},
        {"line", FT_LONG, NULL},
        {"raw", FT_STRING, NULL},
        {"reason", FT_STRING, NULL},
        {NULL, 0, NULL},
};

enum { F_OFF_POLLS, F_OFF_HOURS, F_OFF_ZONES };
static const field_spec_t offsets_fields[] = {
        {"polls", FT_LONG, NULL},
        {"hours", FT_LONG, NULL},
        {"zones", FT_LONG, NULL},
        {NULL, 0, NULL},
};

enum {
        F_REQ_REPORT_ID,
        F_REQ_REQUESTED_AT,
        F_REQ_AS_OF,
        F_REQ_PARTITION,
        F_REQ_END_OFFSETS
};
static const field_spec_t request_fields[] = {
        {"report_id", FT_STRING, NULL},
        {"requested_at", FT_LONG, NULL},
        {"as_of", FT_OPT_LONG, NULL},
        {"partition", FT_INT, NULL},
        {"end_offsets", FT_RECORD, offsets_fields},
        {NULL, 0, NULL},
};

enum {
        F_ROW_STORE_ID,
        F_ROW_UP_HOUR,
        F_ROW_UP_DAY,
        F_ROW_UP_WEEK,
        F_ROW_DOWN_HOUR,
        F_ROW_DOWN_DAY,
        F_ROW_DOWN_WEEK
};
static const field_spec_t report_row_fields[] = {
        {"store_id", FT_STRING, NULL},
        {"uptime_last_hour", FT_DOUBLE, NULL},
        {"uptime_last_day", FT_DOUBLE, NULL},
        {"uptime_last_week", FT_DOUBLE, NULL},
        {"downtime_last_hour", FT_DOUBLE, NULL},
        {"downtime_last_day", FT_DOUBLE, NULL},
        {"downtime_last_week", FT_DOUBLE, NULL},
        {NULL, 0, NULL},
};

enum {
        F_PART_REPORT_ID,
        F_PART_PARTITION,
        F_PART_PART,
        F_PART_AS_OF,
        F_PART_ROWS,
        F_PART_LAST,
        F_PART_ROW_COUNT
};
static const field_spec_t part_fields[] = {
        {"report_id", FT_STRING, NULL},
        {"partition", FT_INT, NULL},
        {"part", FT_INT, NULL},
        {"as_of", FT_LONG, NULL},
        {"rows", FT_ARRAY, report_row_fields},
        {"last", FT_BOOL, NULL},
        {"row_count", FT_LONG, NULL},
        {NULL, 0, NULL},
};

enum {
        F_READY_REPORT_ID,
        F_READY_AS_OF,
        F_READY_COMPLETED_AT,
        F_READY_STORE_COUNT,
        F_READY_URL
};
static const field_spec_t ready_fields[] = {
        {"report_id", FT_STRING, NULL},  {"as_of", FT_LONG, NULL},
        {"completed_at", FT_LONG, NULL}, {"store_count", FT_LONG, NULL},
        {"url", FT_STRING, NULL},        {NULL, 0, NULL},
};

enum {
        F_PROG_INSTANCE,
        F_PROG_PARTITION,
        F_PROG_WATERMARK,
        F_PROG_APPLIED,
        F_PROG_UPDATED_AT
};
static const field_spec_t progress_fields[] = {
        {"instance", FT_STRING, NULL},    {"partition", FT_INT, NULL},
        {"watermark", FT_OPT_LONG, NULL}, {"applied_offset", FT_LONG, NULL},
        {"updated_at", FT_LONG, NULL},    {NULL, 0, NULL},
};

static const struct {
        const char *name;           /* record (and .avsc) name */
        const field_spec_t *fields; /* what the struct maps */
} records[SM_RECORD__CNT] = {
        [SM_RECORD_STORE_POLL]        = {"StorePoll", poll_fields},
        [SM_RECORD_STORE_HOURS]       = {"StoreHours", hours_fields},
        [SM_RECORD_STORE_TIMEZONE]    = {"StoreTimezone", tz_fields},
        [SM_RECORD_REJECTED_ROW]      = {"RejectedRow", reject_fields},
        [SM_RECORD_REPORT_REQUEST]    = {"ReportRequest", request_fields},
        [SM_RECORD_REPORT_PART]       = {"ReportPart", part_fields},
        [SM_RECORD_REPORT_READY]      = {"ReportReady", ready_fields},
        [SM_RECORD_REPORTER_PROGRESS] = {"ReporterProgress", progress_fields},
};


/*
 * The codec.
 */

/* A schema node for the body checker. */
typedef struct chk_node {
        avro_type_t type;      /* Avro type of this node */
        int64_t n;             /* enum: symbols; fixed: size */
        size_t nsub;           /* number of sub nodes */
        struct chk_node **sub; /* record: fields; union: branches;
                                * array: items; map: values */
        const char **names;    /* record: field names (owned by the
                                * avro schema) */
} chk_node_t;

typedef struct rec {
        const sm_schema_src_t *src; /* the embedded .avsc */
        avro_schema_t schema;       /* parsed from src */
        avro_value_iface_t *iface;  /* generic class of schema */
        avro_value_t enc;           /* reused by every encode */
        avro_value_t dec;           /* reused by every decode; owns the
                                     * strings of the last decode */
        int has_values;             /* enc and dec exist */
        uint64_t fp;                /* CRC-64-AVRO of pcf */
        char *pcf;                  /* Parsing Canonical Form */
        chk_node_t *chk;            /* tree for check_value */
} rec_t;

struct sm_codec_s {
        rec_t rec[SM_RECORD__CNT];  /* one per record type */
        avro_reader_t reader;       /* memory reader, re-pointed per
                                     * decode */
        avro_writer_t writer;       /* memory writer, re-pointed per
                                     * encode */
        int sym_active;             /* PollStatus index of ACTIVE */
        int sym_inactive;           /* PollStatus index of INACTIVE */
        sm_hours_row_t *hours_rows; /* rows of the last decoded
                                     * StoreHours */
        size_t hours_cap;           /* capacity of hours_rows */
        sm_report_row_t *part_rows; /* rows of the last decoded
                                     * ReportPart */
        size_t part_cap;            /* capacity of part_rows */
        char *poll_id;              /* store_id of the last decoded
                                     * StorePoll, NUL-terminated */
        size_t poll_id_cap;         /* capacity of poll_id */
};

const char *sm_codec_record_name(sm_record_t rec) {
        if ((unsigned)rec >= SM_RECORD__CNT)
                return "?";
        return records[rec].name;
}

uint64_t sm_codec_fingerprint(const sm_codec_t *codec, sm_record_t rec) {
        return codec->rec[rec].fp;
}

const char *sm_codec_canonical_form(const sm_codec_t *codec, sm_record_t rec) {
        return codec->rec[rec].pcf;
}

static void chk_free(chk_node_t *node) {
        size_t i;

        if (!node)
                return;
        for (i = 0; i < node->nsub; i++)
                chk_free(node->sub[i]);
        free(node->sub);
        free(node->names);
        free(node);
}

/* Builds the checker tree of a schema.  Named-type references (links)
 * would allow recursive schemas; storemon has none, so they are refused. */
static chk_node_t *
chk_build(avro_schema_t schema, int depth, char *errstr, size_t errstr_size) {
        chk_node_t *node = NULL;
        size_t i;

        if (depth > 16) {
                fail(errstr, errstr_size, -EINVAL, "schema nested too deeply");
                return NULL;
        }
        node       = sm_xcalloc(1, sizeof(*node));
        node->type = avro_typeof(schema);
        switch (node->type) {
        case AVRO_STRING:
        case AVRO_BYTES:
        case AVRO_INT32:
        case AVRO_INT64:
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
        case AVRO_BOOLEAN:
        case AVRO_NULL:
                return node;
        case AVRO_ENUM:
                node->n = avro_schema_enum_number_of_symbols(schema);
                return node;
        case AVRO_FIXED:
                node->n = avro_schema_fixed_size(schema);
                return node;
        case AVRO_RECORD:
                node->nsub  = avro_schema_record_size(schema);
                node->sub   = sm_xcalloc(node->nsub, sizeof(*node->sub));
                node->names = sm_xcalloc(node->nsub, sizeof(*node->names));
                for (i = 0; i < node->nsub; i++) {
                        node->names[i] =
                                avro_schema_record_field_name(schema, (int)i);
                        node->sub[i] =
                                chk_build(avro_schema_record_field_get_by_index(
                                                  schema, (int)i),
                                          depth + 1, errstr, errstr_size);
                        if (!node->sub[i])
                                goto err;
                }
                return node;
        case AVRO_UNION:
                node->nsub = avro_schema_union_size(schema);
                node->sub  = sm_xcalloc(node->nsub, sizeof(*node->sub));
                for (i = 0; i < node->nsub; i++) {
                        node->sub[i] = chk_build(
                                avro_schema_union_branch(schema, (int)i),
                                depth + 1, errstr, errstr_size);
                        if (!node->sub[i])
                                goto err;
                }
                return node;
        case AVRO_ARRAY:
        case AVRO_MAP:
                node->nsub = 1;
                node->sub  = sm_xcalloc(1, sizeof(*node->sub));
                node->sub[0] =
                        chk_build(node->type == AVRO_ARRAY
                                          ? avro_schema_array_items(schema)
                                          : avro_schema_map_values(schema),
                                  depth + 1, errstr, errstr_size);
                if (!node->sub[0])
                        goto err;
                return node;
        default:
                fail(errstr, errstr_size, -EINVAL,
                     "named-type references are not supported");
                goto err;
        }
err:
        chk_free(node);
        return NULL;
}

static const char *type_name(avro_type_t type) {
        switch (type) {
        case AVRO_STRING:
                return "string";
        case AVRO_BYTES:
                return "bytes";
        case AVRO_INT32:
                return "int";
        case AVRO_INT64:
                return "long";
        case AVRO_FLOAT:
                return "float";
        case AVRO_DOUBLE:
                return "double";
        case AVRO_BOOLEAN:
                return "boolean";
        case AVRO_NULL:
                return "null";
        case AVRO_RECORD:
                return "record";
        case AVRO_ENUM:
                return "enum";
        case AVRO_FIXED:
                return "fixed";
        case AVRO_MAP:
                return "map";
        case AVRO_ARRAY:
                return "array";
        case AVRO_UNION:
                return "union";
        default:
                return "a named-type reference";
        }
}

/* Checks that a record schema has exactly the fields of spec, in order. */
static int verify_fields(avro_schema_t schema,
                         const field_spec_t *spec,
                         const char *path,
                         char *errstr,
                         size_t errstr_size) {
        size_t n = 0, i;

        while (spec[n].name)
                n++;
        if (!is_avro_record(schema))
                return fail(errstr, errstr_size, -EINVAL, "%s: not a record",
                            path);
        if (avro_schema_record_size(schema) != n)
                return fail(errstr, errstr_size, -EINVAL,
                            "%s has %zu fields, the codec maps %zu", path,
                            avro_schema_record_size(schema), n);
        for (i = 0; i < n; i++) {
                const char *name =
                        avro_schema_record_field_name(schema, (int)i);
                avro_schema_t fs =
                        avro_schema_record_field_get_by_index(schema, (int)i);
                avro_type_t want = AVRO_NULL;
                int r;

                if (!name || strcmp(name, spec[i].name) != 0)
                        return fail(errstr, errstr_size, -EINVAL,
                                    "%s: field %zu is \"%s\", the codec "
                                    "expects \"%s\"",
                                    path, i, name ? name : "?", spec[i].name);
                switch (spec[i].type) {
                case FT_STRING:
                        want = AVRO_STRING;
                        break;
                case FT_INT:
                        want = AVRO_INT32;
                        break;
                case FT_LONG:
                        want = AVRO_INT64;
                        break;
                case FT_DOUBLE:
                        want = AVRO_DOUBLE;
                        break;
                case FT_BOOL:
                        want = AVRO_BOOLEAN;
                        break;
                case FT_ENUM:
                        want = AVRO_ENUM;
                        break;
                case FT_OPT_LONG:
                        if (!is_avro_union(fs) ||
                            avro_schema_union_size(fs) != 2 ||
                            !is_avro_null(
                                    avro_schema_union_branch(fs, OPT_NULL)) ||
                            !is_avro_int64(
                                    avro_schema_union_branch(fs, OPT_LONG)))
                                return fail(errstr, errstr_size, -EINVAL,
                                            "%s.%s: expected [\"null\", "
                                            "long]",
                                            path, name);
                        continue;
                case FT_ARRAY:
                        if (!is_avro_array(fs))
                                return fail(errstr, errstr_size, -EINVAL,
                                            "%s.%s: expected an array", path,
                                            name);
                        fs = avro_schema_array_items(fs);
                        /* fall through */
                case FT_RECORD: {
                        char sub[128];
                        snprintf(sub, sizeof(sub), "%s.%s", path, name);
                        r = verify_fields(fs, spec[i].sub, sub, errstr,
                                          errstr_size);
                        if (r < 0)
                                return r;
                        continue;
                }
                }
                if (!fs || avro_typeof(fs) != want)
                        return fail(errstr, errstr_size, -EINVAL,
                                    "%s.%s: expected %s, the schema has %s",
                                    path, name, type_name(want),
                                    fs ? type_name(avro_typeof(fs)) : "?");
        }
        return 0;
}

static int rec_init(sm_codec_t *codec,
                    sm_record_t which,
                    char *errstr,
                    size_t errstr_size) {
        rec_t *r         = &codec->rec[which];
        const char *name = records[which].name;
        char err[256];
        int rc;

        r->src = sm_schemas_find(name);
        if (!r->src)
                return fail(errstr, errstr_size, -ENOENT,
                            "schema %s.avsc is not built in", name);
        if (sm_wire_canonical_form(r->src->json, r->src->json_len, &r->pcf, err,
                                   sizeof(err)) < 0)
                return fail(errstr, errstr_size, -EINVAL, "%s: %s",
                            r->src->file, err);
        r->fp = sm_wire_crc64(r->pcf, strlen(r->pcf));

        if (avro_schema_from_json_length(r->src->json, r->src->json_len,
                                         &r->schema) != 0) {
                r->schema = NULL;
                return fail(errstr, errstr_size, -EINVAL, "%s: %s",
                            r->src->file, avro_strerror());
        }
        if (!is_avro_record(r->schema) ||
            strcmp(avro_schema_name(r->schema), name) != 0 ||
            !avro_schema_namespace(r->schema) ||
            strcmp(avro_schema_namespace(r->schema), NAMESPACE) != 0)
                return fail(errstr, errstr_size, -EINVAL,
                            "%s: expected record " NAMESPACE ".%s",
                            r->src->file, name);
        rc = verify_fields(r->schema, records[which].fields, name, errstr,
                           errstr_size);
        if (rc < 0)
                return rc;

        r->chk = chk_build(r->schema, 0, err, sizeof(err));
        if (!r->chk)
                return fail(errstr, errstr_size, -EINVAL, "%s: %s",
                            r->src->file, err);

        r->iface = avro_generic_class_from_schema(r->schema);
        if (!r->iface)
                return fail(errstr, errstr_size, -EINVAL, "%s: %s",
                            r->src->file, avro_strerror());
        if (avro_generic_value_new(r->iface, &r->enc) != 0)
                return fail(errstr, errstr_size, -ENOMEM, "%s: %s",
                            r->src->file, avro_strerror());
        if (avro_generic_value_new(r->iface, &r->dec) != 0) {
                avro_value_decref(&r->enc);
                return fail(errstr, errstr_size, -ENOMEM, "%s: %s",
                            r->src->file, avro_strerror());
        }
        r->has_values = 1;
        return 0;
}

sm_codec_t *sm_codec_new(char *errstr, size_t errstr_size) {
        static const char none[1] = "";
        sm_codec_t *codec         = sm_xcalloc(1, sizeof(*codec));
        avro_schema_t status;
        int i, j;

        for (i = 0; i < SM_RECORD__CNT; i++)
                if (rec_init(codec, (sm_record_t)i, errstr, errstr_size) < 0)
                        goto err;
        /* Every fingerprint must tell its record apart. */
        for (i = 0; i < SM_RECORD__CNT; i++)
                for (j = i + 1; j < SM_RECORD__CNT; j++)
                        if (codec->rec[i].fp == codec->rec[j].fp) {
                                fail(errstr, errstr_size, -EINVAL,
                                     "%s and %s have the same fingerprint",
                                     records[i].name, records[j].name);
                                goto err;
                        }

        status = avro_schema_record_field_get_by_index(
                codec->rec[SM_RECORD_STORE_POLL].schema, F_POLL_STATUS);
        codec->sym_active   = avro_schema_enum_get_by_name(status, "ACTIVE");
        codec->sym_inactive = avro_schema_enum_get_by_name(status, "INACTIVE");
        if (avro_schema_enum_number_of_symbols(status) != 2 ||
            codec->sym_active < 0 || codec->sym_inactive < 0) {
                fail(errstr, errstr_size, -EINVAL,
                     "StorePoll.status: expected the symbols ACTIVE and "
                     "INACTIVE only");
                goto err;
        }

        codec->reader = avro_reader_memory(none, 0);
        codec->writer = avro_writer_memory(none, 0);
        if (!codec->reader || !codec->writer) {
                fail(errstr, errstr_size, -ENOMEM,
                     "cannot create avro memory reader/writer");
                goto err;
        }
        return codec;
err:
        sm_codec_destroy(codec);
        return NULL;
}

void sm_codec_destroy(sm_codec_t *codec) {
        int i;

        if (!codec)
                return;
        for (i = 0; i < SM_RECORD__CNT; i++) {
                rec_t *r = &codec->rec[i];
                if (r->has_values) {
                        avro_value_decref(&r->enc);
                        avro_value_decref(&r->dec);
                }
                if (r->iface)
                        avro_value_iface_decref(r->iface);
                if (r->schema)
                        avro_schema_decref(r->schema);
                chk_free(r->chk);
                free(r->pcf);
        }
        if (codec->reader)
                avro_reader_free(codec->reader);
        if (codec->writer)
                avro_writer_free(codec->writer);
        free(codec->hours_rows);
        free(codec->part_rows);
        free(codec->poll_id);
        free(codec);
}


/*
 * Body checker.
 */

typedef struct chk {
        const uint8_t *start; /* first byte of the frame */
        const uint8_t *p;     /* next byte of the body */
        const uint8_t *end;   /* one past the last byte */
        const char *field;    /* innermost field being checked */
        const char *rec;      /* record name, for messages */
        char *errstr;         /* caller's error buffer */
        size_t errstr_size;   /* its size */
} chk_t;

static int chk_bad(chk_t *c, const char *what) {
        return fail(c->errstr, c->errstr_size, -EBADMSG,
                    "%s: %s at byte %zu of %zu (field %s)", c->rec, what,
                    (size_t)(c->p - c->start), (size_t)(c->end - c->start),
                    c->field);
}

/* An Avro varint: zig-zag, at most 10 bytes, nothing beyond 64 bits. */
static int chk_varint(chk_t *c, int64_t *ret_v) {
        uint64_t v = 0;
        int i;

        for (i = 0; i < 10; i++) {
                uint8_t b;
                if (c->p >= c->end)
                        return chk_bad(c, "truncated number");
                b = *c->p;
                if (i == 9 && b > 1)
                        return chk_bad(c, "number wider than 64 bits");
                c->p++;
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *ret_v = (int64_t)((v >> 1) ^ (0 - (v & 1)));
                        return 0;
                }
        }
        return chk_bad(c, "number longer than 10 bytes");
}

static int chk_skip(chk_t *c, uint64_t n, const char *what) {
        if ((uint64_t)(c->end - c->p) < n)
                return chk_bad(c, what);
        c->p += n;
        return 0;
}

static int chk_string(chk_t *c, int utf8) {
        int64_t len;
        const char *s;
        int r = chk_varint(c, &len);

        if (r < 0)
                return r;
        if (len < 0)
                return chk_bad(c, "negative string length");
        if ((uint64_t)len > (uint64_t)(c->end - c->p))
                return chk_bad(c, "truncated string");
        s = (const char *)c->p;
        if (utf8 && !sm_wire_text_valid(s, (size_t)len))
                return chk_bad(c, "string not UTF-8 or holding a NUL");
        c->p += len;
        return 0;
}

static int check_value(chk_t *c, const chk_node_t *node) {
        int64_t v;
        size_t i;
        int r;

        switch (node->type) {
        case AVRO_NULL:
                return 0;
        case AVRO_BOOLEAN:
                if (c->p >= c->end)
                        return chk_bad(c, "truncated boolean");
                if (*c->p > 1)
                        return chk_bad(c, "boolean neither 0 nor 1");
                c->p++;
                return 0;
        case AVRO_INT32:
                r = chk_varint(c, &v);
                if (r == 0 && (v < INT32_MIN || v > INT32_MAX))
                        return chk_bad(c, "int out of 32-bit range");
                return r;
        case AVRO_INT64:
                return chk_varint(c, &v);
        case AVRO_FLOAT:
                return chk_skip(c, 4, "truncated float");
        case AVRO_DOUBLE:
                return chk_skip(c, 8, "truncated double");
        case AVRO_STRING:
                return chk_string(c, 1);
        case AVRO_BYTES:
                return chk_string(c, 0);
        case AVRO_FIXED:
                return chk_skip(c, (uint64_t)node->n, "truncated fixed");
        case AVRO_ENUM:
                r = chk_varint(c, &v);
                if (r == 0 && (v < 0 || v >= node->n))
                        return chk_bad(c, "enum index out of range");
                return r;
        case AVRO_UNION:
                r = chk_varint(c, &v);
                if (r < 0)
                        return r;
                if (v < 0 || (uint64_t)v >= node->nsub)
                        return chk_bad(c, "union branch out of range");
                return check_value(c, node->sub[v]);
        case AVRO_ARRAY:
        case AVRO_MAP:
                for (;;) {
                        int64_t count;
                        r = chk_varint(c, &count);
                        if (r < 0)
                                return r;
                        if (count == 0)
                                return 0;
                        if (count < 0) {
                                int64_t size;
                                if (count == INT64_MIN)
                                        return chk_bad(c, "bad block count");
                                count = -count;
                                r     = chk_varint(c, &size);
                                if (r < 0)
                                        return r;
                                if (size < 0 ||
                                    (uint64_t)size > (uint64_t)(c->end - c->p))
                                        return chk_bad(c, "bad block size");
                        }
                        /* Every item takes a byte at least (our schemas
                         * have no empty items), so a count beyond the
                         * bytes left is a lie. */
                        if ((uint64_t)count > (uint64_t)(c->end - c->p))
                                return chk_bad(c,
                                               "block count beyond the data");
                        while (count-- > 0) {
                                if (node->type == AVRO_MAP) {
                                        r = chk_string(c, 1);
                                        if (r < 0)
                                                return r;
                                }
                                r = check_value(c, node->sub[0]);
                                if (r < 0)
                                        return r;
                        }
                }
        case AVRO_RECORD: {
                const char *outer = c->field;
                for (i = 0; i < node->nsub; i++) {
                        c->field = node->names[i];
                        r        = check_value(c, node->sub[i]);
                        if (r < 0)
                                return r;
                }
                c->field = outer;
                return 0;
        }
        default:
                return chk_bad(c, "unsupported type");
        }
}


/*
 * Shared encode and decode steps.
 */

#define TRY(expr)                                                              \
        do {                                                                   \
                if ((rc = (expr)) != 0)                                        \
                        goto avro_fail;                                        \
        } while (0)

/* Gives avro-c a borrowed string.  avro-c's writer emits size - 1 bytes
 * of a string value and never reads its terminator, so an unterminated
 * slice can be handed over as is (size len + 1, no free function): no
 * copy, no allocation.  The value must be reset before s goes away. */
static int enc_string(avro_value_t *rec,
                      size_t idx,
                      const char *s,
                      size_t len,
                      const char *recname,
                      const char *field,
                      char *errstr,
                      size_t errstr_size) {
        avro_wrapped_buffer_t wb;
        avro_value_t f;
        int rc;

        if (!s && len)
                return fail(errstr, errstr_size, -EINVAL,
                            "%s.%s: NULL string with length %zu", recname,
                            field, len);
        if (!sm_wire_text_valid(s, len))
                return fail(errstr, errstr_size, -EINVAL,
                            "%s.%s: not valid UTF-8 or holds a NUL byte",
                            recname, field);
        (void)avro_wrapped_buffer_new(&wb, s ? s : "", s ? len + 1 : 1);
        rc = avro_value_get_by_index(rec, idx, &f, NULL);
        if (rc == 0)
                rc = avro_value_give_string_len(&f, &wb);
        if (rc != 0)
                return fail(errstr, errstr_size, -EINVAL, "%s.%s: %s", recname,
                            field, avro_strerror());
        return 0;
}

static int enc_long(avro_value_t *rec, size_t idx, int64_t v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_set_long(&f, v);
}

static int enc_int(avro_value_t *rec, size_t idx, int32_t v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_set_int(&f, v);
}

static int enc_double(avro_value_t *rec, size_t idx, double v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_set_double(&f, v);
}

static int enc_bool(avro_value_t *rec, size_t idx, int v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_set_boolean(&f, v ? 1 : 0);
}

static int enc_opt_long(avro_value_t *rec, size_t idx, int has, int64_t v) {
        avro_value_t f, branch;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);

        if (rc)
                return rc;
        rc = avro_value_set_branch(&f, has ? OPT_LONG : OPT_NULL, &branch);
        if (rc)
                return rc;
        return has ? avro_value_set_long(&branch, v)
                   : avro_value_set_null(&branch);
}

/* Writes the encode value of rec after the header into out. */
static int enc_finish(sm_codec_t *codec,
                      sm_record_t which,
                      sm_buf_t *out,
                      char *errstr,
                      size_t errstr_size) {
        rec_t *r   = &codec->rec[which];
        size_t cap = out->size < 256 ? 256 : out->size;
        int rc;

        for (;;) {
                sm_buf_reserve(out, cap);
                avro_writer_memory_set_dest(
                        codec->writer,
                        (const char *)out->data + SM_WIRE_HEADER_SIZE,
                        (int64_t)(out->size - SM_WIRE_HEADER_SIZE));
                rc = avro_value_write(codec->writer, &r->enc);
                if (rc == 0)
                        break;
                if (rc != ENOSPC)
                        return fail(errstr, errstr_size, -EINVAL,
                                    "%s: cannot encode: %s",
                                    records[which].name, avro_strerror());
                if (out->size >= MAX_FRAME)
                        return fail(errstr, errstr_size, -EMSGSIZE,
                                    "%s: frame larger than %zu bytes",
                                    records[which].name, MAX_FRAME);
                cap = out->size * 2;
        }
        sm_wire_header_write(out->data, r->fp);
        out->len =
                SM_WIRE_HEADER_SIZE + (size_t)avro_writer_tell(codec->writer);
        return 0;
}

/* Checks that buf[0..len) is one well-formed frame of record which (the
 * header, the fingerprint, then the whole body against the schema). */
static int dec_check(sm_codec_t *codec,
                     sm_record_t which,
                     const void *buf,
                     size_t len,
                     char *errstr,
                     size_t errstr_size) {
        rec_t *r         = &codec->rec[which];
        const char *name = records[which].name;
        char err[160];
        uint64_t fp;
        chk_t c;
        int i, rc;

        if (sm_wire_header_read(buf, len, &fp, err, sizeof(err)) < 0)
                return fail(errstr, errstr_size, -EBADMSG, "%s: %s", name, err);
        if (fp != r->fp) {
                for (i = 0; i < SM_RECORD__CNT; i++)
                        if (codec->rec[i].fp == fp)
                                return fail(errstr, errstr_size, -EBADMSG,
                                            "%s expected, the frame holds "
                                            "a %s",
                                            name, records[i].name);
                return fail(errstr, errstr_size, -EBADMSG,
                            "%s expected (fingerprint %016" PRIx64
                            "), the frame's schema fingerprint %016" PRIx64
                            " is unknown",
                            name, r->fp, fp);
        }

        c.start       = buf;
        c.p           = c.start + SM_WIRE_HEADER_SIZE;
        c.end         = c.start + len;
        c.field       = "-";
        c.rec         = name;
        c.errstr      = errstr;
        c.errstr_size = errstr_size;
        rc            = check_value(&c, r->chk);
        if (rc < 0)
                return rc;
        if (c.p != c.end)
                return fail(errstr, errstr_size, -EBADMSG,
                            "%s: %zu trailing bytes after the record", name,
                            (size_t)(c.end - c.p));
        return 0;
}

/* dec_check(), then the body read into the record's avro value. */
static int dec_begin(sm_codec_t *codec,
                     sm_record_t which,
                     const void *buf,
                     size_t len,
                     char *errstr,
                     size_t errstr_size) {
        rec_t *r         = &codec->rec[which];
        const char *name = records[which].name;
        int rc = dec_check(codec, which, buf, len, errstr, errstr_size);

        if (rc < 0)
                return rc;
        avro_reader_memory_set_source(codec->reader,
                                      (const char *)buf + SM_WIRE_HEADER_SIZE,
                                      (int64_t)(len - SM_WIRE_HEADER_SIZE));
        rc = avro_value_read(codec->reader, &r->dec);
        if (rc != 0)
                return fail(errstr, errstr_size, -EBADMSG, "%s: %s", name,
                            avro_strerror());
        return 0;
}

static int
dec_string(avro_value_t *rec, size_t idx, const char **ret_s, size_t *ret_len) {
        avro_value_t f;
        const char *s;
        size_t size;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);

        if (rc == 0)
                rc = avro_value_get_string(&f, &s, &size);
        if (rc)
                return rc;
        *ret_s   = s;
        *ret_len = size ? size - 1 : 0;
        return 0;
}

static int dec_long(avro_value_t *rec, size_t idx, int64_t *ret_v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_get_long(&f, ret_v);
}

static int dec_int(avro_value_t *rec, size_t idx, int32_t *ret_v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_get_int(&f, ret_v);
}

static int dec_double(avro_value_t *rec, size_t idx, double *ret_v) {
        avro_value_t f;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);
        return rc ? rc : avro_value_get_double(&f, ret_v);
}

static int dec_bool(avro_value_t *rec, size_t idx, int *ret_v) {
        avro_value_t f;
        int b  = 0;
        int rc = avro_value_get_by_index(rec, idx, &f, NULL);

        if (rc == 0)
                rc = avro_value_get_boolean(&f, &b);
        if (rc == 0)
                *ret_v = b ? 1 : 0;
        return rc;
}

static int
dec_opt_long(avro_value_t *rec, size_t idx, int *ret_has, int64_t *ret_v) {
        avro_value_t f, branch;
        int disc, rc = avro_value_get_by_index(rec, idx, &f, NULL);

        if (rc == 0)
                rc = avro_value_get_discriminant(&f, &disc);
        if (rc)
                return rc;
        if (disc != OPT_LONG) {
                *ret_has = 0;
                *ret_v   = 0;
                return 0;
        }
        rc = avro_value_get_current_branch(&f, &branch);
        if (rc == 0)
                rc = avro_value_get_long(&branch, ret_v);
        if (rc == 0)
                *ret_has = 1;
        return rc;
}

static int avro_failed(const char *recname,
                       const char *op,
                       int err,
                       char *errstr,
                       size_t errstr_size) {
        return fail(errstr, errstr_size, err, "%s: cannot %s: %s", recname, op,
                    avro_strerror());
}

#define ENC_BEGIN(which)                                                       \
        avro_value_t *rec = &codec->rec[which].enc;                            \
        const char *name  = records[which].name;                               \
        int rc;                                                                \
        TRY(avro_value_reset(rec))

#define ENC_STR(idx, s, len, field)                                            \
        do {                                                                   \
                int e_ = enc_string(rec, (idx), (s), (len), name, (field),     \
                                    errstr, errstr_size);                      \
                if (e_ < 0)                                                    \
                        return e_;                                             \
        } while (0)

#define DEC_BEGIN(which)                                                       \
        avro_value_t *rec = &codec->rec[which].dec;                            \
        const char *name  = records[which].name;                               \
        int rc = dec_begin(codec, (which), buf, len, errstr, errstr_size);     \
        if (rc < 0)                                                            \
        return rc


/*
 * StorePoll
 */

int sm_codec_encode_poll(sm_codec_t *codec,
                         const sm_poll_msg_t *msg,
                         sm_buf_t *out,
                         char *errstr,
                         size_t errstr_size) {
        avro_value_t f;
        ENC_BEGIN(SM_RECORD_STORE_POLL);

        ENC_STR(F_POLL_STORE_ID, msg->store_id, msg->store_id_len, "store_id");
        TRY(enc_long(rec, F_POLL_TS, msg->ts));
        TRY(avro_value_get_by_index(rec, F_POLL_STATUS, &f, NULL));
        TRY(avro_value_set_enum(&f, msg->active ? codec->sym_active
                                                : codec->sym_inactive));
        return enc_finish(codec, SM_RECORD_STORE_POLL, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

/* A zig-zag varint of at most 10 bytes (the 10th at most 1), as
 * chk_varint() accepts; -1 when it is not one. */
static int poll_varint(const uint8_t **p, const uint8_t *end, int64_t *ret) {
        uint64_t v = 0;

        for (int i = 0; i < 10 && *p < end; i++) {
                uint8_t b = *(*p)++;
                if (i == 9 && b > 1)
                        return -1;
                v |= (uint64_t)(b & 0x7f) << (7 * i);
                if (!(b & 0x80)) {
                        *ret = (int64_t)((v >> 1) ^ (0 - (v & 1)));
                        return 0;
                }
        }
        return -1;
}

/* StorePoll is the one record read per poll applied, so it is read
 * straight from its bytes (a string, a long, an enum index) rather than
 * through avro-c's value API, with the checks the generic body checker
 * makes (framing, fingerprint, varints, length, UTF-8 without NUL, the
 * enum's range, no trailing bytes).  A frame failing any of them goes
 * through dec_check() for the error message. */
int sm_codec_decode_poll(sm_codec_t *codec,
                         const void *buf,
                         size_t len,
                         sm_poll_msg_t *ret_msg,
                         char *errstr,
                         size_t errstr_size) {
        const uint8_t *p = buf, *end = p + len, *id;
        int64_t id_len, ts, sym;
        uint64_t fp;
        sm_poll_msg_t m;

        if (!buf || len < SM_WIRE_HEADER_SIZE ||
            sm_wire_header_read(buf, len, &fp, NULL, 0) < 0 ||
            fp != codec->rec[SM_RECORD_STORE_POLL].fp)
                goto slow;
        p += SM_WIRE_HEADER_SIZE;
        if (poll_varint(&p, end, &id_len) < 0 || id_len < 0 || id_len > end - p)
                goto slow;
        id = p;
        p += id_len;
        if (!sm_wire_text_valid((const char *)id, (size_t)id_len) ||
            poll_varint(&p, end, &ts) < 0 || poll_varint(&p, end, &sym) < 0 ||
            sym < 0 ||
            sym >= codec->rec[SM_RECORD_STORE_POLL]
                            .chk->sub[F_POLL_STATUS]
                            ->n ||
            p != end)
                goto slow;
        sm_xgrow((void **)&codec->poll_id, &codec->poll_id_cap,
                 (size_t)id_len + 1, 1);
        memcpy(codec->poll_id, id, (size_t)id_len);
        codec->poll_id[id_len] = '\0';
        m.store_id             = codec->poll_id;
        m.store_id_len         = (size_t)id_len;
        m.ts                   = ts;
        m.active               = sym == codec->sym_active;
        *ret_msg               = m;
        return 0;
slow : {
        int rc = dec_check(codec, SM_RECORD_STORE_POLL, buf, len, errstr,
                           errstr_size);
        /* Every frame refused above is refused by the checker too. */
        return rc < 0 ? rc
                      : fail(errstr, errstr_size, -EBADMSG,
                             "StorePoll: malformed body");
}
}


/*
 * StoreHours
 */

int sm_codec_encode_hours(sm_codec_t *codec,
                          const sm_hours_msg_t *msg,
                          sm_buf_t *out,
                          char *errstr,
                          size_t errstr_size) {
        avro_value_t arr, item;
        size_t i;
        ENC_BEGIN(SM_RECORD_STORE_HOURS);

        if (msg->nrows && !msg->rows)
                return fail(errstr, errstr_size, -EINVAL,
                            "StoreHours: %zu rows but no row array",
                            msg->nrows);
        ENC_STR(F_HOURS_STORE_ID, msg->store_id, msg->store_id_len, "store_id");
        TRY(avro_value_get_by_index(rec, F_HOURS_HOURS, &arr, NULL));
        for (i = 0; i < msg->nrows; i++) {
                const sm_hours_row_t *row = &msg->rows[i];
                TRY(avro_value_append(&arr, &item, NULL));
                TRY(enc_int(&item, F_BH_DAY, row->day_of_week));
                TRY(enc_int(&item, F_BH_START, row->start_local));
                TRY(enc_int(&item, F_BH_END, row->end_local));
        }
        return enc_finish(codec, SM_RECORD_STORE_HOURS, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_hours(sm_codec_t *codec,
                          const void *buf,
                          size_t len,
                          sm_hours_msg_t *ret_msg,
                          char *errstr,
                          size_t errstr_size) {
        sm_hours_msg_t m;
        avro_value_t arr, item;
        size_t i, n;
        DEC_BEGIN(SM_RECORD_STORE_HOURS);

        TRY(dec_string(rec, F_HOURS_STORE_ID, &m.store_id, &m.store_id_len));
        TRY(avro_value_get_by_index(rec, F_HOURS_HOURS, &arr, NULL));
        TRY(avro_value_get_size(&arr, &n));
        sm_xgrow((void **)&codec->hours_rows, &codec->hours_cap, n,
                 sizeof(*codec->hours_rows));
        for (i = 0; i < n; i++) {
                sm_hours_row_t *row = &codec->hours_rows[i];
                TRY(avro_value_get_by_index(&arr, i, &item, NULL));
                TRY(dec_int(&item, F_BH_DAY, &row->day_of_week));
                TRY(dec_int(&item, F_BH_START, &row->start_local));
                TRY(dec_int(&item, F_BH_END, &row->end_local));
        }
        m.rows   = n ? codec->hours_rows : NULL;
        m.nrows  = n;
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * StoreTimezone
 */

int sm_codec_encode_tz(sm_codec_t *codec,
                       const sm_tz_msg_t *msg,
                       sm_buf_t *out,
                       char *errstr,
                       size_t errstr_size) {
        ENC_BEGIN(SM_RECORD_STORE_TIMEZONE);

        ENC_STR(F_TZ_STORE_ID, msg->store_id, msg->store_id_len, "store_id");
        ENC_STR(F_TZ_TIMEZONE, msg->timezone_str, msg->timezone_str_len,
                "timezone_str");
        return enc_finish(codec, SM_RECORD_STORE_TIMEZONE, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_tz(sm_codec_t *codec,
                       const void *buf,
                       size_t len,
                       sm_tz_msg_t *ret_msg,
                       char *errstr,
                       size_t errstr_size) {
        sm_tz_msg_t m;
        DEC_BEGIN(SM_RECORD_STORE_TIMEZONE);

        TRY(dec_string(rec, F_TZ_STORE_ID, &m.store_id, &m.store_id_len));
        TRY(dec_string(rec, F_TZ_TIMEZONE, &m.timezone_str,
                       &m.timezone_str_len));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * RejectedRow
 */

int sm_codec_encode_reject(sm_codec_t *codec,
                           const sm_reject_msg_t *msg,
                           sm_buf_t *out,
                           char *errstr,
                           size_t errstr_size) {
        ENC_BEGIN(SM_RECORD_REJECTED_ROW);

        ENC_STR(F_REJ_SOURCE, msg->source, msg->source_len, "source");
        TRY(enc_long(rec, F_REJ_LINE, msg->line));
        ENC_STR(F_REJ_RAW, msg->raw, msg->raw_len, "raw");
        ENC_STR(F_REJ_REASON, msg->reason, msg->reason_len, "reason");
        return enc_finish(codec, SM_RECORD_REJECTED_ROW, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_reject(sm_codec_t *codec,
                           const void *buf,
                           size_t len,
                           sm_reject_msg_t *ret_msg,
                           char *errstr,
                           size_t errstr_size) {
        sm_reject_msg_t m;
        DEC_BEGIN(SM_RECORD_REJECTED_ROW);

        TRY(dec_string(rec, F_REJ_SOURCE, &m.source, &m.source_len));
        TRY(dec_long(rec, F_REJ_LINE, &m.line));
        TRY(dec_string(rec, F_REJ_RAW, &m.raw, &m.raw_len));
        TRY(dec_string(rec, F_REJ_REASON, &m.reason, &m.reason_len));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * ReportRequest
 */

int sm_codec_encode_request(sm_codec_t *codec,
                            const sm_request_msg_t *msg,
                            sm_buf_t *out,
                            char *errstr,
                            size_t errstr_size) {
        avro_value_t offs;
        ENC_BEGIN(SM_RECORD_REPORT_REQUEST);

        ENC_STR(F_REQ_REPORT_ID, msg->report_id, msg->report_id_len,
                "report_id");
        TRY(enc_long(rec, F_REQ_REQUESTED_AT, msg->requested_at));
        TRY(enc_opt_long(rec, F_REQ_AS_OF, msg->has_as_of, msg->as_of));
        TRY(enc_int(rec, F_REQ_PARTITION, msg->partition));
        TRY(avro_value_get_by_index(rec, F_REQ_END_OFFSETS, &offs, NULL));
        TRY(enc_long(&offs, F_OFF_POLLS, msg->end_polls));
        TRY(enc_long(&offs, F_OFF_HOURS, msg->end_hours));
        TRY(enc_long(&offs, F_OFF_ZONES, msg->end_zones));
        return enc_finish(codec, SM_RECORD_REPORT_REQUEST, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_request(sm_codec_t *codec,
                            const void *buf,
                            size_t len,
                            sm_request_msg_t *ret_msg,
                            char *errstr,
                            size_t errstr_size) {
        sm_request_msg_t m;
        avro_value_t offs;
        DEC_BEGIN(SM_RECORD_REPORT_REQUEST);

        TRY(dec_string(rec, F_REQ_REPORT_ID, &m.report_id, &m.report_id_len));
        TRY(dec_long(rec, F_REQ_REQUESTED_AT, &m.requested_at));
        TRY(dec_opt_long(rec, F_REQ_AS_OF, &m.has_as_of, &m.as_of));
        TRY(dec_int(rec, F_REQ_PARTITION, &m.partition));
        TRY(avro_value_get_by_index(rec, F_REQ_END_OFFSETS, &offs, NULL));
        TRY(dec_long(&offs, F_OFF_POLLS, &m.end_polls));
        TRY(dec_long(&offs, F_OFF_HOURS, &m.end_hours));
        TRY(dec_long(&offs, F_OFF_ZONES, &m.end_zones));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * ReportPart
 */

int sm_codec_encode_part(sm_codec_t *codec,
                         const sm_part_msg_t *msg,
                         sm_buf_t *out,
                         char *errstr,
                         size_t errstr_size) {
        avro_value_t arr, item;
        size_t i;
        ENC_BEGIN(SM_RECORD_REPORT_PART);

        if (msg->nrows && !msg->rows)
                return fail(errstr, errstr_size, -EINVAL,
                            "ReportPart: %zu rows but no row array",
                            msg->nrows);
        ENC_STR(F_PART_REPORT_ID, msg->report_id, msg->report_id_len,
                "report_id");
        TRY(enc_int(rec, F_PART_PARTITION, msg->partition));
        TRY(enc_int(rec, F_PART_PART, msg->part));
        TRY(enc_long(rec, F_PART_AS_OF, msg->as_of));
        TRY(avro_value_get_by_index(rec, F_PART_ROWS, &arr, NULL));
        for (i = 0; i < msg->nrows; i++) {
                const sm_report_row_t *row = &msg->rows[i];
                int e;

                TRY(avro_value_append(&arr, &item, NULL));
                e = enc_string(&item, F_ROW_STORE_ID, row->store_id,
                               row->store_id_len, name, "rows[].store_id",
                               errstr, errstr_size);
                if (e < 0)
                        return e;
                TRY(enc_double(&item, F_ROW_UP_HOUR, row->uptime_last_hour));
                TRY(enc_double(&item, F_ROW_UP_DAY, row->uptime_last_day));
                TRY(enc_double(&item, F_ROW_UP_WEEK, row->uptime_last_week));
                TRY(enc_double(&item, F_ROW_DOWN_HOUR,
                               row->downtime_last_hour));
                TRY(enc_double(&item, F_ROW_DOWN_DAY, row->downtime_last_day));
                TRY(enc_double(&item, F_ROW_DOWN_WEEK,
                               row->downtime_last_week));
        }
        TRY(enc_bool(rec, F_PART_LAST, msg->last));
        TRY(enc_long(rec, F_PART_ROW_COUNT, msg->row_count));
        return enc_finish(codec, SM_RECORD_REPORT_PART, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_part(sm_codec_t *codec,
                         const void *buf,
                         size_t len,
                         sm_part_msg_t *ret_msg,
                         char *errstr,
                         size_t errstr_size) {
        sm_part_msg_t m;
        avro_value_t arr, item;
        size_t i, n;
        DEC_BEGIN(SM_RECORD_REPORT_PART);

        TRY(dec_string(rec, F_PART_REPORT_ID, &m.report_id, &m.report_id_len));
        TRY(dec_int(rec, F_PART_PARTITION, &m.partition));
        TRY(dec_int(rec, F_PART_PART, &m.part));
        TRY(dec_long(rec, F_PART_AS_OF, &m.as_of));
        TRY(avro_value_get_by_index(rec, F_PART_ROWS, &arr, NULL));
        TRY(avro_value_get_size(&arr, &n));
        sm_xgrow((void **)&codec->part_rows, &codec->part_cap, n,
                 sizeof(*codec->part_rows));
        for (i = 0; i < n; i++) {
                sm_report_row_t *row = &codec->part_rows[i];
                TRY(avro_value_get_by_index(&arr, i, &item, NULL));
                TRY(dec_string(&item, F_ROW_STORE_ID, &row->store_id,
                               &row->store_id_len));
                TRY(dec_double(&item, F_ROW_UP_HOUR, &row->uptime_last_hour));
                TRY(dec_double(&item, F_ROW_UP_DAY, &row->uptime_last_day));
                TRY(dec_double(&item, F_ROW_UP_WEEK, &row->uptime_last_week));
                TRY(dec_double(&item, F_ROW_DOWN_HOUR,
                               &row->downtime_last_hour));
                TRY(dec_double(&item, F_ROW_DOWN_DAY, &row->downtime_last_day));
                TRY(dec_double(&item, F_ROW_DOWN_WEEK,
                               &row->downtime_last_week));
        }
        m.rows  = n ? codec->part_rows : NULL;
        m.nrows = n;
        TRY(dec_bool(rec, F_PART_LAST, &m.last));
        TRY(dec_long(rec, F_PART_ROW_COUNT, &m.row_count));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * ReportReady
 */

int sm_codec_encode_ready(sm_codec_t *codec,
                          const sm_ready_msg_t *msg,
                          sm_buf_t *out,
                          char *errstr,
                          size_t errstr_size) {
        ENC_BEGIN(SM_RECORD_REPORT_READY);

        ENC_STR(F_READY_REPORT_ID, msg->report_id, msg->report_id_len,
                "report_id");
        TRY(enc_long(rec, F_READY_AS_OF, msg->as_of));
        TRY(enc_long(rec, F_READY_COMPLETED_AT, msg->completed_at));
        TRY(enc_long(rec, F_READY_STORE_COUNT, msg->store_count));
        ENC_STR(F_READY_URL, msg->url, msg->url_len, "url");
        return enc_finish(codec, SM_RECORD_REPORT_READY, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_ready(sm_codec_t *codec,
                          const void *buf,
                          size_t len,
                          sm_ready_msg_t *ret_msg,
                          char *errstr,
                          size_t errstr_size) {
        sm_ready_msg_t m;
        DEC_BEGIN(SM_RECORD_REPORT_READY);

        TRY(dec_string(rec, F_READY_REPORT_ID, &m.report_id, &m.report_id_len));
        TRY(dec_long(rec, F_READY_AS_OF, &m.as_of));
        TRY(dec_long(rec, F_READY_COMPLETED_AT, &m.completed_at));
        TRY(dec_long(rec, F_READY_STORE_COUNT, &m.store_count));
        TRY(dec_string(rec, F_READY_URL, &m.url, &m.url_len));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * ReporterProgress
 */

int sm_codec_encode_progress(sm_codec_t *codec,
                             const sm_progress_msg_t *msg,
                             sm_buf_t *out,
                             char *errstr,
                             size_t errstr_size) {
        ENC_BEGIN(SM_RECORD_REPORTER_PROGRESS);

        ENC_STR(F_PROG_INSTANCE, msg->instance, msg->instance_len, "instance");
        TRY(enc_int(rec, F_PROG_PARTITION, msg->partition));
        TRY(enc_opt_long(rec, F_PROG_WATERMARK, msg->has_watermark,
                         msg->watermark));
        TRY(enc_long(rec, F_PROG_APPLIED, msg->applied_offset));
        TRY(enc_long(rec, F_PROG_UPDATED_AT, msg->updated_at));
        return enc_finish(codec, SM_RECORD_REPORTER_PROGRESS, out, errstr,
                          errstr_size);
avro_fail:
        return avro_failed(name, "encode", -EINVAL, errstr, errstr_size);
}

int sm_codec_decode_progress(sm_codec_t *codec,
                             const void *buf,
                             size_t len,
                             sm_progress_msg_t *ret_msg,
                             char *errstr,
                             size_t errstr_size) {
        sm_progress_msg_t m;
        DEC_BEGIN(SM_RECORD_REPORTER_PROGRESS);

        TRY(dec_string(rec, F_PROG_INSTANCE, &m.instance, &m.instance_len));
        TRY(dec_int(rec, F_PROG_PARTITION, &m.partition));
        TRY(dec_opt_long(rec, F_PROG_WATERMARK, &m.has_watermark,
                         &m.watermark));
        TRY(dec_long(rec, F_PROG_APPLIED, &m.applied_offset));
        TRY(dec_long(rec, F_PROG_UPDATED_AT, &m.updated_at));
        *ret_msg = m;
        return 0;
avro_fail:
        return avro_failed(name, "decode", -EBADMSG, errstr, errstr_size);
}


/*
 * Peeking.
 */

int sm_codec_peek_fingerprint(const sm_codec_t *codec,
                              const void *buf,
                              size_t len,
                              sm_record_t *ret_rec,
                              char *errstr,
                              size_t errstr_size) {
        uint64_t fp;
        int i, r = sm_wire_header_read(buf, len, &fp, errstr, errstr_size);

        if (r < 0)
                return r;
        for (i = 0; i < SM_RECORD__CNT; i++)
                if (codec->rec[i].fp == fp) {
                        *ret_rec = (sm_record_t)i;
                        return 0;
                }
        return fail(errstr, errstr_size, -EBADMSG,
                    "unknown schema fingerprint %016" PRIx64, fp);
}
