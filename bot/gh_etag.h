/*
 * gh_etag.h - the in-process cache behind conditional GETs: key -> (etag, body, next
 * page link), bounded by entry count and bytes, least recently used evicted first.
 * It is a cache, not state: losing it (restart, eviction) costs one full response.
 */
#ifndef FLEETBOT_GH_ETAG_H
#define FLEETBOT_GH_ETAG_H

#include <stddef.h>

struct gh_etag_cache;

struct gh_etag_entry {
    const char *etag;
    const char *body; /* NUL-terminated */
    size_t body_len;
    const char *next_url; /* rel="next" of that page, or NULL */
};

/* Caller owns the result. max_entries and max_bytes must be > 0. */
struct gh_etag_cache *gh_etag_cache_new(size_t max_entries, size_t max_bytes);
void gh_etag_cache_free(struct gh_etag_cache *ec);

/* Stores a copy (replacing an older entry for key). Bodies over max_bytes / 16 are not
 * cached, and any older entry for key is dropped. */
void gh_etag_put(struct gh_etag_cache *ec, const char *key, const char *etag, const char *body,
                 size_t body_len, const char *next_url);

/* Finds key and marks it recently used. Fills *out with views borrowed until the next
 * put or free. Returns 0 or FB_ERR_NOT_FOUND. */
int gh_etag_get(struct gh_etag_cache *ec, const char *key, struct gh_etag_entry *out);

size_t gh_etag_count(const struct gh_etag_cache *ec);
size_t gh_etag_bytes(const struct gh_etag_cache *ec);

#endif
