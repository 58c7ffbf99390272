"""FlexnetAuthentication v1: members' passwords and short-lived secure tokens.

A user name may carry its domain (``user##domain``); a domain other than the user's own
(``FLEXnet`` unless the user was created in another) does not authenticate.
"""

import secrets
from datetime import datetime, timedelta, timezone

from ..store import now_stamp
from ..wire import BadRequest, render
from .common import NS_AUTH, TOKEN_SECONDS

DEFAULT_DOMAIN = "FLEXnet"


def split_domain(value):
    """``("user", "domain")`` of ``user##domain``; the domain is None when absent."""
    name, sep, domain = (value or "").partition("##")
    return name, (domain if sep else None)


def same_domain(given, actual):
    """Domain names compare without regard to case; an absent one stands for the user's own."""
    return given is None or given.casefold() == (actual or DEFAULT_DOMAIN).casefold()


def _member(db, value, columns="*"):
    """The user a ``user##domain`` names, or None (unknown user, or another domain)."""
    name, domain = split_domain(value)
    row = db.execute(f"SELECT {columns}, domain FROM users WHERE user_name = ?", (name,)).fetchone()
    if row is None or not same_domain(domain, row["domain"]):
        return None
    return row


def authenticate_user(ctx, req):
    row = _member(ctx.store.db, req.text("userName"), "user_name, password, status, can_login")
    password = req.text("password") or ""
    domain = req.text("domainName") or None
    ok = bool(
        row
        and same_domain(domain, row["domain"])
        and row["password"]
        and secrets.compare_digest(row["password"], password)
        and row["status"] == "Active"
        and row["can_login"]
    )
    if ok:
        ctx.store.db.execute(
            "UPDATE users SET last_login = ? WHERE user_name = ?", (now_stamp(), row["user_name"])
        )
    return render(NS_AUTH, "AuthenticateUserReturn", [("Success", ok)])


def get_secure_token(ctx, req):
    row = _member(ctx.store.db, req.text("userId"), "user_name")
    if row is None:
        raise BadRequest(f"unknown user {req.text('userId')}")
    seconds = req.integer("tokenTimeoutSeconds", TOKEN_SECONDS)
    if not 1 <= seconds <= 86400:
        raise BadRequest("tokenTimeoutSeconds must be between 1 and 86400")
    token = secrets.token_urlsafe(32)
    expires = now_stamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))
    ctx.store.db.execute(
        "INSERT INTO secure_tokens(token, user_name, expires) VALUES (?,?,?)",
        (token, row["user_name"], expires),
    )
    return render(NS_AUTH, "secureTokenResponse", [("token", token)])


def validate_token(ctx, req):
    token = req.text("token") or ""
    claimed, claimed_domain = split_domain(req.text("identity/userId"))
    db = ctx.store.db
    row = db.execute("SELECT * FROM secure_tokens WHERE token = ?", (token,)).fetchone()
    owner = row and db.execute("SELECT domain FROM users WHERE user_name = ?", (row["user_name"],)).fetchone()
    if row is None:
        code, message = "FAILURE", "unknown token"
    elif row["used"]:
        code, message = "FAILURE", "token already used"
    elif row["expires"] < now_stamp():
        code, message = "FAILURE", "token expired"
    elif claimed and (
        claimed != row["user_name"] or not same_domain(claimed_domain, owner and owner["domain"])
    ):
        code, message = "FAILURE", "token was issued to another user"
    else:
        db.execute("UPDATE secure_tokens SET used = 1 WHERE token = ?", (token,))
        code, message = "SUCCESS", row["user_name"]
    return render(
        NS_AUTH,
        "validateTokenResponse",
        [("statusCorelation", token[:8]), ("statusCode", code), ("statusMessage", message)],
    )
