/*
 * wire: single-object framing, CRC-64-AVRO and the Parsing Canonical Form
 * (see wire.h).
 *
 * The canonical form is built by one recursive walk over the schema's
 * JSON (jansson), carrying the enclosing namespace, and written straight
 * into an sm_buf_t: named types are emitted as {"name","type",...} with
 * their full name, every other attribute is dropped, primitives become
 * bare strings.  The walk runs once per schema at startup, so it favours
 * clarity over speed; the fingerprint is computed bit by bit for the same
 * reason (no 2 KiB table to build or share).
 */
#include "sm/wire.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Nesting deeper than this is refused rather than recursed into. */
#define MAX_DEPTH 64

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
 * sm_buf_t
 */

void sm_buf_reserve(sm_buf_t *buf, size_t size) {
        size_t cap = buf->size;

        if (size <= cap)
                return;
        if (cap < 64)
                cap = 64;
        while (cap < size)
                cap *= 2;
        buf->data = sm_xrealloc(buf->data, cap);
        buf->size = cap;
}

void sm_buf_free(sm_buf_t *buf) {
        if (!buf)
                return;
        free(buf->data);
        buf->data = NULL;
        buf->len  = 0;
        buf->size = 0;
}

static void buf_put(sm_buf_t *buf, const char *s, size_t n) {
        sm_buf_reserve(buf, buf->len + n + 1);
        memcpy(buf->data + buf->len, s, n);
        buf->len += n;
        buf->data[buf->len] = '\0';
}

static void buf_puts(sm_buf_t *buf, const char *s) {
        buf_put(buf, s, strlen(s));
}

/* A JSON string literal: only '"', '\\' and control characters are
 * escaped; everything else stays as (UTF-8) text, per [STRINGS]. */
static void buf_put_json_string(sm_buf_t *buf, const char *s, size_t n) {
        static const char hex[] = "0123456789abcdef";
        size_t i;

        buf_put(buf, "\"", 1);
        for (i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\') {
                        char esc[2] = {'\\', (char)c};
                        buf_put(buf, esc, 2);
                } else if (c < 0x20) {
                        char esc[6] = {'\\', 'u',         '0',
                                       '0',  hex[c >> 4], hex[c & 0xf]};
                        buf_put(buf, esc, 6);
                } else {
                        buf_put(buf, (const char *)&c, 1);
                }
        }
        buf_put(buf, "\"", 1);
}


/*
 * CRC-64-AVRO
 */

uint64_t sm_wire_crc64(const void *data, size_t len) {
        const uint8_t *p = data;
        uint64_t fp      = SM_WIRE_FP_EMPTY;
        size_t i;
        int bit;

        for (i = 0; i < len; i++) {
                fp ^= p[i];
                for (bit = 0; bit < 8; bit++)
                        fp = (fp >> 1) ^ (SM_WIRE_FP_EMPTY & (0 - (fp & 1)));
        }
        return fp;
}


/*
 * Parsing Canonical Form
 */

static int is_primitive(const char *name) {
        static const char *const prims[] = {
                "null",  "boolean", "int",   "long",
                "float", "double",  "bytes", "string",
        };
        size_t i;

        for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
                if (strcmp(name, prims[i]) == 0)
                        return 1;
        return 0;
}

/* The full name of name in namespace ns ("" = the null namespace), as a
 * malloc'ed string. */
static char *fullname(const char *name, const char *ns) {
        size_t nlen, slen;
        char *full;

        if (strchr(name, '.') || !*ns)
                return sm_xstrdup(name);
        nlen = strlen(name);
        slen = strlen(ns);
        full = sm_xmalloc(slen + 1 + nlen + 1);
        memcpy(full, ns, slen);
        full[slen] = '.';
        memcpy(full + slen + 1, name, nlen + 1);
        return full;
}

static void put_fullname(sm_buf_t *out, const char *name, const char *ns) {
        char *full = fullname(name, ns);

        buf_put_json_string(out, full, strlen(full));
        free(full);
}

typedef struct pcf_ctx {
        sm_buf_t out;       /* the canonical form being built */
        char *errstr;       /* caller's error buffer */
        size_t errstr_size; /* its size */
} pcf_ctx_t;

static int emit(pcf_ctx_t *ctx, json_t *node, const char *ns, int depth);

/* record, error, enum, fixed: {"name":full,"type":t,...} */
static int emit_named(pcf_ctx_t *ctx,
                      json_t *node,
                      const char *type,
                      const char *ns,
                      int depth) {
        json_t *name    = json_object_get(node, "name");
        json_t *nspace  = json_object_get(node, "namespace");
        char *full      = NULL;
        char *inner_ns  = NULL;
        const char *dot = NULL;
        int r           = 0;

        if (!json_is_string(name) || !*json_string_value(name))
                return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                            "a %s schema has no \"name\"", type);
        if (nspace && !json_is_string(nspace) && !json_is_null(nspace))
                return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                            "%s: \"namespace\" is not a string",
                            json_string_value(name));
        /* A dotted name carries its namespace; otherwise an explicit
         * "namespace" wins over the enclosing one. */
        if (!strchr(json_string_value(name), '.') && json_is_string(nspace))
                ns = json_string_value(nspace);

        full = fullname(json_string_value(name), ns);
        buf_puts(&ctx->out, "{\"name\":");
        buf_put_json_string(&ctx->out, full, strlen(full));
        /* Types defined inside live in this type's namespace. */
        dot      = strrchr(full, '.');
        inner_ns = sm_xstrndup(full, dot ? (size_t)(dot - full) : 0);

        buf_puts(&ctx->out, ",\"type\":");
        if (strcmp(type, "record") == 0 || strcmp(type, "error") == 0) {
                json_t *fields = json_object_get(node, "fields");
                size_t i;

                buf_puts(&ctx->out, "\"record\",\"fields\":[");
                if (!json_is_array(fields)) {
                        r = fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                 "record %s has no \"fields\" array",
                                 json_string_value(name));
                        goto out;
                }
                for (i = 0; i < json_array_size(fields); i++) {
                        json_t *field = json_array_get(fields, i);
                        json_t *fname = json_object_get(field, "name");
                        json_t *ftype = json_object_get(field, "type");

                        if (!json_is_string(fname) || !ftype) {
                                r = fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                         "record %s: field %zu needs a "
                                         "\"name\" and a \"type\"",
                                         json_string_value(name), i);
                                goto out;
                        }
                        buf_puts(&ctx->out, i ? ",{\"name\":" : "{\"name\":");
                        buf_put_json_string(&ctx->out, json_string_value(fname),
                                            json_string_length(fname));
                        buf_puts(&ctx->out, ",\"type\":");
                        r = emit(ctx, ftype, inner_ns, depth + 1);
                        if (r < 0)
                                goto out;
                        buf_puts(&ctx->out, "}");
                }
                buf_puts(&ctx->out, "]}");
        } else if (strcmp(type, "enum") == 0) {
                json_t *symbols = json_object_get(node, "symbols");
                size_t i;

                buf_puts(&ctx->out, "\"enum\",\"symbols\":[");
                if (!json_is_array(symbols)) {
                        r = fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                 "enum %s has no \"symbols\" array",
                                 json_string_value(name));
                        goto out;
                }
                for (i = 0; i < json_array_size(symbols); i++) {
                        json_t *sym = json_array_get(symbols, i);
                        if (!json_is_string(sym)) {
                                r = fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                         "enum %s: symbol %zu is not a "
                                         "string",
                                         json_string_value(name), i);
                                goto out;
                        }
                        if (i)
                                buf_puts(&ctx->out, ",");
                        buf_put_json_string(&ctx->out, json_string_value(sym),
                                            json_string_length(sym));
                }
                buf_puts(&ctx->out, "]}");
        } else {
                json_t *size = json_object_get(node, "size");
                char num[32];

                if (!json_is_integer(size) || json_integer_value(size) < 0) {
                        r = fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                 "fixed %s has no valid \"size\"",
                                 json_string_value(name));
                        goto out;
                }
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                         json_integer_value(size));
                buf_puts(&ctx->out, "\"fixed\",\"size\":");
                buf_puts(&ctx->out, num);
                buf_puts(&ctx->out, "}");
        }
out:
        free(inner_ns);
        free(full);
        return r;
}

static int emit(pcf_ctx_t *ctx, json_t *node, const char *ns, int depth) {
        if (depth > MAX_DEPTH)
                return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                            "schema nested more than %d levels deep",
                            MAX_DEPTH);

        if (json_is_string(node)) {
                const char *s = json_string_value(node);
                if (is_primitive(s))
                        buf_put_json_string(&ctx->out, s, strlen(s));
                else if (!*s)
                        return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                    "empty type name");
                else
                        put_fullname(&ctx->out, s, ns);
                return 0;
        }

        if (json_is_array(node)) { /* a union */
                size_t i;
                buf_puts(&ctx->out, "[");
                for (i = 0; i < json_array_size(node); i++) {
                        int r;
                        if (i)
                                buf_puts(&ctx->out, ",");
                        r = emit(ctx, json_array_get(node, i), ns, depth + 1);
                        if (r < 0)
                                return r;
                }
                buf_puts(&ctx->out, "]");
                return 0;
        }

        if (json_is_object(node)) {
                json_t *type = json_object_get(node, "type");
                const char *t;

                if (!type)
                        return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                    "a schema object has no \"type\"");
                if (!json_is_string(type)) /* {"type": <schema>} */
                        return emit(ctx, type, ns, depth + 1);
                t = json_string_value(type);
                if (is_primitive(t)) {
                        buf_put_json_string(&ctx->out, t, strlen(t));
                        return 0;
                }
                if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0 ||
                    strcmp(t, "enum") == 0 || strcmp(t, "fixed") == 0)
                        return emit_named(ctx, node, t, ns, depth);
                if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
                        int is_array    = t[0] == 'a';
                        const char *key = is_array ? "items" : "values";
                        json_t *sub     = json_object_get(node, key);
                        int r;

                        if (!sub)
                                return fail(ctx->errstr, ctx->errstr_size,
                                            -EINVAL, "%s schema has no \"%s\"",
                                            t, key);
                        buf_puts(&ctx->out, is_array ? "{\"type\":\"array\","
                                                       "\"items\":"
                                                     : "{\"type\":\"map\","
                                                       "\"values\":");
                        r = emit(ctx, sub, ns, depth + 1);
                        if (r < 0)
                                return r;
                        buf_puts(&ctx->out, "}");
                        return 0;
                }
                /* {"type":"Name"}: a reference to a named type. */
                if (!*t)
                        return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                                    "empty type name");
                put_fullname(&ctx->out, t, ns);
                return 0;
        }

        return fail(ctx->errstr, ctx->errstr_size, -EINVAL,
                    "a schema must be a string, an array or an object");
}

int sm_wire_canonical_form(const char *json,
                           size_t len,
                           char **ret_pcf,
                           char *errstr,
                           size_t errstr_size) {
        pcf_ctx_t ctx = {SM_BUF_INIT, errstr, errstr_size};
        json_error_t jerr;
        json_t *root = NULL;
        int r;

        if (!json)
                return fail(errstr, errstr_size, -EINVAL, "no schema text");
        root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                          &jerr);
        if (!root) {
                r = fail(errstr, errstr_size, -EINVAL,
                         "schema is not JSON: line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                goto out;
        }
        r = emit(&ctx, root, "", 0);
        if (r < 0)
                goto out;
        *ret_pcf     = (char *)ctx.out.data;
        ctx.out.data = NULL;
out:
        sm_buf_free(&ctx.out);
        json_decref(root);
        return r;
}

int sm_wire_schema_fingerprint(const char *json,
                               size_t len,
                               uint64_t *ret_fp,
                               char *errstr,
                               size_t errstr_size) {
        char *pcf = NULL;
        int r = sm_wire_canonical_form(json, len, &pcf, errstr, errstr_size);

        if (r < 0)
                return r;
        *ret_fp = sm_wire_crc64(pcf, strlen(pcf));
        free(pcf);
        return 0;
}


/*
 * Framing
 */

void sm_wire_header_write(void *out, uint64_t fp) {
        uint8_t *p = out;
        int i;

        p[0] = SM_WIRE_MAGIC_0;
        p[1] = SM_WIRE_MAGIC_1;
        for (i = 0; i < 8; i++)
                p[2 + i] = (uint8_t)(fp >> (8 * i));
}

int sm_wire_header_read(const void *buf,
                        size_t len,
                        uint64_t *ret_fp,
                        char *errstr,
                        size_t errstr_size) {
        const uint8_t *p = buf;
        uint64_t fp      = 0;
        int i;

        if (!buf || len < SM_WIRE_HEADER_SIZE)
                return fail(errstr, errstr_size, -EBADMSG,
                            "frame of %zu bytes is shorter than the %d-byte "
                            "single-object header",
                            buf ? len : 0, SM_WIRE_HEADER_SIZE);
        if (p[0] != SM_WIRE_MAGIC_0 || p[1] != SM_WIRE_MAGIC_1)
                return fail(errstr, errstr_size, -EBADMSG,
                            "not an Avro single-object frame (starts with "
                            "%02x %02x, expected c3 01)",
                            p[0], p[1]);
        for (i = 7; i >= 0; i--)
                fp = (fp << 8) | p[2 + i];
        *ret_fp = fp;
        return 0;
}


/*
 * Text
 */

int sm_wire_text_valid(const char *s, size_t len) {
        const uint8_t *p   = (const uint8_t *)s;
        const uint8_t *end = p + len;

        if (!s)
                return len == 0;
        while (p < end) {
                uint8_t c = *p;
                uint32_t cp;
                size_t n, i;

                if (c >= 0x01 && c < 0x80) {
                        p++;
                        continue;
                }
                if (c == 0)
                        return 0;
                if (c >= 0xc2 && c <= 0xdf) {
                        n  = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n  = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n  = 3;
                        cp = c & 0x07;
                } else {
                        return 0; /* continuation, overlong lead or > F4 */
                }
                if ((size_t)(end - p) <= n)
                        return 0;
                for (i = 1; i <= n; i++) {
                        if ((p[i] & 0xc0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i] & 0x3f);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                p += n + 1;
        }
        return 1;
}
