"""One importer per kind of FlexNet record: page in, batched upserts out; after a complete
full walk, what Odoo holds and FlexNet no longer has is marked so (``reconcile``)."""

import dataclasses
import logging
from collections import Counter

from odoo.tools import SQL, email_normalize

from .. import flexnet_client as fc
from . import mapper
from .binder import Binder, changed_values

_logger = logging.getLogger(__name__)

# lines of the reconciliation log kept per run
LOG_LINES = 1000
# a full run may always mark this many records of a kind removed, whatever the share
# (``reconcile_max_share``) they are of what Odoo holds: a small kind could never lose one
RECONCILE_FLOOR = 5


class Importer:
    """Imports pages of one kind of record; counts created/updated/unchanged/failed.

    Besides the counts, a page leaves for the engine: ``seen``, the ``(scope, key)`` of every
    record read (a full run keeps them to reconcile); ``retry``, the key and reason of records
    that cannot be imported yet but may later (their account or part number is not in Odoo);
    ``imported``, the keys imported (they leave the retry list); ``failed``, the key and reason
    of records not imported for a reason that is not retried (a listed one counts an attempt);
    ``gone``, keys read again by key that FlexNet no longer has; ``warnings``, what the reconciliation refused to do. The
    engine stores them and calls ``reset``.
    """

    kind = None
    watermark_field = None
    models = ()  # where the importer stores its records
    retriable = False  # records that fail may be read again by their key (``fetch``)

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env
        self.stats = Counter()
        self.errors = []
        self.seen = []
        self.retry = {}
        self.failed = {}
        self.imported = set()
        self.gone = set()
        self.removed_log = []
        self.warnings = []
        self.removed_ids = set()  # marked by this importer: never twice
        self.mode = None  # the run's mode ("full" or "incremental"), set by the engine
        self.removed_before = 0  # what the run marked removed before this page, set by the engine
        self.reconciling = False  # importing what the reconciliation's lookups found

    def reset(self):
        self.stats.clear()
        self.errors.clear()
        self.seen.clear()
        self.retry.clear()
        self.failed.clear()
        self.imported.clear()
        self.gone.clear()
        self.removed_log.clear()
        self.warnings.clear()

    # --- to implement --------------------------------------------------------------------

    def pages(self, client, since):
        raise NotImplementedError

    def count(self, client, since):
        """What FlexNet counts for the query of ``pages``."""
        raise NotImplementedError

    def import_page(self, records):
        raise NotImplementedError

    @staticmethod
    def record_from_dict(data):
        raise NotImplementedError

    @staticmethod
    def keys_of(record):
        """The keys a record is fetched by (``fetch``)."""
        raise NotImplementedError

    def fetch(self, client, keys):
        """The records FlexNet has under these keys, one query per key."""
        raise NotImplementedError

    def missing(self, run):
        """``[(id, key, fetch key)]`` of what Odoo holds for the backend, live, that the full run
        ``run`` did not read (no ``seen`` row)."""
        return []

    def held(self, run):
        """How many records ``missing`` chooses from: what Odoo holds for the backend, live,
        from before the run (the base of the share the reconciliation may mark)."""
        return 0

    def label(self):
        """What the records are called in the run's warnings."""
        return self.env._("records")

    def remove(self, ids):
        """Mark these records as FlexNet no longer having them (batched writes)."""
        raise NotImplementedError

    # --- shared ----------------------------------------------------------------------------

    @staticmethod
    def modified(record):
        return getattr(record, "last_modified", None)

    def fail(self, key, reason, retry_key=None):
        """``key`` is not imported; with ``retry_key``, an incremental run reads it again.
        Without, a record listed to retry under ``key`` counts one more attempt all the same."""
        self.stats["failed"] += 1
        self.errors.append(f"{key}: {reason}")
        if retry_key and self.retriable:
            self.retry[retry_key] = str(reason)[:500]
        elif self.retriable and key:
            self.failed[key] = str(reason)[:500]
        _logger.info("FlexNet %s %s not imported: %s", self.kind, key, reason)

    def retry_pages(self, client, keys):
        """Pages (of the backend's page size) of the records of these keys; keys FlexNet no
        longer has go to ``gone``."""
        page = []
        for key in keys:
            found = self.fetch(client, [key])
            if not found:
                self.gone.add(key)
            page.extend(found)
            if len(page) >= self.backend.page_size:
                yield page
                page = []
        if page:
            yield page

    def verify(self, client, keys):
        """The records of FlexNet among ``keys``, read again by key: a query by key is not
        shifted by deletions as a walk by position is."""
        return self.fetch(client, sorted(set(keys))) if keys else []

    def _missing_sql(self, query):
        self.env.flush_all()
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    @staticmethod
    def _not_seen(run, scope, column):
        return SQL(
            "NOT EXISTS (SELECT 1 FROM flexnet_sync_seen s WHERE s.run_id = %s AND s.scope = %s AND s.key = %s)",
            run.id,
            scope,
            column,
        )

    def _count_sql(self, query):
        self.env.flush_all()
        self.env.cr.execute(query)
        return self.env.cr.fetchone()[0]

    def _within_limit(self, gone, held, what=None):
        """Whether ``gone`` records out of the ``held`` ones Odoo holds may be marked removed:
        at most ``RECONCILE_FLOOR`` of them, or the backend's ``reconcile_max_share`` % (0: no
        limit). Over it, nothing of them is marked: the run says so and logs a warning (a site
        emptied by mistake must not empty Odoo)."""
        limit = self.backend.reconcile_max_share
        # the floor lets a small kind lose a few records, never all it has
        if not limit or (gone <= RECONCILE_FLOOR and gone < held) or gone * 100 <= limit * held:
            return True
        what = what or self.label()
        share = 100.0 * gone / held if held else 100.0
        _logger.warning(
            "FlexNet %s of %s: %s of the %s %s Odoo holds are no longer in FlexNet (%.1f %%), more than the "
            "limit of %s %% (and %s); none was marked removed.",
            self.kind,
            self.backend.name,
            gone,
            held,
            what,
            share,
            limit,
            RECONCILE_FLOOR,
        )
        self.warnings.append(
            self.env._(
                "FlexNet no longer has %(gone)s of the %(held)s %(what)s Odoo holds (%(share).1f %%, looked up by "
                "key), more than the backend's limit of %(limit)s %% per run (or %(floor)s): none was marked "
                "removed. If FlexNet really removed them, raise the backend's Most removed per run (%%) (0: no "
                "limit) and run a full synchronisation again.",
                gone=gone,
                held=held,
                what=what,
                share=share,
                limit=limit,
                floor=RECONCILE_FLOOR,
            )
        )
        return False

    def reconcile(self, client, run):
        """After a complete full walk: what Odoo holds that the walk did not return is read
        again by key (FlexNet pages by position: a deletion during the walk shifts records past
        it), what FlexNet has is imported and the rest marked removed, unless more than the
        backend's limit would go (``_within_limit``). Nothing is marked before every lookup
        answered: a FlexNet error leaves everything as it was."""
        missing = self.missing(run)
        if not missing:
            return
        held = self.held(run)
        self._import_found(self.verify(client, {fetch for _id, _key, fetch in missing}))
        present = {key for scope, key in self.seen if scope == "record"}
        gone = [(record_id, key) for record_id, key, _fetch in missing if key not in present]
        if gone and self._within_limit(len(gone), held):
            self._remove(gone)

    def _reason(self, key):
        """Why the reconciliation marks the record of ``key`` removed."""
        return "not in FlexNet any more"

    def _import_found(self, found):
        """Import what the lookups found, a page at a time."""
        size = self.backend.page_size
        self.reconciling = True
        try:
            for start in range(0, len(found), size):
                self.import_page(found[start : start + size])
        finally:
            self.reconciling = False

    def _remove(self, gone, reason=None):
        gone = [(record_id, key) for record_id, key in gone if record_id not in self.removed_ids]
        if not gone:
            return
        self.removed_ids.update(record_id for record_id, _key in gone)
        self.remove([record_id for record_id, _key in gone])
        self.stats["removed"] += len(gone)
        self.removed_log.extend(f"{key}: {reason or self._reason(key)}" for _id, key in gone[:LOG_LINES])
        if len(gone) > LOG_LINES:
            self.removed_log.append(f"... and {len(gone) - LOG_LINES} more")

    def upsert(self, model, bound, mapped):
        """Create what is new (one ``create``), write only what changed. Returns {key: record}."""
        result = {}
        existing = model.browse([record.id for record in bound.values()])
        fields = sorted({name for vals in mapped.values() for name in vals})
        current = {row["id"]: row for row in existing.read(fields, load=None)} if existing else {}
        to_create = []
        for key, vals in mapped.items():
            record = bound.get(key)
            if record is None:
                to_create.append((key, vals))
                continue
            diff = changed_values(current[record.id], vals)
            if diff:
                record.write(diff)
                self.stats["updated"] += 1
            else:
                self.stats["unchanged"] += 1
            result[key] = record
        if to_create:
            # a key given up by a record written above (a renamed user) may be the key of one
            # created here: the unique index must see the write first
            model.flush_model()
            created = model.create([vals for _key, vals in to_create])
            for (key, _vals), record in zip(to_create, created, strict=True):
                result[key] = record
            self.stats["created"] += len(created)
        return result


class ProductImporter(Importer):
    kind = "products"
    models = ("product.template", "product.product")
    watermark_field = "watermark_products"

    def pages(self, client, since):
        return client.iter_product_pages(modified_since=since)

    def count(self, client, since):
        return client.count_products(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        data = dict(data, part_numbers=[fc.PartNumber(**p) for p in data["part_numbers"]])
        return fc.Product(**data)

    @staticmethod
    def keys_of(record):
        return [part.part_id for part in record.part_numbers if part.part_id]

    def fetch(self, client, keys):
        found = {}
        for key in keys:
            for product in client.iter_products(part_number=key):
                found.setdefault(product.unique_id or (product.name, product.version), product)
        return list(found.values())

    def _live(self, run):
        # products archived (retired in FlexNet, or removed earlier) are left alone, and so are
        # maintenance products: FlexNet serves them through its maintenance service
        # (getMaintenanceQuery), which the products walk does not read
        return SQL(
            """t.flexnet_backend_id = %s AND t.active AND t.default_code IS NOT NULL
               AND t.flexnet_kind IS DISTINCT FROM 'maintenance' AND t.create_date < %s""",
            self.backend.id,
            run.date_start,
        )

    def missing(self, run):
        return self._missing_sql(
            SQL(
                "SELECT t.id, t.default_code, t.default_code FROM product_template t WHERE %s AND %s",
                self._live(run),
                self._not_seen(run, "record", SQL("t.default_code")),
            )
        )

    def held(self, run):
        return self._count_sql(SQL("SELECT COUNT(*) FROM product_template t WHERE %s", self._live(run)))

    def label(self):
        return self.env._("products")

    def remove(self, ids):
        """Products FlexNet no longer has are archived: the shop and new orders no longer
        offer them; orders and entitlement lines keep them."""
        self.env["product.template"].browse(ids).write({"active": False})

    def import_page(self, records):
        self.stats["read"] += len(records)
        self.seen.extend(("record", key) for product in records for key in self.keys_of(product))
        mapped = {}
        for product in records:
            for part in product.part_numbers:
                try:
                    mapped[part.part_id] = mapper.map_product(product, part, self.backend)
                except mapper.MappingError as exc:
                    self.fail(f"{product.name} {part.part_id}", exc)
        self.stats["fetched"] += len(mapped)
        Template = self.env["product.template"].with_context(active_test=False)
        bound = Binder(Template, self.backend, "default_code").lookup(mapped)
        # adopt products created by hand with the same internal reference (part number)
        loose = [key for key in mapped if key not in bound]
        if loose:
            for template in Template.search(
                [("flexnet_backend_id", "=", False), ("default_code", "in", loose)]
            ):
                bound.setdefault(template.default_code, template)
        for key, vals in mapped.items():
            if key not in bound and vals["flexnet_kind"] == "maintenance":
                vals["flexnet_term_months"] = 12
        self.upsert(Template, bound, mapped)


class AccountImporter(Importer):
    kind = "accounts"
    models = ("res.partner",)
    watermark_field = "watermark_accounts"

    def pages(self, client, since):
        return client.iter_account_pages(modified_since=since)

    def count(self, client, since):
        return client.count_accounts(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        address = data.get("address")
        return fc.Account(**dict(data, address=fc.Address(**address) if address else None))

    @staticmethod
    def keys_of(record):
        return [record.account_id]

    def fetch(self, client, keys):
        return [account for key in keys for account in client.iter_accounts(account_id=key)]

    # an account FlexNet no longer lists stays a customer in Odoo: nothing to reconcile
    # (its entitlements and members are reconciled by their own kinds)

    def import_page(self, records):
        self.stats["fetched"] += len(records)
        self.stats["read"] += len(records)
        codes = {(a.address.country or "").upper() for a in records if a.address and a.address.country}
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", list(codes))])}
        states = {}
        for state in self.env["res.country.state"].search([("country_id", "in", list(countries.values()))]):
            states[(state.country_id.id, state.code.upper())] = state.id
            states.setdefault((state.country_id.id, state.name.upper()), state.id)
        mapped = {}
        for account in records:
            try:
                mapped[account.account_id] = mapper.map_account(account, self.backend, countries, states)
            except mapper.MappingError as exc:
                self.fail(account.account_id or account.name, exc)
        Partner = self.env["res.partner"].with_context(active_test=False)
        bound = Binder(Partner, self.backend, "flexnet_account_id").lookup(mapped)
        loose = [key for key in mapped if key not in bound]
        if loose:  # an Odoo customer whose reference is the FlexNet account ID
            for partner in Partner.search(
                [("flexnet_account_id", "=", False), ("is_company", "=", True), ("ref", "in", loose)]
            ):
                bound.setdefault(partner.ref, partner)
        self.upsert(Partner, bound, mapped)


class UserImporter(Importer):
    kind = "users"
    models = ("res.partner",)
    watermark_field = "watermark_users"
    retriable = True

    def __init__(self, backend):
        super().__init__(backend)
        self.loners = set()  # keys of the users read under no account

    def reset(self):
        self.loners.clear()
        return super().reset()

    def pages(self, client, since):
        return client.iter_user_pages(modified_since=since)

    def count(self, client, since):
        return client.count_users(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        return fc.User(
            **dict(
                data, accounts=[fc.AccountRoles(a["account_id"], tuple(a["roles"])) for a in data["accounts"]]
            )
        )

    @staticmethod
    def keys_of(record):
        return [mapper.user_key(record)]

    def fetch(self, client, keys):
        """Users by the key the sync gives them (``mapper.user_key``): the user name, or the
        e-mail of a user FlexNet gives no user name."""
        found = []
        for key in keys:
            users = list(client.iter_users(user_name=key))
            if not users and "@" in key:
                users = [user for user in client.iter_users(email=key) if mapper.user_key(user) == key]
            found.extend(users)
        return found

    def _live(self, run=None):
        # member contacts only: an account partner is never released as a member
        return SQL(
            """p.flexnet_backend_id = %s AND p.flexnet_user_name IS NOT NULL AND %s
               AND NOT COALESCE(p.is_company, FALSE) AND p.flexnet_account_id IS NULL""",
            self.backend.id,
            SQL("p.create_date < %s", run.date_start) if run else SQL("TRUE"),
        )

    def missing(self, run):
        return self._missing_sql(
            SQL(
                "SELECT p.id, p.flexnet_user_name, p.flexnet_user_name FROM res_partner p WHERE %s AND %s",
                self._live(run),
                self._not_seen(run, "record", SQL("p.flexnet_user_name")),
            )
        )

    def held(self, run):
        return self._count_sql(SQL("SELECT COUNT(*) FROM res_partner p WHERE %s", self._live(run)))

    def label(self):
        return self.env._("members")

    def _reason(self, key):
        return "a user of no account any more" if key in self.loners else super()._reason(key)

    def _release_loners(self, loners):
        """Users FlexNet lists under no account are members no more. A full run leaves them to
        its reconciliation (they are not among what the walk read: looked up again, they are
        marked with what else is gone, within the limit); an incremental run releases them
        within the limit too, counting what its earlier pages released; neither does when the
        backend does not reconcile."""
        keys = {mapper.user_key(user) for user in loners} - {None, False, ""}
        self.loners.update(keys)
        # not imported: a user listed to retry counts an attempt (it is not retried for this)
        if not self.reconciling:
            self.failed.update(dict.fromkeys(keys, "a user of no account in FlexNet"))
        if self.mode == "full" or self.reconciling or not self.backend.reconcile_full_runs:
            return
        Partner = self.env["res.partner"].with_context(active_test=False)
        released = Binder(Partner, self.backend, "flexnet_user_name").lookup(
            keys, [("is_company", "=", False), ("flexnet_account_id", "=", False)]
        )
        gone = [(contact.id, key) for key, contact in sorted(released.items())]
        if not gone:
            return
        held = self._count_sql(SQL("SELECT COUNT(*) FROM res_partner p WHERE %s", self._live()))
        if self._within_limit(self.removed_before + len(gone), held + self.removed_before):
            self._remove(gone)
            self.gone.update(key for _id, key in gone)  # released: they leave the retry list

    def remove(self, ids):
        self.env["res.partner"].browse(ids)._flexnet_release_members()

    def import_page(self, records):
        self.stats["fetched"] += len(records)
        self.stats["read"] += len(records)
        Partner = self.env["res.partner"].with_context(active_test=False)
        # a user of no account is no member: its contact, if any, leaves the members
        loners = [user for user in records if not user.accounts]
        records = [user for user in records if user.accounts]
        self.seen.extend(("record", mapper.user_key(user)) for user in records if mapper.user_key(user))
        if loners:
            self._release_loners(loners)
        account_ids = {m.account_id for user in records for m in user.accounts}
        accounts = Binder(Partner, self.backend, "flexnet_account_id").lookup(account_ids)
        mapped = {}
        member_of = {}
        for user in records:
            key = mapper.user_key(user)
            member_of[key] = {accounts[m.account_id].id for m in user.accounts if m.account_id in accounts}
            parent = next((accounts[m.account_id] for m in user.accounts if m.account_id in accounts), None)
            if parent is None:
                self.fail(
                    key,
                    "none of its accounts is in Odoo yet ({})".format(
                        ", ".join(m.account_id for m in user.accounts)
                    ),
                    retry_key=key,
                )
                continue
            try:
                mapped[key] = mapper.map_user(user, self.backend, parent)
            except mapper.MappingError as exc:
                self.fail(key, exc)
        unique_ids = {
            key: vals["flexnet_user_unique_id"]
            for key, vals in mapped.items()
            if vals.get("flexnet_user_unique_id")
        }
        bound = self._bind_unique_ids(unique_ids)
        taken = {contact.id for contact in bound.values()}
        names = Binder(Partner, self.backend, "flexnet_user_name")
        by_name = names.lookup(set(mapped))
        # a contact that holds a key FlexNet now gives another user (another unique ID) is not
        # that user's: the user it was (deleted, or renamed and listed on another page) leaves
        # it; it is released, and comes back by its unique ID if FlexNet lists that user again
        stale = Partner.browse(
            [
                contact.id
                for key, contact in by_name.items()
                if contact.id not in taken
                and not (contact.is_company or contact.flexnet_account_id)
                and (
                    key in bound
                    or (
                        contact.flexnet_user_unique_id
                        and unique_ids.get(key)
                        and contact.flexnet_user_unique_id != unique_ids[key]
                    )
                )
            ]
        )
        if stale:
            stale._flexnet_release_members()
            stale.flush_recordset()
        bound.update(
            {key: contact for key, contact in by_name.items() if contact.id not in taken | set(stale.ids)}
        )
        # a commercial partner is no member contact, of its own account or another: one bound to
        # a user (by an earlier version, when a company bought as itself) gives the user name
        # up, and the member gets a contact of its own under its account
        owners = Partner.browse([p.id for p in bound.values() if p.is_company or p.flexnet_account_id])
        if owners:
            owners.write({"flexnet_user_name": False, "flexnet_roles": False, "flexnet_can_login": False})
            owners.flush_recordset()
            bound = {key: contact for key, contact in bound.items() if contact not in owners}
        loose = {key: vals for key, vals in mapped.items() if key not in bound}
        if loose:
            bound.update(self._match_contacts(loose, member_of, {c.id for c in bound.values()}))
        for key, contact in bound.items():
            # a member of several accounts stays under the one it already belongs to: FlexNet
            # lists a user's accounts in no meaningful order, and moving a contact would hand
            # its portal user another account's entitlements and orders
            if key in mapped and contact.parent_id.id in member_of.get(key, ()):
                mapped[key]["parent_id"] = contact.parent_id.id
        self.upsert(Partner, bound, mapped)
        self.imported.update(mapped)

    def _bind_unique_ids(self, unique_ids):
        """{key: contact} of the members of the backend bound to these FlexNet unique IDs
        ({key: unique ID}): a user whose user name, or e-mail when it has none, changed in
        FlexNet is still the same contact. Compared exactly, as FlexNet gives them."""
        if not unique_ids:
            return {}
        Partner = self.env["res.partner"].with_context(active_test=False)
        contacts = Partner.search(
            [
                ("flexnet_backend_id", "=", self.backend.id),
                ("flexnet_user_unique_id", "in", sorted(set(unique_ids.values()))),
                ("flexnet_user_name", "!=", False),
                ("is_company", "=", False),
                ("flexnet_account_id", "=", False),
            ],
            order="id",
        )
        by_id = {}
        for contact in contacts:
            by_id.setdefault(contact.flexnet_user_unique_id, contact)
        return {key: by_id[uid] for key, uid in unique_ids.items() if uid in by_id}

    def _match_contacts(self, wanted, member_of, bound=()):
        """{key: contact} of the contacts Odoo has for these FlexNet users, which no contact is
        bound to yet, under one of the user's accounts (a contact moved to another account would
        take its orders there): first a member released earlier with the same FlexNet unique ID,
        or else user name (whatever its case), then one with the same e-mail (whatever its case; its portal user comes back), else
        another contact with the same e-mail. A company is never one; each contact is given to
        one user."""
        emails = {key: email_normalize(vals["email"] or "") or None for key, vals in wanted.items()}
        accounts = sorted({account for key in wanted for account in member_of.get(key, ())})
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT p.id, p.flexnet_backend_id = %(backend)s, lower(p.flexnet_former_user_name),
                          p.email_normalized, p.parent_id, p.flexnet_user_unique_id
                     FROM res_partner p
                    WHERE p.flexnet_user_name IS NULL AND NOT COALESCE(p.is_company, FALSE)
                      AND p.flexnet_account_id IS NULL AND p.parent_id = ANY(%(accounts)s)
                      AND NOT p.id = ANY(%(bound)s)
                      AND ((p.flexnet_backend_id = %(backend)s
                            AND (lower(p.flexnet_former_user_name) = ANY(%(names)s)
                                 OR p.flexnet_user_unique_id = ANY(%(unique_ids)s)))
                           OR p.email_normalized = ANY(%(emails)s))
                    ORDER BY p.id""",
                backend=self.backend.id,
                bound=sorted(bound),
                unique_ids=sorted(
                    {
                        vals["flexnet_user_unique_id"]
                        for vals in wanted.values()
                        if vals.get("flexnet_user_unique_id")
                    }
                ),
                names=sorted(key.lower() for key in wanted),
                emails=sorted({email for email in emails.values() if email}),
                accounts=accounts,
            )
        )
        rows = self.env.cr.fetchall()
        taken, found = set(), {}

        def pick(key, test):
            for row in rows:
                if row[0] not in taken and row[4] in member_of.get(key, ()) and test(row):
                    taken.add(row[0])
                    found[key] = row[0]
                    return

        for key in sorted(wanted):  # the same FlexNet user first: its unique ID, its user name
            unique_id = wanted[key].get("flexnet_user_unique_id")
            if unique_id:
                pick(key, lambda row, u=unique_id: row[1] and row[5] == u)
        for key in sorted(set(wanted) - set(found)):
            pick(key, lambda row, key=key: row[1] and row[2] == key.lower())
        for key in sorted(set(wanted) - set(found)):  # then the same e-mail
            email = emails[key]
            if email:
                pick(key, lambda row, e=email: row[3] == e and row[1])
                if key not in found:
                    pick(key, lambda row, e=email: row[3] == e)
        Partner = self.env["res.partner"].with_context(active_test=False)
        return {key: Partner.browse(contact_id) for key, contact_id in found.items()}


class LineImporter(Importer):
    kind = "lines"
    models = ("flexnet.entitlement", "flexnet.entitlement.line")
    watermark_field = "watermark_lines"
    retriable = True

    def pages(self, client, since):
        return client.iter_line_item_pages(modified_since=since)

    def count(self, client, since):
        return client.count_line_items(modified_since=since)

    @staticmethod
    def record_from_dict(data):
        return fc.LineItem(
            **dict(data, maintenance=[fc.MaintenanceLineItem(**m) for m in data["maintenance"]])
        )

    @staticmethod
    def keys_of(record):
        return [record.activation_id]

    def fetch(self, client, keys):
        return [line for key in keys for line in client.iter_line_items(activation_id=key)]

    def _live(self, run, alias):
        return SQL(
            "%s.backend_id = %s AND COALESCE(%s.state, '') <> %s AND %s.create_date < %s",
            SQL.identifier(alias),
            self.backend.id,
            SQL.identifier(alias),
            mapper.REMOVED,
            SQL.identifier(alias),
            run.date_start,
        )

    def missing(self, run):
        # a maintenance line is read under its parent line: looked up again by the parent's key
        return self._missing_sql(
            SQL(
                """SELECT l.id, l.activation_id, COALESCE(p.activation_id, l.activation_id)
                     FROM flexnet_entitlement_line l
                     LEFT JOIN flexnet_entitlement_line p ON p.id = l.parent_id
                    WHERE %s AND %s""",
                self._live(run, "l"),
                self._not_seen(run, "record", SQL("l.activation_id")),
            )
        )

    def _missing_entitlements(self, run):
        return self._missing_sql(
            SQL(
                "SELECT e.id, e.name FROM flexnet_entitlement e WHERE %s AND %s",
                self._live(run, "e"),
                self._not_seen(run, "entitlement", SQL("e.name")),
            )
        )

    def held(self, run):
        return self._count_sql(
            SQL("SELECT COUNT(*) FROM flexnet_entitlement_line l WHERE %s", self._live(run, "l"))
        )

    def _held_entitlements(self, run):
        return self._count_sql(
            SQL("SELECT COUNT(*) FROM flexnet_entitlement e WHERE %s", self._live(run, "e"))
        )

    def label(self):
        return self.env._("entitlement lines")

    def verify(self, client, keys):
        """The lines of FlexNet among ``keys`` (activation IDs of lines), read again by their
        entitlement: one query for all the lines of one entitlement; then, one query each, the
        lines their entitlement no longer lists (FlexNet moves a line to another entitlement,
        keeping its activation ID: ``transferLineItems``) and the lines Odoo knows under no
        entitlement."""
        keys = set(keys)
        if not keys:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT e.name, l.activation_id FROM flexnet_entitlement_line l
                     JOIN flexnet_entitlement e ON e.id = l.entitlement_id
                    WHERE l.backend_id = %s AND l.activation_id = ANY(%s)""",
                self.backend.id,
                sorted(keys),
            )
        )
        by_entitlement = {}
        for name, key in self.env.cr.fetchall():
            by_entitlement.setdefault(name, set()).add(key)
        found = []
        for name, wanted in sorted(by_entitlement.items()):
            found.extend(
                line for line in client.iter_line_items(entitlement_id=name) if line.activation_id in wanted
            )
        listed = {line.activation_id for line in found}
        return found + self.fetch(client, sorted(keys - listed))

    def remove(self, ids):
        """Lines FlexNet no longer has take the state REMOVED: no account is entitled by them
        any more (``flexnet.entitled.product``), their history stays."""
        self.env["flexnet.entitlement.line"].browse(ids).write({"state": mapper.REMOVED})

    def reconcile(self, client, run):
        """Lines, then entitlements: an entitlement none of whose lines the walk read is looked
        up; FlexNet's state and account are taken when it has it (an entitlement without lines),
        else it is REMOVED. Every lookup is made before anything is marked; lines and
        entitlements are each marked within the backend's limit (``_within_limit``), counting
        only what the lookups did not find."""
        missing = self.missing(run)
        entitlements = self._missing_entitlements(run)
        if not (missing or entitlements):
            return
        held_lines, held_entitlements = self.held(run), self._held_entitlements(run)
        self._import_found(self.verify(client, {fetch for _id, _key, fetch in missing}))
        read = {key for scope, key in self.seen if scope == "entitlement"}
        candidates = [(ent_id, name) for ent_id, name in entitlements if name not in read]
        still = {name: client.get_entitlement(name) for _id, name in candidates}
        present = {key for scope, key in self.seen if scope == "record"}
        gone = [(record_id, key) for record_id, key, _fetch in missing if key not in present]
        # entitlements are counted apart from lines; the lines held back hold their
        # entitlements back too (an entitlement REMOVED over live lines would say otherwise)
        lines_ok = not gone or self._within_limit(len(gone), held_lines)
        if gone and lines_ok:
            self._remove(gone)
        Entitlement = self.env["flexnet.entitlement"]
        kept = Entitlement.browse([ent_id for ent_id, name in candidates if still.get(name)])
        for entitlement in kept:
            self._follow_entitlement(entitlement, still[entitlement.name])
        gone = [(ent_id, name) for ent_id, name in candidates if not still.get(name)]
        if gone and lines_ok and self._within_limit(len(gone), held_entitlements, self.env._("entitlements")):
            Entitlement.browse([ent_id for ent_id, _name in gone]).write({"state": mapper.REMOVED})
            self.stats["removed"] += len(gone)
            self.removed_log.extend(
                f"entitlement {name}: not in FlexNet any more" for _id, name in gone[:LOG_LINES]
            )

    def _follow_entitlement(self, entitlement, found):
        """An entitlement FlexNet has without lines the walk read: its state and account."""
        values = {"state": found.state or False}
        account = Binder(self.env["res.partner"], self.backend, "flexnet_account_id").lookup([found.sold_to])
        if found.sold_to in account:
            values.update(partner_id=account[found.sold_to].id, account_id=found.sold_to)
        diff = changed_values(entitlement.read(list(values), load=None)[0], values)
        if diff:
            entitlement.write(diff)
            self.stats["updated"] += 1

    def import_page(self, records):
        env = self.env
        self.stats["fetched"] += len(records) + sum(len(li.maintenance) for li in records)
        self.stats["read"] += len(records)
        for li in records:
            self.seen.append(("record", li.activation_id))
            self.seen.extend(("record", m.activation_id) for m in li.maintenance)
            if li.entitlement_id:
                self.seen.append(("entitlement", li.entitlement_id))
        Partner = env["res.partner"].with_context(active_test=False)
        Product = env["product.product"].with_context(active_test=False)
        Entitlement = env["flexnet.entitlement"]
        Line = env["flexnet.entitlement.line"]

        accounts = Binder(Partner, self.backend, "flexnet_account_id").lookup({li.sold_to for li in records})
        parts = {li.part_number for li in records} | {m.part_number for li in records for m in li.maintenance}
        products = {
            p.default_code: p
            for p in Product.search(
                [("flexnet_backend_id", "=", self.backend.id), ("default_code", "in", list(parts))]
            )
        }
        usable = []
        for li in records:
            if li.sold_to not in accounts:
                self.fail(li.activation_id, f"account {li.sold_to} is not in Odoo yet", li.activation_id)
                self.stats["failed"] += len(li.maintenance)
            elif li.part_number not in products:
                self.fail(
                    li.activation_id, f"part number {li.part_number} is not in Odoo yet", li.activation_id
                )
                self.stats["failed"] += len(li.maintenance)
            elif not li.entitlement_id:
                self.fail(li.activation_id, "line without an entitlement ID")
            else:
                usable.append(li)

        # entitlements: bind, create the missing ones in one call
        bound_ents = Binder(Entitlement, self.backend, "name", "backend_id").lookup(
            {li.entitlement_id for li in usable}
        )
        new_ents = {}
        for li in usable:
            if li.entitlement_id not in bound_ents and li.entitlement_id not in new_ents:
                new_ents[li.entitlement_id] = {
                    "name": li.entitlement_id,
                    "backend_id": self.backend.id,
                    "company_id": self.backend.company_id.id,
                    "partner_id": accounts[li.sold_to].id,
                    "account_id": li.sold_to,
                    "state": li.entitlement_state or False,
                }
        # an entitlement already in Odoo follows FlexNet's owner and state on every run (a
        # transfer to another account, a state change); on a transfer all its lines move with it
        changes = {}
        for li in usable:
            entitlement = bound_ents.get(li.entitlement_id)
            if entitlement is None or li.entitlement_id in new_ents:
                continue
            wanted = (accounts[li.sold_to].id, li.sold_to, li.entitlement_state or False)
            if wanted != (entitlement.partner_id.id, entitlement.account_id, entitlement.state or False):
                changes.setdefault(wanted, Entitlement)
                changes[wanted] |= entitlement
        for (partner_id, account_id, state), entitlements in changes.items():
            moved = entitlements.filtered(lambda e, p=partner_id: e.partner_id.id != p)
            entitlements.write({"partner_id": partner_id, "account_id": account_id, "state": state})
            (moved.line_ids | moved.maintenance_line_ids).write({"partner_id": partner_id})
        if new_ents:
            for record in Entitlement.create(list(new_ents.values())):
                bound_ents[record.name] = record

        mapped = {
            li.activation_id: mapper.map_line(
                li,
                self.backend,
                bound_ents[li.entitlement_id],
                accounts[li.sold_to],
                products[li.part_number],
            )
            for li in usable
        }
        keys = set(mapped) | {m.activation_id for li in usable for m in li.maintenance}
        bound = Binder(Line, self.backend, "activation_id", "backend_id").lookup(keys)
        lines = self.upsert(Line, bound, mapped)
        self.imported.update(mapped)

        maintenance = {}
        for li in usable:
            for item in li.maintenance:
                product = products.get(item.part_number)
                if product is None:
                    self.fail(
                        item.activation_id,
                        f"part number {item.part_number} is not in Odoo yet",
                        li.activation_id,
                    )
                    self.imported.discard(li.activation_id)
                    continue
                maintenance[item.activation_id] = mapper.map_maintenance(
                    item,
                    self.backend,
                    bound_ents[li.entitlement_id],
                    accounts[li.sold_to],
                    product,
                    lines[li.activation_id].id,
                )
        if maintenance:
            self.upsert(Line, bound, maintenance)


IMPORTER_CLASSES = (ProductImporter, AccountImporter, UserImporter, LineImporter)


def serialize(records):
    """Records as JSON-friendly dicts (dates stay dates: queue_job encodes them)."""
    return [dataclasses.asdict(record) for record in records]
