/*
 * ical.h - holiday calendars: an iCalendar (RFC 5545) text expanded into the local days
 * it marks within a range, with libical doing the parsing and the recurrence rules (a
 * yearly RRULE, EXDATE). A holiday is a whole day: all-day events cover [DTSTART, DTEND);
 * a timed event marks the date it starts on, as written. Fetching is not done here.
 */
#ifndef FLEETBOT_ICAL_H
#define FLEETBOT_ICAL_H

#include <stddef.h>
#include <stdint.h>

struct fb_error;

#define ICAL_TEXT_MAX    (2 * 1024 * 1024)
#define ICAL_DAYS_MAX    4096 /* holiday days kept per calendar and range */
#define ICAL_EVENTS_MAX  4096
#define ICAL_SUMMARY_MAX 96

struct ical_day {
    int64_t day; /* calendar.h day number */
    char summary[ICAL_SUMMARY_MAX];
};

/*
 * Appends to *days (caller frees; *n updated) every day in [from_day, to_day] that an
 * event of the calendar covers, sorted and without duplicates. 0, or FB_ERR_INVALID /
 * FB_ERR_TOO_LARGE with err set (the text is not a calendar, or is too big).
 */
int ical_expand(const char *text, size_t len, int64_t from_day, int64_t to_day,
                struct ical_day **days, size_t *n, struct fb_error *err);

#endif
