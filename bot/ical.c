/*
 * ical.c - libical in, day numbers out. Every loop is bounded (events, occurrences, days)
 * so a hostile calendar costs little; libical's own error state is reset per call.
 */
#include "ical.h"

#include "alloc.h"
#include "err.h"
#include "policies/calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#define OCCURRENCES_MAX 2000 /* per recurring event */

struct acc {
    struct ical_day *days;
    size_t n, cap;
    int64_t from, to;
    bool full;
};

static void add_day(struct acc *a, int64_t day, const char *summary)
{
    if (day < a->from || day > a->to)
        return;
    if (a->n >= ICAL_DAYS_MAX) {
        a->full = true;
        return;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->days = xrealloc(a->days, a->cap * sizeof(*a->days));
    }
    struct ical_day *d = &a->days[a->n++];
    d->day = day;
    snprintf(d->summary, sizeof(d->summary), "%s", summary ? summary : "");
}

static bool valid(struct icaltimetype t)
{
    return !icaltime_is_null_time(t) && t.year >= 1900 && t.year <= 9999 && t.month >= 1 &&
           t.month <= 12 && t.day >= 1 && t.day <= cal_month_days(t.year, t.month);
}

static int64_t day_of(struct icaltimetype t)
{
    return cal_days_from_date(t.year, t.month, t.day);
}

/* The days one occurrence starting at `start` covers: [start, start + span). */
static void add_span(struct acc *a, int64_t start, int64_t span, const char *summary)
{
    for (int64_t d = start; d < start + span && d <= a->to && !a->full; d++)
        add_day(a, d, summary);
}

static bool excluded(icalcomponent *ev, int64_t day)
{
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY)) {
        struct icaltimetype x = icalproperty_get_exdate(p);
        if (valid(x) && day_of(x) == day)
            return true;
    }
    return false;
}

static void expand_event(struct acc *a, icalcomponent *ev)
{
    struct icaltimetype start = icalcomponent_get_dtstart(ev);
    if (!valid(start))
        return;
    int64_t span = 1;
    struct icaltimetype end = icalcomponent_get_dtend(ev);
    if (start.is_date && valid(end) && end.is_date && day_of(end) > day_of(start))
        span = day_of(end) - day_of(start);
    if (span > 366)
        span = 366;
    const char *summary = icalcomponent_get_summary(ev);
    icalproperty *rp = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    if (rp == NULL) {
        add_span(a, day_of(start), span, summary);
        return;
    }
    struct icalrecurrencetype rule = icalproperty_get_rrule(rp);
    icalrecur_iterator *it = icalrecur_iterator_new(rule, start);
    if (it == NULL)
        return;
    for (int i = 0; i < OCCURRENCES_MAX && !a->full; i++) {
        struct icaltimetype t = icalrecur_iterator_next(it);
        if (!valid(t))
            break;
        int64_t d = day_of(t);
        if (d > a->to)
            break;
        if (!excluded(ev, d))
            add_span(a, d, span, summary);
    }
    icalrecur_iterator_free(it);
}

static int cmp_day(const void *x, const void *y)
{
    const struct ical_day *a = x, *b = y;
    return (a->day > b->day) - (a->day < b->day);
}

int ical_expand(const char *text, size_t len, int64_t from_day, int64_t to_day,
                struct ical_day **days, size_t *n, struct fb_error *err)
{
    if (len > ICAL_TEXT_MAX)
        return fb_error_set(err, FB_ERR_TOO_LARGE, "calendar larger than %d bytes", ICAL_TEXT_MAX);
    char *copy = xstrndup(text, len);
    icalerror_clear_errno();
    icalcomponent *cal = icalparser_parse_string(copy);
    free(copy);
    if (cal == NULL || (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT &&
                        icalcomponent_isa(cal) != ICAL_VEVENT_COMPONENT)) {
        if (cal)
            icalcomponent_free(cal);
        return fb_error_set(err, FB_ERR_INVALID, "not an iCalendar calendar (no VCALENDAR)");
    }
    struct acc a = {.days = *days, .n = *n, .cap = *n, .from = from_day, .to = to_day};
    int events = 0;
    if (icalcomponent_isa(cal) == ICAL_VEVENT_COMPONENT) {
        expand_event(&a, cal);
    } else {
        for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
             ev && events < ICAL_EVENTS_MAX && !a.full;
             ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), events++)
            expand_event(&a, ev);
    }
    icalcomponent_free(cal);
    if (a.n > 1)
        qsort(a.days, a.n, sizeof(*a.days), cmp_day);
    size_t w = 0;
    for (size_t i = 0; i < a.n; i++)
        if (w == 0 || a.days[w - 1].day != a.days[i].day)
            a.days[w++] = a.days[i];
    *days = a.days;
    *n = w;
    return 0;
}
