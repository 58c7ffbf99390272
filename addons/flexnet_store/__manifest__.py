{
    "name": "FlexNet Entitlement-Gated Store",
    "summary": "Web shop gated by FlexNet entitlements, media-kit links and FlexNet sign-on",
    "version": "19.0.1.1.0",
    "category": "Website/Website",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["website_sale", "flexnet_sync"],
    "data": [
        "security/flexnet_store_groups.xml",
        "security/ir.model.access.csv",
        "security/flexnet_store_security.xml",
        "views/product_template_views.xml",
        "views/flexnet_store_account_term_views.xml",
        "views/flexnet_backend_views.xml",
        "views/website_views.xml",
        "views/flexnet_store_templates.xml",
    ],
    "demo": ["demo/res_users_demo.xml", "demo/flexnet_store_demo.xml"],
    "assets": {
        "web.assets_tests": ["flexnet_store/static/src/js/tours/*.js"],
    },
}
