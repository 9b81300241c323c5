/*
 * ical_memo.h - expanded holiday calendars kept per process. libical walks every year of
 * a recurring event from its DTSTART, about a millisecond per calendar, and every
 * evaluation of a team's PR needs the same days: the answer for one calendar text and day
 * range is kept and reused until the text or the day changes. It parses nothing itself.
 */
#ifndef FLEETBOT_ICAL_MEMO_H
#define FLEETBOT_ICAL_MEMO_H

#include "ical.h"

#include <stddef.h>
#include <stdint.h>

#define ICAL_MEMO_ENTRIES 64

struct ical_memo;

struct ical_memo *ical_memo_new(void);
void ical_memo_free(struct ical_memo *m);

/* ical_expand()'s contract (days appended to *days, the whole list sorted and without
 * duplicates), answered from the memo when this text was expanded for this range before.
 * Failures are not kept. */
int ical_memo_expand(struct ical_memo *m, const char *text, size_t len, int64_t from_day,
                     int64_t to_day, struct ical_day **days, size_t *n, struct fb_error *err);

#endif
