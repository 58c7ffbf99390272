{
    "name": "FlexNet Entitlement-Gated Store",
    "summary": "Web shop gated by FlexNet entitlements, media-kit links and FlexNet sign-on",
    "version": "19.0.1.0.0",
    "category": "Website/Website",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["website_sale", "flexnet_sync"],
    "data": ["security/flexnet_store_groups.xml"],
    "demo": ["demo/res_users_demo.xml"],
}
