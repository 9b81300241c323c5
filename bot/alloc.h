/*
 * alloc.h - allocation wrappers that abort on out-of-memory, so call sites stay readable.
 * There is no recovery from OOM in fleetbot: the process dies and another replica, or the
 * restarted process, reclaims its unacknowledged work from Redis.
 */
#ifndef FLEETBOT_ALLOC_H
#define FLEETBOT_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Overwrites n bytes in a way the compiler may not drop; for secrets. */
void secure_wipe(void *p, size_t n);

#endif
