"""RS256 JWT verification for the simulated GitHub's App routes, in pure Python.

Verifies an RSA PKCS#1 v1.5 / SHA-256 signature with pow(sig, e, n) against the exact
EMSA-PKCS1-v1_5 encoding, then applies GitHub's claim rules (iss, iat, exp window) with the
401 message texts GitHub uses. It does not sign anything and supports no other algorithm.
"""
import base64
import hashlib
import hmac
import json

# DER DigestInfo prefix for SHA-256 (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

MSG_DECODE = "A JSON web token could not be decoded"
MSG_EXP_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_EXPIRED = ("'Expiration time' claim ('exp') must be a numeric value representing the future "
               "time at which the assertion expires")
MSG_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
MSG_ISS = "Integration not found"

MAX_TOKEN_LEN = 8192
IAT_SKEW = 60       # seconds an iat may lie in the future
MAX_WINDOW = 600    # exp - iat, as GitHub
WINDOW_SLACK = 5


class JWTError(Exception):
    """A refused JWT; str(e) is the message GitHub would answer with (401)."""


def b64url_decode(text):
    if not isinstance(text, str) or any(c not in _B64URL for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def verify_rs256(token, n, e):
    """Return the claims dict of a correctly signed RS256 JWT, else raise JWTError."""
    if not token or len(token) > MAX_TOKEN_LEN or token.count(".") != 2:
        raise JWTError(MSG_DECODE)
    head_b64, claims_b64, sig_b64 = token.split(".")
    try:
        header = json.loads(b64url_decode(head_b64))
        claims = json.loads(b64url_decode(claims_b64))
        sig = b64url_decode(sig_b64)
    except (ValueError, UnicodeDecodeError):
        raise JWTError(MSG_DECODE) from None
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise JWTError(MSG_DECODE)
    k = (n.bit_length() + 7) // 8
    s = int.from_bytes(sig, "big")
    if len(sig) != k or s >= n:
        raise JWTError(MSG_DECODE)
    em = pow(s, e, n).to_bytes(k, "big")
    t = SHA256_DIGEST_INFO + hashlib.sha256((head_b64 + "." + claims_b64).encode("ascii")).digest()
    if k < len(t) + 11:
        raise JWTError(MSG_DECODE)
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    if not hmac.compare_digest(em, expected):
        raise JWTError(MSG_DECODE)
    return claims


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_claims(claims, app_id, client_id, now):
    """Apply GitHub's App JWT claim rules; raise JWTError with GitHub's text on refusal."""
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _is_number(iat) or iat > now + IAT_SKEW:
        raise JWTError(MSG_IAT)
    if not _is_number(exp) or exp <= now:
        raise JWTError(MSG_EXPIRED)
    if exp - iat > MAX_WINDOW + WINDOW_SLACK or exp > now + MAX_WINDOW + WINDOW_SLACK:
        raise JWTError(MSG_EXP_FAR)
    iss = claims.get("iss")
    if isinstance(iss, bool) or iss is None or (str(iss) != str(app_id) and str(iss) != client_id):
        raise JWTError(MSG_ISS)


def verify(token, n, e, app_id, client_id, now):
    claims = verify_rs256(token, n, e)
    check_claims(claims, app_id, client_id, now)
    return claims
