"""Run-time App credentials for tests: an RSA key made with the openssl CLI (modulus parsed
for the simulated GitHub), a random webhook secret, and RS256 JWT signing via `openssl dgst`.

Nothing is committed and no key leaves the temp dir; this is not production key handling.
"""
import base64
import json
import os
import secrets
import subprocess
import time

E = 65537


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_app_key(tmpdir, bits=2048):
    """-> (pem_path, (n, e)) for a fresh PKCS#1 RSA key in tmpdir."""
    pem = os.path.join(tmpdir, "app-key.pem")
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", pem, str(bits)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(pem, 0o600)
    out = subprocess.run(["openssl", "rsa", "-in", pem, "-noout", "-modulus"], check=True,
                         capture_output=True, text=True).stdout.strip()
    if not out.startswith("Modulus="):
        raise RuntimeError("unexpected `openssl rsa -modulus` output")
    return pem, (int(out.split("=", 1)[1], 16), E)


def make_secret():
    return secrets.token_hex(24)


def sign_jwt(pem_path, app_id, iat=None, exp=None, iss=None, now=None, header=None, claims=None):
    """An RS256 App JWT signed with openssl (defaults: iat = now-60, exp = now+540)."""
    now = int(time.time() if now is None else now)
    body = {"iat": now - 60 if iat is None else iat, "exp": now + 540 if exp is None else exp,
            "iss": app_id if iss is None else iss}
    if claims:
        body.update(claims)
    head = header or {"alg": "RS256", "typ": "JWT"}
    signing_input = _b64url(json.dumps(head).encode()) + "." + _b64url(json.dumps(body).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem_path], input=signing_input.encode(),
                         capture_output=True, check=True).stdout
    return signing_input + "." + _b64url(sig)
