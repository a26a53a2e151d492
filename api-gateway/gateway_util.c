/*
 * gateway_util: the small shared pieces of gateway.h: status names,
 * reference-counted blobs, clocks, report id normalization.
 */
#include "gateway.h"
#include "sm/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const status_names[SM_GW__STATUS_CNT] = {
        "Running", "Complete", "Failed"};

const char *sm_gw_status_name(sm_gw_status_t st) {
        return st >= 0 && st < SM_GW__STATUS_CNT ? status_names[st] : "?";
}

int sm_gw_status_parse(const char *s) {
        for (int i = 0; i < SM_GW__STATUS_CNT; i++)
                if (strcmp(s, status_names[i]) == 0)
                        return i;
        return -1;
}

sm_gw_blob_t *sm_gw_blob_new(size_t len) {
        sm_gw_blob_t *b = sm_xmalloc(sizeof(*b) + len + 1);
        atomic_init(&b->refs, 1);
        b->len       = len;
        b->data[len] = '\0';
        return b;
}

sm_gw_blob_t *sm_gw_blob_ref(sm_gw_blob_t *b) {
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
        return b;
}

void sm_gw_blob_unref(sm_gw_blob_t *b) {
        if (b &&
            atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
                free(b);
}

sm_usec_t sm_gw_wall_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (sm_usec_t)ts.tv_sec * SM_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t sm_gw_mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sm_gw_id_normalize(const char *s,
                       size_t len,
                       char out[SM_REPORT_ID_LEN + 1]) {
        if (!sm_reportreq_id_valid(s, len))
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a'
                                                           : s[i]);
        out[len] = '\0';
        return 0;
}

int sm_gw_hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}
