/*
 * protection_cache.h - what a base branch requires (classic protection and rulesets, the
 * JSON GitHub answered) kept per process for PROTECTION_CACHE_MS, so evaluations of the
 * many PRs of one repo do not read the same two documents again and again. A
 * `branch_protection_rule` or `repository_ruleset` event bumps the repo's generation in
 * Redis (fb:protection:gen:*), which drops every replica's copy at once. A stale copy is
 * never unsafe: GitHub still refuses a merge its rules forbid.
 */
#ifndef FLEETBOT_PROTECTION_CACHE_H
#define FLEETBOT_PROTECTION_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define PROTECTION_CACHE_MS      60000
#define PROTECTION_CACHE_ENTRIES 4096

struct protection_cache;

struct protection_cache *protection_cache_new(void);
void protection_cache_free(struct protection_cache *pc);

/* True when a fresh copy for repo/branch at generation gen exists: *branch and *rules
 * get new references (NULL: GitHub answered 404, nothing required from that source). */
bool protection_cache_get(struct protection_cache *pc, const char *repo, const char *branch,
                          int64_t gen, int64_t now_ms, json_t **branch_json, json_t **rules_json);
/* Keeps references to both (either may be NULL). */
void protection_cache_put(struct protection_cache *pc, const char *repo, const char *branch,
                          int64_t gen, int64_t now_ms, json_t *branch_json, json_t *rules_json);

#endif
