/*
 * hmac.h - verification of GitHub's X-Hub-Signature-256 header: HMAC-SHA256 of the raw
 * body bytes under one of up to two secrets (rotation), compared in constant time.
 * It does not read headers or bodies from the network and never logs.
 */
#ifndef FLEETBOT_HMAC_H
#define FLEETBOT_HMAC_H

#include <stddef.h>

#define WEBHOOK_SIGNATURE_PREFIX "sha256="
#define WEBHOOK_SIGNATURE_LEN    71 /* "sha256=" + 64 hex digits */
#define WEBHOOK_SECRETS_MAX      2

/*
 * Returns 0 when header_value is "sha256=" followed by the 64 hex digits (lower or upper
 * case) of HMAC-SHA256(secrets[i], body) for some i < count, else FB_ERR_DENIED.
 * A NULL header, no secrets, or empty secrets never verify (fail closed). Everything is
 * borrowed for the duration of the call; body may be NULL when len is 0.
 */
int webhook_signature_verify(const char *const secrets[], const size_t lens[], int count,
                             const void *body, size_t len, const char *header_value);

/* Writes the header value for body under secret into out (WEBHOOK_SIGNATURE_LEN + 1
 * bytes): what GitHub sends. For tests, benchmarks and the simulated GitHub. */
void webhook_signature_format(const char *secret, size_t secret_len, const void *body, size_t len,
                              char out[WEBHOOK_SIGNATURE_LEN + 1]);

#endif
