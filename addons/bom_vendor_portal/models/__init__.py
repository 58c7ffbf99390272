from . import (
    media_production_site,
    mrp_bom,
    mrp_bom_document,
    mrp_bom_document_download,
    mrp_bom_document_revision,
    product_category,
    product_template,
    res_partner,
)
