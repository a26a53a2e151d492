/*
 * fuzz_gateway: the gateway's request parsing without a server.
 *
 * The routing and Accept negotiation of gateway_http.c are static
 * functions next to the MHD handlers, so this file includes
 * gateway_http.c to reach route(), method_allowed() and prefers_csv()
 * (no daemon is started).  The body parsers (gateway_body.h), the report
 * id normalization and the as_of parsing are called as the handlers call
 * them.
 *
 * Input layout: line 1 is the URL path, line 2 the Content-Type (absent
 * or empty: none), line 3 the Accept header, the rest the body (any
 * bytes).  Checks beyond "no crash": a routed id is at most ID_SHOWN
 * bytes; a normalized id is valid and lower-case; sm_gw_json_string()
 * always gives a JSON string that jansson reads back, equal to the input
 * when that is UTF-8 without NUL.
 */
#include "gateway_http.c"

#include "fuzz.h"
#include "sm/timeutil.h"
#include "sm/wire.h"

#include <jansson.h>

int sm_fuzz_init(void) {
        return 0;
}

void sm_fuzz_fini(void) {
}

/* The next '\n'-terminated piece of [*p, end) as a C string (NULL at the
 * end of input). */
static char *next_line(const uint8_t **p, const uint8_t *end) {
        const uint8_t *nl;
        size_t len;
        char *s;

        if (*p >= end)
                return NULL;
        nl  = memchr(*p, '\n', (size_t)(end - *p));
        len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
        s   = sm_xstrndup((const char *)*p, len);
        *p += len + (nl ? 1 : 0);
        return s;
}

static void check_id(const char *s) {
        char id[SM_REPORT_ID_LEN + 1];

        if (!s || sm_gw_id_normalize(s, strlen(s), id) < 0)
                return;
        if (strlen(id) != SM_REPORT_ID_LEN ||
            !sm_reportreq_id_valid(id, SM_REPORT_ID_LEN))
                abort();
        for (size_t i = 0; i < SM_REPORT_ID_LEN; i++)
                if (id[i] >= 'A' && id[i] <= 'Z')
                        abort();
}

static void check_params(const sm_gw_params_t *p) {
        const char *why = NULL;
        sm_usec_t t;

        check_id(p->v[SM_GW_P_REPORT_ID]);
        if (p->v[SM_GW_P_AS_OF] &&
            sm_time_parse_as_of(p->v[SM_GW_P_AS_OF],
                                strlen(p->v[SM_GW_P_AS_OF]), &t, &why) < 0 &&
            !why)
                abort();
        if (p->v[SM_GW_P_FORMAT])
                sm_fuzz_touch(p->v[SM_GW_P_FORMAT],
                              strlen(p->v[SM_GW_P_FORMAT]));
}

/* The escaped form must be a JSON string equal to s when s is text. */
static void check_json_string(const char *s, size_t len) {
        sm_buf_t out = SM_BUF_INIT;
        json_error_t jerr;
        json_t *doc;

        sm_gw_json_string(&out, s, len);
        doc = json_loadb((const char *)out.data, out.len,
                         JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!doc || !json_is_string(doc)) {
                fprintf(stderr, "sm_gw_json_string gave invalid JSON: %s\n",
                        jerr.text);
                abort();
        }
        if (sm_wire_text_valid(s, len) &&
            (json_string_length(doc) != len ||
             memcmp(json_string_value(doc), s, len) != 0)) {
                fprintf(stderr, "sm_gw_json_string changed text\n");
                abort();
        }
        json_decref(doc);
        sm_buf_free(&out);
}

int sm_fuzz_one(const uint8_t *data, size_t size) {
        const uint8_t *p = data, *end = data + size;
        char *url             = next_line(&p, end);
        char *ctype           = next_line(&p, end);
        char *accept          = next_line(&p, end);
        const char *body      = (const char *)p;
        size_t blen           = (size_t)(end - p);
        sm_gw_params_t params = {{0}};
        char errstr[256];
        struct req rq;
        enum kind k;

        if (ctype && !*ctype) {
                free(ctype);
                ctype = NULL;
        }
        if (url) {
                memset(&rq, 0, sizeof(rq));
                k = route(url, &rq);
                if (k < K_TRIGGER || k > K_NOT_FOUND ||
                    strlen(rq.path_id) > ID_SHOWN)
                        abort();
                (void)method_allowed(k, MHD_HTTP_METHOD_GET);
                (void)method_allowed(k, MHD_HTTP_METHOD_POST);
                if (k == K_GET_REPORT_ID || k == K_CSV)
                        check_id(rq.path_id);
        }
        (void)prefers_csv(accept);

        switch (sm_gw_body_kind(ctype, body, blen)) {
        case SM_GW_BODY_JSON:
        case SM_GW_BODY_FORM:
        case SM_GW_BODY_EMPTY:
        case SM_GW_BODY_MULTIPART:
        case SM_GW_BODY_UNSUPPORTED:
                break;
        default:
                abort();
        }
        /* Both parsers on every body, whatever its type says. */
        errstr[0] = '\0';
        if (sm_gw_body_json(body, blen, &params, errstr, sizeof(errstr)) < 0 &&
            !errstr[0])
                abort();
        check_params(&params);
        sm_gw_params_clear(&params);
        errstr[0] = '\0';
        if (sm_gw_body_form(body, blen, &params, errstr, sizeof(errstr)) < 0 &&
            !errstr[0])
                abort();
        check_params(&params);
        sm_gw_params_clear(&params);

        check_json_string(body, blen);
        if (url)
                check_json_string(url, strlen(url));

        free(url);
        free(ctype);
        free(accept);
        return 0;
}
