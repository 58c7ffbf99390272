"""FlexnetAuthentication v1: members' passwords and secure tokens."""

from .base import NS_AUTH
from .exceptions import MalformedResponse
from .records import TokenStatus
from .xmlutil import Builder, local, to_bool


class AuthenticationMixin:
    """Member sign-in and secure tokens (FlexnetAuthentication v1)."""

    def authenticate_user(self, user_name, password, domain="FLEXnet"):
        """True when FlexNet accepts this member's user name and password."""
        b = Builder(NS_AUTH)
        root = b.root("AuthenticateUserInput")
        b.sub(root, "userName", user_name)
        b.sub(root, "password", password)
        b.sub(root, "domainName", domain)
        body = self._call(NS_AUTH, "authenticateUser", root, "AuthenticateUserReturn")
        success = next((c.text for c in body if local(c.tag) == "Success"), None)
        if success is None:
            raise MalformedResponse("the answer has no Success element", operation="authenticateUser")
        return to_bool(success)

    def get_secure_token(self, user_id, timeout_seconds=None):
        """A short-lived token that identifies ``user_id`` to a third party."""
        b = Builder(NS_AUTH)
        root = b.root("secureTokenRequest")
        b.sub(root, "userId", user_id)
        b.opt(root, "tokenTimeoutSeconds", timeout_seconds)
        body = self._call(NS_AUTH, "getSecureToken", root, "secureTokenResponse", idempotent=False)
        token = next((c.text for c in body if local(c.tag) == "token"), None)
        if not token:
            raise MalformedResponse("the answer has no token", operation="getSecureToken")
        return token

    def validate_token(self, token, user_id=None):
        """Check a secure token (and, when given, that it was issued for ``user_id``)."""
        b = Builder(NS_AUTH)
        root = b.root("validateTokenRequest")
        if user_id:
            b.sub(b.sub(root, "identity"), "userId", user_id)
        b.sub(root, "token", token)
        body = self._call(NS_AUTH, "validateToken", root, "validateTokenResponse", idempotent=False)
        values = {local(c.tag): c.text for c in body}
        code = values.get("statusCode")
        return TokenStatus(
            valid=(code or "").upper() == "SUCCESS", code=code, message=values.get("statusMessage")
        )
