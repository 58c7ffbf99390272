from . import (
    media_label_template,
    media_production_job,
    media_production_job_file,
    media_production_site,
    media_routing_rule,
    media_title_file,
    media_type,
    media_type_component,
    mrp_production,
    product_template,
    sale_order,
    sale_order_line,
)
