/*
 * test_ical.c - holiday calendars to days: all-day and multi-day events, a recurring
 * yearly holiday with an exception, a timed event, range clipping, de-duplication, and
 * texts that are not calendars.
 */
#include "test.h"

#include "bot/err.h"
#include "bot/ical.h"
#include "policies/calendar.h"

#include <stdlib.h>

#define D(y, m, d) cal_days_from_date(y, m, d)

static const char CAL[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                          "BEGIN:VEVENT\r\nUID:1\r\nDTSTART;VALUE=DATE:20261224\r\n"
                          "DTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"
                          "BEGIN:VEVENT\r\nUID:2\r\nDTSTART;VALUE=DATE:20000606\r\n"
                          "RRULE:FREQ=YEARLY\r\nEXDATE;VALUE=DATE:20270606\r\n"
                          "SUMMARY:National Day\r\nEND:VEVENT\r\n"
                          "BEGIN:VEVENT\r\nUID:3\r\nDTSTART:20261106T100000\r\n"
                          "DTEND:20261106T120000\r\nSUMMARY:Offsite\r\nEND:VEVENT\r\n"
                          "BEGIN:VEVENT\r\nUID:4\r\nDTSTART;VALUE=DATE:20261225\r\n"
                          "SUMMARY:Duplicate day\r\nEND:VEVENT\r\n"
                          "END:VCALENDAR\r\n";

static bool has(const struct ical_day *days, size_t n, int64_t day, const char *summary)
{
    for (size_t i = 0; i < n; i++)
        if (days[i].day == day)
            return summary == NULL || strcmp(days[i].summary, summary) == 0;
    return false;
}

TEST(events_become_days)
{
    struct ical_day *days = NULL;
    size_t n = 0;
    struct fb_error err = {0};
    CHECK_INT_EQ(ical_expand(CAL, strlen(CAL), D(2026, 1, 1), D(2028, 12, 31), &days, &n, &err), 0);
    CHECK(has(days, n, D(2026, 12, 24), "Christmas"));
    CHECK(has(days, n, D(2026, 12, 25), NULL));
    CHECK(has(days, n, D(2026, 12, 26), "Christmas"));
    CHECK(!has(days, n, D(2026, 12, 27), NULL)); /* DTEND is exclusive */
    CHECK(has(days, n, D(2026, 6, 6), "National Day"));
    CHECK(!has(days, n, D(2027, 6, 6), NULL)); /* EXDATE */
    CHECK(has(days, n, D(2028, 6, 6), "National Day"));
    CHECK(!has(days, n, D(2025, 6, 6), NULL)); /* before the range */
    CHECK(has(days, n, D(2026, 11, 6), "Offsite"));
    CHECK_INT_EQ(n, 6); /* 3 Christmas days (one duplicate), 2 National Days, Offsite */
    for (size_t i = 1; i < n; i++)
        CHECK(days[i - 1].day < days[i].day);
    free(days);
}

TEST(not_calendars)
{
    struct ical_day *days = NULL;
    size_t n = 0;
    struct fb_error err = {0};
    CHECK_INT_EQ(ical_expand("hello", 5, 0, 100000, &days, &n, &err), FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "not an iCalendar");
    err = (struct fb_error){0};
    CHECK_INT_EQ(ical_expand("", 0, 0, 100000, &days, &n, &err), FB_ERR_INVALID);
    err = (struct fb_error){0};
    CHECK_INT_EQ(ical_expand(CAL, ICAL_TEXT_MAX + 1, 0, 100000, &days, &n, &err), FB_ERR_TOO_LARGE);
    CHECK_INT_EQ(n, 0);
    free(days);
}

TEST(runaway_rules_are_bounded)
{
    static const char daily[] = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"
                                "DTSTART;VALUE=DATE:19000101\r\nRRULE:FREQ=DAILY\r\n"
                                "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:y\r\n"
                                "DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=DAILY\r\n"
                                "END:VEVENT\r\nEND:VCALENDAR\r\n";
    struct ical_day *days = NULL;
    size_t n = 0;
    struct fb_error err = {0};
    CHECK_INT_EQ(ical_expand(daily, strlen(daily), D(2026, 1, 1), D(2026, 1, 31), &days, &n, &err),
                 0);
    CHECK_INT_EQ(n, 31); /* the 1900 rule never reaches 2026 within its bound */
    free(days);
}
