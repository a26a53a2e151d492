/*
 * storemon-ingestor: validates input rows and publishes them to Kafka.
 *
 *   storemon-ingestor load --brokers ADDR --polls P --hours H --zones Z
 *   producer | storemon-ingestor stream --brokers ADDR
 *
 * Every row is validated by records.h, the code the batch report uses, so
 * a row is accepted or set aside the same way everywhere.  Accepted rows
 * become Avro single-object records (codec.h) keyed by store_id:
 * StorePoll on store-polls, StoreHours (a store's whole weekly schedule)
 * on store-hours, StoreTimezone on store-timezones.  A bad row becomes a
 * RejectedRow {source, line, raw, reason} on ingest-rejects, keyed by its
 * source, and a `FILE:LINE: reason` line in --rejects FILE when asked.
 *
 * The producer is idempotent with acks=all, lz4 and murmur2_random (the
 * Java client's partitioner, so co-partitioning holds whatever language
 * writes).  `load` returns only once every record is acknowledged or has
 * failed; the run ends with a summary on stderr (rows read, published,
 * rejected by reason, delivery failures) and exits 1 if anything accepted
 * was not delivered: nothing accepted is lost silently.
 *
 * The embedded broker keeps only ~5 MiB per partition, so the ingestor
 * watches the reporter group's lag and slows down (--max-lag; 0 for a real
 * cluster): see ingestor_publish.c.
 *
 * main() only sequences: parse -> init -> run -> shutdown.  The settings
 * are in ingestor_conf.c, the producer side in ingestor_publish.c, the
 * commands in ingestor_load.c and ingestor_stream.c.
 *
 * Signals: SIGINT/SIGTERM only set a flag (sm/signals.h).  Reading stops,
 * what was accepted is flushed for at most --shutdown-timeout, the
 * summary is printed.  A second SIGINT exits at once (130).
 *
 * Exit: 0 all accepted records acknowledged; 1 fatal input error, delivery
 * failure, unacknowledged records or a fatal Kafka error; 2 usage or
 * configuration error; 128+N when `load` was interrupted by signal N
 * (everything it had accepted was delivered, but it did not read all).
 */
#include "ingestor.h"
#include "sm/signals.h"
#include "sm/tz.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
        sm_ingest_conf_t conf;
        sm_pub_t *pub = NULL;
        char errstr[512];
        const char *cmd;
        int usage_err = 0, r, ret = SM_INGEST_EXIT_FAIL;

        /* Parse. */
        r = sm_ingest_conf_parse(argc, argv, &conf, errstr, sizeof(errstr));
        if (r == 1)
                return SM_INGEST_EXIT_OK;
        if (r < 0) {
                fprintf(stderr, SM_INGEST_PROG ": %s\n", errstr);
                return SM_INGEST_EXIT_USAGE;
        }
        sm_log_init("ingestor", conf.log_level);
        cmd = conf.cmd == SM_INGEST_CMD_LOAD ? "load" : "stream";

        /* Init. */
        if ((r = sm_signals_install()) < 0) {
                sm_log(SM_LOG_ERR, "main", "signals: %s", strerror(-r));
                goto out;
        }
        pub = sm_pub_new(&conf, cmd, &usage_err, errstr, sizeof(errstr));
        if (!pub) {
                if (usage_err) {
                        fprintf(stderr, SM_INGEST_PROG ": %s\n", errstr);
                        ret = SM_INGEST_EXIT_USAGE;
                } else {
                        sm_log(SM_LOG_ERR, "main", "%s", errstr);
                }
                goto out;
        }

        /* Run. */
        r = conf.cmd == SM_INGEST_CMD_LOAD ? sm_load_run(pub, &conf)
                                           : sm_stream_run(pub, &conf);

        /* Shutdown: every record acknowledged, or counted as failed. */
        (void)sm_pub_flush(pub, -1);
        ret = sm_pub_summary(pub, r < 0);
        if (ret == SM_INGEST_EXIT_OK && conf.cmd == SM_INGEST_CMD_LOAD &&
            sm_signals_caught())
                ret = 128 + sm_signals_caught();
out:
        sm_pub_destroy(pub);
        sm_zone_cache_clear();
        sm_ingest_conf_free(&conf);
        return ret;
}
