/*
 * broker_cluster: the hosting rd_kafka_t, the mock cluster and the topics.
 *
 * rd_kafka_mock_cluster_new() (librdkafka 2.0.2) creates one listener per
 * broker on 127.0.0.1 with port 0, so the kernel picks the port and a
 * "port already taken" cannot happen; what can fail is socket() (EMFILE,
 * ENFILE, a sandbox), bind() (EADDRNOTAVAIL without 127.0.0.1,
 * EADDRINUSE when the ephemeral range is used up) and listen().  Any of
 * these is logged at LOG_CRIT and then the half-built cluster is passed to
 * rd_kafka_mock_cluster_destroy(), whose assertion on the handle's
 * cluster count aborts the process (reproduced with ulimit -n 5).  So
 * sm_broker_new() first creates the hosting handle (which takes its own
 * descriptors), then probe_loopback() does the same socket/bind/listen for
 * every broker at once, connects to one listener (in a network namespace
 * whose loopback is down, bind() still succeeds but no client could ever
 * connect) and holds PROBE_SPARE_FDS more descriptors; only then is the
 * mock created.  What remains is a window in which another process takes
 * the last ephemeral port; main.c raises RLIMIT_NOFILE to the hard limit.
 *
 * The mock runs in its own thread, created by rd_kafka_mock_cluster_new()
 * with the caller's signal mask.  That thread sits in poll(2) and treats
 * any poll error, EINTR included, as fatal ("Mock cluster failed to poll
 * ... Interrupted system call"): the cluster stops serving and the next
 * command to it hangs (reproduced by sending SIGUSR1 to that thread).  So every
 * signal is blocked while the cluster is created and the thread inherits a full
 * mask, as librdkafka does itself for its other threads in rd_kafka_new().
 *
 * Commands to the mock (rd_kafka_mock_topic_create() and the like) travel
 * over an op queue whose wake-up pipe sends one byte per idle period.  The
 * mock thread serves the queue and only then drains the pipe, so a command
 * sent right after the previous reply can have its byte eaten and wait for
 * the thread's 1 s poll timeout: creating eight topics back to back took
 * up to 3 s.  A 2 ms pause before each command lets the thread finish its
 * loop first (startup is now ~40 ms).  Stopping can still take up to 1 s:
 * the mock's internal broker thread notices its termination on its own
 * 1 s tick (a fixed wait inside librdkafka).
 */
#include "broker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka_mock.h>

#include "sm/log.h"
#include "sm/topics.h"
#include "sm/xalloc.h"

#define OP_PAUSE_NS     (2 * 1000 * 1000) /* between two mock commands */
#define PROBE_SPARE_FDS 8 /* mock wake-up pipe, internal broker, files */

struct sm_broker_s {
        rd_kafka_t *rk;                    /* hosting handle (producer) */
        rd_kafka_mock_cluster_t *mcluster; /* the cluster, lives in rk */
};

/** @brief A hint for running out of descriptors, else "". */
static const char *fd_hint(int r) {
        return r == -EMFILE || r == -ENFILE ? " (raise ulimit -n)" : "";
}

/** @brief One loopback listener like the mock's: 127.0.0.1, kernel-chosen
 *  port, backlog 5.  @returns the socket or a negative errno, with
 *  \p errstr. */
static int loopback_listener(struct sockaddr_in *ret_sin,
                             char *errstr,
                             size_t errstr_size) {
        struct sockaddr_in sin;
        socklen_t sin_len = sizeof(sin);
        int fd;
        int r;

        memset(&sin, 0, sizeof(sin));
        sin.sin_family      = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot create a TCP socket: %s%s", strerror(-r),
                               fd_hint(r));
                return r;
        }
        if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot bind a TCP socket to 127.0.0.1 "
                               "(any port): %s",
                               strerror(-r));
                goto fail;
        }
        if (listen(fd, 5) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot listen on 127.0.0.1: %s", strerror(-r));
                goto fail;
        }
        if (getsockname(fd, (struct sockaddr *)&sin, &sin_len) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "getsockname on a loopback listener: %s",
                               strerror(-r));
                goto fail;
        }
        *ret_sin = sin;
        return fd;

fail:
        (void)close(fd);
        return r;
}

/**
 * @brief Checks that \p listeners loopback listeners can exist at once,
 *        that a client can connect to one, and that \p spare more
 *        descriptors are free beyond those: what
 *        rd_kafka_mock_cluster_new() needs and aborts without.
 * @returns 0, or a negative errno with the reason in \p errstr.
 */
static int
probe_loopback(int listeners, int spare, char *errstr, size_t errstr_size) {
        int *fds   = sm_xcalloc((size_t)listeners, sizeof(*fds));
        int *extra = sm_xcalloc((size_t)spare, sizeof(*extra));
        struct sockaddr_in first;
        struct sockaddr_in sin;
        int cfd = -1;
        int r   = 0;
        int i;

        for (i = 0; i < listeners; i++)
                fds[i] = -1;
        for (i = 0; i < spare; i++)
                extra[i] = -1;

        for (i = 0; i < listeners; i++) {
                r = loopback_listener(i == 0 ? &first : &sin, errstr,
                                      errstr_size);
                if (r < 0)
                        goto out;
                fds[i] = r;
        }

        cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
        if (cfd < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot create a TCP socket: %s%s", strerror(-r),
                               fd_hint(r));
                goto out;
        }
        if (connect(cfd, (struct sockaddr *)&first, sizeof(first)) < 0) {
                r = -errno;
                (void)snprintf(errstr, errstr_size,
                               "cannot connect to a listener on "
                               "127.0.0.1:%u: %s (is the loopback interface "
                               "up?)",
                               (unsigned)ntohs(first.sin_port), strerror(-r));
                goto out;
        }
        for (i = 0; i < spare; i++) {
                extra[i] = fcntl(cfd, F_DUPFD_CLOEXEC, 0);
                if (extra[i] < 0) {
                        r = -errno;
                        (void)snprintf(errstr, errstr_size,
                                       "fewer than %d file descriptors free "
                                       "for the mock brokers: %s%s",
                                       listeners + 1 + spare, strerror(-r),
                                       fd_hint(r));
                        goto out;
                }
        }
        sm_log(SM_LOG_DEBUG, "probe",
               "%d loopback listener(s) bound, first on 127.0.0.1:%u; "
               "%d spare descriptors",
               listeners, (unsigned)ntohs(first.sin_port), spare);
        r = 0;

out:
        if (cfd >= 0)
                (void)close(cfd);
        for (i = 0; i < spare; i++) {
                if (extra[i] >= 0)
                        (void)close(extra[i]);
        }
        for (i = 0; i < listeners; i++) {
                if (fds[i] >= 0)
                        (void)close(fds[i]);
        }
        free(extra);
        free(fds);
        return r;
}

/** @brief librdkafka log_cb: syslog levels into sm_log.  Called from
 *  librdkafka's threads; sm_log is thread-safe. */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
        enum sm_log_level lvl = sm_log_level_from_syslog(level);

        (void)rk;

        /* The hosting handle has no bootstrap.servers on purpose: it only
         * hosts the cluster and never talks to it. */
        if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
                lvl = SM_LOG_DEBUG;

        sm_log(lvl, "rdkafka", "%s: %s", fac, buf);
}

static int group_partitions(const sm_broker_conf_t *bconf,
                            enum sm_topic_group group) {
        switch (group) {
        case SM_TOPIC_GROUP_STORE:
                return bconf->partitions;
        case SM_TOPIC_GROUP_RESULTS:
                return bconf->results_partitions;
        case SM_TOPIC_GROUP_AUX:
                return bconf->aux_partitions;
        }
        return bconf->aux_partitions;
}

sm_broker_t *sm_broker_new(const sm_broker_conf_t *bconf,
                           rd_kafka_conf_t *conf,
                           char *errstr,
                           size_t errstr_size) {
        static const struct {
                const char *name;          /* topic name */
                enum sm_topic_group group; /* which partition count */
        } topics[] = {
#define SM_BROKER_TOPIC(name, group) {name, group},
                SM_TOPIC_FOREACH(SM_BROKER_TOPIC)
#undef SM_BROKER_TOPIC
        };
        static const struct timespec op_pause = {0, OP_PAUSE_NS};
        sm_broker_t *broker                   = sm_xcalloc(1, sizeof(*broker));
        sigset_t all, old;
        size_t i;
        int r;

        if (!conf)
                conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, log_cb);

        broker->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!broker->rk)
                goto fail;
        conf = NULL; /* owned by rk */

        /* Now that rk holds its descriptors, check the mock gets its own. */
        if (probe_loopback(bconf->brokers, PROBE_SPARE_FDS, errstr,
                           errstr_size) < 0)
                goto fail;

        (void)sigfillset(&all);
        if ((r = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0) {
                (void)snprintf(errstr, errstr_size, "pthread_sigmask: %s",
                               strerror(r));
                goto fail;
        }
        broker->mcluster =
                rd_kafka_mock_cluster_new(broker->rk, bconf->brokers);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!broker->mcluster) {
                (void)snprintf(errstr, errstr_size,
                               "rd_kafka_mock_cluster_new failed (see the "
                               "rdkafka lines above)");
                goto fail;
        }

        for (i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
                int cnt = group_partitions(bconf, topics[i].group);
                rd_kafka_resp_err_t err;

                /* Let the mock thread drain its wake-up pipe before the
                 * next command (see the design note on top). */
                (void)nanosleep(&op_pause, NULL);
                err = rd_kafka_mock_topic_create(broker->mcluster,
                                                 topics[i].name, cnt,
                                                 bconf->replication);
                if (err) {
                        (void)snprintf(errstr, errstr_size,
                                       "cannot create topic %s: %s",
                                       topics[i].name, rd_kafka_err2str(err));
                        goto fail;
                }
                sm_log(SM_LOG_DEBUG, "cluster",
                       "topic %s: %d partition(s), replication %d",
                       topics[i].name, cnt, bconf->replication);
        }
        return broker;

fail:
        if (conf)
                rd_kafka_conf_destroy(conf);
        sm_broker_destroy(broker);
        return NULL;
}

const char *sm_broker_bootstraps(const sm_broker_t *broker) {
        return rd_kafka_mock_cluster_bootstraps(broker->mcluster);
}

void sm_broker_poll(sm_broker_t *broker, int timeout_ms) {
        (void)rd_kafka_poll(broker->rk, timeout_ms);
}

void sm_broker_destroy(sm_broker_t *broker) {
        if (!broker)
                return;
        /* The cluster lives inside rk: librdkafka asserts that every mock
         * cluster is gone before its handle is destroyed. */
        if (broker->mcluster)
                rd_kafka_mock_cluster_destroy(broker->mcluster);
        if (broker->rk)
                rd_kafka_destroy(broker->rk);
        free(broker);
}

rd_kafka_mock_cluster_t *sm_broker_mock_cluster(sm_broker_t *broker) {
        return broker->mcluster;
}
