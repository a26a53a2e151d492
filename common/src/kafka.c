/*
 * kafka: configuration, callbacks, partitioning and lag helpers shared by
 * storemon's Kafka clients (see kafka.h).
 *
 * The configuration is built in a fixed order (bootstrap list, caller
 * defaults, user properties) so a user's -X always wins, and every
 * rd_kafka_conf_set() failure is reported with the key and where it came
 * from.  The lag helper uses two requests any client may send: the Admin
 * API's ListConsumerGroupOffsets (OffsetFetch at the group coordinator)
 * and rd_kafka_offsets_for_times() with the special timestamps -2
 * (earliest) and -1 (latest), which asks every partition leader for its
 * log start and end offsets in one request per leader.  Both are served by
 * the embedded broker (librdkafka's mock cluster) and by real clusters.
 */
#include "sm/kafka.h"
#include "sm/log.h"
#include "sm/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The first fatal error's code, 0 until one happens. */
static atomic_int fatal_err;

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sm_kafka_log_cb(const rd_kafka_t *rk,
                     int level,
                     const char *fac,
                     const char *buf) {
        sm_log(sm_log_level_from_syslog(level), "rdkafka", "%s: %s: %s",
               rk ? rd_kafka_name(rk) : "-", fac, buf);
}

void sm_kafka_error_cb(rd_kafka_t *rk,
                       int err,
                       const char *reason,
                       void *opaque) {
        char fstr[512];
        rd_kafka_resp_err_t ferr;
        int expected = 0;

        (void)opaque;
        if (err != RD_KAFKA_RESP_ERR__FATAL) {
                /* Informational: librdkafka recovers by itself.  "All
                 * brokers down" is worth a warning, the rest too (they are
                 * rare and each says what it is). */
                sm_log(SM_LOG_WARN, "kafka", "%s: %s",
                       rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
                return;
        }
        ferr = rd_kafka_fatal_error(rk, fstr, sizeof(fstr));
        sm_log(SM_LOG_ERR, "kafka", "fatal error: %s: %s",
               rd_kafka_err2name(ferr), fstr);
        (void)atomic_compare_exchange_strong(
                &fatal_err, &expected,
                ferr != RD_KAFKA_RESP_ERR_NO_ERROR ? (int)ferr : err);
}

int sm_kafka_fatal(void) {
        return atomic_load(&fatal_err);
}

int sm_kafka_prop_parse(char *kv,
                        const char *where,
                        sm_kafka_prop_t *ret_prop) {
        char *eq = strchr(kv, '=');

        if (!eq || eq == kv)
                return -EINVAL;
        *eq             = '\0';
        ret_prop->key   = kv;
        ret_prop->value = eq + 1;
        ret_prop->where = where;
        return 0;
}

/* Sets one property; errstr names it. */
static int conf_set(rd_kafka_conf_t *conf,
                    const sm_kafka_prop_t *p,
                    const char *dflt_where,
                    char *errstr,
                    size_t errstr_size) {
        char rderr[256];

        if (rd_kafka_conf_set(conf, p->key, p->value, rderr, sizeof(rderr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        (void)snprintf(errstr, errstr_size, "%s %s: %s",
                       p->where ? p->where : dflt_where, p->key, rderr);
        return -EINVAL;
}

rd_kafka_conf_t *sm_kafka_conf_new(const char *brokers,
                                   const sm_kafka_prop_t *defaults,
                                   size_t ndefaults,
                                   const sm_kafka_prop_t *props,
                                   size_t nprops,
                                   char *errstr,
                                   size_t errstr_size) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char sig[16];
        sm_kafka_prop_t p;

        (void)snprintf(sig, sizeof(sig), "%d", SIGIO);
        p = (sm_kafka_prop_t){"internal.termination.signal", sig, NULL};
        if (conf_set(conf, &p, "default", errstr, errstr_size) < 0)
                goto fail;
        if (brokers) {
                p = (sm_kafka_prop_t){"bootstrap.servers", brokers,
                                      "--brokers"};
                if (conf_set(conf, &p, "--brokers", errstr, errstr_size) < 0)
                        goto fail;
        }
        for (size_t i = 0; i < ndefaults; i++)
                if (conf_set(conf, &defaults[i], "default", errstr,
                             errstr_size) < 0)
                        goto fail;
        for (size_t i = 0; i < nprops; i++)
                if (conf_set(conf, &props[i], "-X", errstr, errstr_size) < 0)
                        goto fail;
        rd_kafka_conf_set_log_cb(conf, sm_kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, sm_kafka_error_cb);
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

uint32_t sm_kafka_murmur2(const void *key, size_t len) {
        /* Java's Utils.murmur2: seed 0x9747b28c, 4-byte little-endian
         * blocks, the tail mixed in, final avalanche. */
        const uint8_t *data = key;
        const uint32_t m    = 0x5bd1e995;
        const int r         = 24;
        uint32_t h          = 0x9747b28cU ^ (uint32_t)len;
        size_t nblocks      = len / 4;

        for (size_t i = 0; i < nblocks; i++) {
                const uint8_t *b = data + i * 4;
                uint32_t k       = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                             (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
                k *= m;
                k ^= k >> r;
                k *= m;
                h *= m;
                h ^= k;
        }
        data += nblocks * 4;
        switch (len & 3) {
        case 3:
                h ^= (uint32_t)data[2] << 16;
                /* fall through */
        case 2:
                h ^= (uint32_t)data[1] << 8;
                /* fall through */
        case 1:
                h ^= (uint32_t)data[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

int32_t sm_kafka_partition(const void *key, size_t len, int32_t partition_cnt) {
        if (partition_cnt < 1)
                return -1;
        return (int32_t)((sm_kafka_murmur2(key, len) & 0x7fffffff) %
                         (uint32_t)partition_cnt);
}

int sm_kafka_partition_count(rd_kafka_t *rk,
                             const char *topic,
                             int timeout_ms,
                             char *errstr,
                             size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt;
        rd_kafka_resp_err_t err;
        int ret;

        /* A topic handle makes the request name only this topic.  Where
         * the broker creates topics on demand (the embedded broker does,
         * with 4 partitions) asking a producer's metadata may create it,
         * as producing to it would. */
        rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (!rkt) {
                (void)snprintf(errstr, errstr_size, "%s: %s", topic,
                               rd_kafka_err2str(rd_kafka_last_error()));
                return -EIO;
        }
        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        if (err) {
                (void)snprintf(errstr, errstr_size, "%s: metadata: %s", topic,
                               rd_kafka_err2str(err));
                ret = err == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -EIO;
                goto out;
        }
        if (md->topic_cnt != 1 || md->topics[0].err) {
                err = md->topic_cnt == 1 ? md->topics[0].err
                                         : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
                (void)snprintf(errstr, errstr_size, "%s: %s", topic,
                               rd_kafka_err2str(err));
                ret = err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                                      err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC
                              ? -ENOENT
                              : -EIO;
                goto out;
        }
        ret = md->topics[0].partition_cnt;
        if (ret < 1) {
                (void)snprintf(errstr, errstr_size, "%s: no partitions", topic);
                ret = -ENOENT;
        }
out:
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return ret;
}

/* Reads the group's committed offsets into ret[].committed. */
static int read_committed(rd_kafka_t *rk,
                          const char *group,
                          const rd_kafka_topic_partition_list_t *parts,
                          sm_kafka_offsets_t *ret,
                          int timeout_ms,
                          char *errstr,
                          size_t errstr_size) {
        rd_kafka_queue_t *q                      = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opts            = NULL;
        rd_kafka_ListConsumerGroupOffsets_t *req = NULL;
        rd_kafka_event_t *ev                     = NULL;
        const rd_kafka_ListConsumerGroupOffsets_result_t *res;
        const rd_kafka_group_result_t **groups;
        const rd_kafka_error_t *gerr;
        const rd_kafka_topic_partition_list_t *got;
        size_t ngroups;
        char rderr[256];
        int r = -EIO;

        opts = rd_kafka_AdminOptions_new(
                rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        if (rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, rderr,
                                                      sizeof(rderr)) != 0) {
                (void)snprintf(errstr, errstr_size, "request timeout: %s",
                               rderr);
                goto out;
        }
        req = rd_kafka_ListConsumerGroupOffsets_new(group, parts);
        rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
        /* The request times out by itself; the margin covers the queue. */
        ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
        if (!ev) {
                (void)snprintf(errstr, errstr_size,
                               "group %s: committed offsets: no answer in "
                               "%d ms",
                               group, timeout_ms);
                r = -ETIMEDOUT;
                goto out;
        }
        if (rd_kafka_event_error(ev)) {
                (void)snprintf(errstr, errstr_size,
                               "group %s: committed offsets: %s", group,
                               rd_kafka_event_error_string(ev));
                r = rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__TIMED_OUT
                            ? -ETIMEDOUT
                            : -EIO;
                goto out;
        }
        res = rd_kafka_event_ListConsumerGroupOffsets_result(ev);
        if (!res) {
                (void)snprintf(errstr, errstr_size,
                               "group %s: unexpected event %s", group,
                               rd_kafka_event_name(ev));
                goto out;
        }
        groups = rd_kafka_ListConsumerGroupOffsets_result_groups(res, &ngroups);
        if (ngroups != 1) {
                (void)snprintf(errstr, errstr_size,
                               "group %s: %zu results for one group", group,
                               ngroups);
                goto out;
        }
        if ((gerr = rd_kafka_group_result_error(groups[0]))) {
                (void)snprintf(errstr, errstr_size,
                               "group %s: committed offsets: %s", group,
                               rd_kafka_error_string(gerr));
                goto out;
        }
        got = rd_kafka_group_result_partitions(groups[0]);
        for (int i = 0; got && i < got->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &got->elems[i];
                if (p->err || p->offset < 0 || p->partition < 0 ||
                    p->partition >= parts->cnt)
                        continue;
                ret[p->partition].committed = p->offset;
        }
        r = 0;
out:
        if (ev)
                rd_kafka_event_destroy(ev);
        if (req)
                rd_kafka_ListConsumerGroupOffsets_destroy(req);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        return r;
}

/* Fills ret[].low (which = -2) or ret[].high (which = -1). */
static int read_watermarks(rd_kafka_t *rk,
                           const char *topic,
                           int32_t partition_cnt,
                           int64_t which,
                           sm_kafka_offsets_t *ret,
                           int timeout_ms,
                           char *errstr,
                           size_t errstr_size) {
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new(partition_cnt);
        rd_kafka_resp_err_t err;

        for (int32_t i = 0; i < partition_cnt; i++)
                rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
                        which;
        err = rd_kafka_offsets_for_times(rk, parts, timeout_ms);
        if (err) {
                (void)snprintf(errstr, errstr_size, "%s: %s offsets: %s", topic,
                               which == -1 ? "end" : "start",
                               rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(parts);
                return err == RD_KAFKA_RESP_ERR__TIMED_OUT ? -ETIMEDOUT : -EIO;
        }
        for (int i = 0; i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &parts->elems[i];
                if (p->err || p->offset < 0 || p->partition < 0 ||
                    p->partition >= partition_cnt)
                        continue;
                if (which == -1)
                        ret[p->partition].high = p->offset;
                else
                        ret[p->partition].low = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(parts);
        return 0;
}

int sm_kafka_group_offsets(rd_kafka_t *rk,
                           const char *group,
                           const char *topic,
                           int32_t partition_cnt,
                           sm_kafka_offsets_t *ret,
                           int timeout_ms,
                           char *errstr,
                           size_t errstr_size) {
        rd_kafka_topic_partition_list_t *parts;
        int64_t deadline = now_ms() + timeout_ms;
        int r;

        if (partition_cnt < 1) {
                (void)snprintf(errstr, errstr_size, "%s: no partitions", topic);
                return -EINVAL;
        }
        for (int32_t i = 0; i < partition_cnt; i++)
                ret[i] = (sm_kafka_offsets_t){-1, -1, -1};
        parts = rd_kafka_topic_partition_list_new(partition_cnt);
        for (int32_t i = 0; i < partition_cnt; i++)
                rd_kafka_topic_partition_list_add(parts, topic, i);
        r = read_committed(rk, group, parts, ret, timeout_ms, errstr,
                           errstr_size);
        rd_kafka_topic_partition_list_destroy(parts);
        if (r < 0)
                return r;
        for (int64_t which = -1; which >= -2; which--) {
                int64_t left = deadline - now_ms();
                if (left < 1) {
                        (void)snprintf(errstr, errstr_size,
                                       "%s: offsets: no answer in %d ms", topic,
                                       timeout_ms);
                        return -ETIMEDOUT;
                }
                r = read_watermarks(rk, topic, partition_cnt, which, ret,
                                    (int)left, errstr, errstr_size);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sm_kafka_wait_partition_count(rd_kafka_t *rk,
                                  const char *topic,
                                  char *errstr,
                                  size_t errstr_size) {
        int64_t pause_ms = 1000;

        for (;;) {
                int n = sm_kafka_partition_count(rk, topic, 2000, errstr,
                                                 errstr_size);
                if (n > 0)
                        return n;
                if (sm_signals_caught())
                        return -EINTR;
                sm_log(SM_LOG_WARN, "kafka",
                       "waiting for the Kafka cluster: %s; retrying in %lld s",
                       errstr, (long long)(pause_ms / 1000));
                for (int64_t t = 0; t < pause_ms; t += 100) {
                        if (sm_signals_caught())
                                return -EINTR;
                        usleep(100000);
                }
                if (pause_ms < 10000)
                        pause_ms *= 2;
                if (pause_ms > 10000)
                        pause_ms = 10000;
        }
}
