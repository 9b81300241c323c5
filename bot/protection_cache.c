/*
 * protection_cache.c - a fixed table with linear probing on an FNV hash of
 * "repo\nbranch"; a full table overwrites the slot the key hashes to (the oldest copy
 * of that slot is as good a victim as any for a 60-second cache).
 */
#include "protection_cache.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;
    int64_t gen, stored_ms;
    json_t *branch, *rules;
};

struct protection_cache {
    struct entry e[PROTECTION_CACHE_ENTRIES];
};

static uint64_t hash_key(const char *repo, const char *branch)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = repo; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ '\n') * 1099511628211ULL;
    for (const char *p = branch; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

static bool key_is(const struct entry *e, const char *repo, const char *branch)
{
    size_t n = strlen(repo);
    return e->key && strncmp(e->key, repo, n) == 0 && e->key[n] == '\n' &&
           strcmp(e->key + n + 1, branch) == 0;
}

/* The entry for the key, or the slot to store it in. */
static struct entry *slot_of(struct protection_cache *pc, const char *repo, const char *branch)
{
    size_t start = (size_t)(hash_key(repo, branch) % PROTECTION_CACHE_ENTRIES);
    for (size_t i = 0; i < 8; i++) {
        struct entry *e = &pc->e[(start + i) % PROTECTION_CACHE_ENTRIES];
        if (e->key == NULL || key_is(e, repo, branch))
            return e;
    }
    return &pc->e[start];
}

static void entry_clear(struct entry *e)
{
    free(e->key);
    json_decref(e->branch);
    json_decref(e->rules);
    memset(e, 0, sizeof(*e));
}

struct protection_cache *protection_cache_new(void)
{
    return xcalloc(1, sizeof(struct protection_cache));
}

void protection_cache_free(struct protection_cache *pc)
{
    if (pc == NULL)
        return;
    for (size_t i = 0; i < PROTECTION_CACHE_ENTRIES; i++)
        entry_clear(&pc->e[i]);
    free(pc);
}

bool protection_cache_get(struct protection_cache *pc, const char *repo, const char *branch,
                          int64_t gen, int64_t now_ms, json_t **branch_json, json_t **rules_json)
{
    struct entry *e = slot_of(pc, repo, branch);
    if (!key_is(e, repo, branch) || e->gen != gen || now_ms - e->stored_ms >= PROTECTION_CACHE_MS ||
        now_ms < e->stored_ms)
        return false;
    *branch_json = json_incref(e->branch);
    *rules_json = json_incref(e->rules);
    return true;
}

void protection_cache_put(struct protection_cache *pc, const char *repo, const char *branch,
                          int64_t gen, int64_t now_ms, json_t *branch_json, json_t *rules_json)
{
    struct entry *e = slot_of(pc, repo, branch);
    entry_clear(e);
    size_t nr = strlen(repo), nb = strlen(branch);
    e->key = xmalloc(nr + nb + 2);
    memcpy(e->key, repo, nr);
    e->key[nr] = '\n';
    memcpy(e->key + nr + 1, branch, nb + 1);
    e->gen = gen;
    e->stored_ms = now_ms;
    e->branch = json_incref(branch_json);
    e->rules = json_incref(rules_json);
}
