/*
 * parse.h - bounded number parsing (instead of atoi/strtol at call sites) and small
 * text helpers shared by every parser of untrusted input.
 */
#ifndef FLEETBOT_PARSE_H
#define FLEETBOT_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses exactly the n bytes at s as a decimal integer in [min, max]: optional '-',
 * then digits, nothing else. Returns 0 or FB_ERR_INVALID; *out is untouched on error.
 */
int parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* The same for a NUL-terminated string. */
int parse_i64_cstr(const char *s, int64_t min, int64_t max, int64_t *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit_value(char c);

/* Lower-case hex of n bytes into out, which must hold 2n+1 bytes. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/*
 * Decodes application/x-www-form-urlencoded text ('+' is space, %XX escapes) of n bytes
 * into out (capacity outcap). Returns the decoded length, or -1 on a malformed escape
 * or when out is too small.
 */
long url_decode(const char *in, size_t n, char *out, size_t outcap);

/* Percent-encodes every byte but RFC 3986's unreserved ones (a label "fleetbot/hold" in a
 * path segment) into out, NUL-terminated; stops early rather than overflow cap. */
void url_encode_component(const char *in, char *out, size_t cap);
/* The same, but '/' stays (a branch name in a path: GitHub matches it literally). */
void url_encode_path(const char *in, char *out, size_t cap);

#endif
