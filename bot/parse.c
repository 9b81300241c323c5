/*
 * parse.c - bounded parsers for numbers and encodings.
 */
#include "parse.h"

#include "err.h"

#include <stdbool.h>
#include <string.h>

int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || n == 0)
        return FB_ERR_INVALID;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (n == 1)
            return FB_ERR_INVALID;
    }
    /* accumulate as negative so INT64_MIN is representable */
    int64_t acc = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FB_ERR_INVALID;
        int d = s[i] - '0';
        if (acc < (INT64_MIN + d) / 10)
            return FB_ERR_INVALID;
        acc = acc * 10 - d;
    }
    if (!neg) {
        if (acc == INT64_MIN)
            return FB_ERR_INVALID;
        acc = -acc;
    }
    if (acc < min || acc > max)
        return FB_ERR_INVALID;
    *out = acc;
    return 0;
}

int parse_i64_cstr(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL)
        return FB_ERR_INVALID;
    return parse_i64(s, strlen(s), min, max, out);
}

void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long url_decode(const char *in, size_t n, char *out, size_t outcap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o >= outcap)
            return -1;
        char c = in[i];
        if (c == '+') {
            out[o++] = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hex_digit_value(in[i + 1]), lo = hex_digit_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = c;
        }
    }
    return (long)o;
}

static void url_encode(const char *in, char *out, size_t cap, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 <= cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/')) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (cap > 0)
        out[o < cap ? o : cap - 1] = '\0';
}

void url_encode_component(const char *in, char *out, size_t cap)
{
    url_encode(in, out, cap, false);
}

void url_encode_path(const char *in, char *out, size_t cap)
{
    url_encode(in, out, cap, true);
}
