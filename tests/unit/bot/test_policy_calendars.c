/*
 * test_policy_calendars.c - holiday calendars named by URL: which entries are fetched
 * (https://, plain http:// only on 127.0.0.1 or localhost, never with credentials in the
 * URL), when the per-process copy is used without asking (fresh for POLICY_CACHE_MS, stale
 * for CALENDAR_RETRY_MS after a failure, never past CALENDAR_STALE_MS), and what an answer
 * means (2xx new text, 304 the copy, unreachable the copy within 24 h, anything else an
 * error). The fetching itself is exercised by tests/integration/test_calendars.py.
 */
#include "test.h"

#include "bot/err.h"
#include "bot/policy_source.h"

#define MIN  60000LL
#define HOUR (60 * MIN)
#define T0   1795000000000LL

TEST(which_entries_are_fetched)
{
    static const struct {
        const char *entry;
        enum calendar_source want;
    } rows[] = {
        {"holidays/sweden.ics", CALENDAR_REPO_PATH},
        {"https://calendars.example.com/se.ics", CALENDAR_URL},
        {"https://calendars.example.com/se.ics?key=s3cret", CALENDAR_URL},
        {"http://127.0.0.1:8123/ext/team.ics", CALENDAR_URL},
        {"http://127.0.0.1/team.ics", CALENDAR_URL},
        {"http://localhost:80/team.ics", CALENDAR_URL},
        {"http://LOCALHOST/team.ics", CALENDAR_URL},
        {"http://localhost", CALENDAR_URL},
        {"http://example.com/h.ics", CALENDAR_REFUSED},
        {"http://localhost.example.com/h.ics", CALENDAR_REFUSED},
        {"http://127.0.0.1.example.com/h.ics", CALENDAR_REFUSED},
        {"http://127.0.0.10/h.ics", CALENDAR_REFUSED},
        {"http://127.0.0.1@example.com/h.ics", CALENDAR_REFUSED},
        {"http://localhost:/h.ics", CALENDAR_REFUSED},
        {"http://localhost:123456/h.ics", CALENDAR_REFUSED},
        {"http://localhost:80x/h.ics", CALENDAR_REFUSED},
        {"https://user:pw@calendars.example.com/se.ics", CALENDAR_REFUSED},
        {"HTTP://127.0.0.1/h.ics", CALENDAR_REFUSED},
        {"ftp://example.com/h.ics", CALENDAR_REFUSED},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (policy_calendar_source(rows[i].entry) != rows[i].want)
            fprintf(stderr, "  row %zu: %s\n", i, rows[i].entry);
        CHECK_INT_EQ(policy_calendar_source(rows[i].entry), rows[i].want);
    }
}

TEST(when_the_copy_is_used_without_asking)
{
    struct calendar_copy none = {0};
    CHECK_INT_EQ(policy_calendar_step(&none, T0), CALENDAR_FETCH);
    struct calendar_copy c = {.has_text = true, .validated_at = T0};
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + POLICY_CACHE_MS - 1), CALENDAR_USE_COPY);
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + POLICY_CACHE_MS), CALENDAR_FETCH); /* revalidate */
    /* the server failed 10 min in: the copy stands in for a minute, then it is asked again */
    c.failed_at = T0 + 10 * MIN;
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + 10 * MIN + CALENDAR_RETRY_MS - 1),
                 CALENDAR_USE_COPY);
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + 10 * MIN + CALENDAR_RETRY_MS), CALENDAR_FETCH);
    /* ... but never past 24 h after its last validation */
    c.failed_at = T0 + CALENDAR_STALE_MS - 1;
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + CALENDAR_STALE_MS - 1), CALENDAR_USE_COPY);
    CHECK_INT_EQ(policy_calendar_step(&c, T0 + CALENDAR_STALE_MS), CALENDAR_FETCH);
    /* an error with no copy standing in is repeated for a minute, then asked again */
    struct calendar_copy bad = {.has_error = true, .failed_at = T0};
    CHECK_INT_EQ(policy_calendar_step(&bad, T0 + CALENDAR_RETRY_MS - 1), CALENDAR_USE_ERROR);
    CHECK_INT_EQ(policy_calendar_step(&bad, T0 + CALENDAR_RETRY_MS), CALENDAR_FETCH);
    bad.has_text = true; /* a copy that a 404 replaced is not used either */
    bad.validated_at = T0 - HOUR;
    CHECK_INT_EQ(policy_calendar_step(&bad, T0 + 1), CALENDAR_USE_ERROR);
}

TEST(what_an_answer_means)
{
    struct calendar_copy none = {0};
    struct calendar_copy c = {.has_text = true, .validated_at = T0};
    int64_t later = T0 + 2 * HOUR;
    CHECK_INT_EQ(policy_calendar_result(&none, 0, 200, T0), CALENDAR_TAKE_NEW);
    CHECK_INT_EQ(policy_calendar_result(&c, 0, 200, later), CALENDAR_TAKE_NEW);
    CHECK_INT_EQ(policy_calendar_result(&c, 0, 304, later), CALENDAR_KEEP_COPY);
    CHECK_INT_EQ(policy_calendar_result(&none, 0, 304, T0), CALENDAR_FAILED);
    /* unreachable: the copy, for 24 h after its last validation */
    static const struct {
        int code, status;
    } down[] = {{FB_ERR_TRANSIENT, 0}, {FB_ERR_TIMEOUT, 0}, {0, 500}, {0, 503}, {0, 408}, {0, 429}};
    for (size_t i = 0; i < sizeof(down) / sizeof(down[0]); i++) {
        CHECK_INT_EQ(policy_calendar_result(&c, down[i].code, down[i].status, later),
                     CALENDAR_KEEP_COPY);
        CHECK_INT_EQ(
            policy_calendar_result(&c, down[i].code, down[i].status, T0 + CALENDAR_STALE_MS - 1),
            CALENDAR_KEEP_COPY);
        CHECK_INT_EQ(
            policy_calendar_result(&c, down[i].code, down[i].status, T0 + CALENDAR_STALE_MS),
            CALENDAR_FAILED);
        CHECK_INT_EQ(policy_calendar_result(&none, down[i].code, down[i].status, T0),
                     CALENDAR_FAILED);
    }
    /* the calendar is gone or refused: an error at once, copy or not */
    static const struct {
        int code, status;
    } gone[] = {{0, 404},
                {0, 410},
                {0, 403},
                {0, 401},
                {0, 301},
                {FB_ERR_TOO_LARGE, 200},
                {FB_ERR_INVALID, 0},
                {FB_ERR_UNAVAILABLE, 0}};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
        CHECK_INT_EQ(policy_calendar_result(&c, gone[i].code, gone[i].status, later),
                     CALENDAR_FAILED);
        CHECK_INT_EQ(policy_calendar_result(&none, gone[i].code, gone[i].status, T0),
                     CALENDAR_FAILED);
    }
}
