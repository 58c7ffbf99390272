"""Helpers for the migrations of addons that kept FlexNet account types of their own.

flexnet_store (``flexnet.store.account.type``) and maintenance_renewal
(``maintenance.renewal.account.type``) did until ``flexnet.account.type`` took their place;
flexnet_sync's own migration (19.0.1.2.0) has by then given every code of theirs a record.
"""

from odoo.tools import SQL, sql

TABLE = "flexnet_account_type"


def repoint_account_type_column(cr, old_table, table, column):
    """Make ``table.column``, ids of the old account-type table ``old_table``, ids of the
    ``flexnet.account.type`` of the same code (foreign key included)."""
    if not sql.table_exists(cr, TABLE):
        raise RuntimeError(
            "flexnet.account.type is missing: update flexnet_sync with the addons that use it."
        )
    cr.execute(
        """SELECT con.conname
             FROM pg_constraint con
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
            WHERE con.contype = 'f' AND con.conrelid = %s::regclass AND a.attname = %s
              AND con.confrelid = %s::regclass""",
        (table, column, old_table),
    )
    for (name,) in cr.fetchall():
        sql.drop_constraint(cr, table, name)
    # through negative ids: a unique key over the column (a relation's, one set of terms per
    # type) must not see an old id and a new one collide on the way
    cr.execute(
        SQL(
            """UPDATE %(table)s t
                  SET %(column)s = -n.id
                 FROM %(old)s o
                 JOIN %(new)s n ON n.code = o.code
                WHERE t.%(column)s = o.id""",
            table=SQL.identifier(table),
            column=SQL.identifier(column),
            old=SQL.identifier(old_table),
            new=SQL.identifier(TABLE),
        )
    )
    cr.execute(
        SQL(
            "UPDATE %(table)s SET %(column)s = -%(column)s WHERE %(column)s < 0",
            table=SQL.identifier(table),
            column=SQL.identifier(column),
        )
    )
    sql.fix_foreign_key(cr, table, column, TABLE, "id", "cascade")


def copy_account_type_relation(cr, old_table, old_relation, old_columns, relation, columns):
    """Copy the rows of a many2many relation to old account types (``old_columns``: the
    record's column, the type's column) into ``relation`` (same order), by code."""
    cr.execute(
        SQL(
            """INSERT INTO %(relation)s (%(record)s, %(type)s)
               SELECT r.%(old_record)s, n.id
                 FROM %(old_relation)s r
                 JOIN %(old)s o ON o.id = r.%(old_type)s
                 JOIN %(new)s n ON n.code = o.code
               ON CONFLICT DO NOTHING""",
            relation=SQL.identifier(relation),
            record=SQL.identifier(columns[0]),
            type=SQL.identifier(columns[1]),
            old_relation=SQL.identifier(old_relation),
            old_record=SQL.identifier(old_columns[0]),
            old_type=SQL.identifier(old_columns[1]),
            old=SQL.identifier(old_table),
            new=SQL.identifier(TABLE),
        )
    )


def drop_account_type_model(cr, old_table, old_model, relations=()):
    """Drop an old account-type model's table, the many2many ``relations`` to it and the
    external ids of its records; the update removes the model's definition (fields, access
    rights) once loaded."""
    cr.execute("DELETE FROM ir_model_data WHERE model = %s", (old_model,))
    tables = sql.existing_tables(cr, [*relations, old_table])
    if not tables:
        return
    cr.execute(
        """DELETE FROM ir_model_constraint
            WHERE name IN (SELECT conname FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]))""",
        (tables,),
    )
    cr.execute("DELETE FROM ir_model_relation WHERE name = ANY(%s)", (tables,))
    cr.execute(SQL("DROP TABLE %s CASCADE", SQL(", ").join(SQL.identifier(table) for table in tables)))
