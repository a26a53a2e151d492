/*
 * reporter_client: trigger a report and collect its parts (see
 * reporter_client.h).
 *
 * The positions of report-results are taken before the request is
 * published, so no part of this report can be missed; parts of other
 * reports are skipped.  The report is written when every partition's last
 * part and all its rows are in (reportreq.h), or the command fails after
 * --timeout.
 */
#include "reporter_client.h"
#include "sm/codec.h"
#include "sm/conf.h"
#include "sm/kafka.h"
#include "sm/kbatch.h"
#include "sm/log.h"
#include "sm/reportreq.h"
#include "sm/signals.h"
#include "sm/topics.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const sm_conf_def_t client_defs[] = {
        {"brokers", SM_CONF_STR, NULL, 0, 0, 1, 0,
         "Kafka bootstrap servers (also STOREMON_BROKERS)"},
        {"as-of", SM_CONF_STR, NULL, 0, 0, 0, 0,
         "report instant 'YYYY-MM-DD HH:MM:SS' UTC (default: the "
         "reporters' watermark)"},
        {"out", SM_CONF_STR, "-", 0, 0, 0, 0, "report CSV file ('-' stdout)"},
        {"timeout", SM_CONF_DURATION, "60s", 1000, SM_USEC_PER_HOUR, 0, 0,
         "how long to wait for the report"},
        {"log-level", SM_CONF_STR, "notice", 0, 0, 0, 0,
         "err, warn, notice, info or debug"},
};

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Assigns every partition of report-results at its current end. */
static int
assign_results_end(rd_kafka_t *consumer, char *errstr, size_t errstr_size) {
        int n = sm_kafka_partition_count(consumer, SM_TOPIC_REPORT_RESULTS,
                                         10000, errstr, errstr_size);
        rd_kafka_topic_partition_list_t *list;
        rd_kafka_resp_err_t err;
        if (n < 0)
                return n;
        list = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++) {
                int64_t lo, hi;
                err = rd_kafka_query_watermark_offsets(
                        consumer, SM_TOPIC_REPORT_RESULTS, p, &lo, &hi, 10000);
                if (err) {
                        snprintf(errstr, errstr_size, "report-results [%d]: %s",
                                 p, rd_kafka_err2str(err));
                        rd_kafka_topic_partition_list_destroy(list);
                        return -EIO;
                }
                rd_kafka_topic_partition_list_add(list, SM_TOPIC_REPORT_RESULTS,
                                                  p)
                        ->offset = hi;
        }
        err = rd_kafka_assign(consumer, list);
        rd_kafka_topic_partition_list_destroy(list);
        if (err) {
                snprintf(errstr, errstr_size, "report-results: %s",
                         rd_kafka_err2str(err));
                return -EIO;
        }
        return 0;
}

int sm_client_main(int argc, char **argv) {
        static const char usage[] =
                "usage: storemon-reporter report --brokers ADDR [--as-of "
                "TIME] [--out FILE]\n"
                "Triggers a report on the running reporters and writes its "
                "CSV.";
        const sm_kafka_prop_t producer_defaults[] = {
                {"enable.idempotence", "true", NULL},
                {"acks", "all", NULL},
                {"linger.ms", "0", NULL},
        };
        char group[64];
        const sm_kafka_prop_t consumer_defaults[] = {
                /* librdkafka wants a group.id even for assign(): a private
                 * one, never joined and never committed. */
                {"group.id", group, NULL},
                {"enable.auto.commit", "false", NULL},
                {"enable.partition.eof", "false", NULL},
                {"auto.offset.reset", "error", NULL},
                {"fetch.wait.max.ms", "20", NULL},
        };
        sm_conf_t *conf =
                sm_conf_new("CLIENT", client_defs,
                            sizeof(client_defs) / sizeof(client_defs[0]));
        rd_kafka_t *producer = NULL, *consumer = NULL;
        rd_kafka_queue_t *q = NULL;
        sm_kbatch_t *kb     = NULL;
        rd_kafka_conf_t *kconf;
        sm_codec_t *codec  = NULL;
        sm_report_asm_t *a = NULL;
        const sm_kafka_prop_t *props;
        size_t nprops;
        char errstr[512], id[SM_REPORT_ID_LEN + 1];
        sm_usec_t as_of;
        const char *as_of_arg, *out_path;
        enum sm_log_level level;
        int nparts, r, ret = 1;
        int64_t deadline, started = 0, done_ms;
        FILE *out = NULL;

        r = sm_conf_load(conf, argc, argv, usage, stdout, errstr,
                         sizeof(errstr));
        if (r != 0) {
                if (r < 0)
                        fprintf(stderr, "storemon-reporter report: %s\n",
                                errstr);
                sm_conf_destroy(conf);
                return r > 0 ? 0 : r == -EINVAL ? 2 : 1;
        }
        as_of_arg = sm_conf_str(conf, "as-of");
        if (as_of_arg) {
                const char *why;
                if (sm_time_parse_as_of(as_of_arg, strlen(as_of_arg), &as_of,
                                        &why) < 0) {
                        fprintf(stderr,
                                "storemon-reporter report: --as-of '%s': %s\n",
                                as_of_arg, why);
                        sm_conf_destroy(conf);
                        return 2;
                }
        }
        if (sm_log_level_parse(sm_conf_str(conf, "log-level"), &level) == 0)
                sm_log_set_level(level);
        (void)sm_signals_install();
        props = sm_conf_kafka_props(conf, &nprops);

        snprintf(group, sizeof(group), "storemon-client-%d", (int)getpid());
        if (!(codec = sm_codec_new(errstr, sizeof(errstr))))
                goto fail;
        kconf = sm_kafka_conf_new(sm_conf_str(conf, "brokers"),
                                  producer_defaults, 3, props, nprops, errstr,
                                  sizeof(errstr));
        if (!kconf)
                goto fail;
        rd_kafka_conf_set_dr_msg_cb(kconf, sm_reportreq_dr_msg_cb);
        if (!(producer = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, errstr,
                                      sizeof(errstr)))) {
                rd_kafka_conf_destroy(kconf);
                goto fail;
        }
        kconf = sm_kafka_conf_new(sm_conf_str(conf, "brokers"),
                                  consumer_defaults, 5, props, nprops, errstr,
                                  sizeof(errstr));
        if (!kconf)
                goto fail;
        if (!(consumer = rd_kafka_new(RD_KAFKA_CONSUMER, kconf, errstr,
                                      sizeof(errstr)))) {
                rd_kafka_conf_destroy(kconf);
                goto fail;
        }
        if ((nparts = sm_kafka_partition_count(producer,
                                               SM_TOPIC_REPORT_REQUESTS, 10000,
                                               errstr, sizeof(errstr))) < 0 ||
            assign_results_end(consumer, errstr, sizeof(errstr)) < 0)
                goto fail;
        q = rd_kafka_queue_get_consumer(consumer);
        if (!(kb = sm_kbatch_new(q))) {
                snprintf(errstr, sizeof(errstr), "eventfd: %s",
                         strerror(errno));
                goto fail;
        }

        sm_reportreq_new_id(id);
        started = mono_ms();
        if (sm_reportreq_trigger(producer, codec, id, as_of_arg ? &as_of : NULL,
                                 nparts, 10000, errstr, sizeof(errstr)) < 0)
                goto fail;
        sm_log(SM_LOG_INFO, "client", "report %s requested on %d partitions",
               id, nparts);
        a        = sm_report_asm_new(id, nparts);
        deadline = mono_ms() + sm_conf_int(conf, "timeout") / 1000;
        while (!sm_report_asm_complete(a)) {
                rd_kafka_message_t *msgs[64];
                ssize_t n;
                if (sm_signals_caught() || mono_ms() > deadline) {
                        snprintf(errstr, sizeof(errstr),
                                 "report %s: %d of %d partitions answered "
                                 "before %s",
                                 id, sm_report_asm_done(a), nparts,
                                 sm_signals_caught() ? "the signal"
                                                     : "the timeout");
                        goto fail;
                }
                n = sm_kbatch_consume(kb, 100, msgs, 64);
                for (ssize_t i = 0; i < n; i++) {
                        sm_part_msg_t part;
                        char why[256];
                        if (!msgs[i]->err &&
                            sm_codec_decode_part(codec, msgs[i]->payload,
                                                 msgs[i]->len, &part, why,
                                                 sizeof(why)) == 0 &&
                            sm_report_asm_add(a, &part, why, sizeof(why)) < 0)
                                sm_log(SM_LOG_ERR, "client", "%s", why);
                        rd_kafka_message_destroy(msgs[i]);
                }
                rd_kafka_poll(producer, 0);
        }
        done_ms  = mono_ms();
        out_path = sm_conf_str(conf, "out");
        out      = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "w");
        if (!out) {
                snprintf(errstr, sizeof(errstr), "%s: %s", out_path,
                         strerror(errno));
                goto fail;
        }
        if (sm_report_asm_write_csv(a, out) < 0) {
                snprintf(errstr, sizeof(errstr), "%s: write failed", out_path);
                goto fail;
        }
        {
                char ts[SM_TIME_FORMAT_MAX];
                sm_log(SM_LOG_NOTICE, "client",
                       "report %s: %lld stores as of %s, complete %lld ms "
                       "after the trigger",
                       id, (long long)sm_report_asm_rows(a),
                       sm_time_format(sm_report_asm_as_of(a), ts, sizeof(ts)),
                       (long long)(done_ms - started));
        }
        ret = 0;
        goto out;
fail:
        sm_log(SM_LOG_ERR, "client", "%s", errstr);
out:
        if (out && out != stdout)
                fclose(out);
        sm_report_asm_destroy(a);
        sm_kbatch_destroy(kb);
        if (q)
                rd_kafka_queue_destroy(q);
        if (consumer) {
                rd_kafka_consumer_close(consumer);
                rd_kafka_destroy(consumer);
        }
        if (producer) {
                rd_kafka_flush(producer, 5000);
                rd_kafka_destroy(producer);
        }
        sm_codec_destroy(codec);
        sm_conf_destroy(conf);
        return ret;
}
