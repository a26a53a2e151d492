/*
 * gateway_http: routes and answers (see gateway_http.h).
 *
 * MHD calls the access handler several times per request: once the
 * headers are in (routing, method and Content-Length checks: a 404, 405
 * or 413 is answered at once and MHD drops the body), once per piece of
 * body (buffered up to max-body), and once at the end, where the request
 * is answered.  Only trigger_report and get_report read bodies.
 *
 * Parameters come from the query string and the body (gateway_body.h);
 * the same parameter given in both with different values is a 400.  The
 * report id is validated (sm_reportreq_id_valid) and lower-cased before
 * any lookup, so /reports/ID.csv cannot name anything but a report.
 */
#include "gateway_http.h"
#include "gateway_deadline.h"
#include "gateway_body.h"
#include "gateway_db.h"
#include "sm/log.h"
#include "sm/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CT_JSON    "application/json"
#define CT_CSV     "text/csv"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define ID_SHOWN   80 /* bytes of a bad id quoted in an error */

/* What a URL names. */
enum kind {
        K_TRIGGER = 0,   /* /trigger_report */
        K_GET_REPORT,    /* /get_report */
        K_GET_REPORT_ID, /* /get_report/ID */
        K_CSV,           /* /reports/ID.csv */
        K_HEALTHZ,       /* /healthz */
        K_READYZ,        /* /readyz */
        K_METRICS,       /* /metrics */
        K_NOT_FOUND      /* anything else */
};

static const struct {
        sm_gw_route_t route; /* metrics label */
        const char *allow;   /* methods, for Allow */
        int body;            /* reads a body */
        int reports;         /* needs the reports (503 while starting) */
} kinds[] = {
        [K_TRIGGER]       = {SM_GW_ROUTE_TRIGGER, "GET, POST", 1, 1},
        [K_GET_REPORT]    = {SM_GW_ROUTE_GET_REPORT, "GET, HEAD, POST", 1, 1},
        [K_GET_REPORT_ID] = {SM_GW_ROUTE_GET_REPORT, "GET, HEAD", 0, 1},
        [K_CSV]           = {SM_GW_ROUTE_REPORT_CSV, "GET, HEAD", 0, 1},
        [K_HEALTHZ]       = {SM_GW_ROUTE_HEALTHZ, "GET, HEAD", 0, 0},
        [K_READYZ]        = {SM_GW_ROUTE_READYZ, "GET, HEAD", 0, 0},
        [K_METRICS]       = {SM_GW_ROUTE_METRICS, "GET, HEAD", 0, 0},
        [K_NOT_FOUND]     = {SM_GW_ROUTE_OTHER, "", 0, 0},
};

/* One request's state (*req_cls). */
struct req {
        enum kind kind;             /* what the URL names */
        int64_t t0_us;              /* arrival, monotonic µs */
        char path_id[ID_SHOWN + 1]; /* the id in the path, as given */
        sm_buf_t body;              /* the body read so far */
        int too_large;              /* the body exceeded max-body */
        int unavailable;            /* the trigger was refused (503) */
        sm_gw_trigger_job_t *job;   /* the trigger in progress, or NULL */
};

struct sm_gw_http_s {
        sm_gw_http_deps_t d;        /* what it works with */
        int listen_fd;              /* the listening socket */
        int port;                   /* its port */
        int ipv6;                   /* it is an IPv6 socket */
        struct MHD_Daemon *mhd;     /* the daemon, once started */
        sm_gw_deadline_t *deadline; /* cuts requests arriving too slowly */
        atomic_int serving;         /* reports and triggers are answered */
        int quiesced;               /* MHD gave the socket back */
        char public_url[512];       /* base of report URLs */
        pthread_mutex_t db_lock;    /* guards db */
        sm_gw_db_t *db;             /* read connection, opened on need */
};

static int64_t mono_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- routing ---- */

static enum kind route(const char *url, struct req *rq) {
        size_t len = strlen(url);
        const char *seg;
        size_t seglen;

        if (len > 1 && url[len - 1] == '/')
                len--;
#define IS(s) (len == sizeof(s) - 1 && memcmp(url, s, len) == 0)
        if (IS("/get_report"))
                return K_GET_REPORT;
        if (IS("/trigger_report"))
                return K_TRIGGER;
        if (IS("/healthz"))
                return K_HEALTHZ;
        if (IS("/readyz"))
                return K_READYZ;
        if (IS("/metrics"))
                return K_METRICS;
#undef IS
        if (len > 12 && memcmp(url, "/get_report/", 12) == 0) {
                seg    = url + 12;
                seglen = len - 12;
                if (memchr(seg, '/', seglen))
                        return K_NOT_FOUND;
                snprintf(rq->path_id, sizeof(rq->path_id), "%.*s", (int)seglen,
                         seg);
                return K_GET_REPORT_ID;
        }
        if (len > 9 && memcmp(url, "/reports/", 9) == 0) {
                seg    = url + 9;
                seglen = len - 9;
                if (seglen <= 4 || memchr(seg, '/', seglen) ||
                    memcmp(seg + seglen - 4, ".csv", 4) != 0)
                        return K_NOT_FOUND;
                snprintf(rq->path_id, sizeof(rq->path_id), "%.*s",
                         (int)(seglen - 4), seg);
                return K_CSV;
        }
        return K_NOT_FOUND;
}

static int method_allowed(enum kind k, const char *method) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) == 0)
                return 1;
        if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
                return k != K_TRIGGER;
        if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
                return k == K_TRIGGER || k == K_GET_REPORT;
        return 0;
}

/* ---- answering ---- */

static enum MHD_Result send_resp(sm_gw_http_t *H,
                                 struct MHD_Connection *conn,
                                 struct req *rq,
                                 unsigned code,
                                 struct MHD_Response *resp) {
        enum MHD_Result r;

        if (!resp)
                return MHD_NO;
        (void)sm_gw_deadline_disarm(conn);
        r = MHD_queue_response(conn, code, resp);
        MHD_destroy_response(resp);
        sm_gw_metrics_request(H->d.metrics, kinds[rq->kind].route, (int)code,
                              mono_us() - rq->t0_us);
        return r;
}

static struct MHD_Response *
make_resp(const void *body, size_t len, const char *ctype) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
                len, (void *)body, MHD_RESPMEM_MUST_COPY);
        if (resp)
                (void)MHD_add_response_header(
                        resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        return resp;
}

static enum MHD_Result send_json(sm_gw_http_t *H,
                                 struct MHD_Connection *conn,
                                 struct req *rq,
                                 unsigned code,
                                 const sm_buf_t *b) {
        return send_resp(H, conn, rq, code,
                         make_resp(b->data, b->len, CT_JSON));
}

/* {"error": msg, "code": code[, "field": field]} with extra headers. */
static struct MHD_Response *
error_resp(unsigned code, const char *field, const char *msg) {
        sm_buf_t b = SM_BUF_INIT;
        char num[16];
        struct MHD_Response *resp;

        sm_gw_buf_adds(&b, "{\"error\":");
        sm_gw_json_string(&b, msg, strlen(msg));
        snprintf(num, sizeof(num), "%u", code);
        sm_gw_buf_adds(&b, ",\"code\":");
        sm_gw_buf_adds(&b, num);
        if (field) {
                sm_gw_buf_adds(&b, ",\"field\":");
                sm_gw_json_string(&b, field, strlen(field));
        }
        sm_gw_buf_adds(&b, "}");
        resp = make_resp(b.data, b.len, CT_JSON);
        sm_buf_free(&b);
        return resp;
}

static enum MHD_Result send_error(sm_gw_http_t *H,
                                  struct MHD_Connection *conn,
                                  struct req *rq,
                                  unsigned code,
                                  const char *field,
                                  const char *fmt,
                                  ...) __attribute__((format(printf, 6, 7)));

static enum MHD_Result send_error(sm_gw_http_t *H,
                                  struct MHD_Connection *conn,
                                  struct req *rq,
                                  unsigned code,
                                  const char *field,
                                  const char *fmt,
                                  ...) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return send_resp(H, conn, rq, code, error_resp(code, field, msg));
}

static void blob_release(void *cls) {
        sm_gw_blob_unref(cls);
}

/* Sends a blob without copying it; the response keeps a reference. */
static enum MHD_Result send_blob(sm_gw_http_t *H,
                                 struct MHD_Connection *conn,
                                 struct req *rq,
                                 sm_gw_blob_t *blob,
                                 const char *ctype,
                                 const char *disposition) {
        struct MHD_Response *resp =
                MHD_create_response_from_buffer_with_free_callback_cls(
                        blob->len, blob->data, blob_release,
                        sm_gw_blob_ref(blob));
        if (!resp) {
                sm_gw_blob_unref(blob);
                return MHD_NO;
        }
        (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                      ctype);
        if (disposition)
                (void)MHD_add_response_header(
                        resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
        return send_resp(H, conn, rq, MHD_HTTP_OK, resp);
}

/* ---- parameters ---- */

/* Collects multipart/form-data fields (MHD's post processor). */
struct mp_ctx {
        sm_gw_params_t *p;        /* where the values go */
        int taking[SM_GW_P__CNT]; /* the value being read is ours */
};

static enum MHD_Result mp_field(void *cls,
                                enum MHD_ValueKind kind,
                                const char *key,
                                const char *filename,
                                const char *content_type,
                                const char *transfer_encoding,
                                const char *data,
                                uint64_t off,
                                size_t size) {
        struct mp_ctx *ctx = cls;
        int i              = key ? sm_gw_param_find(key, strlen(key)) : -1;

        (void)kind;
        (void)filename;
        (void)content_type;
        (void)transfer_encoding;
        if (i < 0)
                return MHD_YES;
        if (off == 0) {
                ctx->taking[i] = !ctx->p->v[i];
                if (ctx->taking[i])
                        ctx->p->v[i] = sm_xstrndup(data ? data : "", size);
                return MHD_YES;
        }
        if (ctx->taking[i] && size) {
                size_t have  = strlen(ctx->p->v[i]);
                ctx->p->v[i] = sm_xrealloc(ctx->p->v[i], have + size + 1);
                memcpy(ctx->p->v[i] + have, data, size);
                ctx->p->v[i][have + size] = '\0';
        }
        return MHD_YES;
}

/* The request's parameters: query string and body.  Returns 0, or the
 * HTTP error code with msg (and *field) set. */
static unsigned gather(struct MHD_Connection *conn,
                       struct req *rq,
                       sm_gw_params_t *out,
                       const char **field,
                       char *msg,
                       size_t msg_size) {
        sm_gw_params_t q = {{0}}, b = {{0}};
        unsigned code = 0;

        *field = NULL;
        for (int i = 0; i < SM_GW_P__CNT; i++) {
                const char *v = MHD_lookup_connection_value(
                        conn, MHD_GET_ARGUMENT_KIND,
                        sm_gw_param_name((sm_gw_param_t)i));
                if (v)
                        q.v[i] = sm_xstrdup(v);
        }
        if (rq->body.len) {
                const char *ctype = MHD_lookup_connection_value(
                        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
                const char *body = (const char *)rq->body.data;
                switch (sm_gw_body_kind(ctype, body, rq->body.len)) {
                case SM_GW_BODY_EMPTY:
                        break;
                case SM_GW_BODY_JSON:
                        if (sm_gw_body_json(body, rq->body.len, &b, msg,
                                            msg_size) < 0)
                                code = MHD_HTTP_BAD_REQUEST;
                        break;
                case SM_GW_BODY_FORM:
                        if (sm_gw_body_form(body, rq->body.len, &b, msg,
                                            msg_size) < 0)
                                code = MHD_HTTP_BAD_REQUEST;
                        break;
                case SM_GW_BODY_MULTIPART: {
                        struct mp_ctx ctx = {.p = &b};
                        struct MHD_PostProcessor *pp =
                                MHD_create_post_processor(conn, 4096, mp_field,
                                                          &ctx);
                        if (!pp || MHD_post_process(pp, body, rq->body.len) !=
                                           MHD_YES) {
                                snprintf(msg, msg_size,
                                         "malformed multipart/form-data "
                                         "body");
                                code = MHD_HTTP_BAD_REQUEST;
                        }
                        if (pp)
                                (void)MHD_destroy_post_processor(pp);
                        break;
                }
                case SM_GW_BODY_UNSUPPORTED:
                        snprintf(msg, msg_size,
                                 "unsupported Content-Type '%.100s': send "
                                 "a JSON object or a form",
                                 ctype);
                        code = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
                        break;
                }
        }
        for (int i = 0; i < SM_GW_P__CNT && !code; i++) {
                if (q.v[i] && b.v[i] && strcmp(q.v[i], b.v[i]) != 0) {
                        *field = sm_gw_param_name((sm_gw_param_t)i);
                        snprintf(msg, msg_size,
                                 "%s is given twice (query string and "
                                 "body) with different values",
                                 *field);
                        code = MHD_HTTP_BAD_REQUEST;
                        break;
                }
                out->v[i] = q.v[i] ? q.v[i] : b.v[i];
                if (q.v[i])
                        q.v[i] = NULL;
                else
                        b.v[i] = NULL;
        }
        sm_gw_params_clear(&q);
        sm_gw_params_clear(&b);
        if (code)
                sm_gw_params_clear(out);
        return code;
}

/* Whether the Accept header asks for CSV rather than JSON. */
static int prefers_csv(const char *accept) {
        double q_csv = -1, q_json = -1;
        int first_csv = 0;

        if (!accept)
                return 0;
        while (*accept) {
                const char *end = strchr(accept, ',');
                size_t len      = end ? (size_t)(end - accept) : strlen(accept);
                const char *semi;
                size_t tlen;
                double q = 1;
                while (len && (*accept == ' ' || *accept == '\t')) {
                        accept++;
                        len--;
                }
                semi = memchr(accept, ';', len);
                tlen = semi ? (size_t)(semi - accept) : len;
                while (tlen &&
                       (accept[tlen - 1] == ' ' || accept[tlen - 1] == '\t'))
                        tlen--;
                if (semi) {
                        const char *qp = strstr(semi, "q=");
                        if (qp && qp < accept + len)
                                q = strtod(qp + 2, NULL);
                }
                if (tlen == 8 && strncasecmp(accept, "text/csv", 8) == 0) {
                        if (q_csv < 0 && q_json < 0)
                                first_csv = 1;
                        q_csv = q;
                } else if (tlen == 16 &&
                           strncasecmp(accept, "application/json", 16) == 0) {
                        q_json = q;
                }
                accept += len;
                if (*accept == ',')
                        accept++;
        }
        if (q_csv <= 0)
                return 0;
        return q_csv > q_json || (q_csv == q_json && first_csv);
}

/* ---- handlers ---- */

static enum MHD_Result
on_healthz(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        static const char body[] = "{\"status\":\"ok\"}";
        return send_resp(H, conn, rq, MHD_HTTP_OK,
                         make_resp(body, sizeof(body) - 1, CT_JSON));
}

static enum MHD_Result
on_readyz(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        int kafka = 0, db = 0, schemas = 0;
        int ready = H->d.ready(H->d.opaque, &kafka, &db, &schemas);
        char body[160];
        int n = snprintf(body, sizeof(body),
                         "{\"status\":\"%s\",\"kafka\":%s,\"database\":%s,"
                         "\"schemas\":%s}",
                         ready ? "ready" : "not ready",
                         kafka ? "true" : "false", db ? "true" : "false",
                         schemas ? "true" : "false");
        return send_resp(H, conn, rq,
                         ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                         make_resp(body, (size_t)n, CT_JSON));
}

static enum MHD_Result
on_metrics(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        uint64_t counts[SM_GW__STATUS_CNT];
        sm_buf_t b = SM_BUF_INIT;
        enum MHD_Result r;

        sm_gw_cache_counts(H->d.cache, counts);
        sm_gw_metrics_render(H->d.metrics, counts,
                             sm_gw_cache_body_bytes(H->d.cache), &b);
        r = send_resp(H, conn, rq, MHD_HTTP_OK,
                      make_resp(b.data, b.len, CT_METRICS));
        sm_buf_free(&b);
        return r;
}

static void job_done(sm_gw_trigger_job_t *job) {
        MHD_resume_connection(job->opaque);
}

static enum MHD_Result
on_trigger(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        sm_gw_params_t p = {{0}};
        const char *field;
        char msg[512];
        unsigned code = gather(conn, rq, &p, &field, msg, sizeof(msg));
        sm_gw_trigger_job_t *job;

        if (code)
                return send_error(H, conn, rq, code, field, "%s", msg);
        job              = sm_xcalloc(1, sizeof(*job));
        job->accepted_at = sm_gw_wall_usec();
        job->done        = job_done;
        job->opaque      = conn;
        if (p.v[SM_GW_P_AS_OF]) {
                const char *why;
                const char *s = p.v[SM_GW_P_AS_OF];
                if (sm_time_parse_as_of(s, strlen(s), &job->as_of, &why) < 0) {
                        free(job);
                        code = MHD_HTTP_BAD_REQUEST;
                        snprintf(msg, sizeof(msg),
                                 "as_of '%.80s' is not a time: %s (e.g. "
                                 "'2023-01-25 18:00:00' or "
                                 "'2023-01-25T18:00:00Z', UTC)",
                                 s, why);
                        sm_gw_params_clear(&p);
                        return send_error(H, conn, rq, code, "as_of", "%s",
                                          msg);
                }
                job->has_as_of = 1;
        }
        sm_gw_params_clear(&p);
        /* Suspend first: the trigger thread may resume it at once. */
        rq->job = job;
        MHD_suspend_connection(conn);
        if (sm_gw_trigger_submit(H->d.trigger, job) < 0) {
                rq->job = NULL;
                free(job);
                rq->unavailable = 1;
                MHD_resume_connection(conn);
        }
        return MHD_YES;
}

static enum MHD_Result
trigger_done(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        sm_gw_trigger_job_t *job = rq->job;
        sm_buf_t b               = SM_BUF_INIT;
        struct MHD_Response *resp;
        char location[64];

        if (!atomic_load_explicit(&job->finished, memory_order_acquire))
                return MHD_YES; /* not resumed by the trigger thread */
        if (job->code != MHD_HTTP_ACCEPTED) {
                sm_gw_buf_adds(&b, "{\"error\":");
                sm_gw_json_string(&b, job->error, strlen(job->error));
                sm_gw_buf_adds(&b, ",\"code\":503");
                if (job->rep.id[0]) {
                        sm_gw_buf_adds(&b, ",\"report_id\":\"");
                        sm_gw_buf_adds(&b, job->rep.id);
                        sm_gw_buf_adds(&b, "\",\"status\":\"Failed\"");
                }
                sm_gw_buf_adds(&b, "}");
                resp = make_resp(b.data, b.len, CT_JSON);
                sm_buf_free(&b);
                if (resp) /* the broker or the disk: worth a retry */
                        (void)MHD_add_response_header(
                                resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
                return send_resp(H, conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 resp);
        }
        sm_gw_buf_adds(&b, "{\"report_id\":\"");
        sm_gw_buf_adds(&b, job->rep.id);
        sm_gw_buf_adds(&b, "\",\"status\":\"Running\"");
        if (job->rep.has_as_of) {
                sm_gw_buf_adds(&b, ",");
                sm_gw_json_time(&b, "as_of", job->rep.as_of);
        }
        sm_gw_buf_adds(&b, ",");
        sm_gw_json_time(&b, "requested_at", job->rep.requested_at);
        sm_gw_buf_adds(&b, "}");
        resp = make_resp(b.data, b.len, CT_JSON);
        sm_buf_free(&b);
        if (resp) {
                snprintf(location, sizeof(location), "/get_report/%s",
                         job->rep.id);
                (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION,
                                              location);
                (void)MHD_add_response_header(
                        resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        }
        return send_resp(H, conn, rq, MHD_HTTP_ACCEPTED, resp);
}

/* The CSV of a Complete report, from the cache or else SQLite (then kept
 * in the cache).  Returns a new reference, or NULL. */
static sm_gw_blob_t *load_csv(sm_gw_http_t *H, const char *id) {
        sm_gw_blob_t *csv = NULL;
        char errstr[512];
        int r;

        pthread_mutex_lock(&H->db_lock);
        if (!H->db)
                H->db = sm_gw_db_open(H->d.s->db, 0, 0, errstr, sizeof(errstr));
        if (!H->db) {
                sm_log(SM_LOG_ERR, "http", "%s", errstr);
                pthread_mutex_unlock(&H->db_lock);
                return NULL;
        }
        r = sm_gw_db_csv_get(H->db, id, &csv);
        if (r < 0)
                sm_log(SM_LOG_ERR, "http", "report %s: CSV: %s", id,
                       r == -ENOENT ? "not stored" : sm_gw_db_errmsg(H->db));
        pthread_mutex_unlock(&H->db_lock);
        if (csv)
                sm_gw_cache_set_bodies(H->d.cache, id, csv, NULL);
        return csv;
}

/* 500 for a Complete report whose CSV cannot be read (logged). */
static enum MHD_Result send_unreadable(sm_gw_http_t *H,
                                       struct MHD_Connection *conn,
                                       struct req *rq,
                                       const char *id) {
        return send_error(H, conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                          "report %s: its CSV cannot be read", id);
}

static enum MHD_Result send_status(sm_gw_http_t *H,
                                   struct MHD_Connection *conn,
                                   struct req *rq,
                                   const sm_gw_report_t *rep) {
        sm_buf_t b = SM_BUF_INIT;
        char num[64];
        enum MHD_Result r;
        unsigned code;

        sm_gw_buf_adds(&b, "{\"report_id\":\"");
        sm_gw_buf_adds(&b, rep->id);
        sm_gw_buf_adds(&b, "\",\"status\":\"");
        sm_gw_buf_adds(&b, sm_gw_status_name(rep->status));
        sm_gw_buf_adds(&b, "\",");
        if (rep->status == SM_GW_RUNNING) {
                snprintf(num, sizeof(num),
                         "\"partitions_done\":%d,\"partitions_total\":%d,",
                         rep->partitions_done, rep->partitions_total);
                sm_gw_buf_adds(&b, num);
                code = MHD_HTTP_ACCEPTED;
        } else {
                sm_gw_buf_adds(&b, "\"reason\":");
                sm_gw_json_string(&b, rep->reason, strlen(rep->reason));
                sm_gw_buf_adds(&b, ",");
                sm_gw_json_time(&b, "failed_at", rep->completed_at);
                sm_gw_buf_adds(&b, ",");
                code = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
        if (rep->has_as_of) {
                sm_gw_json_time(&b, "as_of", rep->as_of);
                sm_gw_buf_adds(&b, ",");
        }
        sm_gw_json_time(&b, "requested_at", rep->requested_at);
        sm_gw_buf_adds(&b, "}");
        r = send_json(H, conn, rq, code, &b);
        sm_buf_free(&b);
        return r;
}

static enum MHD_Result serve_report(sm_gw_http_t *H,
                                    struct MHD_Connection *conn,
                                    struct req *rq,
                                    const char *given,
                                    const char *format) {
        char id[SM_REPORT_ID_LEN + 1], disposition[80];
        sm_gw_report_t rep;
        sm_gw_blob_t *csv = NULL, *json = NULL;
        int as_csv;
        enum MHD_Result r;

        if (!given || !*given)
                return send_error(H, conn, rq, MHD_HTTP_BAD_REQUEST,
                                  "report_id",
                                  "report_id is required (query string "
                                  "?report_id=, path /get_report/ID, or a "
                                  "JSON or form body)");
        if (sm_gw_id_normalize(given, strlen(given), id) < 0)
                return send_error(H, conn, rq, MHD_HTTP_BAD_REQUEST,
                                  "report_id",
                                  "report_id '%.*s' is not a report id (a "
                                  "UUID: 8-4-4-4-12 hex digits)",
                                  ID_SHOWN, given);
        if (rq->kind == K_CSV || (format && strcmp(format, "csv") == 0))
                as_csv = 1;
        else if (format && strcmp(format, "json") == 0)
                as_csv = 0;
        else if (format)
                return send_error(H, conn, rq, MHD_HTTP_BAD_REQUEST, "format",
                                  "format '%.40s': expected csv or json",
                                  format);
        else
                as_csv = prefers_csv(MHD_lookup_connection_value(
                        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
        if (sm_gw_cache_get(H->d.cache, id, &rep, as_csv ? &csv : NULL,
                            as_csv ? NULL : &json) < 0) {
                char body[128];
                int n = snprintf(body, sizeof(body),
                                 "{\"status\":\"No such report\","
                                 "\"report_id\":\"%s\"}",
                                 id);
                return send_resp(H, conn, rq, MHD_HTTP_NOT_FOUND,
                                 make_resp(body, (size_t)n, CT_JSON));
        }
        if (rep.status != SM_GW_COMPLETE) {
                sm_gw_blob_unref(csv);
                sm_gw_blob_unref(json);
                return send_status(H, conn, rq, &rep);
        }
        if (as_csv) {
                if (!csv && !(csv = load_csv(H, id)))
                        return send_unreadable(H, conn, rq, id);
                snprintf(disposition, sizeof(disposition),
                         "attachment; filename=report-%s.csv", id);
                r = send_blob(H, conn, rq, csv, CT_CSV, disposition);
                sm_gw_blob_unref(csv);
                return r;
        }
        if (!json) {
                char url[1024];
                if (sm_gw_cache_get(H->d.cache, id, &rep, &csv, NULL) < 0 ||
                    (!csv && !(csv = load_csv(H, id))))
                        return send_unreadable(H, conn, rq, id);
                snprintf(url, sizeof(url), "%s/reports/%s.csv", H->public_url,
                         id);
                json = sm_gw_json_complete(&rep, csv, url);
                sm_gw_cache_set_bodies(H->d.cache, id, NULL, json);
                sm_gw_blob_unref(csv);
        }
        r = send_blob(H, conn, rq, json, CT_JSON, NULL);
        sm_gw_blob_unref(json);
        return r;
}

static enum MHD_Result
on_get_report(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        sm_gw_params_t p = {{0}};
        const char *field, *id;
        char msg[512];
        unsigned code = gather(conn, rq, &p, &field, msg, sizeof(msg));
        enum MHD_Result r;

        if (code)
                return send_error(H, conn, rq, code, field, "%s", msg);
        id = p.v[SM_GW_P_REPORT_ID];
        if (rq->kind == K_GET_REPORT_ID || rq->kind == K_CSV) {
                if (id && strcasecmp(id, rq->path_id) != 0) {
                        sm_gw_params_clear(&p);
                        return send_error(H, conn, rq, MHD_HTTP_BAD_REQUEST,
                                          "report_id",
                                          "report_id is given twice (path "
                                          "and parameter) with different "
                                          "values");
                }
                id = rq->path_id;
        }
        r = serve_report(H, conn, rq, id, p.v[SM_GW_P_FORMAT]);
        sm_gw_params_clear(&p);
        return r;
}

/* ---- MHD callbacks ---- */

/* MHD's percent-decoding of the path and the query, except that %00 is
 * left as it is: decoded, a NUL would cut "ID%00.csv" or "ID%00x" to a
 * valid id; kept, the text is simply not an id (400/404). */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *conn, char *s) {
        char *w = s;
        (void)cls;
        (void)conn;
        for (const char *r = s; *r; r++) {
                int hi, lo;
                if (r[0] == '%' && r[1] && r[2] &&
                    (hi = sm_gw_hex_value(r[1])) >= 0 &&
                    (lo = sm_gw_hex_value(r[2])) >= 0 && (hi | lo) != 0) {
                        *w++ = (char)(hi << 4 | lo);
                        r += 2;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
        return (size_t)(w - s);
}

/* 503 for a route that needs the reports while the gateway still waits
 * for the Kafka cluster (the port is open from the start, so health
 * checks and /metrics answer meanwhile). */
static enum MHD_Result
send_starting(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        struct MHD_Response *resp =
                error_resp(MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                           "the gateway is starting: it is waiting for the "
                           "Kafka cluster (see /readyz)");
        if (resp)
                (void)MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
                                              "5");
        return send_resp(H, conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
}

/* A 413 written straight to the connection's socket (nothing else is
 * being sent on it: MHD is reading the body), then the write side shut
 * down; MHD closes the connection when the callback returns MHD_NO. */
static void
send_raw_413(sm_gw_http_t *H, struct MHD_Connection *conn, struct req *rq) {
        char body[200], msg[512];
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
                conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        int blen = snprintf(body, sizeof(body),
                            "{\"error\":\"the body is larger than %lld "
                            "bytes\",\"code\":413}",
                            (long long)H->d.s->max_body);
        int n    = snprintf(msg, sizeof(msg),
                            "HTTP/1.1 413 Content Too Large\r\n"
                               "Content-Type: " CT_JSON
                            "\r\n"
                               "Content-Length: %d\r\n"
                               "Connection: close\r\n\r\n%s",
                            blen, body);
        if (ci && n > 0 && (size_t)n < sizeof(msg)) {
                (void)send(ci->connect_fd, msg, (size_t)n,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
                (void)shutdown(ci->connect_fd, SHUT_WR);
        }
        sm_gw_metrics_request(H->d.metrics, kinds[rq->kind].route,
                              MHD_HTTP_CONTENT_TOO_LARGE,
                              mono_us() - rq->t0_us);
}

static enum MHD_Result on_request(void *cls,
                                  struct MHD_Connection *conn,
                                  const char *url,
                                  const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size,
                                  void **req_cls) {
        sm_gw_http_t *H = cls;
        struct req *rq  = *req_cls;

        (void)version;
        if (!rq) {
                const char *cl;
                rq        = sm_xcalloc(1, sizeof(*rq));
                rq->t0_us = mono_us();
                rq->kind  = route(url, rq);
                *req_cls  = rq;
                if (rq->kind == K_NOT_FOUND)
                        return send_error(H, conn, rq, MHD_HTTP_NOT_FOUND, NULL,
                                          "no such route: %s %.200s", method,
                                          url);
                if (!method_allowed(rq->kind, method)) {
                        char msg[200];
                        struct MHD_Response *resp;
                        snprintf(msg, sizeof(msg),
                                 "method %.20s is not allowed on %.100s "
                                 "(allowed: %s)",
                                 method, url, kinds[rq->kind].allow);
                        resp = error_resp(MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
                                          msg);
                        if (resp)
                                (void)MHD_add_response_header(
                                        resp, MHD_HTTP_HEADER_ALLOW,
                                        kinds[rq->kind].allow);
                        return send_resp(H, conn, rq,
                                         MHD_HTTP_METHOD_NOT_ALLOWED, resp);
                }
                if (kinds[rq->kind].reports && !atomic_load(&H->serving))
                        return send_starting(H, conn, rq);
                cl = MHD_lookup_connection_value(
                        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (kinds[rq->kind].body && cl &&
                    strtoull(cl, NULL, 10) >
                            (unsigned long long)H->d.s->max_body)
                        return send_error(H, conn, rq,
                                          MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                                          "the body (%.20s bytes) is larger "
                                          "than %lld bytes",
                                          cl, (long long)H->d.s->max_body);
                return MHD_YES;
        }
        if (*upload_data_size) {
                if (kinds[rq->kind].body && !rq->too_large) {
                        if (rq->body.len + *upload_data_size >
                            (size_t)H->d.s->max_body) {
                                /* MHD 0.9.75 cannot queue a response
                                 * while a body is being received, and
                                 * draining a chunked body reads all of
                                 * it: write the 413 to the socket
                                 * ourselves and close the connection,
                                 * so the rest is never read. */
                                rq->too_large = 1;
                                sm_buf_free(&rq->body);
                                *upload_data_size = 0;
                                send_raw_413(H, conn, rq);
                                return MHD_NO;
                        } else {
                                sm_gw_buf_add(&rq->body, upload_data,
                                              *upload_data_size);
                        }
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        /* The request is whole: no deadline while it is answered. */
        if (sm_gw_deadline_disarm(conn) < 0)
                return MHD_NO;
        if (rq->job)
                return trigger_done(H, conn, rq);
        if (rq->unavailable)
                return send_error(H, conn, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                                  NULL, "the gateway is stopping");
        if (rq->too_large)
                return send_error(H, conn, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                                  "the body is larger than %lld bytes",
                                  (long long)H->d.s->max_body);
        switch (rq->kind) {
        case K_TRIGGER:
                return on_trigger(H, conn, rq);
        case K_GET_REPORT:
        case K_GET_REPORT_ID:
        case K_CSV:
                return on_get_report(H, conn, rq);
        case K_HEALTHZ:
                return on_healthz(H, conn, rq);
        case K_READYZ:
                return on_readyz(H, conn, rq);
        case K_METRICS:
                return on_metrics(H, conn, rq);
        case K_NOT_FOUND:
                break;
        }
        return MHD_NO;
}

static void on_completed(void *cls,
                         struct MHD_Connection *conn,
                         void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
        sm_gw_http_t *H = cls;
        struct req *rq  = *req_cls;

        sm_gw_deadline_rearm(H->deadline, conn);
        if (!rq)
                return;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                sm_log(SM_LOG_DEBUG, "http", "request ended early (%d)",
                       (int)toe);
        sm_buf_free(&rq->body);
        free(rq->job);
        free(rq);
        *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char line[512];
        size_t n;
        (void)cls;
        vsnprintf(line, sizeof(line), fmt, ap);
        n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
        sm_log(SM_LOG_WARN, "http", "%s", line);
}

/* ---- lifecycle ---- */

sm_gw_http_t *sm_gw_http_new(const sm_gw_http_deps_t *deps,
                             char *errstr,
                             size_t errstr_size) {
        sm_gw_http_t *H = sm_xcalloc(1, sizeof(*H));
        struct sockaddr_storage ss;
        socklen_t sl;
        int one = 1;

        H->d         = *deps;
        H->listen_fd = -1;
        H->deadline =
                sm_gw_deadline_new(deps->s->request_timeout_us, deps->metrics);
        atomic_init(&H->serving, 0);
        pthread_mutex_init(&H->db_lock, NULL);
        memset(&ss, 0, sizeof(ss));
        if (!*deps->s->bind ||
            inet_pton(AF_INET, deps->s->bind,
                      &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family         = AF_INET;
                sin->sin_port           = htons((uint16_t)deps->s->port);
                if (!*deps->s->bind)
                        sin->sin_addr.s_addr = htonl(INADDR_ANY);
                sl = sizeof(*sin);
        } else if (inet_pton(AF_INET6, deps->s->bind,
                             &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family         = AF_INET6;
                sin6->sin6_port           = htons((uint16_t)deps->s->port);
                sl                        = sizeof(*sin6);
                H->ipv6                   = 1;
        } else {
                snprintf(errstr, errstr_size,
                         "--bind '%s': not an IPv4 or IPv6 address",
                         deps->s->bind);
                goto fail;
        }
        H->listen_fd = socket(ss.ss_family,
                              SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (H->listen_fd < 0 ||
            setsockopt(H->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
                       sizeof(one)) < 0 ||
            bind(H->listen_fd, (struct sockaddr *)&ss, sl) < 0 ||
            listen(H->listen_fd, 1024) < 0) {
                snprintf(errstr, errstr_size, "listen on %s port %d: %s",
                         *deps->s->bind ? deps->s->bind : "*", deps->s->port,
                         strerror(errno));
                goto fail;
        }
        sl = sizeof(ss);
        if (getsockname(H->listen_fd, (struct sockaddr *)&ss, &sl) < 0) {
                snprintf(errstr, errstr_size, "getsockname: %s",
                         strerror(errno));
                goto fail;
        }
        H->port = ntohs(ss.ss_family == AF_INET6
                                ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                : ((struct sockaddr_in *)&ss)->sin_port);
        snprintf(H->public_url, sizeof(H->public_url), "http://127.0.0.1:%d",
                 H->port);
        return H;
fail:
        sm_gw_http_destroy(H);
        return NULL;
}

int sm_gw_http_port(const sm_gw_http_t *h) {
        return h->port;
}

void sm_gw_http_set_public_url(sm_gw_http_t *h, const char *url) {
        size_t n;
        snprintf(h->public_url, sizeof(h->public_url), "%s", url);
        n = strlen(h->public_url);
        while (n > 0 && h->public_url[n - 1] == '/')
                h->public_url[--n] = '\0';
}

void sm_gw_http_serve(sm_gw_http_t *h, sm_gw_trigger_t *trigger) {
        h->d.trigger = trigger;
        atomic_store(&h->serving, 1);
}

int sm_gw_http_start(sm_gw_http_t *h, char *errstr, size_t errstr_size) {
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                         MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                         MHD_USE_TURBO | (h->ipv6 ? MHD_USE_IPv6 : 0);
        /* The logger first, so MHD's own messages about the other
         * options go through it too. */
        h->mhd = MHD_start_daemon(
                flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
                on_mhd_log, h, MHD_OPTION_LISTEN_SOCKET,
                (MHD_socket)h->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
                (unsigned)h->d.s->threads, MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)h->d.s->connection_limit,
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)h->d.s->connection_timeout_s,
                MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                MHD_OPTION_NOTIFY_CONNECTION, sm_gw_deadline_notify,
                h->deadline, MHD_OPTION_UNESCAPE_CALLBACK, unescape_no_nul,
                NULL, MHD_OPTION_END);
        if (!h->mhd) {
                snprintf(errstr, errstr_size,
                         "the HTTP server did not start (port %d)", h->port);
                return -EIO;
        }
        if (sm_gw_deadline_start(h->deadline) < 0) {
                snprintf(errstr, errstr_size,
                         "cannot start the request deadline thread");
                return -EIO;
        }
        return 0;
}

void sm_gw_http_quiesce(sm_gw_http_t *h) {
        if (h && h->mhd && !h->quiesced) {
                (void)MHD_quiesce_daemon(h->mhd);
                h->quiesced = 1;
        }
}

void sm_gw_http_destroy(sm_gw_http_t *h) {
        if (!h)
                return;
        if (h->mhd) {
                /* Take the socket back first: it is closed below, once. */
                sm_gw_http_quiesce(h);
                sm_gw_deadline_stop(h->deadline);
                MHD_stop_daemon(h->mhd);
        }
        sm_gw_deadline_destroy(h->deadline);
        if (h->listen_fd >= 0)
                close(h->listen_fd);
        sm_gw_db_close(h->db);
        pthread_mutex_destroy(&h->db_lock);
        free(h);
}
