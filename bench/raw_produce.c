/*
 * raw_produce: the ingest benchmark's baseline.  Produces COUNT keyed
 * messages shaped like StorePoll records with the ingestor's producer
 * settings and nothing else: no input file, no validation, no sort, no
 * Avro, so bench/ingest.sh can say how close the ingestor gets to what
 * librdkafka alone does on this machine.
 *
 * usage: bench-raw-produce BROKERS TOPIC COUNT KEYS KEY_LEN [-X key=value]...
 *
 * KEYS distinct keys of KEY_LEN decimal digits (like the real store ids),
 * used round-robin; each value is what a StorePoll of that key weighs:
 * a 10-byte header, the key with its length byte, an 8-byte timestamp
 * varint that grows by about a second per message, a status byte.  The
 * producer settings are the ones ingestor_publish.c starts from (keep the
 * two lists the same); -X overrides them as it does for the ingestor.
 * Every message is handed over with RD_KAFKA_MSG_F_COPY, __QUEUE_FULL is
 * served by polling, as in the ingestor; delivery reports are counted.
 *
 * Prints one line: messages, delivery failures, seconds, messages/s.
 * Exit 0 when everything was acknowledged.
 */
#include "sm/kafka.h"
#include "sm/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_EVERY 1024 /* messages between two rd_kafka_poll(0) */
#define MAX_PROPS  32   /* -X properties */

static int64_t delivered; /* acknowledged messages */
static int64_t failed;    /* failed messages */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opq) {
        (void)rk;
        (void)opq;
        if (rkm->err)
                failed++;
        else
                delivered++;
}

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whole-string integer in [min, max]. */
static int
parse_num(const char *s, long long min, long long max, long long *v) {
        char *end;

        errno = 0;
        *v    = strtoll(s, &end, 10);
        return (*s && !*end && !errno && *v >= min && *v <= max) ? 0 : -1;
}

int main(int argc, char **argv) {
        /* The same list as ingestor_publish.c's producer defaults. */
        static const sm_kafka_prop_t defaults[] = {
                {"client.id", "bench-raw-produce", NULL},
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"partitioner", "murmur2_random", NULL},
                {"compression.type", "lz4", NULL},
                {"linger.ms", "5", NULL},
                {"batch.num.messages", "10000", NULL},
                {"batch.size", "4000000", NULL},
                {"queue.buffering.max.messages", "500000", NULL},
                {"queue.buffering.max.kbytes", "1048576", NULL},
        };
        sm_kafka_prop_t props[MAX_PROPS];
        size_t nprops = 0;
        long long count, nkeys, klen;
        char errstr[512], *keys = NULL;
        unsigned char value[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk        = NULL;
        rd_kafka_topic_t *rkt = NULL;
        double t0, el;
        int64_t ts = INT64_C(1674000000000000); /* µs, January 2023 */
        int ret    = 1;

        if (argc < 6 || parse_num(argv[3], 1, 1000000000000LL, &count) < 0 ||
            parse_num(argv[4], 1, 100000000, &nkeys) < 0 ||
            parse_num(argv[5], 1, 255, &klen) < 0) {
                fprintf(stderr,
                        "usage: bench-raw-produce BROKERS TOPIC COUNT "
                        "KEYS KEY_LEN [-X key=value]...\n");
                return 2;
        }
        for (int a = 6; a < argc; a++) {
                if (strcmp(argv[a], "-X") != 0 || a + 1 >= argc ||
                    nprops == MAX_PROPS ||
                    sm_kafka_prop_parse(argv[++a], "-X", &props[nprops++]) <
                            0) {
                        fprintf(stderr, "bench-raw-produce: bad -X\n");
                        return 2;
                }
        }
        sm_log_init("bench-raw-produce", SM_LOG_WARN);

        /* Keys: KEY_LEN digits each, all different. */
        keys = malloc((size_t)(nkeys * klen));
        if (!keys)
                return 1;
        for (long long k = 0; k < nkeys; k++) {
                uint64_t h = (uint64_t)k * UINT64_C(0x9E3779B97F4A7C15) + 1;
                for (long long d = 0; d < klen; d++) {
                        h = h * UINT64_C(6364136223846793005) +
                            UINT64_C(1442695040888963407);
                        keys[k * klen + d] = (char)('0' + (h >> 33) % 10);
                }
                keys[k * klen] = (char)('1' + k % 9);
        }

        conf = sm_kafka_conf_new(argv[1], defaults,
                                 sizeof(defaults) / sizeof(defaults[0]), props,
                                 nprops, errstr, sizeof(errstr));
        if (!conf) {
                fprintf(stderr, "bench-raw-produce: %s\n", errstr);
                goto out;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
        t0 = now_s();
        if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
                                sizeof(errstr)))) {
                rd_kafka_conf_destroy(conf);
                fprintf(stderr, "bench-raw-produce: %s\n", errstr);
                goto out;
        }
        rkt = rd_kafka_topic_new(rk, argv[2], NULL);

        /* The value's fixed part: header, then the key's length byte. */
        memcpy(value, "\xC3\x01\x2A\x5B\x10\x77\x9C\xE1\x03\x44", 10);
        value[10] = (unsigned char)(klen * 2); /* zigzag length */
        for (long long i = 0; i < count; i++) {
                const char *key = keys + (i % nkeys) * klen;
                size_t vlen     = 11 + (size_t)klen;
                uint64_t z      = (uint64_t)ts << 1; /* zigzag, ts > 0 */

                memcpy(value + 11, key, (size_t)klen);
                while (z >= 0x80) {
                        value[vlen++] = (unsigned char)(z | 0x80);
                        z >>= 7;
                }
                value[vlen++] = (unsigned char)z;
                value[vlen++] = (unsigned char)((i & 8) ? 2 : 0);
                ts += 1000000 + (int64_t)(i % 7919);

                while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA,
                                        RD_KAFKA_MSG_F_COPY, value, vlen, key,
                                        (size_t)klen, NULL) != 0) {
                        if (rd_kafka_last_error() !=
                            RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                failed++;
                                break;
                        }
                        rd_kafka_poll(rk, 10);
                }
                if ((i + 1) % POLL_EVERY == 0)
                        rd_kafka_poll(rk, 0);
        }
        while (delivered + failed < count && rd_kafka_outq_len(rk) > 0)
                rd_kafka_poll(rk, 100);
        el = now_s() - t0;
        printf("raw: %lld messages, %lld failed, %.3f s, %.0f msg/s\n", count,
               (long long)failed, el, (double)delivered / el);
        ret = failed || delivered != count ? 1 : 0;
out:
        if (rkt)
                rd_kafka_topic_destroy(rkt);
        if (rk)
                rd_kafka_destroy(rk);
        free(keys);
        return ret;
}
