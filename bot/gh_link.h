/*
 * gh_link.h - finds the rel="next" target in an HTTP Link header (RFC 8288), as GitHub
 * sends it for pagination. The header is untrusted input: the parser is bounded, never
 * reads past len, and does not resolve or validate the URL beyond its characters (the
 * caller checks that the URL stays on the API's origin).
 */
#ifndef FLEETBOT_GH_LINK_H
#define FLEETBOT_GH_LINK_H

#include <stddef.h>

#include "sv.h"

#define GH_LINK_MAX     16384 /* longest header value looked at */
#define GH_LINK_URL_MAX 4096  /* longest target URL accepted */

/*
 * Looks for the first link-value whose rel parameter (quoted or not, possibly several
 * space-separated relation types, any case) contains "next". On success returns 0 and
 * points *out into value (not NUL-terminated). Returns FB_ERR_NOT_FOUND when there is no
 * next link, FB_ERR_INVALID when the header is malformed before one was found (or the
 * target is empty, too long or holds spaces/control characters), FB_ERR_TOO_LARGE when
 * len > GH_LINK_MAX.
 */
int gh_link_next(const char *value, size_t len, struct sv *out);

#endif
