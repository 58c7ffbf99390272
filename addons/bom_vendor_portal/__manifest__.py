{
    "name": "BOM Vendor Portal",
    "summary": "BOMs and their released documents for internal users and assigned vendors through the portal",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Manufacturing",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["mrp", "portal"],
    "data": ["security/bom_vendor_portal_groups.xml"],
    "demo": ["demo/res_users_demo.xml"],
}
