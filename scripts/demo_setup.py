# ruff: noqa: F821  (``env`` is given by odoo shell)
# Run by scripts/demo.sh inside `odoo shell` (``env`` is given): point the demo FlexNet
# backend at the running simulator, synchronise it once, give the synced products the
# demo list prices, make the demo sales user the salesperson of the synced accounts and
# price the installed base for the renewal screens.
import base64
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
backend = env.ref("flexnet_sync.flexnet_backend_demo", raise_if_not_found=False)
if backend:
    backend.url = url
    for run in backend.sync_incremental():
        print(
            f"  FlexNet sync {run.kind:9s} {run.state:6s} fetched {run.fetched_count:5d} "
            f"created {run.created_count:5d} updated {run.updated_count:5d} failed {run.failed_count}"
        )
    for product in env["product.template"].search([("flexnet_backend_id", "=", backend.id)]):
        if product.default_code in PRICES:
            product.list_price = PRICES[product.default_code]
        if "is_published" in product._fields:
            product.is_published = True  # the shop shows each account what it may buy
    sales = env.ref("flexnet_sync.user_demo_sales", raise_if_not_found=False)
    accounts = env["res.partner"].search(
        [("flexnet_backend_id", "=", backend.id), ("is_company", "=", True), ("user_id", "=", False)]
    )
    if sales:
        accounts.user_id = sales
    if "maintenance.renewal.term" in env:
        env["maintenance.renewal.term"]._refresh(reprice=True)
        if not env["maintenance.renewal.campaign"].search_count([]):
            campaign = env["maintenance.renewal.campaign"].create(
                {
                    "name": "Maintenance ending in the next 90 days",
                    "include_past_due": True,
                    "user_id": env.ref("maintenance_renewal.user_demo_manager").id,
                }
            )
            campaign.action_preview()
        # the daily past-due follow-up, as its scheduled action runs it: reminders queued
        # for the members and billing contacts of the accounts whose maintenance ended
        reminded = env["maintenance.renewal.followup.step"]._cron_run_followup()
        queued = env["mail.mail"].search([("model", "=", "res.partner"), ("state", "=", "outgoing")])
        print(
            f"  past-due follow-up: {reminded} account(s), e-mails queued to {sorted(queued.recipient_ids.mapped('email'))}"
        )
    # "purchase media kit" links as FlexNet's download page sends them (account, user, the
    # downloaded item's partner product ID), for Carla: valid a day, each usable once
    links_file = os.environ.get("DEMO_MEDIA_LINKS_FILE")
    if links_file and "media_link_max_age" in backend._fields:
        backend.media_link_max_age = 24 * 60
        odoo_url = os.environ.get("DEMO_ODOO_URL", "http://127.0.0.1:8069")
        with open(links_file, "w", encoding="utf-8") as links:
            for label, item in (
                ("free DataVault kit", "DVS-31-LINUX"),
                ("priced CAD Studio kit", "CADS-2025-WIN64"),
            ):
                link = backend._media_link_url(
                    "NW-0042", "carla@northwind.example.com", "Carla Customer", item=item
                )
                links.write(f"    {label:22s} {odoo_url}{link}\n")
    env.cr.commit()
else:
    print("  no demo FlexNet backend (database created without demo data)")

# media production: the stations of the demo sites get a technical user and an API key
# (written to the run folder for scripts/demo.sh), and each demo title a small release
stations_file = os.environ.get("DEMO_STATIONS_FILE")
if stations_file and "media.production.site" in env:
    from datetime import datetime, timedelta

    env["ir.config_parameter"].set_param(
        "web.base.url", os.environ.get("DEMO_ODOO_URL", "http://127.0.0.1:8069")
    )
    station_group = env.ref("media_production.group_media_station")
    lines = []
    for site in env["media.production.site"].search([]):
        user = site.station_user_id
        if not user:
            user = env["res.users"].create(
                {
                    "name": f"{site.name} station",
                    "login": f"station-{site.code.lower()}",
                    "group_ids": [(6, 0, station_group.ids)],
                }
            )
            site.station_user_id = user
        # a station key, as the "New production site" wizard issues them: rotated from the site
        key = site._station_issue_key(datetime.now() + timedelta(hours=23))
        # a site whose robot verifies discs runs PTBurn (Primera), another Rimage
        lines.append(f"{site.code} {key} {'ptburn' if site.robot_verifies else 'rimage'}")
    # kits synchronised before their media type had components get their BOM and routes now
    env["product.template"].search([("flexnet_kind", "=", "media_kit")])._media_prepare_production()
    Files = env["media.title.file"]
    for title in set(
        env["product.template"].search([("flexnet_kind", "=", "license")]).mapped("flexnet_product_name")
    ):
        if title and not Files.search_count([("title", "=", title)]):
            readme = f"{title}: installation media produced for the demo.\n".encode()
            Files.create(
                {
                    "title": title,
                    "name": "README.txt",
                    "version": "demo",
                    "file": base64.b64encode(readme),
                    "file_name": "README.txt",
                }
            ).action_release()
    env.cr.commit()
    with open(stations_file, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print(f"  {len(lines)} production station key(s) written to {stations_file}")
