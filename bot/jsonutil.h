/*
 * jsonutil.h - small, NULL-tolerant readers over jansson values, so handlers can read
 * untrusted payloads without a type check on every line. A missing key or a value of
 * the wrong type reads as NULL / 0 / false; handlers then decide what is malformed.
 */
#ifndef FLEETBOT_JSONUTIL_H
#define FLEETBOT_JSONUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* Follows a dotted path ("pull_request.head.sha") through objects. Borrowed or NULL. */
json_t *json_path(json_t *root, const char *path);
/* String at path, or NULL. Borrowed from root. */
const char *json_path_str(json_t *root, const char *path);
/* Integer at path, or dflt. */
int64_t json_path_int(json_t *root, const char *path, int64_t dflt);
/* true only for a JSON true at path. */
bool json_path_true(json_t *root, const char *path);

#endif
