{
    "name": "FlexNet Operations Sync",
    "summary": "Synchronise products, accounts, members and entitlements with "
    "Flexera FlexNet Operations and push entitlements for sold licenses",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["sale_management", "contacts", "queue_job"],
    "external_dependencies": {"python": ["lxml", "requests"]},
    "data": [
        "security/flexnet_sync_groups.xml",
    ],
    "demo": [
        "demo/res_users_demo.xml",
    ],
    "application": True,
}
