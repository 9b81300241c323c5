/*
 * store.c - the Redis keys and the Lua scripts behind them.
 */
#include "store.h"

#include "err.h"
#include "parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* KEYS: tracked-repos set, evalq. ARGV: due, job prefix "<inst>|". */
static const char LUA_SCHEDULE_INSTALLATION[] =
    "local n = 0 "
    "for _, repo in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "  for _, pr in ipairs(redis.call('SMEMBERS', 'fb:tracked:' .. repo)) do "
    "    redis.call('ZADD', KEYS[2], 'LT', ARGV[1], ARGV[2] .. repo .. '|' .. pr) n = n + 1 end "
    "end return n";

/* KEYS: shift's job set, evalq. ARGV: due. */
static const char LUA_SCHEDULE_SHIFT[] =
    "local n = 0 "
    "for _, job in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "  redis.call('ZADD', KEYS[2], 'LT', ARGV[1], job) n = n + 1 end "
    "return n";

/* KEYS: the shift's open set, its critical jobs. ARGV: job, due. */
static const char LUA_SHIFT_PR_GONE[] =
    "redis.call('SREM', KEYS[2], ARGV[1]) "
    "if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then "
    "  for _, job in ipairs(redis.call('SMEMBERS', KEYS[2])) do "
    "    redis.call('ZADD', 'fb:evalq', 'LT', ARGV[2], job) end end return 1";

/* KEYS: merge record, merge stream, tracked set, the shift's open set and its critical
 * jobs. ARGV: repo, pr, head, merge sha, shift, merged_at, by, method, due, job, cohort,
 * team. */
static const char LUA_RECORD_MERGE[] =
    "if ARGV[5] ~= '' then redis.call('SREM', KEYS[5], ARGV[10]) "
    "  if redis.call('SREM', KEYS[4], ARGV[10]) == 1 then "
    "    for _, job in ipairs(redis.call('SMEMBERS', KEYS[5])) do "
    "      redis.call('ZADD', 'fb:evalq', 'LT', ARGV[9], job) end end end "
    "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
    "redis.call('ZADD', 'fb:fw:merges:' .. ARGV[1], ARGV[6], ARGV[2]) "
    "redis.call('HSET', KEYS[1], 'repo', ARGV[1], 'pr', ARGV[2], 'head_sha', ARGV[3], "
    "  'merge_sha', ARGV[4], 'shift', ARGV[5], 'merged_at', ARGV[6], 'by', ARGV[7], "
    "  'method', ARGV[8], 'cohort', ARGV[11], 'team', ARGV[12]) "
    "redis.call('XADD', KEYS[2], '*', 'repo', ARGV[1], 'pr', ARGV[2], 'head_sha', ARGV[3], "
    "  'merge_sha', ARGV[4], 'shift', ARGV[5], 'merged_at', ARGV[6], 'by', ARGV[7], "
    "  'cohort', ARGV[11], 'team', ARGV[12]) "
    "redis.call('SREM', KEYS[3], ARGV[2]) return 1";

int store_merge_argv(const struct store_merge *m, char *keybufs, const char **argv, size_t *lens)
{
    char *mkey = keybufs, *tracked = keybufs + STORE_JOB_MAX, *nums = keybufs + 2 * STORE_JOB_MAX;
    char *open = keybufs + 3 * STORE_JOB_MAX, *critical = keybufs + 4 * STORE_JOB_MAX;
    char *job = keybufs + 5 * STORE_JOB_MAX;
    if (store_job_format(job, STORE_JOB_MAX, m->installation, m->repo, m->number) != 0)
        return FB_ERR_TOO_LARGE;
    int nl = snprintf(open, STORE_JOB_MAX, STORE_SHIFT_OPEN_PREFIX "%s", m->shift ? m->shift : "");
    int nc = snprintf(critical, STORE_JOB_MAX, STORE_SHIFT_CRITICAL_PREFIX "%s",
                      m->shift ? m->shift : "");
    if (nl < 0 || nl >= STORE_JOB_MAX || nc < 0 || nc >= STORE_JOB_MAX)
        return FB_ERR_TOO_LARGE;
    if (store_key_merge(mkey, STORE_JOB_MAX, m->repo, m->number) != 0)
        return FB_ERR_TOO_LARGE;
    int n = snprintf(tracked, STORE_JOB_MAX, "fb:tracked:%s", m->repo);
    if (n < 0 || n >= STORE_JOB_MAX)
        return FB_ERR_TOO_LARGE;
    char *num = nums, *at = nums + 32, *due = nums + 64;
    snprintf(num, 32, "%lld", (long long)m->number);
    snprintf(at, 32, "%lld", (long long)m->merged_at);
    snprintf(due, 32, "%lld", (long long)m->due_ms);
    const char *v[STORE_MERGE_ARGC] = {
        "EVAL",   LUA_RECORD_MERGE, "5", mkey,        KEY_MERGES,   tracked,  open,
        critical, m->repo,          num, m->head_sha, m->merge_sha, m->shift, at,
        m->by,    m->method,        due, job,         m->cohort,    m->team};
    for (int i = 0; i < STORE_MERGE_ARGC; i++) {
        argv[i] = v[i] ? v[i] : "";
        lens[i] = strlen(argv[i]);
    }
    return 0;
}

void store_record_merge(struct redis_batch *b, const struct store_merge *m)
{
    char keybufs[STORE_MERGE_KEYBUFS];
    const char *argv[STORE_MERGE_ARGC];
    size_t lens[STORE_MERGE_ARGC];
    if (store_merge_argv(m, keybufs, argv, lens) == 0)
        redis_batch_argv(b, STORE_MERGE_ARGC, argv, lens);
}

bool store_shift_from_label(const char *label, char *out, size_t cap)
{
    size_t plen = strlen(STORE_SHIFT_LABEL_PREFIX);
    out[0] = '\0';
    if (label == NULL || strncasecmp(label, STORE_SHIFT_LABEL_PREFIX, plen) != 0 ||
        label[plen] == '\0')
        return false;
    snprintf(out, cap, "%s", label + plen);
    return true;
}

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
    redis_batch_cmd(b, "SADD " STORE_TRACKED_REPOS_PREFIX "%lld %s", (long long)installation, repo);
    if (head_sha && head_sha[0]) {
        redis_batch_cmd(b, "SADD fb:sha:%s:%s %lld", repo, head_sha, (long long)number);
        redis_batch_cmd(b, "EXPIRE fb:sha:%s:%s %d", repo, head_sha, STORE_SHA_TTL_S);
        redis_batch_cmd(b, "HSET %s installation %lld head_sha %s", prkey, (long long)installation,
                        head_sha);
    }
    redis_batch_cmd(b, "ZADD " KEY_EVALQ " LT %lld %s", (long long)due_ms, job);
}

void store_schedule_installation(struct redis_batch *b, int64_t installation, int64_t due_ms)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%lld|", (long long)installation);
    redis_batch_cmd(b, "EVAL %s 2 " STORE_TRACKED_REPOS_PREFIX "%lld " KEY_EVALQ " %lld %s",
                    LUA_SCHEDULE_INSTALLATION, (long long)installation, (long long)due_ms, prefix);
}

void store_schedule_shift(struct redis_batch *b, const char *shift, int64_t due_ms)
{
    redis_batch_cmd(b, "EVAL %s 2 " STORE_SHIFT_OPEN_PREFIX "%s " KEY_EVALQ " %lld",
                    LUA_SCHEDULE_SHIFT, shift, (long long)due_ms);
}

void store_shift_pr_open(struct redis_batch *b, const char *shift, int64_t installation,
                         const char *repo, int64_t number, bool open, int64_t due_ms)
{
    char job[STORE_JOB_MAX];
    if (shift == NULL || shift[0] == '\0' ||
        store_job_format(job, sizeof(job), installation, repo, number) != 0)
        return;
    if (open)
        redis_batch_cmd(b, "SADD " STORE_SHIFT_OPEN_PREFIX "%s %s", shift, job);
    else
        redis_batch_cmd(
            b, "EVAL %s 2 " STORE_SHIFT_OPEN_PREFIX "%s " STORE_SHIFT_CRITICAL_PREFIX "%s %s %lld",
            LUA_SHIFT_PR_GONE, shift, shift, job, (long long)due_ms);
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
