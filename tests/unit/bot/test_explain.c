/*
 * test_explain.c - `fleetbot explain`: targets it accepts and refuses, and the text it
 * prints for a recorded trace (every gate, marked, the deciding reason first).
 */
#include "test.h"

#include "bot/err.h"
#include "bot/explain.h"

#include <stdlib.h>

TEST(targets)
{
    char repo[64];
    int64_t n;
    CHECK_INT_EQ(explain_parse_target("acme/api#12", repo, sizeof(repo), &n), 0);
    CHECK_STR_EQ(repo, "acme/api");
    CHECK_INT_EQ(n, 12);
    static const char *bad[] = {"acme/api",  "acme#12",    "/api#1",      "acme/#1",
                                "acme/api#", "acme/api#0", "acme/api#x1", "acme/api#-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT_EQ(explain_parse_target(bad[i], repo, sizeof(repo), &n), FB_ERR_INVALID);
    char tiny[4];
    CHECK_INT_EQ(explain_parse_target("acme/api#1", tiny, sizeof(tiny), &n), FB_ERR_INVALID);
}

TEST(format)
{
    static const char trace[] =
        "{\"decision\":\"wait\",\"until\":1795557600000,\"reason\":\"outside hours\","
        "\"gates\":[{\"gate\":\"eligibility\",\"verdict\":\"pass\",\"until\":0,\"reason\":\"ok\"},"
        "{\"gate\":\"working-hours\",\"verdict\":\"wait\",\"until\":1795557600000,"
        "\"reason\":\"outside hours\"},"
        "{\"gate\":\"required-checks\",\"verdict\":\"skip\",\"until\":0,"
        "\"reason\":\"not evaluated\"}]}";
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    CHECK_INT_EQ(explain_format(trace, out), 0);
    fclose(out);
    CHECK_CONTAINS(text, "decision: wait — outside hours\n");
    CHECK_CONTAINS(text, "next look: 2026-11-24T22:00:00Z");
    CHECK_CONTAINS(text, "  ✓ eligibility      ok\n");
    CHECK_CONTAINS(text, "  … working-hours    outside hours\n");
    CHECK_CONTAINS(text, "  - required-checks  not evaluated\n");
    free(text);
    out = open_memstream(&text, &len);
    CHECK_INT_EQ(explain_format("{not json", out), FB_ERR_INVALID);
    fclose(out);
    free(text);
}
