/*
 * gateway_body: request parameters from bodies, and JSON text out.
 *
 * The API's clients send their parameters (report_id, as_of, format) in
 * the query string, or in a body that is a JSON object, a form
 * (application/x-www-form-urlencoded) or multipart/form-data.  Which
 * parser a body needs comes from its Content-Type, and where that is
 * missing, text/plain or a form type with a body that starts with '{'
 * (`curl -d '{"report_id": ...}'` sends JSON labelled as a form), from
 * its first byte.  Unknown JSON fields and form keys are ignored; a JSON
 * body that is not an object, a parameter that is not a string, or a
 * malformed encoding is an error that names the problem.
 *
 * The JSON answers are written by hand (the hot path answers thousands of
 * small bodies a second); sm_gw_json_string() escapes per RFC 8259.
 */
#ifndef SM_GATEWAY_BODY_H
#define SM_GATEWAY_BODY_H

#include <stddef.h>

#include "gateway.h"
#include "sm/wire.h"

/** The parameters the API reads. */
typedef enum sm_gw_param {
        SM_GW_P_REPORT_ID = 0, /* report_id */
        SM_GW_P_AS_OF,         /* as_of */
        SM_GW_P_FORMAT,        /* format: csv or json */
        SM_GW_P__CNT           /* number of parameters */
} sm_gw_param_t;

/** Parameter values from one source (each malloc'ed, or NULL). */
typedef struct sm_gw_params {
        char *v[SM_GW_P__CNT]; /* by sm_gw_param_t */
} sm_gw_params_t;

/** @brief The parameter's name ("report_id"), static. */
const char *sm_gw_param_name(sm_gw_param_t p);

/** @brief The parameter named key (len bytes), or -1. */
int sm_gw_param_find(const char *key, size_t len);

/** @brief Frees the values and leaves p empty. */
void sm_gw_params_clear(sm_gw_params_t *p);

/** How a body must be read. */
typedef enum sm_gw_body_kind {
        SM_GW_BODY_EMPTY = 0,   /* nothing but whitespace */
        SM_GW_BODY_JSON,        /* a JSON document */
        SM_GW_BODY_FORM,        /* key=value&... */
        SM_GW_BODY_MULTIPART,   /* multipart/form-data (MHD parses it) */
        SM_GW_BODY_UNSUPPORTED, /* another media type (415) */
} sm_gw_body_kind_t;

/** @brief Which parser the body needs (ctype may be NULL). */
sm_gw_body_kind_t
sm_gw_body_kind(const char *ctype, const char *body, size_t len);

/**
 * @brief Reads the known parameters of a JSON object body.
 * @returns 0, or -EINVAL with errstr naming the problem (invalid JSON
 *   with its line and column, not an object, a parameter not a string).
 */
int sm_gw_body_json(const char *body,
                    size_t len,
                    sm_gw_params_t *out,
                    char *errstr,
                    size_t errstr_size);

/**
 * @brief Reads the known parameters of an urlencoded form body.
 * @returns 0, or -EINVAL with errstr (bad percent-encoding, a NUL byte).
 */
int sm_gw_body_form(const char *body,
                    size_t len,
                    sm_gw_params_t *out,
                    char *errstr,
                    size_t errstr_size);

/**
 * @brief Sets a parameter from a form field or query argument (the first
 *   value of a key wins; unknown keys are ignored).
 */
void sm_gw_params_set(sm_gw_params_t *p,
                      const char *key,
                      size_t key_len,
                      const char *val,
                      size_t val_len);

/** @brief Appends len bytes. */
void sm_gw_buf_add(sm_buf_t *out, const char *s, size_t len);

/** @brief Appends a NUL-terminated string. */
void sm_gw_buf_adds(sm_buf_t *out, const char *s);

/** @brief Appends s as a JSON string literal, quotes included. */
void sm_gw_json_string(sm_buf_t *out, const char *s, size_t len);

/** @brief Appends "key":value for an instant as an RFC 3339 string. */
void sm_gw_json_time(sm_buf_t *out, const char *key, sm_usec_t t);

/**
 * @brief The JSON answer of a Complete report: report_id, status, as_of,
 *   requested_at, completed_at, store_count, csv_url and data (the CSV).
 * @returns a new blob.
 */
sm_gw_blob_t *sm_gw_json_complete(const sm_gw_report_t *r,
                                  const sm_gw_blob_t *csv,
                                  const char *csv_url);

#endif
