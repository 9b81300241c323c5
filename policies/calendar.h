/*
 * calendar.h - proleptic Gregorian dates as day numbers (days since 1970-01-01), so that
 * "the local day", "the next Monday" and "the same date next year" are integer arithmetic.
 * Time zones live in tz.h; this file knows nothing about offsets.
 */
#ifndef FLEETBOT_POLICIES_CALENDAR_H
#define FLEETBOT_POLICIES_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_DAY_S 86400

struct cal_date {
    int32_t year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* Days since 1970-01-01 of a date (any valid Gregorian date). */
int64_t cal_days_from_date(int32_t year, int month, int day);
struct cal_date cal_date_from_days(int64_t days);
/* 0 = Sunday .. 6 = Saturday. */
int cal_weekday(int64_t days);
bool cal_is_leap(int32_t year);
int cal_month_days(int32_t year, int month);
/* floor(a / b) for b > 0, correct for negative a. */
int64_t cal_floor_div(int64_t a, int64_t b);
/* Parses "YYYY-MM-DD" exactly (a real date). 0 or -1. */
int cal_parse_date(const char *s, size_t n, int64_t *days_out);

#endif
