/*
 * schedule.c - walking local days from yesterday forward to find the window that holds
 * `now` or opens next. Each candidate window is converted with tz_from_local, so DST
 * gaps and overlaps (and a window spanning the change) land on real instants.
 */
#include "schedule.h"

#include "calendar.h"
#include "tz.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool schedule_is_holiday(const struct team_schedule *s, int64_t day, int *index)
{
    size_t lo = 0, hi = s->nholidays;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    bool found = lo < s->nholidays && s->holidays[lo] == day;
    if (index)
        *index = found ? (int)lo : -1;
    return found;
}

static bool is_weekend(const struct team_schedule *s, int64_t day)
{
    return (s->weekend >> cal_weekday(day)) & 1;
}

bool schedule_is_working_day(const struct team_schedule *s, int64_t day)
{
    return !is_weekend(s, day) && !schedule_is_holiday(s, day, NULL);
}

void schedule_query(const struct team_schedule *s, int64_t now, struct schedule_answer *out)
{
    int64_t today = cal_floor_div(tz_to_local(s->zone, now), CAL_DAY_S);
    out->open = false;
    out->at = INT64_MAX;
    out->closes = INT64_MAX;
    out->today = today;
    out->today_weekend = is_weekend(s, today);
    schedule_is_holiday(s, today, &out->holiday_index);
    bool crosses = s->end_min <= s->start_min;
    for (int64_t d = today - 1; d <= today + SCHEDULE_HORIZON_DAYS; d++) {
        if (is_weekend(s, d) || schedule_is_holiday(s, d, NULL))
            continue;
        int64_t end_day = crosses ? d + 1 : d;
        int64_t open_local = d * CAL_DAY_S + (int64_t)s->start_min * 60;
        int64_t close_local = end_day * CAL_DAY_S + (int64_t)s->end_min * 60;
        if (crosses && schedule_is_holiday(s, d + 1, NULL))
            close_local = (d + 1) * CAL_DAY_S; /* a holiday is a whole day */
        int64_t open = tz_from_local(s->zone, open_local);
        int64_t close = tz_from_local(s->zone, close_local);
        if (close <= open || close <= now)
            continue;
        out->closes = close;
        if (open <= now) {
            out->open = true;
            out->at = now;
        } else {
            out->at = open;
        }
        return;
    }
}

void schedule_format_local(const struct team_schedule *s, int64_t t, char *out, size_t cap)
{
    static const char *wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    if (t == INT64_MAX) {
        snprintf(out, cap, "never (no working window within %d days)", SCHEDULE_HORIZON_DAYS);
        return;
    }
    int64_t local = tz_to_local(s->zone, t);
    int64_t day = cal_floor_div(local, CAL_DAY_S);
    int64_t secs = local - day * CAL_DAY_S;
    struct cal_date c = cal_date_from_days(day);
    snprintf(out, cap, "%s %04d-%02d-%02d %02d:%02d %s", wd[cal_weekday(day)], (int)c.year, c.month,
             c.day, (int)(secs / 3600), (int)(secs % 3600 / 60), s->zone->name);
}

int schedule_parse_hhmm(const char *str, size_t n, int *minutes)
{
    if (n != 5 || str[2] != ':')
        return -1;
    for (size_t i = 0; i < 5; i++)
        if (i != 2 && (str[i] < '0' || str[i] > '9'))
            return -1;
    int h = (str[0] - '0') * 10 + (str[1] - '0');
    int m = (str[3] - '0') * 10 + (str[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

int schedule_parse_weekday(const char *str, size_t n)
{
    static const char *names[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                   "thursday", "friday", "saturday"};
    for (int i = 0; i < 7; i++) {
        size_t len = strlen(names[i]);
        if ((n == 3 || n == len) && n <= len && strncasecmp(str, names[i], n) == 0)
            return i;
    }
    return -1;
}
