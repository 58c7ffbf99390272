{
    "name": "Maintenance Renewal",
    "summary": "Maintenance status, renewal campaigns to members, past-due follow-up, reports",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["flexnet_sync", "mass_mailing", "sale_management"],
    "data": ["security/maintenance_renewal_groups.xml"],
    "demo": ["demo/res_users_demo.xml"],
}
