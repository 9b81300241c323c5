/*
 * log.h - leveled logging to stderr, one line per message.
 *
 * Style: lowercase, the problem first, no trailing period, then key=value pairs
 * (delivery=, event=, repo=, pr= where known). The level is checked before any
 * formatting. Never pass tokens, JWTs, secrets or whole payloads to these macros.
 */
#ifndef FLEETBOT_LOG_H
#define FLEETBOT_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3, LOG_OFF = 4 };

extern int log_level_min;

void log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses "debug|info|warn|error|off"; returns 0 or FB_ERR_INVALID. */
int log_set_level_name(const char *name);

#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) >= log_level_min)                                                                \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

/* Logs at error level and exits with status 1; for start-up failures only. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
