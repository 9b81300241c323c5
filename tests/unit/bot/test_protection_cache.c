/*
 * test_protection_cache.c - the per-process copy of what a base branch requires: a hit
 * within the minute at the same generation, a miss after it or at a new generation,
 * 404 answers kept as NULL, and keys that differ only in where repo ends.
 */
#include "test.h"

#include "bot/protection_cache.h"

TEST(hits_expire_and_generations_invalidate)
{
    struct protection_cache *pc = protection_cache_new();
    json_t *branch = json_pack("{s:b}", "protected", 1), *b = NULL, *r = NULL;
    protection_cache_put(pc, "acme/api", "main", 3, 1000, branch, NULL);
    CHECK(protection_cache_get(pc, "acme/api", "main", 3, 1000 + PROTECTION_CACHE_MS - 1, &b, &r));
    CHECK(b == branch && r == NULL);
    json_decref(b);
    CHECK(!protection_cache_get(pc, "acme/api", "main", 3, 1000 + PROTECTION_CACHE_MS, &b, &r));
    CHECK(!protection_cache_get(pc, "acme/api", "main", 4, 1001, &b, &r)); /* bumped */
    CHECK(!protection_cache_get(pc, "acme/api", "dev", 3, 1001, &b, &r));
    CHECK(!protection_cache_get(pc, "acme/ap", "imain", 3, 1001, &b, &r));
    CHECK(!protection_cache_get(pc, "acme/api", "main", 3, 999, &b, &r)); /* clock went back */
    protection_cache_put(pc, "acme/api", "main", 4, 2000, NULL, NULL);    /* replaced */
    CHECK(protection_cache_get(pc, "acme/api", "main", 4, 2001, &b, &r));
    CHECK(b == NULL && r == NULL);
    json_decref(branch);
    protection_cache_free(pc);
    protection_cache_free(NULL);
}

TEST(many_keys_fit_or_replace_without_leaking)
{
    struct protection_cache *pc = protection_cache_new();
    char repo[64];
    for (int i = 0; i < 3 * PROTECTION_CACHE_ENTRIES; i++) {
        snprintf(repo, sizeof(repo), "org/r%d", i);
        json_t *j = json_integer(i);
        protection_cache_put(pc, repo, "main", 0, 5000, j, NULL);
        json_decref(j);
    }
    json_t *b = NULL, *r = NULL;
    snprintf(repo, sizeof(repo), "org/r%d", 3 * PROTECTION_CACHE_ENTRIES - 1);
    CHECK(protection_cache_get(pc, repo, "main", 0, 5001, &b, &r));
    CHECK_INT_EQ(json_integer_value(b), 3 * PROTECTION_CACHE_ENTRIES - 1);
    json_decref(b);
    protection_cache_free(pc);
}
