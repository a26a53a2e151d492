/*
 * raw_consume: the reporter benchmark's baseline.  Reads every record of a
 * topic from the beginning to its current end with the same consume API
 * the reporter uses (rd_kafka_consume_batch_queue) and does nothing with
 * them; prints the records and the rate.
 *
 * usage: bench-raw-consume BROKERS TOPIC [--subscribe] [-X key=value ...]
 * --subscribe joins a fresh consumer group (as the reporter does) instead
 * of assigning the partitions.
 */
#include "sm/kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        const sm_kafka_prop_t defaults[] = {
                {"group.id", "bench-raw-consume", NULL},
                {"enable.auto.commit", "false", NULL},
                {"enable.partition.eof", "false", NULL},
                {"fetch.wait.max.ms", "50", NULL},
                {"queued.max.messages.kbytes", "262144", NULL},
        };
        sm_kafka_prop_t props[20];
        size_t nprops = 0;
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_queue_t *q;
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_message_t *msgs[4096];
        int64_t total = 0, got = 0;
        int n;
        double t0 = 0;

        if (argc < 3) {
                fprintf(stderr,
                        "usage: bench-raw-consume BROKERS TOPIC "
                        "[-X key=value ...]\n");
                return 2;
        }
        int subscribe = 0;
        char group[64];
        for (int a = 3; a < argc && nprops < 16; a++) {
                if (strcmp(argv[a], "--subscribe") == 0)
                        subscribe = 1;
                else if (strcmp(argv[a], "-X") == 0 && a + 1 < argc &&
                         sm_kafka_prop_parse(argv[++a], "-X", &props[nprops]) ==
                                 0)
                        nprops++;
        }
        snprintf(group, sizeof(group), "bench-raw-consume-%ld",
                 (long)time(NULL));
        props[nprops++] = (sm_kafka_prop_t){"group.id", group, NULL};
        props[nprops++] =
                (sm_kafka_prop_t){"auto.offset.reset", "earliest", NULL};
        conf = sm_kafka_conf_new(argv[1], defaults, 5, props, nprops, errstr,
                                 sizeof(errstr));
        if (!conf || !(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
                                         sizeof(errstr)))) {
                fprintf(stderr, "bench-raw-consume: %s\n", errstr);
                return 1;
        }
        n = sm_kafka_partition_count(rk, argv[2], 10000, errstr,
                                     sizeof(errstr));
        if (n < 0) {
                fprintf(stderr, "bench-raw-consume: %s\n", errstr);
                return 1;
        }
        list = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++) {
                int64_t lo, hi;
                rd_kafka_query_watermark_offsets(rk, argv[2], p, &lo, &hi,
                                                 10000);
                total += hi - lo;
                rd_kafka_topic_partition_list_add(list, argv[2], p)->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        }
        if (subscribe) {
                rd_kafka_topic_partition_list_t *t =
                        rd_kafka_topic_partition_list_new(1);
                rd_kafka_topic_partition_list_add(t, argv[2],
                                                  RD_KAFKA_PARTITION_UA);
                if (getenv("EXTRA_TOPICS")) {
                        char *dup = strdup(getenv("EXTRA_TOPICS")), *save;
                        for (char *tok = strtok_r(dup, ",", &save); tok;
                             tok       = strtok_r(NULL, ",", &save))
                                rd_kafka_topic_partition_list_add(
                                              t, tok, RD_KAFKA_PARTITION_UA);
                        free(dup);
                }
                rd_kafka_poll_set_consumer(rk);
                rd_kafka_subscribe(rk, t);
                rd_kafka_topic_partition_list_destroy(t);
        } else {
                rd_kafka_assign(rk, list);
        }
        rd_kafka_topic_partition_list_destroy(list);
        q = rd_kafka_queue_get_consumer(rk);
        while (got < total) {
                ssize_t k = rd_kafka_consume_batch_queue(q, 100, msgs, 4096);
                if (k > 0 && t0 == 0)
                        t0 = now_s();
                for (ssize_t i = 0; i < k; i++) {
                        if (!msgs[i]->err)
                                got++;
                        rd_kafka_message_destroy(msgs[i]);
                }
        }
        {
                double dt = now_s() - t0;
                printf("%lld records in %.3f s: %.0f records/s\n",
                       (long long)got, dt, (double)got / dt);
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}
