/*
 * ical_memo.c - a small table keyed by the exact calendar text (a digest to find the
 * slot, the bytes to be sure) and the day range; a full table replaces round-robin.
 */
#include "ical_memo.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

struct memo_entry {
    uint64_t digest;
    char *text;
    size_t len;
    int64_t from, to;
    struct ical_day *days;
    size_t ndays;
};

struct ical_memo {
    struct memo_entry e[ICAL_MEMO_ENTRIES];
    size_t next;
};

static uint64_t digest_of(const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    return h;
}

struct ical_memo *ical_memo_new(void)
{
    return xcalloc(1, sizeof(struct ical_memo));
}

static void entry_clear(struct memo_entry *e)
{
    free(e->text);
    free(e->days);
    memset(e, 0, sizeof(*e));
}

void ical_memo_free(struct ical_memo *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < ICAL_MEMO_ENTRIES; i++)
        entry_clear(&m->e[i]);
    free(m);
}

static int cmp_day(const void *x, const void *y)
{
    const struct ical_day *a = x, *b = y;
    return (a->day > b->day) - (a->day < b->day);
}

/* Appends add to *days and keeps the whole list sorted without duplicate days. */
static void merge_into(struct ical_day **days, size_t *n, const struct ical_day *add, size_t nadd)
{
    if (nadd == 0)
        return;
    *days = xrealloc(*days, (*n + nadd) * sizeof(**days));
    memcpy(*days + *n, add, nadd * sizeof(*add));
    size_t total = *n + nadd, w = 0;
    qsort(*days, total, sizeof(**days), cmp_day);
    for (size_t i = 0; i < total; i++)
        if (w == 0 || (*days)[w - 1].day != (*days)[i].day)
            (*days)[w++] = (*days)[i];
    *n = w;
}

int ical_memo_expand(struct ical_memo *m, const char *text, size_t len, int64_t from_day,
                     int64_t to_day, struct ical_day **days, size_t *n, struct fb_error *err)
{
    uint64_t d = digest_of(text, len);
    for (size_t i = 0; i < ICAL_MEMO_ENTRIES; i++) {
        struct memo_entry *e = &m->e[i];
        if (e->text && e->digest == d && e->len == len && e->from == from_day && e->to == to_day &&
            memcmp(e->text, text, len) == 0) {
            merge_into(days, n, e->days, e->ndays);
            return 0;
        }
    }
    struct ical_day *mine = NULL;
    size_t nmine = 0;
    int rc = ical_expand(text, len, from_day, to_day, &mine, &nmine, err);
    if (rc != 0) {
        free(mine);
        return rc;
    }
    struct memo_entry *e = &m->e[m->next++ % ICAL_MEMO_ENTRIES];
    entry_clear(e);
    *e = (struct memo_entry){d, xstrndup(text, len), len, from_day, to_day, mine, nmine};
    merge_into(days, n, mine, nmine);
    return 0;
}
