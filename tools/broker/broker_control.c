/*
 * broker_control: fault injection for tests, through a FIFO of commands.
 *
 * `storemon-broker --control-fifo PATH` makes PATH a FIFO and reads it
 * between polls; each line is one command:
 *   down ID                 broker ID stops answering (connections closed)
 *   up ID                   broker ID answers again
 *   errors APIKEY ERR...    the next requests of ApiKey (0 Produce, 1 Fetch,
 *                           8 OffsetCommit, ...) fail with these error codes
 *                           in turn (numeric Kafka error codes)
 * These are librdkafka's mock-cluster fault injections
 * (rd_kafka_mock_broker_set_down/_up, rd_kafka_mock_push_request_errors);
 * a bad command is logged and ignored.
 */
#include "broker.h"
#include "sm/log.h"

#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse_int(const char *s, long *ret) {
        char *end;
        errno = 0;
        *ret  = strtol(s, &end, 10);
        return s[0] && !*end && !errno ? 0 : -EINVAL;
}

static void run_command(rd_kafka_mock_cluster_t *mcluster, char *line) {
        char *save, *word = strtok_r(line, " \t", &save);
        long id, apikey, code;
        rd_kafka_resp_err_t errs[64];
        size_t n = 0;
        rd_kafka_resp_err_t err;

        if (!word)
                return;
        if (strcmp(word, "down") == 0 || strcmp(word, "up") == 0) {
                char *arg = strtok_r(NULL, " \t", &save);
                if (!arg || parse_int(arg, &id) < 0) {
                        sm_log(SM_LOG_WARN, "control", "'%s': needs ID", word);
                        return;
                }
                err = word[0] == 'd' ? rd_kafka_mock_broker_set_down(
                                               mcluster, (int32_t)id)
                                     : rd_kafka_mock_broker_set_up(mcluster,
                                                                   (int32_t)id);
                sm_log(err ? SM_LOG_WARN : SM_LOG_NOTICE, "control",
                       "broker %ld %s: %s", id, word, rd_kafka_err2str(err));
                return;
        }
        if (strcmp(word, "errors") == 0) {
                char *arg = strtok_r(NULL, " \t", &save);
                if (!arg || parse_int(arg, &apikey) < 0) {
                        sm_log(SM_LOG_WARN, "control",
                               "'errors': needs APIKEY ERR...");
                        return;
                }
                while ((arg = strtok_r(NULL, " \t", &save)) &&
                       n < sizeof(errs) / sizeof(errs[0])) {
                        if (parse_int(arg, &code) < 0) {
                                sm_log(SM_LOG_WARN, "control",
                                       "'errors': '%s' is not an error code",
                                       arg);
                                return;
                        }
                        errs[n++] = (rd_kafka_resp_err_t)code;
                }
                rd_kafka_mock_push_request_errors_array(
                        mcluster, (int16_t)apikey, n, errs);
                sm_log(SM_LOG_NOTICE, "control",
                       "the next %zu requests of ApiKey %ld will fail", n,
                       apikey);
                return;
        }
        sm_log(SM_LOG_WARN, "control", "unknown command '%s'", word);
}

int sm_broker_control_open(const char *path, char *errstr, size_t errstr_size) {
        int fd;
        (void)unlink(path);
        if (mkfifo(path, 0600) < 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return -errno;
        }
        /* Read-write so that the FIFO never reports end of file when a
         * writer closes it. */
        if ((fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return -errno;
        }
        return fd;
}

void sm_broker_control_serve(
        sm_broker_t *broker, int fd, char *buf, size_t size, size_t *used) {
        ssize_t n;
        char *nl;

        if (fd < 0)
                return;
        while ((n = read(fd, buf + *used, size - 1 - *used)) > 0) {
                *used += (size_t)n;
                buf[*used] = '\0';
                while ((nl = strchr(buf, '\n'))) {
                        *nl = '\0';
                        run_command(sm_broker_mock_cluster(broker), buf);
                        memmove(buf, nl + 1, *used - (size_t)(nl + 1 - buf));
                        *used -= (size_t)(nl + 1 - buf);
                        buf[*used] = '\0';
                }
                if (*used == size - 1)
                        *used = 0; /* a line too long: dropped */
        }
}
