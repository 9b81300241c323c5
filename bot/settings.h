/*
 * settings.h - server settings from FLEETBOT_* environment variables (or a KEY=VALUE
 * file given with --env-file, which sets the same keys). Policy does not live here:
 * org and repo policy come from Git (the config repo and each repo's .github/fleetbot.yml).
 *
 * Secrets (webhook secrets) are read into this struct once and wiped by settings_free().
 */
#ifndef FLEETBOT_SETTINGS_H
#define FLEETBOT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fb_error;

#define SETTINGS_MAX_SECRETS 2

struct fb_settings {
    char *listen_host; /* FLEETBOT_LISTEN host part, default 127.0.0.1 */
    int listen_port;   /* FLEETBOT_LISTEN port part, default 8080 */
    char *redis_host;  /* from FLEETBOT_REDIS_URL, default redis://127.0.0.1:6379/0 */
    int redis_port;
    int redis_db;
    char *redis_password;                        /* optional, from the URL's userinfo */
    char *api_url;                               /* FLEETBOT_GITHUB_API_URL, no trailing slash */
    int64_t app_id;                              /* FLEETBOT_APP_ID */
    char *private_key_file;                      /* FLEETBOT_PRIVATE_KEY_FILE */
    char *webhook_secrets[SETTINGS_MAX_SECRETS]; /* FLEETBOT_WEBHOOK_SECRET[_FILE], comma = rotation
                                                  */
    size_t webhook_secret_lens[SETTINGS_MAX_SECRETS];
    int webhook_secret_count;
    char *config_repo;     /* FLEETBOT_CONFIG_REPO, may be NULL (= <org>/.github) */
    char *now;             /* FLEETBOT_NOW, may be NULL */
    char *clock_key;       /* FLEETBOT_CLOCK_KEY (tests only, with FLEETBOT_NOW), may be NULL */
    char *alert_webhook;   /* FLEETBOT_ALERT_WEBHOOK_URL (a secret), may be NULL */
    char *consumer;        /* FLEETBOT_CONSUMER: this process's consumer name, default host-pid */
    char *roles;           /* FLEETBOT_ROLES: comma list of receiver,worker (default both) */
    char *automerge_label; /* FLEETBOT_AUTOMERGE_LABEL, default fleetbot/automerge */
    char *hold_label;      /* FLEETBOT_HOLD_LABEL, default fleetbot/hold */
    char *merge_method;    /* FLEETBOT_MERGE_METHOD: merge|squash|rebase, default merge */
    char *app_slug;        /* FLEETBOT_APP_SLUG: optional; otherwise learned from GET /app */
    int64_t
        reclaim_ms; /* FLEETBOT_RECLAIM_MS: idle time before a dead consumer's entry is reclaimed */
    int64_t debounce_ms;        /* FLEETBOT_DEBOUNCE_MS: delay before evaluating after an event */
    int64_t max_attempts;       /* FLEETBOT_MAX_ATTEMPTS: deliveries before dead-letter */
    int64_t lease_ms;           /* FLEETBOT_LEASE_MS: how long one replica owns a PR evaluation */
    int64_t redeliver_ms;       /* FLEETBOT_REDELIVER_MS: recovery job interval, 0 = off */
    int64_t worker_concurrency; /* FLEETBOT_WORKER_CONCURRENCY */
    char *log_level;            /* FLEETBOT_LOG_LEVEL */
};

/* Reads the environment into s (caller-owned, zeroed). Returns 0 or FB_ERR_INVALID with
 * a message naming the variable. */
int settings_load(struct fb_settings *s, struct fb_error *err);

/* Sets environment variables from a KEY=VALUE file (# comments), without overriding
 * variables already set. */
int settings_load_env_file(const char *path, struct fb_error *err);

/* True when the App credentials are configured (id, key, secret). */
bool settings_has_app_credentials(const struct fb_settings *s);

bool settings_has_role(const struct fb_settings *s, const char *role);

/* The config repo holding repo's org policy (FLEETBOT_CONFIG_REPO, else "<owner>/.github")
 * into out (cap bytes, cut if it must be). */
void settings_config_repo(const struct fb_settings *s, const char *repo, char *out, size_t cap);

/* Wipes secrets and frees everything; s may be reused after. */
void settings_free(struct fb_settings *s);

#endif
