"""ProductPackagingService v2: products with their part numbers and features, counts, features."""

from ..wire import render, status
from .common import (
    NS_V2,
    READ_CAP,
    NotModelled,
    attribute_pairs,
    attributes,
    boolean,
    criteria,
    day,
    paging,
    pk,
    text,
    text_in,
    too_many,
    where_sql,
)

PRODUCT_CRITERIA = {
    "productName": text("p.name"),
    "version": text("p.version"),
    "description": text("p.description"),
    "partNumber": text_in("p.id IN (SELECT product_id FROM part_numbers WHERE {})", "part_id"),
    "state": text("p.state"),
    "creationDate": day("p.created"),
    "lastModifiedDate": day("p.modified"),
    "licenseTechnology": NotModelled("the simulated products have no license technology"),
    "hostType": NotModelled("the simulated products have no host types"),
    # no simulated product is a device product
    "usedOnDevice": boolean("0", "1"),
    "productAttributes": attributes(
        {"ProductKind": "p.kind", "BaseProduct": "p.carries", "EsdItem": "p.esd_item"}, "products"
    ),
}

FEATURE_CRITERIA = {
    "featureName": text("f.name"),
    "version": text("f.version"),
    "versionFormat": text("f.version_format"),
    "description": text("f.description"),
    "state": text("f.state"),
    "creationDate": day("f.created"),
    "lastModifiedDate": day("f.modified"),
}


def _partial(ctx, records, what):
    if ctx.partial:
        return status("PARTIAL_FAILURE", f"some {what} could not be read"), records[: len(records) // 2]
    return status(), records


def get_products(ctx, req):
    page, size = paging(req)
    if size > READ_CAP:
        return too_many(NS_V2, "getProductsQueryResponse", size)
    where, params = criteria(req.one("queryParams"), PRODUCT_CRITERIA, "getProductsQuery")
    contained = req.flag("returnContainedObjects")
    db = ctx.store.db
    rows = db.execute(
        f"SELECT * FROM products p{where_sql(where)} ORDER BY p.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    parts, features = {}, {}
    if rows:
        marks = ",".join("?" * len(rows))
        ids = [r["id"] for r in rows]
        for part in db.execute(
            f"SELECT * FROM part_numbers WHERE product_id IN ({marks}) ORDER BY part_id", ids
        ):
            parts.setdefault(part["product_id"], []).append(part)
        if contained:
            for feature in db.execute(
                f"SELECT pf.product_id, f.* FROM product_features pf JOIN features f ON f.id = pf.feature_id "
                f"WHERE pf.product_id IN ({marks}) ORDER BY f.id",
                ids,
            ):
                features.setdefault(feature["product_id"], []).append(feature)
    products = []
    for row in rows:
        part_pairs = [
            (
                "partNumber",
                [
                    ("uniqueId", part["unique_id"]),
                    ("primaryKeys", [("partId", part["part_id"])]),
                    ("licenseModel", pk("name", part["license_model"]) if part["license_model"] else None),
                ],
            )
            for part in parts.get(row["id"], [])
        ]
        feature_pairs = [
            (
                "feature",
                [
                    (
                        "featureIdentifier",
                        [
                            ("uniqueId", f["unique_id"]),
                            ("primaryKeys", [("name", f["name"]), ("version", f["version"])]),
                        ],
                    ),
                    ("count", 1),
                ],
            )
            for f in features.get(row["id"], [])
        ]
        products.append(
            (
                "product",
                [
                    ("uniqueId", row["unique_id"]),
                    ("productName", row["name"]),
                    ("version", row["version"]),
                    ("description", row["description"]),
                    ("state", row["state"]),
                    ("features", feature_pairs or None),
                    ("partNumbers", part_pairs or None),
                    ("usedOnDevice", False),
                    ("productCategory", row["category"]),
                    (
                        "customAttributes",
                        attribute_pairs(
                            [
                                ("ProductKind", row["kind"]),
                                ("BaseProduct", row["carries"]),
                                # a media kit: the partner product ID of the ESD item it carries
                                ("EsdItem", row["esd_item"] or None),
                            ]
                        ),
                    ),
                    ("creationDate", row["created"]),
                    ("lastModifiedDate", row["modified"]),
                ],
            )
        )
    info, products = _partial(ctx, products, "products")
    return render(NS_V2, "getProductsQueryResponse", [info, ("responseData", products)])


def count_products(ctx, req):
    where, params = criteria(req.one("queryParams"), PRODUCT_CRITERIA, "getProductCount")
    count = ctx.store.db.execute(f"SELECT COUNT(*) FROM products p{where_sql(where)}", params).fetchone()[0]
    return render(NS_V2, "getProductCountResponse", [status(), ("responseData", [("count", count)])])


def get_features(ctx, req):
    page, size = paging(req)
    if size > READ_CAP:
        return too_many(NS_V2, "getFeaturesQueryResponse", size)
    where, params = criteria(req.one("queryParams"), FEATURE_CRITERIA, "getFeaturesQuery")
    rows = ctx.store.db.execute(
        f"SELECT * FROM features f{where_sql(where)} ORDER BY f.id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    features = [
        (
            "feature",
            [
                ("uniqueId", row["unique_id"]),
                ("featureName", row["name"]),
                ("versionFormat", row["version_format"]),
                ("version", row["version"]),
                ("description", row["description"]),
                ("state", row["state"]),
            ],
        )
        for row in rows
    ]
    info, features = _partial(ctx, features, "features")
    return render(NS_V2, "getFeaturesQueryResponse", [info, ("responseData", features)])
