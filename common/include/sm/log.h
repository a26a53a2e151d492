/*
 * log: one line per event on stderr: UTC timestamp, level, service,
 * component, message.  stdout is kept for data.
 *
 * The level check happens before any formatting, so a DEBUG line that is
 * off costs one comparison.  The functions are thread-safe (one write(2)
 * per line) and must not be called from a signal handler.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

enum sm_log_level {
        SM_LOG_ERR = 0,
        SM_LOG_WARN,
        SM_LOG_NOTICE,
        SM_LOG_INFO,
        SM_LOG_DEBUG,
};

/** @brief Names the service in every line (e.g. "reporter"); the string is
 *  borrowed and must outlive all logging. */
void sm_log_init(const char *service, enum sm_log_level level);
void sm_log_set_level(enum sm_log_level level);
enum sm_log_level sm_log_get_level(void);

/** @brief Parses "err", "warn", "notice", "info" or "debug".
 *  @returns 0 and sets *ret_level, or -EINVAL. */
int sm_log_level_parse(const char *name, enum sm_log_level *ret_level);

/** @brief The level of a syslog severity (0..7, as librdkafka's log_cb
 *  gives): 0-3 err, 4 warn, 5 notice, 6 info, 7 debug. */
enum sm_log_level sm_log_level_from_syslog(int severity);

void sm_log_write(enum sm_log_level level,
                  const char *comp,
                  const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

#define sm_log(level, comp, ...)                                               \
        do {                                                                   \
                if ((level) <= sm_log_get_level())                             \
                        sm_log_write((level), (comp), __VA_ARGS__);            \
        } while (0)

#endif
