"""The shop's secrets and digests, in one place: media-kit link secrets and signatures,
one-time sign-in proofs, pending sign-ins."""

import base64
import hashlib
import hmac
import secrets


def new_secret(nbytes=32):
    """A random URL-safe secret of ``nbytes`` random bytes."""
    return secrets.token_urlsafe(nbytes)


def digest(value):
    """SHA-256 (hexadecimal) of a secret: what is stored in its place."""
    return hashlib.sha256(value.encode()).hexdigest()


def signature(secret, message):
    """HMAC-SHA256 of the string ``message`` keyed by the string ``secret``, in URL-safe
    Base64 without padding."""
    mac = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def same(expected, given):
    """Whether the string ``given`` is ``expected``, compared in constant time (anything but
    a string never is)."""
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
    )
