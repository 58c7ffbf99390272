"""ProductPackagingService v2: products with their part numbers, and their count."""

from datetime import datetime, timedelta

from .base import NS_PRODUCTS, response_data
from .records import PartNumber, Product
from .xmlutil import Builder, attributes, identifier, local, to_datetime


class ProductPackagingMixin:
    """Products of the site (ProductPackagingService v2)."""

    def _product_criteria(self, b, params, *, modified_since=None, part_number=None, name=None):
        if isinstance(modified_since, datetime):
            # the service filters by day: ask from the day before, upserts are idempotent
            modified_since = modified_since.date() - timedelta(days=1)
        b.query(params, "productName", name)
        b.query(params, "partNumber", part_number)
        b.query(params, "lastModifiedDate", modified_since, "AFTER")

    def iter_product_pages(self, *, modified_since=None, part_number=None, name=None, page_size=None):
        """Pages of :class:`Product` with their part numbers.

        ``modified_since`` is a date or datetime: the service filters by day, so products
        modified on that day are returned again (upserts must be idempotent anyway).
        """
        b = Builder(NS_PRODUCTS)

        def build(page, size):
            root = b.root("getProductsQueryRequest")
            params = b.sub(root, "queryParams")
            self._product_criteria(
                b, params, modified_since=modified_since, part_number=part_number, name=name
            )
            b.sub(root, "pageNumber", page)
            b.sub(root, "batchSize", size)
            b.sub(root, "returnContainedObjects", True)
            return root

        return self._pages(
            NS_PRODUCTS,
            "getProductsQuery",
            "getProductsQueryResponse",
            build,
            lambda body: response_data(body, _product),
            page_size,
            key=lambda product: product.unique_id or (product.name, product.version),
        )

    def iter_products(self, **kwargs):
        for page in self.iter_product_pages(**kwargs):
            yield from page

    def count_products(self, *, modified_since=None, part_number=None, name=None):
        """``getProductCount`` with the criteria of :meth:`iter_product_pages`."""
        b = Builder(NS_PRODUCTS)
        root = b.root("getProductCountRequest")
        params = b.sub(root, "queryParams")
        self._product_criteria(b, params, modified_since=modified_since, part_number=part_number, name=name)
        return self._count(NS_PRODUCTS, "getProductCount", root, "getProductCountResponse")


# --- response parsing ----------------------------------------------------------------------


def _product(element):
    product = Product(name="")
    for child in element:
        name = local(child.tag)
        if name == "productName":
            product.name = child.text
        elif name == "version":
            product.version = child.text
        elif name == "uniqueId":
            product.unique_id = child.text
        elif name == "description":
            product.description = child.text
        elif name == "state":
            product.state = child.text
        elif name == "productCategory":
            product.category = child.text
        elif name == "partNumbers":
            for part in child:
                part_id = identifier(part, "partId")
                model = next((c for c in part if local(c.tag) == "licenseModel"), None)
                product.part_numbers.append(
                    PartNumber(
                        part_id=part_id,
                        unique_id=next((c.text for c in part if local(c.tag) == "uniqueId"), None),
                        license_model=identifier(model, "name") if model is not None else None,
                    )
                )
        elif name == "customAttributes":
            product.attributes = attributes(child)
        elif name == "creationDate":
            product.created = to_datetime(child.text)
        elif name == "lastModifiedDate":
            product.last_modified = to_datetime(child.text)
    return product
