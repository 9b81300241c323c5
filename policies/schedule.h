/*
 * schedule.h - when a team lets fleetbot merge: a daily window of local time in the team's
 * IANA zone (it may cross midnight), weekend days, and holidays (whole local days). The
 * one question it answers is "is `now` inside, and if not, when does it next open?", so
 * that the weekend, holiday and working-hours gates all wait for the same exact instant.
 *
 * Rules: a window belongs to the local day it starts on, so it does not open on a weekend
 * day or a holiday; a window crossing midnight into a holiday closes at that midnight
 * (a holiday is a whole local day), but may run into a weekend morning.
 */
#ifndef FLEETBOT_POLICIES_SCHEDULE_H
#define FLEETBOT_POLICIES_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz_zone;

#define SCHEDULE_HORIZON_DAYS 400 /* no opening within this: "never" (INT64_MAX) */

struct team_schedule {
    const char *team;           /* for reasons */
    const struct tz_zone *zone; /* borrowed */
    int start_min;              /* minutes after local midnight, 0..1439 */
    int end_min;                /* 1..1440; <= start_min: the window ends the next day */
    uint8_t weekend;            /* bit d set: weekday d (0 = Sunday) is a weekend day */
    const int64_t *holidays;    /* local day numbers (calendar.h), ascending; borrowed */
    size_t nholidays;
    const char *const *holiday_names; /* parallel to holidays, may be NULL */
};

struct schedule_answer {
    bool open;          /* now is inside a window */
    int64_t at;         /* open: now; else the next opening (UTC s), INT64_MAX if none */
    int64_t closes;     /* the end of that window (UTC s) */
    int64_t today;      /* local day number of now */
    bool today_weekend; /* the local day of now is a weekend day */
    int holiday_index;  /* now's local day is holidays[i], or -1 */
};

/* Pure: schedule and now (UTC seconds) in, the answer out. */
void schedule_query(const struct team_schedule *s, int64_t now, struct schedule_answer *out);

bool schedule_is_holiday(const struct team_schedule *s, int64_t day, int *index);
/* Local day `day` is neither a weekend day nor a holiday of the team. */
bool schedule_is_working_day(const struct team_schedule *s, int64_t day);

/* "Mon 2026-11-30 09:00 CET (Europe/Stockholm)"-style text of instant t in s's zone. */
void schedule_format_local(const struct team_schedule *s, int64_t t, char *out, size_t cap);

/* Parses "HH:MM" (00:00..24:00) into minutes. 0 or -1. */
int schedule_parse_hhmm(const char *str, size_t n, int *minutes);
/* Parses a weekday name ("mon", "Monday", case-insensitive) into 0..6 (Sunday = 0), or -1. */
int schedule_parse_weekday(const char *str, size_t n);

#endif
