"""Synchronisation engine between FlexNet Operations and Odoo.

Vocabulary of OCA connector, one small class per role: a *Binder* finds the Odoo records
of FlexNet keys, a *Mapper* turns a FlexNet record into Odoo values, an *Importer* runs
the flow for one kind of record (page by page, batched writes), and the *SyncEngine* runs
importers, records :class:`flexnet.sync.run` and moves watermarks.
"""

from .engine import IMPORTERS, KINDS, SyncEngine
