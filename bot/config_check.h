/*
 * config_check.h - reports the policy files a push changed as a `fleetbot` check run on
 * the pushed commit ("cfg|<installation>|<owner/repo>|<sha>" jobs, queued by
 * handlers/push.c with the changed paths in STORE_CFGCHECK_PREFIX "<repo>@<sha>").
 */
#ifndef FLEETBOT_CONFIG_CHECK_H
#define FLEETBOT_CONFIG_CHECK_H

#include <stddef.h>

struct config_errors;
struct evalq_job;
struct zones;

/* evalq_run_fn; priv is the struct app. */
void config_check_on_job(struct evalq_job *job, void *priv);

/* Validates one policy file (kind from its path and keys, as check-config does),
 * appending to errs. zones may be NULL (zones then unchecked). */
void config_validate(const char *path, const char *text, size_t len, struct zones *zones,
                     struct config_errors *errs);

#endif
