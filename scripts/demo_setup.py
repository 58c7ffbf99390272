# Run by scripts/demo.sh inside `odoo shell` (``env`` is given): point the demo FlexNet
# backend at the running simulator, synchronise it once, give the synced products the
# demo list prices, make the demo sales user the salesperson of the synced accounts and
# price the installed base for the renewal screens.
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
        if "is_published" in product._fields:
            product.is_published = True  # the shop shows each account what it may buy
    sales = env.ref("flexnet_sync.user_demo_sales", raise_if_not_found=False)  # noqa: F821
    accounts = env["res.partner"].search(  # noqa: F821
        [("flexnet_backend_id", "=", backend.id), ("is_company", "=", True), ("user_id", "=", False)]
    )
    if sales:
        accounts.user_id = sales
    if "maintenance.renewal.term" in env:  # noqa: F821
        env["maintenance.renewal.term"]._refresh(reprice=True)  # noqa: F821
        if not env["maintenance.renewal.campaign"].search_count([]):  # noqa: F821
            campaign = env["maintenance.renewal.campaign"].create(  # noqa: F821
                {
                    "name": "Maintenance ending in the next 90 days",
                    "include_past_due": True,
                    "user_id": env.ref("maintenance_renewal.user_demo_manager").id,  # noqa: F821
                }
            )
            campaign.action_preview()
    env.cr.commit()  # noqa: F821
else:
    print("  no demo FlexNet backend (database created without demo data)")
