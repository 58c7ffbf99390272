{
    "name": "Media Kit Production",
    "summary": "Media-kit lines become routed, checksummed, labelled disc production jobs",
    "version": "19.0.1.0.0",
    "category": "Supply Chain/Manufacturing",
    "website": "https://github.com/flexnet-odoo/flexnet-odoo",
    "author": "FlexNet Odoo Fulfilment",
    "license": "AGPL-3",
    "depends": ["sale_mrp", "sale_stock", "flexnet_sync"],
    "data": ["security/media_production_groups.xml"],
}
