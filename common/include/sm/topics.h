/*
 * topics: the one list of storemon's Kafka topic names and their default
 * partition counts, shared by the ingestor, the reporter, the gateway and
 * the embedded broker (tools/broker), so a name is spelt in one place.
 *
 * Partition groups:
 *
 *  - SM_TOPIC_GROUP_STORE: store-polls, store-hours, store-timezones and
 *    report-requests are co-partitioned.  They must have the same partition
 *    count P (default SM_TOPIC_DEFAULT_PARTITIONS) and the same key hashing
 *    (murmur2_random), so one reporter instance owns everything about its
 *    stores and receives the request copy for exactly those partitions.
 *
 *  - SM_TOPIC_GROUP_RESULTS: report-results.  Its partition count does not
 *    have to match P (it is keyed by report_id), but it defaults to P:
 *    every reporter instance writes its parts there, and on the embedded
 *    broker each partition only keeps about 5 MiB, so the room for reports
 *    in flight grows with the partitions.
 *
 *  - SM_TOPIC_GROUP_AUX: report-ready, ingest-rejects and reporter-progress
 *    carry little traffic and need no co-partitioning (default
 *    SM_TOPIC_DEFAULT_AUX_PARTITIONS).
 *
 * SM_TOPIC_FOREACH(X) calls X(name, group) for every topic, for code that
 * must handle them all (creating them, checking metadata).
 */
#ifndef SM_TOPICS_H
#define SM_TOPICS_H

#define SM_TOPIC_POLLS             "store-polls"
#define SM_TOPIC_HOURS             "store-hours"
#define SM_TOPIC_TIMEZONES         "store-timezones"
#define SM_TOPIC_REPORT_REQUESTS   "report-requests"
#define SM_TOPIC_REPORT_RESULTS    "report-results"
#define SM_TOPIC_REPORT_READY      "report-ready"
#define SM_TOPIC_INGEST_REJECTS    "ingest-rejects"
#define SM_TOPIC_REPORTER_PROGRESS "reporter-progress"

/** Partitions of the co-partitioned store topics and report-requests. */
#define SM_TOPIC_DEFAULT_PARTITIONS 16
/** Partitions of report-ready, ingest-rejects and reporter-progress. */
#define SM_TOPIC_DEFAULT_AUX_PARTITIONS 4

enum sm_topic_group {
        SM_TOPIC_GROUP_STORE = 0, /* co-partitioned, P partitions */
        SM_TOPIC_GROUP_RESULTS,   /* report-results, defaults to P */
        SM_TOPIC_GROUP_AUX,       /* low-traffic topics */
};

#define SM_TOPIC_FOREACH(X)                                                    \
        X(SM_TOPIC_POLLS, SM_TOPIC_GROUP_STORE)                                \
        X(SM_TOPIC_HOURS, SM_TOPIC_GROUP_STORE)                                \
        X(SM_TOPIC_TIMEZONES, SM_TOPIC_GROUP_STORE)                            \
        X(SM_TOPIC_REPORT_REQUESTS, SM_TOPIC_GROUP_STORE)                      \
        X(SM_TOPIC_REPORT_RESULTS, SM_TOPIC_GROUP_RESULTS)                     \
        X(SM_TOPIC_REPORT_READY, SM_TOPIC_GROUP_AUX)                           \
        X(SM_TOPIC_INGEST_REJECTS, SM_TOPIC_GROUP_AUX)                         \
        X(SM_TOPIC_REPORTER_PROGRESS, SM_TOPIC_GROUP_AUX)

#endif
