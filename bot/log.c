/*
 * log.c - writes log lines to stderr with a UTC timestamp and level.
 * Lines are formatted into one buffer and written with a single write(2), so lines
 * from several processes sharing a terminal or file do not interleave.
 */
#include "log.h"

#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int log_level_min = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

__attribute__((format(printf, 2, 0))) static void log_vwrite(int level, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    time_t secs = tv.tv_sec;
    gmtime_r(&secs, &tm);
    size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof(line) - n, ".%03dZ %s ", (int)(tv.tv_usec / 1000),
                     level_names[level < 0 ? 0 : (level > 3 ? 3 : level)]);
    if (k > 0)
        n += (size_t)k;
    k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    if (k < 0)
        k = 0;
    n += (size_t)k;
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2; /* truncated: keep the line, mark nothing */
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

void log_write(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(LOG_ERROR, fmt, ap);
    va_end(ap);
    exit(1);
}

int log_set_level_name(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++) {
        if (strcmp(name, names[i]) == 0) {
            log_level_min = i;
            return 0;
        }
    }
    return FB_ERR_INVALID;
}
