class Binder:
    """Finds the Odoo records bound to FlexNet keys for one backend, in one query."""

    def __init__(self, model, backend, key_field, backend_field="flexnet_backend_id"):
        self.model = model.with_context(active_test=False)
        self.backend = backend
        self.key_field = key_field
        self.backend_field = backend_field

    def lookup(self, keys, extra_domain=()):
        """Return {key: record} for the keys already bound."""
        keys = [k for k in set(keys) if k]
        if not keys:
            return {}
        # the key alone is fetched: the importers read what else they need of the records
        # found, and most pages of a first synchronisation find none
        records = self.model.search_fetch(
            [(self.backend_field, "=", self.backend.id), (self.key_field, "in", keys), *extra_domain],
            [self.key_field],
        )
        return {record[self.key_field]: record for record in records}


def normalize(value):
    """Compare Odoo values and mapped values alike (None/False, recordsets/ids)."""
    if value is None or value == "":
        return False
    if hasattr(value, "_name"):
        return value.id or False
    return value


def changed_values(current, vals):
    """The part of ``vals`` that differs from ``current`` (a dict from ``read(load=None)``)."""
    return {k: v for k, v in vals.items() if normalize(current.get(k)) != normalize(v)}
