/*
 * jwt.h - the GitHub App JWT: RS256 over {"alg":"RS256","typ":"JWT"} and
 * {"iat":now-60,"exp":now+540,"iss":"<app id>"}, base64url without padding.
 * The private key is loaded once and held only inside struct jwt_signer; this file does
 * not know about clocks or HTTP (the caller passes "now", already skew-corrected).
 */
#ifndef FLEETBOT_JWT_H
#define FLEETBOT_JWT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct fb_error;
struct jwt_signer;

#define JWT_IAT_BACKDATE_S 60
#define JWT_LIFETIME_S     540

/*
 * Loads an RSA private key from a PEM file (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE
 * KEY", at most 64 KiB). The file's bytes are wiped after parsing. Caller owns the result;
 * NULL with err set (FB_ERR_INVALID, or FB_ERR_NOT_FOUND for a missing file) on failure.
 */
struct jwt_signer *jwt_signer_new_from_file(const char *path, struct fb_error *err);
/* The same from PEM text in memory (borrowed; the caller wipes it). */
struct jwt_signer *jwt_signer_new_from_pem(const char *pem, size_t len, struct fb_error *err);
/* Frees the key (OpenSSL clears its own key material). NULL is a no-op. */
void jwt_signer_free(struct jwt_signer *s);

/*
 * Appends the App JWT for now_s (epoch seconds) to out. The result is a credential: log
 * nothing of it and secure_wipe() it when done. Returns 0, FB_ERR_TOO_LARGE (out's cap) or
 * FB_ERR_INTERNAL (signing failed).
 */
int jwt_sign_app(const struct jwt_signer *s, int64_t app_id, int64_t now_s, struct buf *out,
                 struct fb_error *err);

/* base64url without padding (RFC 7515 §2). Appends to out; 0 or FB_ERR_TOO_LARGE. */
int jwt_base64url_encode(const unsigned char *in, size_t n, struct buf *out);
/* Decodes unpadded base64url (padding tolerated); 0, FB_ERR_INVALID or FB_ERR_TOO_LARGE. */
int jwt_base64url_decode(const char *in, size_t n, struct buf *out);

#endif
