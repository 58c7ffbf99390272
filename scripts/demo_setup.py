# Run by scripts/demo.sh inside `odoo shell` (``env`` is given): point the demo FlexNet
# backend at the running simulator and synchronise it once.
import os

url = os.environ.get("FLEXNET_DEMO_URL", "http://127.0.0.1:8780")
backend = env.ref("flexnet_sync.flexnet_backend_demo", raise_if_not_found=False)  # noqa: F821
if backend:
    backend.url = url
    for run in backend.sync_incremental():
        print(f"  FlexNet sync {run.kind:9s} {run.state:6s} fetched {run.fetched_count:5d} "
              f"created {run.created_count:5d} updated {run.updated_count:5d} failed {run.failed_count}")
    env.cr.commit()  # noqa: F821
else:
    print("  no demo FlexNet backend (database created without demo data)")
