/*
 * fuzz_codec: the Avro decoder on single-object frames of every record
 * (codec.h).
 *
 * One codec is built in sm_fuzz_init().  Each input goes to
 * sm_codec_peek_fingerprint() and to the decoder of every record type
 * (only the one whose fingerprint the header names reads the body; the
 * others must refuse it).  A refusal must say why in errstr.  A decoded
 * message is read field by field (strings with their NUL), encoded again,
 * and that frame must decode and encode to the same bytes: decoding is
 * the inverse of encoding on everything the decoder accepts.
 */
#include "fuzz.h"
#include "sm/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sm_codec_t *codec;
static sm_buf_t enc1, enc2;

int sm_fuzz_init(void) {
        char errstr[512];

        codec = sm_codec_new(errstr, sizeof(errstr));
        if (!codec) {
                fprintf(stderr, "fuzz_codec: %s\n", errstr);
                return -1;
        }
        return 0;
}

void sm_fuzz_fini(void) {
        sm_buf_free(&enc1);
        sm_buf_free(&enc2);
        sm_codec_destroy(codec);
        codec = NULL;
}

/* A decoded string: len bytes and its NUL. */
static void touch_cstr(const char *s, size_t len) {
        sm_fuzz_touch(s, len + 1);
        if (s[len] != '\0' || memchr(s, '\0', len))
                abort();
}

static void touch_poll(const sm_poll_msg_t *m) {
        touch_cstr(m->store_id, m->store_id_len);
}

static void touch_hours(const sm_hours_msg_t *m) {
        touch_cstr(m->store_id, m->store_id_len);
        sm_fuzz_touch(m->rows, m->nrows * sizeof(*m->rows));
}

static void touch_tz(const sm_tz_msg_t *m) {
        touch_cstr(m->store_id, m->store_id_len);
        touch_cstr(m->timezone_str, m->timezone_str_len);
}

static void touch_reject(const sm_reject_msg_t *m) {
        touch_cstr(m->source, m->source_len);
        touch_cstr(m->raw, m->raw_len);
        touch_cstr(m->reason, m->reason_len);
}

static void touch_request(const sm_request_msg_t *m) {
        touch_cstr(m->report_id, m->report_id_len);
}

static void touch_part(const sm_part_msg_t *m) {
        touch_cstr(m->report_id, m->report_id_len);
        for (size_t i = 0; i < m->nrows; i++)
                touch_cstr(m->rows[i].store_id, m->rows[i].store_id_len);
}

static void touch_ready(const sm_ready_msg_t *m) {
        touch_cstr(m->report_id, m->report_id_len);
        touch_cstr(m->url, m->url_len);
}

static void touch_progress(const sm_progress_msg_t *m) {
        touch_cstr(m->instance, m->instance_len);
}

static void refused(int r, const char *errstr) {
        if (r >= 0)
                return;
        if (!errstr[0])
                abort();
        sm_fuzz_touch(errstr, strlen(errstr));
}

/* Decodes the input as type T; on success checks the message and the
 * decode/encode round trip.  `ok` counts successful decodes. */
#define TRY(T, dec, enc, touch)                                                \
        do {                                                                   \
                T m;                                                           \
                char e[512] = "";                                              \
                int r       = dec(codec, data, size, &m, e, sizeof(e));        \
                refused(r, e);                                                 \
                if (r < 0)                                                     \
                        break;                                                 \
                ok++;                                                          \
                touch(&m);                                                     \
                if (enc(codec, &m, &enc1, e, sizeof(e)) < 0 ||                 \
                    dec(codec, enc1.data, enc1.len, &m, e, sizeof(e)) < 0 ||   \
                    enc(codec, &m, &enc2, e, sizeof(e)) < 0) {                 \
                        fprintf(stderr, "fuzz_codec: %s: %s\n", #T, e);        \
                        abort();                                               \
                }                                                              \
                if (enc1.len != enc2.len ||                                    \
                    memcmp(enc1.data, enc2.data, enc1.len) != 0) {             \
                        fprintf(stderr, "fuzz_codec: %s: unstable\n", #T);     \
                        abort();                                               \
                }                                                              \
        } while (0)

int sm_fuzz_one(const uint8_t *data, size_t size) {
        char errstr[512] = "";
        sm_record_t rec;
        int peek, ok = 0;

        peek = sm_codec_peek_fingerprint(codec, data, size, &rec, errstr,
                                         sizeof(errstr));
        refused(peek, errstr);
        if (peek == 0 && (rec < 0 || rec >= SM_RECORD__CNT))
                abort();

        TRY(sm_poll_msg_t, sm_codec_decode_poll, sm_codec_encode_poll,
            touch_poll);
        TRY(sm_hours_msg_t, sm_codec_decode_hours, sm_codec_encode_hours,
            touch_hours);
        TRY(sm_tz_msg_t, sm_codec_decode_tz, sm_codec_encode_tz, touch_tz);
        TRY(sm_reject_msg_t, sm_codec_decode_reject, sm_codec_encode_reject,
            touch_reject);
        TRY(sm_request_msg_t, sm_codec_decode_request, sm_codec_encode_request,
            touch_request);
        TRY(sm_part_msg_t, sm_codec_decode_part, sm_codec_encode_part,
            touch_part);
        TRY(sm_ready_msg_t, sm_codec_decode_ready, sm_codec_encode_ready,
            touch_ready);
        TRY(sm_progress_msg_t, sm_codec_decode_progress,
            sm_codec_encode_progress, touch_progress);

        /* At most one decoder accepts a frame, and only the one peek
         * names. */
        if (ok > 1 || (ok && peek < 0))
                abort();
        return 0;
}
