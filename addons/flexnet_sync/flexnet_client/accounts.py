"""Accounts and their users: UserAcctHierarchyService v3, or UserOrgHierarchyService v1 (the
organizations of older sites), chosen by the client's ``account_api``."""

from .base import ACCOUNT_API_V1, ACCOUNT_API_V3, NS_ACCOUNTS, NS_ORGANIZATIONS, failed_records, response_data
from .records import OP_CREATE_OR_IGNORE, Account, AccountRoles, Address, User
from .xmlutil import Builder, attributes, identifier, local, to_bool, to_datetime


class UserAccountMixin:
    """Accounts (organizations) and users of the site."""

    def _account_query(self):
        """(namespace, operation prefix, criteria tags, record parser) of the account service."""
        if self.account_api == ACCOUNT_API_V1:
            return NS_ORGANIZATIONS, "Organization", ("orgName", "orgType"), _organization
        return NS_ACCOUNTS, "Account", ("accountID", "accountType"), _account

    def _account_criteria(
        self, b, params, id_tags, *, modified_since=None, account_id=None, account_type=None
    ):
        b.query(params, id_tags[0], account_id)
        b.opt(params, id_tags[1], account_type)
        b.query(params, "lastModifiedDateTime", modified_since, "AFTER")

    def iter_account_pages(self, *, modified_since=None, account_id=None, account_type=None, page_size=None):
        """Pages of :class:`Account` (organizations on a v1 site, keyed by their name)."""
        ns, noun, tags, parse_one = self._account_query()
        operation = f"get{noun}sQuery"
        b = Builder(ns)

        def build(page, size):
            root = b.root(f"{operation}Request")
            params = b.sub(root, "queryParams")
            self._account_criteria(
                b,
                params,
                tags,
                modified_since=modified_since,
                account_id=account_id,
                account_type=account_type,
            )
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            return root

        return self._pages(
            ns,
            operation,
            f"{operation}Response",
            build,
            lambda body: response_data(body, parse_one),
            page_size,
            key=lambda account: account.account_id,
        )

    def iter_accounts(self, **kwargs):
        for page in self.iter_account_pages(**kwargs):
            yield from page

    def count_accounts(self, *, modified_since=None, account_id=None, account_type=None):
        """``getAccountCount`` (``getOrganizationCount`` on a v1 site) with the criteria of
        :meth:`iter_account_pages`."""
        ns, noun, tags, _parse = self._account_query()
        operation = f"get{noun}Count"
        b = Builder(ns)
        root = b.root(f"{operation}Request")
        params = b.sub(root, "queryParams")
        self._account_criteria(
            b, params, tags, modified_since=modified_since, account_id=account_id, account_type=account_type
        )
        return self._count(ns, operation, root, f"{operation}Response")

    def _user_criteria(self, b, params, *, modified_since=None, account_id=None, email=None, user_name=None):
        b.query(params, "userName", user_name)
        b.query(params, "emailAddress", email)
        b.query(params, "orgName" if self.account_api == ACCOUNT_API_V1 else "accountID", account_id)
        b.query(params, "lastModifiedDateTime", modified_since, "AFTER")

    def iter_user_pages(
        self, *, modified_since=None, account_id=None, email=None, user_name=None, page_size=None
    ):
        """Pages of :class:`User` with the accounts (or organizations) they belong to."""
        ns = self._account_query()[0]
        b = Builder(ns)

        def build(page, size):
            root = b.root("getUsersQueryRequest")
            params = b.sub(root, "queryParams")
            self._user_criteria(
                b,
                params,
                modified_since=modified_since,
                account_id=account_id,
                email=email,
                user_name=user_name,
            )
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            return root

        return self._pages(
            ns,
            "getUsersQuery",
            "getUsersQueryResponse",
            build,
            lambda body: response_data(body, _user),
            page_size,
            key=lambda user: user.unique_id or user.user_name,
        )

    def iter_users(self, **kwargs):
        for page in self.iter_user_pages(**kwargs):
            yield from page

    def count_users(self, *, modified_since=None, account_id=None, email=None, user_name=None):
        """``getUserCount`` with the criteria of :meth:`iter_user_pages`."""
        ns = self._account_query()[0]
        b = Builder(ns)
        root = b.root("getUserCountRequest")
        params = b.sub(root, "queryParams")
        self._user_criteria(
            b, params, modified_since=modified_since, account_id=account_id, email=email, user_name=user_name
        )
        return self._count(ns, "getUserCount", root, "getUserCountResponse")

    def create_accounts(self, accounts, *, op_type=OP_CREATE_OR_IGNORE):
        """``createAccount`` (v3 sites). Returns a :class:`WriteResult` of account IDs."""
        self._require_v3("createAccount")
        b = Builder(NS_ACCOUNTS)

        def build(chunk):
            root = b.root("createAcctRequest")
            for account in chunk:
                el = b.sub(root, "account")
                b.sub(el, "id", account.account_id)
                b.sub(el, "name", account.name)
                b.opt(el, "description", account.description)
                if account.address:
                    _address_out(b, el, account.address)
                b.sub(el, "visible", account.visible)
                b.sub(el, "accountType", account.account_type)
            b.sub(root, "opType", op_type)
            return root

        def parse(body, chunk):
            created = []
            for child in body:
                if local(child.tag) == "responseData":
                    created = [identifier(el, "id") for el in child]
            return created, failed_records(body, "account", lambda el: _child_text(el, "id"))

        return self._write(NS_ACCOUNTS, "createAccount", "createAcctResponse", accounts, build, parse)

    def create_users(self, users, *, op_type=OP_CREATE_OR_IGNORE):
        """``createUser`` (v3 sites). Returns a :class:`WriteResult` of user names."""
        self._require_v3("createUser")
        b = Builder(NS_ACCOUNTS)

        def build(chunk):
            root = b.root("createUserRequest")
            for user in chunk:
                el = b.sub(root, "user")
                b.sub(el, "firstName", user.first_name)
                b.sub(el, "lastName", user.last_name)
                b.sub(el, "emailAddress", user.email)
                b.opt(el, "phoneNumber", user.phone)
                b.opt(el, "country", user.country)
                b.opt(el, "locale", user.locale)
                b.sub(el, "canLogin", user.can_login)
                b.opt(el, "userName", user.user_name)
                roles_list = b.sub(el, "acctRolesList")
                acct_roles = b.sub(roles_list, "acctRoles")
                account = b.sub(acct_roles, "account")
                b.sub(b.sub(account, "primaryKeys"), "id", user.account_id)
                if user.roles:
                    roles = b.sub(acct_roles, "roles")
                    for role in user.roles:
                        b.sub(b.sub(b.sub(roles, "role"), "primaryKeys"), "name", role)
            b.sub(root, "opType", op_type)
            return root

        def parse(body, chunk):
            created = []
            for child in body:
                if local(child.tag) == "responseData":
                    created += [_child_text(el, "userName") for el in child]
            return created, failed_records(body, "user", lambda el: _child_text(el, "emailAddress"))

        return self._write(NS_ACCOUNTS, "createUser", "createUserResponse", users, build, parse)

    def _require_v3(self, operation):
        if self.account_api != ACCOUNT_API_V3:
            raise ValueError(f"{operation} needs the v3 account service; this backend uses v1 organizations")


# --- request building and response parsing ------------------------------------------------


def _address_out(b, parent, address):
    el = b.sub(parent, "address")
    for name in ("address1", "address2", "city", "state", "zipcode", "country", "region"):
        b.opt(el, name, getattr(address, name))


def _address(element):
    address = Address()
    for child in element:
        setattr(address, local(child.tag), child.text)
    return address


def _account(element, id_tag="account", id_key="id", name_tag="name", type_tag="accountType"):
    """An ``acctData`` (v3); with the v1 tag names, an ``orgData`` (organization)."""
    account = Account(account_id="", name="")
    for child in element:
        name = local(child.tag)
        if name == id_tag:
            account.account_id = identifier(child, id_key)
            account.unique_id = next((c.text for c in child if local(c.tag) == "uniqueId"), None)
        elif name == name_tag:
            account.name = child.text
        elif name == type_tag:
            account.account_type = child.text
        elif name == "description":
            account.description = child.text
        elif name == "address":
            account.address = _address(child)
        elif name == "visible":
            account.visible = to_bool(child.text)
        elif name == "customAttributes":
            account.attributes = attributes(child)
        elif name == "dateLastModified":
            account.last_modified = to_datetime(child.text)
        elif name == "createdDate":
            account.created = to_datetime(child.text)
    return account


def _organization(element):
    return _account(element, id_tag="organization", id_key="name", name_tag="displayName", type_tag="orgType")


def _user(element):
    user = User(user_name=None, first_name="", last_name="", email="")
    for child in element:
        name = local(child.tag)
        if name == "userIdentifier":
            for part in child:
                tag = local(part.tag)
                if tag == "uniqueId":
                    user.unique_id = part.text
                elif tag == "userName":
                    user.user_name = part.text
                elif tag == "primaryKeys":
                    keys = {local(k.tag): k.text for k in part}
                    user.first_name = keys.get("firstName") or ""
                    user.last_name = keys.get("lastName") or ""
                    user.email = keys.get("emailAddress") or ""
                    user.phone = keys.get("phoneNumber")
        elif name == "displayName":
            user.display_name = child.text
        elif name == "status":
            user.active = child.text == "Active"
        elif name == "domain":
            user.domain = child.text
        elif name == "locale":
            user.locale = child.text
        elif name == "country":
            user.country = child.text
        elif name == "dateCreated":
            user.created = to_datetime(child.text)
        elif name == "dateLastModified":
            user.last_modified = to_datetime(child.text)
        elif name == "dateLastLogin":
            user.last_login = to_datetime(child.text)
        elif name in ("accountRolesList", "orgRolesList"):
            for membership in child:
                account_id = None
                roles = []
                for part in membership:
                    tag = local(part.tag)
                    if tag == "account":
                        account_id = identifier(part, "id")
                    elif tag == "organization":
                        account_id = identifier(part, "name")
                    elif tag == "roles":
                        roles = [r.text for r in part]
                user.accounts.append(AccountRoles(account_id, tuple(roles)))
    return user


def _child_text(element, name):
    """Text of ``element``'s first child named ``name`` (any namespace), or None."""
    return next((c.text for c in element if local(c.tag) == name), None)
