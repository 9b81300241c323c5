/*
 * buf.h - the one growable byte buffer, with a mandatory size cap.
 *
 * Invariants (as git's strbuf): data is NULL until the first append; after that
 * data[len] == '\0' always, so buf_cstr() is safe to pass to C APIs; len never exceeds
 * limit. An append that would pass the limit fails with FB_ERR_TOO_LARGE and leaves the
 * buffer unchanged. The buffer owns data; buf_free() releases it, buf_detach() hands it over.
 */
#ifndef FLEETBOT_BUF_H
#define FLEETBOT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* largest len allowed */
};

#define BUF_INIT(lim)                                                                              \
    {                                                                                              \
        NULL, 0, 0, (lim)                                                                          \
    }

void buf_init(struct buf *b, size_t limit);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appends(struct buf *b, const char *s);
int buf_appendc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s with JSON string escaping, without the surrounding quotes. */
int buf_append_json_escaped(struct buf *b, const char *s);
/* Always a valid C string: "" for an empty buffer. Borrowed until the next change. */
const char *buf_cstr(const struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Releases the memory; the buffer is reusable after buf_init. */
void buf_free(struct buf *b);
/* Hands ownership of the (NUL-terminated) data to the caller; the buffer becomes empty. */
char *buf_detach(struct buf *b, size_t *len_out);

#endif
