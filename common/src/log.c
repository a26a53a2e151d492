/*
 * log: line-oriented logging to stderr (see log.h).
 *
 * Each line is formatted into a local buffer and written with a single
 * write(2), so lines from several threads never interleave.
 */
#include "sm/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_service   = "storemon";  /* name in every line */
static volatile int log_level    = SM_LOG_INFO; /* lines above are skipped */
static const char *const names[] = {"ERR", "WARN", "NOTICE", "INFO", "DEBUG"};

void sm_log_init(const char *service, enum sm_log_level level) {
        if (service)
                log_service = service;
        log_level = level;
}

void sm_log_set_level(enum sm_log_level level) {
        log_level = level;
}

enum sm_log_level sm_log_get_level(void) {
        return (enum sm_log_level)log_level;
}

enum sm_log_level sm_log_level_from_syslog(int severity) {
        if (severity <= 3)
                return SM_LOG_ERR;
        if (severity == 4)
                return SM_LOG_WARN;
        if (severity == 5)
                return SM_LOG_NOTICE;
        if (severity == 6)
                return SM_LOG_INFO;
        return SM_LOG_DEBUG;
}

int sm_log_level_parse(const char *name, enum sm_log_level *ret_level) {
        for (int i = 0; i <= SM_LOG_DEBUG; i++) {
                if (strcasecmp(name, names[i]) == 0) {
                        *ret_level = (enum sm_log_level)i;
                        return 0;
                }
        }
        if (strcasecmp(name, "error") == 0) {
                *ret_level = SM_LOG_ERR;
                return 0;
        }
        if (strcasecmp(name, "warning") == 0) {
                *ret_level = SM_LOG_WARN;
                return 0;
        }
        return -EINVAL;
}

void sm_log_write(enum sm_log_level level,
                  const char *comp,
                  const char *fmt,
                  ...) {
        char line[2048];
        struct timeval tv;
        struct tm tm;
        size_t len;
        int n;
        va_list ap;

        gettimeofday(&tv, NULL);
        gmtime_r(&tv.tv_sec, &tm);
        len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        n   = snprintf(line + len, sizeof(line) - len,
                       ".%03ldZ %s %s %s: ", (long)(tv.tv_usec / 1000),
                       names[level <= SM_LOG_DEBUG ? level : SM_LOG_DEBUG],
                       log_service, comp ? comp : "-");
        if (n > 0)
                len += (size_t)n;
        va_start(ap, fmt);
        n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
        va_end(ap);
        if (n > 0)
                len += (size_t)n;
        if (len >= sizeof(line) - 1)
                len = sizeof(line) - 2;
        line[len++] = '\n';
        (void)!write(STDERR_FILENO, line, len);
}
