/*
 * gateway_body: request bodies in, JSON text out (see gateway_body.h).
 */
#include "gateway_body.h"
#include "sm/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const param_names[SM_GW_P__CNT] = {"report_id", "as_of",
                                                      "format"};

const char *sm_gw_param_name(sm_gw_param_t p) {
        return p >= 0 && p < SM_GW_P__CNT ? param_names[p] : "?";
}

int sm_gw_param_find(const char *key, size_t len) {
        for (int i = 0; i < SM_GW_P__CNT; i++)
                if (strlen(param_names[i]) == len &&
                    memcmp(param_names[i], key, len) == 0)
                        return i;
        return -1;
}

void sm_gw_params_clear(sm_gw_params_t *p) {
        for (int i = 0; i < SM_GW_P__CNT; i++) {
                free(p->v[i]);
                p->v[i] = NULL;
        }
}

void sm_gw_params_set(sm_gw_params_t *p,
                      const char *key,
                      size_t key_len,
                      const char *val,
                      size_t val_len) {
        int i = sm_gw_param_find(key, key_len);
        if (i >= 0 && !p->v[i])
                p->v[i] = sm_xstrndup(val, val_len);
}

/* Whether the media type (before any ';') is name, ignoring case. */
static int media_is(const char *ctype, const char *name) {
        size_t n = strlen(name);
        while (*ctype == ' ' || *ctype == '\t')
                ctype++;
        return strncasecmp(ctype, name, n) == 0 &&
               (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' ||
                ctype[n] == '\t');
}

/* application/json or any application/<x>+json. */
static int media_is_json(const char *ctype) {
        const char *semi, *plus;
        size_t n;
        if (media_is(ctype, "application/json"))
                return 1;
        while (*ctype == ' ' || *ctype == '\t')
                ctype++;
        semi = strchr(ctype, ';');
        n    = semi ? (size_t)(semi - ctype) : strlen(ctype);
        while (n > 0 && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
                n--;
        plus = memchr(ctype, '+', n);
        return strncasecmp(ctype, "application/", 12) == 0 && plus &&
               (size_t)(ctype + n - plus) == 5 &&
               strncasecmp(plus, "+json", 5) == 0;
}

sm_gw_body_kind_t
sm_gw_body_kind(const char *ctype, const char *body, size_t len) {
        size_t i = 0;
        int looks_json;

        while (i < len && isspace((unsigned char)body[i]))
                i++;
        if (i == len)
                return SM_GW_BODY_EMPTY;
        looks_json = body[i] == '{' || body[i] == '[';
        if (!ctype || !*ctype || media_is(ctype, "text/plain"))
                return looks_json ? SM_GW_BODY_JSON : SM_GW_BODY_FORM;
        if (media_is_json(ctype))
                return SM_GW_BODY_JSON;
        if (media_is(ctype, "application/x-www-form-urlencoded"))
                return looks_json ? SM_GW_BODY_JSON : SM_GW_BODY_FORM;
        if (media_is(ctype, "multipart/form-data"))
                return SM_GW_BODY_MULTIPART;
        return SM_GW_BODY_UNSUPPORTED;
}

int sm_gw_body_json(const char *body,
                    size_t len,
                    sm_gw_params_t *out,
                    char *errstr,
                    size_t errstr_size) {
        json_error_t jerr;
        json_t *doc = json_loadb(body, len, 0, &jerr);
        int ret     = 0;

        if (!doc) {
                snprintf(errstr, errstr_size,
                         "invalid JSON body at line %d, column %d: %s",
                         jerr.line, jerr.column, jerr.text);
                return -EINVAL;
        }
        if (!json_is_object(doc)) {
                snprintf(errstr, errstr_size,
                         "the JSON body must be an object, not %s",
                         json_is_array(doc)    ? "an array"
                         : json_is_string(doc) ? "a string"
                         : json_is_number(doc) ? "a number"
                         : json_is_null(doc)   ? "null"
                                               : "a boolean");
                ret = -EINVAL;
                goto out;
        }
        for (int i = 0; i < SM_GW_P__CNT; i++) {
                json_t *v = json_object_get(doc, param_names[i]);
                if (!v || json_is_null(v))
                        continue;
                if (!json_is_string(v)) {
                        snprintf(errstr, errstr_size,
                                 "%s must be a string in the JSON body",
                                 param_names[i]);
                        ret = -EINVAL;
                        goto out;
                }
                free(out->v[i]);
                out->v[i] = sm_xstrndup(json_string_value(v),
                                        json_string_length(v));
        }
out:
        json_decref(doc);
        return ret;
}

/* Decodes one urlencoded component into out (at least len + 1 bytes).
 * Returns its length, or -1 for a bad escape or a NUL byte. */
static long decode_component(const char *s, size_t len, char *out) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                if (c == '+') {
                        c = ' ';
                } else if (c == '%') {
                        int hi, lo;
                        if (i + 2 >= len ||
                            (hi = sm_gw_hex_value(s[i + 1])) < 0 ||
                            (lo = sm_gw_hex_value(s[i + 2])) < 0)
                                return -1;
                        c = (char)(hi << 4 | lo);
                        i += 2;
                }
                if (c == '\0')
                        return -1;
                out[n++] = c;
        }
        out[n] = '\0';
        return (long)n;
}

int sm_gw_body_form(const char *body,
                    size_t len,
                    sm_gw_params_t *out,
                    char *errstr,
                    size_t errstr_size) {
        char *key = sm_xmalloc(len + 1), *val = sm_xmalloc(len + 1);
        size_t i = 0;
        int ret  = 0;

        /* A trailing line end (some clients add one) is not data. */
        while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
                len--;
        while (i < len) {
                const char *f   = body + i;
                const char *amp = memchr(f, '&', len - i);
                size_t flen     = amp ? (size_t)(amp - f) : len - i;
                const char *eq  = memchr(f, '=', flen);
                size_t klen     = eq ? (size_t)(eq - f) : flen;
                long kn, vn;
                i += flen + 1;
                if (flen == 0)
                        continue;
                kn = decode_component(f, klen, key);
                vn = eq ? decode_component(eq + 1, flen - klen - 1, val) : 0;
                if (!eq)
                        val[0] = '\0';
                if (kn < 0 || vn < 0) {
                        snprintf(errstr, errstr_size,
                                 "form body: bad percent-encoding: '%.*s'",
                                 (int)(flen > 60 ? 60 : flen), f);
                        ret = -EINVAL;
                        break;
                }
                sm_gw_params_set(out, key, (size_t)kn, val, (size_t)vn);
        }
        free(key);
        free(val);
        return ret;
}

void sm_gw_buf_add(sm_buf_t *out, const char *s, size_t len) {
        if (out->len + len + 1 > out->size)
                sm_buf_reserve(out, (out->len + len + 1) * 2);
        memcpy(out->data + out->len, s, len);
        out->len += len;
        out->data[out->len] = '\0';
}

void sm_gw_buf_adds(sm_buf_t *out, const char *s) {
        sm_gw_buf_add(out, s, strlen(s));
}

/* Bytes the escaped form of c takes beyond the byte itself. */
static size_t escape_extra(unsigned char c) {
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
                return 1;
        return c < 0x20 ? 5 : 0;
}

/* The length of the valid UTF-8 sequence at s[i] (a byte >= 0x80), or 0
 * when it is not one (overlong, surrogate, above U+10FFFF, truncated). */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len) {
        unsigned char c = s[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
                n  = 3;
                lo = c == 0xe0 ? 0xa0 : 0x80;
                hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n  = 4;
                lo = c == 0xf0 ? 0x90 : 0x80;
                hi = c == 0xf4 ? 0x8f : 0xbf;
        } else
                return 0;
        if (i + n > len || s[i + 1] < lo || s[i + 1] > hi)
                return 0;
        for (size_t k = 2; k < n; k++)
                if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                        return 0;
        return n;
}

/* A JSON string; bytes that are not UTF-8 (request text echoed in an
 * error) become U+FFFD, so the document stays valid JSON. */
void sm_gw_json_string(sm_buf_t *out, const char *s, size_t len) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *u  = (const unsigned char *)s;
        size_t extra = 0, run = 0;

        for (size_t i = 0; i < len; i++) {
                size_t n;
                if (u[i] < 0x80) {
                        extra += escape_extra(u[i]);
                } else if ((n = utf8_seq(u, i, len)) > 0) {
                        i += n - 1;
                } else {
                        extra += 5; /* \ufffd */
                }
        }
        sm_buf_reserve(out, out->len + len + extra + 3);
        out->data[out->len++] = '"';
        for (size_t i = 0; i < len; i++) {
                unsigned char c = u[i];
                char *d;
                if (c >= 0x80) {
                        size_t n = utf8_seq(u, i, len);
                        if (n > 0) {
                                run += n;
                                i += n - 1;
                                continue;
                        }
                        memcpy(out->data + out->len, s + i - run, run);
                        out->len += run;
                        run = 0;
                        memcpy(out->data + out->len, "\\ufffd", 6);
                        out->len += 6;
                        continue;
                }
                if (c >= 0x20 && c != '"' && c != '\\') {
                        run++;
                        continue;
                }
                memcpy(out->data + out->len, s + i - run, run);
                out->len += run;
                run = 0;
                d   = (char *)out->data + out->len;
                switch (c) {
                case '"':
                        memcpy(d, "\\\"", 2);
                        break;
                case '\\':
                        memcpy(d, "\\\\", 2);
                        break;
                case '\n':
                        memcpy(d, "\\n", 2);
                        break;
                case '\r':
                        memcpy(d, "\\r", 2);
                        break;
                case '\t':
                        memcpy(d, "\\t", 2);
                        break;
                default:
                        memcpy(d, "\\u00", 4);
                        d[4] = hex[c >> 4];
                        d[5] = hex[c & 15];
                }
                out->len += 1 + escape_extra(c);
        }
        memcpy(out->data + out->len, s + len - run, run);
        out->len += run;
        out->data[out->len++] = '"';
        out->data[out->len]   = '\0';
}

void sm_gw_json_time(sm_buf_t *out, const char *key, sm_usec_t t) {
        char ts[SM_TIME_FORMAT_MAX];
        sm_gw_json_string(out, key, strlen(key));
        sm_gw_buf_add(out, ":", 1);
        sm_time_format_iso(t, ts, sizeof(ts));
        sm_gw_json_string(out, ts, strlen(ts));
}

sm_gw_blob_t *sm_gw_json_complete(const sm_gw_report_t *r,
                                  const sm_gw_blob_t *csv,
                                  const char *csv_url) {
        sm_buf_t b = SM_BUF_INIT;
        char num[32];
        sm_gw_blob_t *blob;

        sm_buf_reserve(&b, csv->len + csv->len / 16 + 512);
        sm_gw_buf_adds(&b, "{\"report_id\":\"");
        sm_gw_buf_adds(&b, r->id);
        sm_gw_buf_adds(&b, "\",\"status\":\"Complete\",");
        sm_gw_json_time(&b, "as_of", r->as_of);
        sm_gw_buf_add(&b, ",", 1);
        sm_gw_json_time(&b, "requested_at", r->requested_at);
        sm_gw_buf_add(&b, ",", 1);
        sm_gw_json_time(&b, "completed_at", r->completed_at);
        snprintf(num, sizeof(num), "%lld", (long long)r->store_count);
        sm_gw_buf_adds(&b, ",\"store_count\":");
        sm_gw_buf_adds(&b, num);
        sm_gw_buf_adds(&b, ",\"csv_url\":");
        sm_gw_json_string(&b, csv_url, strlen(csv_url));
        sm_gw_buf_adds(&b, ",\"data\":");
        sm_gw_json_string(&b, csv->data, csv->len);
        sm_gw_buf_adds(&b, "}");
        blob = sm_gw_blob_new(b.len);
        memcpy(blob->data, b.data, b.len);
        sm_buf_free(&b);
        return blob;
}
