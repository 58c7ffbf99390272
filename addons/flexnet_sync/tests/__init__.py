from . import (
    test_flexnet_account_type,
    test_flexnet_sync_migration,
    test_flexnet_sync_migration_150,
    test_flexnet_sync_security,
    test_job_graph,
    test_push,
    test_reconcile,
    test_sync,
)
