/*
 * test_ical_memo.c - the memo answers exactly what ical_expand answers: the same days for
 * the same text and range (also merged into a list that already holds days), a fresh
 * expansion for another range or another text, and failures not kept.
 */
#include "test.h"

#include "bot/err.h"
#include "bot/ical_memo.h"
#include "policies/calendar.h"

#include <stdlib.h>
#include <string.h>

static const char CAL[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                          "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20000606\r\n"
                          "RRULE:FREQ=YEARLY\r\nSUMMARY:National Day\r\nEND:VEVENT\r\n"
                          "BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20261224\r\n"
                          "DTEND;VALUE=DATE:20261226\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"
                          "END:VCALENDAR\r\n";

static bool same(const struct ical_day *a, size_t na, const struct ical_day *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].day != b[i].day || strcmp(a[i].summary, b[i].summary) != 0)
            return false;
    return true;
}

TEST(memo_answers_as_ical_expand_does)
{
    struct ical_memo *m = ical_memo_new();
    int64_t from = cal_days_from_date(2026, 1, 1), to = cal_days_from_date(2027, 12, 31);
    struct ical_day *want = NULL, *got = NULL, *again = NULL;
    size_t nwant = 0, ngot = 0, nagain = 0;
    struct fb_error err = {0};
    CHECK_INT_EQ(ical_expand(CAL, strlen(CAL), from, to, &want, &nwant, &err), 0);
    CHECK_INT_EQ(nwant, 4); /* 06-06 twice, 12-24, 12-25 */
    CHECK_INT_EQ(ical_memo_expand(m, CAL, strlen(CAL), from, to, &got, &ngot, &err), 0);
    CHECK(same(want, nwant, got, ngot));
    CHECK_INT_EQ(ical_memo_expand(m, CAL, strlen(CAL), from, to, &again, &nagain, &err), 0);
    CHECK(same(want, nwant, again, nagain)); /* from the memo */
    /* merged into a list holding a day of its own and a duplicate */
    struct ical_day *mixed = calloc(2, sizeof(*mixed));
    size_t nmixed = 2;
    mixed[0].day = cal_days_from_date(2026, 12, 25);
    mixed[1].day = cal_days_from_date(2026, 3, 1);
    CHECK_INT_EQ(ical_memo_expand(m, CAL, strlen(CAL), from, to, &mixed, &nmixed, &err), 0);
    CHECK_INT_EQ(nmixed, 5);
    for (size_t i = 1; i < nmixed; i++)
        CHECK(mixed[i - 1].day < mixed[i].day);
    /* another range is expanded again */
    struct ical_day *short_range = NULL;
    size_t nshort = 0;
    CHECK_INT_EQ(ical_memo_expand(m, CAL, strlen(CAL), from, cal_days_from_date(2026, 12, 31),
                                  &short_range, &nshort, &err),
                 0);
    CHECK_INT_EQ(nshort, 3);
    /* not a calendar: an error, every time */
    struct ical_day *bad = NULL;
    size_t nbad = 0;
    CHECK(ical_memo_expand(m, "hello", 5, from, to, &bad, &nbad, &err) != 0);
    struct fb_error err2 = {0};
    CHECK(ical_memo_expand(m, "hello", 5, from, to, &bad, &nbad, &err2) != 0);
    CHECK_INT_EQ(nbad, 0);
    free(want);
    free(got);
    free(again);
    free(mixed);
    free(short_range);
    free(bad);
    ical_memo_free(m);
}

TEST(a_full_memo_replaces_entries_without_leaking)
{
    struct ical_memo *m = ical_memo_new();
    int64_t from = cal_days_from_date(2026, 1, 1);
    for (int i = 0; i < 3 * ICAL_MEMO_ENTRIES; i++) {
        struct ical_day *days = NULL;
        size_t n = 0;
        struct fb_error err = {0};
        CHECK_INT_EQ(ical_memo_expand(m, CAL, strlen(CAL), from, from + 400 + i, &days, &n, &err),
                     0);
        CHECK(n >= 3);
        free(days);
    }
    ical_memo_free(m);
}
