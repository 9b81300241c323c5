/* Unit tests for bot/store.c: evaluation job ids and key names. */
#include "test.h"

#include "bot/err.h"
#include "bot/store.h"

TEST(job_round_trip)
{
    char job[STORE_JOB_MAX], repo[256];
    CHECK_INT_EQ(store_job_format(job, sizeof(job), 42, "acme/api", 7), 0);
    CHECK_STR_EQ(job, "42|acme/api|7");
    int64_t inst = 0, n = 0;
    CHECK_INT_EQ(store_job_parse(job, &inst, repo, sizeof(repo), &n), 0);
    CHECK_INT_EQ(inst, 42);
    CHECK_INT_EQ(n, 7);
    CHECK_STR_EQ(repo, "acme/api");
}

TEST(job_parse_rejects_malformed)
{
    char repo[16];
    int64_t inst, n;
    const char *bad[] = {"",
                         "42",
                         "42|acme/api",
                         "x|acme/api|7",
                         "42|acme/api|x",
                         "42||7",
                         "42|noslash|7",
                         "0|acme/api|7",
                         "42|acme/api|-1",
                         "42|a-very-long-owner/and-repo-name|7"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT_EQ(store_job_parse(bad[i], &inst, repo, sizeof(repo), &n), FB_ERR_INVALID);
}

TEST(key_names)
{
    char key[64];
    CHECK_INT_EQ(store_key_pr(key, sizeof(key), "acme/api", 3), 0);
    CHECK_STR_EQ(key, "fb:pr:acme/api#3");
    CHECK_INT_EQ(store_key_merge(key, sizeof(key), "acme/api", 3), 0);
    CHECK_STR_EQ(key, "fb:merge:acme/api#3");
    char tiny[8];
    CHECK_INT_EQ(store_key_pr(tiny, sizeof(tiny), "acme/api", 3), FB_ERR_TOO_LARGE);
}

TEST(shift_from_label)
{
    char out[64];
    CHECK(store_shift_from_label("fleetbot/shift:bump-libfoo", out, sizeof(out)));
    CHECK_STR_EQ(out, "bump-libfoo");
    CHECK(store_shift_from_label("FleetBot/Shift:Upper", out, sizeof(out)));
    CHECK_STR_EQ(out, "Upper");
    CHECK(!store_shift_from_label("fleetbot/shift:", out, sizeof(out)));
    CHECK_STR_EQ(out, "");
    CHECK(!store_shift_from_label("fleetbot/automerge", out, sizeof(out)));
    CHECK(!store_shift_from_label(NULL, out, sizeof(out)));
}

TEST(merge_argv)
{
    struct store_merge m = {.repo = "acme/api",
                            .number = 7,
                            .head_sha = "abc",
                            .merge_sha = NULL,
                            .shift = "s",
                            .merged_at = 1700000000000,
                            .by = "human",
                            .method = "",
                            .due_ms = 1700000000500};
    char keys[STORE_MERGE_KEYBUFS];
    const char *argv[STORE_MERGE_ARGC];
    size_t lens[STORE_MERGE_ARGC];
    CHECK_INT_EQ(store_merge_argv(&m, keys, argv, lens), 0);
    CHECK_STR_EQ(argv[0], "EVAL");
    CHECK_STR_EQ(argv[3], "fb:merge:acme/api#7");
    CHECK_STR_EQ(argv[4], "fb:merges");
    CHECK_STR_EQ(argv[2], "5");
    CHECK_STR_EQ(argv[5], "fb:tracked:acme/api");
    CHECK_STR_EQ(argv[6], "fb:shift:open:s");
    CHECK_STR_EQ(argv[7], "fb:shift:critical:s");
    CHECK_STR_EQ(argv[9], "7");
    CHECK_STR_EQ(argv[11], ""); /* unknown merge sha */
    CHECK_STR_EQ(argv[13], "1700000000000");
    CHECK_INT_EQ((long long)lens[14], 5); /* "human" */
    CHECK_STR_EQ(argv[16], "1700000000500");
    CHECK_STR_EQ(argv[17], "0|acme/api|7"); /* the PR's job, to leave the shift's open set */
    char big[STORE_JOB_MAX + 8];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    m.repo = big;
    CHECK_INT_EQ(store_merge_argv(&m, keys, argv, lens), FB_ERR_TOO_LARGE);
}
