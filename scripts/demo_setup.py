# Run by scripts/demo.sh inside `odoo shell` (``env`` is given): point the demo FlexNet
# backend at the running simulator, synchronise it once and give the synced products the
# demo list prices.
import os

PRICES = {
    "CADS-PRO-LIC": 2000.0,
    "CADS-SEAT": 400.0,
    "CADS-RENDER": 600.0,
    "CADS-MNT-1Y": 350.0,
    "CADS-MEDIA-DVD": 25.0,
    "SIMF-LIC": 1500.0,
    "SIMF-SEAT": 300.0,
    "SIMF-CFD": 900.0,
    "SIMF-MNT-1Y": 280.0,
    "SIMF-MEDIA-USB": 0.0,
    "DVS-LIC": 1000.0,
    "DVS-HA": 700.0,
    "DVS-MNT-1Y": 200.0,
    "DVS-MEDIA-DVD": 0.0,
}

url = os.environ.get("FLEXNET_DEMO_URL", "http://127.0.0.1:8780")
backend = env.ref("flexnet_sync.flexnet_backend_demo", raise_if_not_found=False)  # noqa: F821
if backend:
    backend.url = url
    for run in backend.sync_incremental():
        print(
            f"  FlexNet sync {run.kind:9s} {run.state:6s} fetched {run.fetched_count:5d} "
            f"created {run.created_count:5d} updated {run.updated_count:5d} failed {run.failed_count}"
        )
    for product in env["product.template"].search([("flexnet_backend_id", "=", backend.id)]):  # noqa: F821
        if product.default_code in PRICES:
            product.list_price = PRICES[product.default_code]
    env.cr.commit()  # noqa: F821
else:
    print("  no demo FlexNet backend (database created without demo data)")
