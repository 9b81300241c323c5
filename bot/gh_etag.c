/*
 * gh_etag.c - a chained hash table threaded on an LRU list. Every entry counts its key,
 * etag, body and link bytes against max_bytes; puts evict from the cold end.
 */
#include "gh_etag.h"

#include "alloc.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ETAG_BUCKETS 4096

struct etag_node {
    char *key, *etag, *body, *next_url;
    size_t body_len;
    size_t bytes;
    struct etag_node *chain;
    struct etag_node *lru_prev, *lru_next; /* head = most recent */
};

struct gh_etag_cache {
    struct etag_node *buckets[ETAG_BUCKETS];
    struct etag_node *lru_head, *lru_tail;
    size_t count, bytes, max_entries, max_bytes;
};

static size_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)(h % ETAG_BUCKETS);
}

struct gh_etag_cache *gh_etag_cache_new(size_t max_entries, size_t max_bytes)
{
    struct gh_etag_cache *ec = xcalloc(1, sizeof(*ec));
    ec->max_entries = max_entries ? max_entries : 1;
    ec->max_bytes = max_bytes ? max_bytes : 1;
    return ec;
}

static void lru_unlink(struct gh_etag_cache *ec, struct etag_node *n)
{
    if (n->lru_prev)
        n->lru_prev->lru_next = n->lru_next;
    else
        ec->lru_head = n->lru_next;
    if (n->lru_next)
        n->lru_next->lru_prev = n->lru_prev;
    else
        ec->lru_tail = n->lru_prev;
    n->lru_prev = n->lru_next = NULL;
}

static void lru_push_front(struct gh_etag_cache *ec, struct etag_node *n)
{
    n->lru_prev = NULL;
    n->lru_next = ec->lru_head;
    if (ec->lru_head)
        ec->lru_head->lru_prev = n;
    else
        ec->lru_tail = n;
    ec->lru_head = n;
}

static struct etag_node **find_slot(struct gh_etag_cache *ec, const char *key)
{
    struct etag_node **pp = &ec->buckets[hash_key(key)];
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->chain;
    return pp;
}

static void node_remove(struct gh_etag_cache *ec, struct etag_node **slot)
{
    struct etag_node *n = *slot;
    *slot = n->chain;
    lru_unlink(ec, n);
    ec->count--;
    ec->bytes -= n->bytes;
    free(n->key);
    free(n->etag);
    free(n->body);
    free(n->next_url);
    free(n);
}

void gh_etag_cache_free(struct gh_etag_cache *ec)
{
    if (ec == NULL)
        return;
    while (ec->lru_tail)
        node_remove(ec, find_slot(ec, ec->lru_tail->key));
    free(ec);
}

void gh_etag_put(struct gh_etag_cache *ec, const char *key, const char *etag, const char *body,
                 size_t body_len, const char *next_url)
{
    struct etag_node **slot = find_slot(ec, key);
    if (*slot)
        node_remove(ec, slot);
    size_t bytes = strlen(key) + strlen(etag) + body_len + (next_url ? strlen(next_url) : 0) +
                   sizeof(struct etag_node);
    if (bytes > ec->max_bytes / 16)
        return;
    while (ec->lru_tail && (ec->count + 1 > ec->max_entries || ec->bytes + bytes > ec->max_bytes))
        node_remove(ec, find_slot(ec, ec->lru_tail->key));
    struct etag_node *n = xcalloc(1, sizeof(*n));
    n->key = xstrdup(key);
    n->etag = xstrdup(etag);
    n->body = xmemdup(body, body_len);
    n->body_len = body_len;
    n->next_url = next_url ? xstrdup(next_url) : NULL;
    n->bytes = bytes;
    slot = find_slot(ec, key);
    n->chain = NULL;
    *slot = n;
    lru_push_front(ec, n);
    ec->count++;
    ec->bytes += bytes;
}

int gh_etag_get(struct gh_etag_cache *ec, const char *key, struct gh_etag_entry *out)
{
    struct etag_node *n = *find_slot(ec, key);
    if (n == NULL)
        return FB_ERR_NOT_FOUND;
    lru_unlink(ec, n);
    lru_push_front(ec, n);
    out->etag = n->etag;
    out->body = n->body;
    out->body_len = n->body_len;
    out->next_url = n->next_url;
    return 0;
}

size_t gh_etag_count(const struct gh_etag_cache *ec)
{
    return ec->count;
}

size_t gh_etag_bytes(const struct gh_etag_cache *ec)
{
    return ec->bytes;
}
