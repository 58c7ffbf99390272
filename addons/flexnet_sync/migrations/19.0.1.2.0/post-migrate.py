"""FlexNet account types become one model, ``flexnet.account.type``.

Before 19.0.1.2.0, flexnet_store (``flexnet.store.account.type``) and maintenance_renewal
(``maintenance.renewal.account.type``) each kept the account types. The data file has just
created one record per type; here a name, translation or sequence edited in one of the old
models carries over (flexnet_store's first), and a type flexnet_store knew under a code FlexNet
does not have keeps a record, so that the rules that name it survive. flexnet_store and
maintenance_renewal then point their references at these records (by code) and drop their
old tables in their own migrations.
"""

import json
import logging

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)

OLD_TABLES = ("flexnet_store_account_type", "maintenance_renewal_account_type")


def migrate(cr, version):
    old_tables = [table for table in OLD_TABLES if sql.table_exists(cr, table)]
    if not version or not old_tables:
        return
    cr.execute("SELECT code, id, name, sequence FROM flexnet_account_type")
    ids, shipped = {}, {}
    for code, id_, name, sequence in cr.fetchall():
        ids[code], shipped[code] = id_, {"name": name, "sequence": sequence}
    edited = {code: {} for code in shipped}
    for table in old_tables:
        cr.execute(SQL("SELECT code, name, sequence FROM %s ORDER BY id", SQL.identifier(table)))
        for code, name, sequence in cr.fetchall():
            if code not in ids:
                _logger.warning(
                    "Account type %r of %s is not one of FlexNet's types: kept as is.", code, table
                )
                cr.execute(
                    SQL(
                        """INSERT INTO flexnet_account_type
                                  (code, name, sequence, create_uid, create_date, write_uid, write_date)
                           VALUES (%s, %s::jsonb, %s, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC')
                        RETURNING id""",
                        code,
                        json.dumps(name),
                        sequence,
                    )
                )
                ids[code] = cr.fetchone()[0]
                shipped[code], edited[code] = {"name": name, "sequence": sequence}, {}
                continue
            # what differs from the data file's values was edited (or translated): the first
            # value found wins, language by language
            names = edited[code].setdefault("name", {})
            for lang, text in (name or {}).items():
                if text != shipped[code]["name"].get(lang):
                    names.setdefault(lang, text)
            if sequence != shipped[code]["sequence"]:
                edited[code].setdefault("sequence", sequence)
    for code, values in edited.items():
        values = {
            "name": {**shipped[code]["name"], **values.get("name", {})},
            "sequence": values.get("sequence", shipped[code]["sequence"]),
        }
        if values != shipped[code]:
            cr.execute(
                SQL(
                    "UPDATE flexnet_account_type SET name = %s::jsonb, sequence = %s WHERE id = %s",
                    json.dumps(values["name"]),
                    values["sequence"],
                    ids[code],
                )
            )
