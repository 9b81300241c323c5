/*
 * store.c - the Redis keys and the Lua scripts behind them.
 */
#include "store.h"

#include "err.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>

/* Members of KEY_EVALQ are scheduled with ZADD LT: the earliest requested look wins, so
 * an event never postpones a wake-up that was already due sooner. */
static const char LUA_SCHEDULE_IF_TRACKED[] =
    "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then "
    "  return redis.call('ZADD', KEYS[2], 'LT', ARGV[2], ARGV[3]) end "
    "return 0";

static const char LUA_SCHEDULE_BY_SHA[] =
    "local n = 0 "
    "for _, pr in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "  if redis.call('SISMEMBER', KEYS[2], pr) == 1 then "
    "    redis.call('ZADD', KEYS[3], 'LT', ARGV[1], ARGV[2] .. pr) n = n + 1 end "
    "end return n";

static const char LUA_SCHEDULE_REPO[] =
    "local n = 0 "
    "for _, pr in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "  redis.call('ZADD', KEYS[2], 'LT', ARGV[1], ARGV[2] .. pr) n = n + 1 end "
    "return n";

int store_job_format(char *out, size_t cap, int64_t installation, const char *repo, int64_t number)
{
    int n = snprintf(out, cap, "%lld|%s|%lld", (long long)installation, repo, (long long)number);
    return (n < 0 || (size_t)n >= cap) ? FB_ERR_TOO_LARGE : 0;
}

int store_job_parse(const char *job, int64_t *installation, char *repo_out, size_t cap,
                    int64_t *number)
{
    const char *a = strchr(job, '|');
    const char *b = a ? strrchr(job, '|') : NULL;
    if (a == NULL || b == NULL || a == b)
        return FB_ERR_INVALID;
    size_t rlen = (size_t)(b - a - 1);
    if (rlen == 0 || rlen >= cap || memchr(a + 1, '/', rlen) == NULL)
        return FB_ERR_INVALID;
    if (parse_i64(job, (size_t)(a - job), 1, INT64_MAX, installation) != 0 ||
        parse_i64_cstr(b + 1, 1, INT64_MAX, number) != 0)
        return FB_ERR_INVALID;
    memcpy(repo_out, a + 1, rlen);
    repo_out[rlen] = '\0';
    return 0;
}

int store_key_pr(char *out, size_t cap, const char *repo, int64_t number)
{
    int n = snprintf(out, cap, "fb:pr:%s#%lld", repo, (long long)number);
    return (n < 0 || (size_t)n >= cap) ? FB_ERR_TOO_LARGE : 0;
}

int store_key_merge(char *out, size_t cap, const char *repo, int64_t number)
{
    int n = snprintf(out, cap, "fb:merge:%s#%lld", repo, (long long)number);
    return (n < 0 || (size_t)n >= cap) ? FB_ERR_TOO_LARGE : 0;
}

static void job_prefix(char *out, size_t cap, int64_t installation, const char *repo)
{
    snprintf(out, cap, "%lld|%s|", (long long)installation, repo);
}

void store_pr_seen(struct redis_batch *b, int64_t installation, const char *repo, int64_t number,
                   const char *head_sha, bool tracked, int64_t due_ms)
{
    char job[STORE_JOB_MAX], prkey[STORE_JOB_MAX];
    if (store_job_format(job, sizeof(job), installation, repo, number) ||
        store_key_pr(prkey, sizeof(prkey), repo, number))
        return;
    if (!tracked) {
        redis_batch_cmd(b, "SREM fb:tracked:%s %lld", repo, (long long)number);
        return;
    }
    redis_batch_cmd(b, "SADD fb:tracked:%s %lld", repo, (long long)number);
    if (head_sha && head_sha[0]) {
        redis_batch_cmd(b, "SADD fb:sha:%s:%s %lld", repo, head_sha, (long long)number);
        redis_batch_cmd(b, "EXPIRE fb:sha:%s:%s %d", repo, head_sha, STORE_SHA_TTL_S);
        redis_batch_cmd(b, "HSET %s installation %lld head_sha %s", prkey, (long long)installation,
                        head_sha);
    }
    redis_batch_cmd(b, "ZADD " KEY_EVALQ " LT %lld %s", (long long)due_ms, job);
}

void store_schedule_if_tracked(struct redis_batch *b, int64_t installation, const char *repo,
                               int64_t number, int64_t due_ms)
{
    char job[STORE_JOB_MAX];
    if (store_job_format(job, sizeof(job), installation, repo, number))
        return;
    redis_batch_cmd(b, "EVAL %s 2 fb:tracked:%s " KEY_EVALQ " %lld %lld %s",
                    LUA_SCHEDULE_IF_TRACKED, repo, (long long)number, (long long)due_ms, job);
}

void store_schedule_by_sha(struct redis_batch *b, int64_t installation, const char *repo,
                           const char *sha, int64_t due_ms)
{
    char prefix[STORE_JOB_MAX];
    job_prefix(prefix, sizeof(prefix), installation, repo);
    redis_batch_cmd(b, "EVAL %s 3 fb:sha:%s:%s fb:tracked:%s " KEY_EVALQ " %lld %s",
                    LUA_SCHEDULE_BY_SHA, repo, sha, repo, (long long)due_ms, prefix);
}

void store_schedule_repo(struct redis_batch *b, int64_t installation, const char *repo,
                         int64_t due_ms)
{
    char prefix[STORE_JOB_MAX];
    job_prefix(prefix, sizeof(prefix), installation, repo);
    redis_batch_cmd(b, "EVAL %s 2 fb:tracked:%s " KEY_EVALQ " %lld %s", LUA_SCHEDULE_REPO, repo,
                    (long long)due_ms, prefix);
}

void store_installation_upsert(struct redis_batch *b, int64_t installation, const char *account,
                               const char *target_type, bool suspended)
{
    redis_batch_cmd(b, "SADD " KEY_INSTALLATIONS " %lld", (long long)installation);
    redis_batch_cmd(b, "HSET fb:installation:%lld account %s target_type %s suspended %d",
                    (long long)installation, account ? account : "", target_type ? target_type : "",
                    suspended ? 1 : 0);
}

void store_installation_delete(struct redis_batch *b, int64_t installation)
{
    redis_batch_cmd(b, "SREM " KEY_INSTALLATIONS " %lld", (long long)installation);
    redis_batch_cmd(b, "DEL fb:installation:%lld fb:installation:%lld:repos",
                    (long long)installation, (long long)installation);
}

void store_installation_repo(struct redis_batch *b, int64_t installation, const char *repo,
                             bool added)
{
    if (added) {
        redis_batch_cmd(b, "SADD fb:installation:%lld:repos %s", (long long)installation, repo);
        redis_batch_cmd(b, "HSET fb:repo:%s installation %lld", repo, (long long)installation);
    } else {
        redis_batch_cmd(b, "SREM fb:installation:%lld:repos %s", (long long)installation, repo);
        redis_batch_cmd(b, "DEL fb:repo:%s fb:tracked:%s", repo, repo);
    }
}
