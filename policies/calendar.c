/*
 * calendar.c - day numbers <-> Gregorian dates (Hinnant's civil-from-days algorithm),
 * weekdays and strict date parsing. Pure arithmetic.
 */
#include "calendar.h"

#include "bot/parse.h"

#include <stddef.h>

int64_t cal_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t cal_days_from_date(int32_t year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = cal_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct cal_date cal_date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = cal_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    struct cal_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int32_t)(yoe + era * 400 + (d.month <= 2));
    return d;
}

int cal_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

bool cal_is_leap(int32_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int cal_month_days(int32_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return days[month - 1] + (month == 2 && cal_is_leap(year));
}

int cal_parse_date(const char *s, size_t n, int64_t *days_out)
{
    int64_t y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || parse_i64(s, 4, 1, 9999, &y) != 0 ||
        parse_i64(s + 5, 2, 1, 12, &m) != 0 || parse_i64(s + 8, 2, 1, 31, &d) != 0)
        return -1;
    if (d > cal_month_days((int32_t)y, (int)m))
        return -1;
    *days_out = cal_days_from_date((int32_t)y, (int)m, (int)d);
    return 0;
}
