/*
 * settings.c - parses FLEETBOT_* variables into struct fb_settings.
 * Secret files are read here and nowhere else; their bytes never reach a log.
 */
#include "settings.h"

#include "alloc.h"
#include "buf.h"
#include "err.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? v : dflt;
}

static int parse_host_port(const char *s, char **host, int *port)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL)
        return FB_ERR_INVALID;
    int64_t p;
    if (parse_i64_cstr(colon + 1, 0, 65535, &p) != 0)
        return FB_ERR_INVALID;
    const char *h = s;
    size_t hlen = (size_t)(colon - s);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') { /* [::1]:8080 */
        h++;
        hlen -= 2;
    }
    *host = hlen ? xstrndup(h, hlen) : xstrdup("0.0.0.0");
    *port = (int)p;
    return 0;
}

static int parse_redis_url(struct fb_settings *s, const char *url, struct fb_error *err)
{
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0)
        return fb_error_set(err, FB_ERR_INVALID, "FLEETBOT_REDIS_URL must start with redis://");
    p += 8;
    const char *at = strchr(p, '@');
    if (at != NULL) { /* redis://[user]:password@host */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        s->redis_password = xstrndup(pw, (size_t)(at - pw));
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    char *hostport = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
    int rc = 0;
    if (strchr(hostport, ':') == NULL) {
        s->redis_host = xstrdup(hostport[0] ? hostport : "127.0.0.1");
        s->redis_port = 6379;
    } else if (parse_host_port(hostport, &s->redis_host, &s->redis_port) != 0) {
        rc = fb_error_set(err, FB_ERR_INVALID, "FLEETBOT_REDIS_URL has a bad host:port");
    }
    free(hostport);
    if (rc == 0 && slash != NULL && slash[1] != '\0') {
        int64_t db;
        if (parse_i64_cstr(slash + 1, 0, 1000, &db) != 0)
            return fb_error_set(err, FB_ERR_INVALID, "FLEETBOT_REDIS_URL has a bad db number");
        s->redis_db = (int)db;
    }
    return rc;
}

static int read_secret_file(const char *path, struct buf *out, struct fb_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "cannot read FLEETBOT_WEBHOOK_SECRET_FILE %s: %s",
                            path, strerror(errno));
    char chunk[512];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n) != 0) {
            rc = fb_error_set(err, FB_ERR_INVALID, "webhook secret file %s is too large", path);
            break;
        }
    }
    secure_wipe(chunk, sizeof(chunk));
    fclose(f);
    while (out->len > 0 && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == '\r'))
        out->data[--out->len] = '\0';
    return rc;
}

/* Splits "a,b" into up to two secrets (rotation: old and new both accepted). */
static int set_secrets(struct fb_settings *s, const char *text, struct fb_error *err)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 0) {
            if (s->webhook_secret_count == SETTINGS_MAX_SECRETS)
                return fb_error_set(err, FB_ERR_INVALID,
                                    "at most %d webhook secrets (old,new) may be configured",
                                    SETTINGS_MAX_SECRETS);
            s->webhook_secrets[s->webhook_secret_count] = xstrndup(p, n);
            s->webhook_secret_lens[s->webhook_secret_count] = n;
            s->webhook_secret_count++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static int env_int(const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out,
                   struct fb_error *err)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        *out = dflt;
        return 0;
    }
    if (parse_i64_cstr(v, min, max, out) != 0)
        return fb_error_set(err, FB_ERR_INVALID, "%s must be an integer in [%lld, %lld]", name,
                            (long long)min, (long long)max);
    return 0;
}

int settings_load(struct fb_settings *s, struct fb_error *err)
{
    int rc;
    if (parse_host_port(env_or("FLEETBOT_LISTEN", "127.0.0.1:8080"), &s->listen_host,
                        &s->listen_port) != 0)
        return fb_error_set(err, FB_ERR_INVALID, "FLEETBOT_LISTEN must be host:port");
    if ((rc = parse_redis_url(s, env_or("FLEETBOT_REDIS_URL", "redis://127.0.0.1:6379/0"), err)))
        return rc;
    s->api_url = xstrdup(env_or("FLEETBOT_GITHUB_API_URL", "https://api.github.com"));
    size_t al = strlen(s->api_url);
    while (al > 0 && s->api_url[al - 1] == '/')
        s->api_url[--al] = '\0';
    if (strncmp(s->api_url, "http://", 7) != 0 && strncmp(s->api_url, "https://", 8) != 0)
        return fb_error_set(err, FB_ERR_INVALID, "FLEETBOT_GITHUB_API_URL must be an http(s) URL");
    if ((rc = env_int("FLEETBOT_APP_ID", 0, 0, INT64_MAX, &s->app_id, err)))
        return rc;
    const char *key = getenv("FLEETBOT_PRIVATE_KEY_FILE");
    s->private_key_file = (key && key[0]) ? xstrdup(key) : NULL;

    const char *secret = getenv("FLEETBOT_WEBHOOK_SECRET");
    const char *secret_file = getenv("FLEETBOT_WEBHOOK_SECRET_FILE");
    if (secret && secret[0]) {
        if ((rc = set_secrets(s, secret, err)))
            return rc;
    } else if (secret_file && secret_file[0]) {
        struct buf b = BUF_INIT(4096);
        rc = read_secret_file(secret_file, &b, err);
        if (rc == 0)
            rc = set_secrets(s, buf_cstr(&b), err);
        secure_wipe(b.data, b.cap);
        buf_free(&b);
        if (rc)
            return rc;
    }
    const char *cr = getenv("FLEETBOT_CONFIG_REPO");
    s->config_repo = (cr && cr[0]) ? xstrdup(cr) : NULL;
    const char *now = getenv("FLEETBOT_NOW");
    s->now = (now && now[0]) ? xstrdup(now) : NULL;
    const char *hook = getenv("FLEETBOT_ALERT_WEBHOOK_URL");
    s->alert_webhook = (hook && hook[0]) ? xstrdup(hook) : NULL;
    if (s->alert_webhook && strncmp(s->alert_webhook, "https://", 8) != 0 &&
        strncmp(s->alert_webhook, "http://127.0.0.1", 16) != 0)
        return fb_error_set(err, FB_ERR_INVALID,
                            "FLEETBOT_ALERT_WEBHOOK_URL must be an https:// URL");
    const char *ck = getenv("FLEETBOT_CLOCK_KEY");
    s->clock_key = (ck && ck[0]) ? xstrdup(ck) : NULL;
    if (s->clock_key && s->now == NULL)
        return fb_error_set(err, FB_ERR_INVALID,
                            "FLEETBOT_CLOCK_KEY is for tests and needs FLEETBOT_NOW as well");
    char host[128] = "fleetbot";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    char dflt_consumer[200];
    snprintf(dflt_consumer, sizeof(dflt_consumer), "%s-%ld", host, (long)getpid());
    s->consumer = xstrdup(env_or("FLEETBOT_CONSUMER", dflt_consumer));
    s->roles = xstrdup(env_or("FLEETBOT_ROLES", "receiver,worker"));
    for (const char *p = s->roles; *p;) {
        size_t n = strcspn(p, ",");
        if (!((n == 8 && strncmp(p, "receiver", n) == 0) ||
              (n == 6 && strncmp(p, "worker", n) == 0)))
            return fb_error_set(err, FB_ERR_INVALID,
                                "FLEETBOT_ROLES must list receiver and/or worker, comma-separated");
        p += n + (p[n] == ',');
    }
    s->automerge_label = xstrdup(env_or("FLEETBOT_AUTOMERGE_LABEL", "fleetbot/automerge"));
    s->hold_label = xstrdup(env_or("FLEETBOT_HOLD_LABEL", "fleetbot/hold"));
    s->merge_method = xstrdup(env_or("FLEETBOT_MERGE_METHOD", "merge"));
    if (strcmp(s->merge_method, "merge") && strcmp(s->merge_method, "squash") &&
        strcmp(s->merge_method, "rebase"))
        return fb_error_set(err, FB_ERR_INVALID,
                            "FLEETBOT_MERGE_METHOD must be merge, squash or rebase");
    const char *slug = getenv("FLEETBOT_APP_SLUG");
    s->app_slug = (slug && slug[0]) ? xstrdup(slug) : NULL;
    if ((rc = env_int("FLEETBOT_RECLAIM_MS", 60000, 100, 86400000, &s->reclaim_ms, err)) ||
        (rc = env_int("FLEETBOT_DEBOUNCE_MS", 1000, 0, 600000, &s->debounce_ms, err)) ||
        (rc = env_int("FLEETBOT_MAX_ATTEMPTS", 8, 1, 1000, &s->max_attempts, err)) ||
        (rc = env_int("FLEETBOT_LEASE_MS", 120000, 1000, 3600000, &s->lease_ms, err)) ||
        (rc = env_int("FLEETBOT_REDELIVER_MS", 300000, 0, 86400000, &s->redeliver_ms, err)) ||
        (rc = env_int("FLEETBOT_WORKER_CONCURRENCY", 32, 1, 4096, &s->worker_concurrency, err)))
        return rc;
    s->log_level = xstrdup(env_or("FLEETBOT_LOG_LEVEL", "info"));
    return 0;
}

int settings_load_env_file(const char *path, struct fb_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "cannot open env file %s: %s", path,
                            strerror(errno));
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL || eq == p) {
            rc = fb_error_set(err, FB_ERR_INVALID, "%s:%d: expected KEY=VALUE", path, lineno);
            break;
        }
        *eq = '\0';
        if (strncmp(p, "FLEETBOT_", 9) != 0) {
            rc = fb_error_set(err, FB_ERR_INVALID,
                              "%s:%d: unknown key %s (keys start with FLEETBOT_)", path, lineno, p);
            break;
        }
        setenv(p, eq + 1, 0);
    }
    secure_wipe(line, sizeof(line));
    fclose(f);
    return rc;
}

bool settings_has_app_credentials(const struct fb_settings *s)
{
    return s->app_id > 0 && s->private_key_file != NULL && s->webhook_secret_count > 0;
}

void settings_config_repo(const struct fb_settings *s, const char *repo, char *out, size_t cap)
{
    if (s->config_repo)
        snprintf(out, cap, "%s", s->config_repo);
    else
        snprintf(out, cap, "%.*s/.github", (int)strcspn(repo, "/"), repo);
}

bool settings_has_role(const struct fb_settings *s, const char *role)
{
    size_t rl = strlen(role);
    const char *p = s->roles;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == rl && strncmp(p, role, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

void settings_free(struct fb_settings *s)
{
    for (int i = 0; i < s->webhook_secret_count; i++) {
        secure_wipe(s->webhook_secrets[i], s->webhook_secret_lens[i]);
        free(s->webhook_secrets[i]);
    }
    if (s->redis_password)
        secure_wipe(s->redis_password, strlen(s->redis_password));
    free(s->listen_host);
    free(s->redis_host);
    free(s->redis_password);
    free(s->api_url);
    free(s->private_key_file);
    free(s->config_repo);
    free(s->now);
    free(s->clock_key);
    if (s->alert_webhook)
        secure_wipe(s->alert_webhook, strlen(s->alert_webhook));
    free(s->alert_webhook);
    free(s->consumer);
    free(s->roles);
    free(s->automerge_label);
    free(s->hold_label);
    free(s->merge_method);
    free(s->app_slug);
    free(s->log_level);
    memset(s, 0, sizeof(*s));
}
