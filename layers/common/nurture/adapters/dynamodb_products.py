"""The recommendations data on NurtureTable (docs/offers.md, "Recommendations data"): written by
ProcessFunction as orders count and products are viewed, read by the recommender.

Items:

- ``PRODUCT#<product_id>`` / ``ALSO#<other product_id>``: ``count`` (N), how many times the two were
  bought by the same contact (in one order, or this order and an earlier one);
- ``CATEGORY#<category>`` / ``PRODUCT#<product_id>``: ``count`` (N), the units sold in the category;
- ``PRODUCT#<product_id>`` / ``INFO``: ``title``, ``url``, ``unit_price`` (S: the decimal as the
  store wrote it, "12.50", which a number attribute would read back as 12.5), ``currency``,
  ``categories`` (L of S): each write sets what it knows and leaves the rest (a line item has no
  url; a product view may have no price).

Counts are ADDed (no read first): two orders counted at once both count. Reads are bounded: a
product's co-purchases and a category's best-sellers rank the first `MAX_RANKED` items of their
partition (in key order); a store with more co-purchased products per product, or more products per
category, than that ranks a sample of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any

from nurture.adapters.dynamodb_errors import call_store, query_pages
from nurture.errors import DependencyUnavailable, NurtureError
from nurture.offers.recommend import ProductInfo, product_categories

if TYPE_CHECKING:
    from nurture.events import Order

_DEPENDENCY = "product store"
PRODUCT_PREFIX = "PRODUCT#"
ALSO_PREFIX = "ALSO#"
CATEGORY_PREFIX = "CATEGORY#"
INFO_SK = "INFO"
MAX_PAIRED = 20  # products of an order, and partners of each (its own and the contact's earlier ones)
MAX_RANKED = 1000  # items of one partition a ranking reads
BATCH_GET_KEYS = 100  # BatchGetItem's limit per request
BATCH_GET_ROUNDS = 5  # rounds of UnprocessedKeys before the store is called unavailable


class ProductStoreError(NurtureError):
    """The table refused a request for a reason retrying will not fix (a deployment error)."""

    def __init__(self, operation: str, code: str) -> None:
        super().__init__(f"product store {operation} failed: {code}")
        self.operation = operation
        self.code = code


def product_pk(product_id: str) -> str:
    return PRODUCT_PREFIX + product_id


def category_pk(category: str) -> str:
    return CATEGORY_PREFIX + category


def co_purchase_pairs(order_products: Sequence[str], earlier_products: Collection[str]) -> list[tuple[str, str]]:
    """The (product, other) pairs an order adds 1 to, both ways: between the order's distinct
    products, and between them and the contact's earlier products. At most `MAX_PAIRED` of the
    order's products (in line order), each paired with at most `MAX_PAIRED` partners: the order's
    own first, then the earlier ones by id (a long history must not make an order cost thousands of
    writes)."""
    ordered = list(dict.fromkeys(order_products))[:MAX_PAIRED]
    earlier = sorted(set(earlier_products) - set(ordered))
    partners = [*ordered, *earlier][:MAX_PAIRED]
    pairs = {(a, b) for a in ordered for b in partners if a != b}
    pairs |= {(b, a) for a, b in pairs}
    return sorted(pairs)


class ProductStore:
    """``record_*`` for ProcessFunction, the readers for the recommender."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table = table_name
        self._client = client

    # ---- writes ----

    def record_product(self, info: ProductInfo) -> None:
        """The product's INFO item: sets what ``info`` knows, keeps what it does not."""
        values: dict[str, Any] = {}
        if info.title:
            values["title"] = {"S": info.title}
        if info.url:
            values["url"] = {"S": info.url}
        if info.unit_price is not None:
            values["unit_price"] = {"S": str(info.unit_price)}  # text: "12.50" shows as the shop wrote it
        if info.currency:
            values["currency"] = {"S": info.currency}
        if info.categories:
            values["categories"] = {"L": [{"S": category} for category in info.categories]}
        if not values:
            return
        self._update(
            "UpdateItem product info",
            {"pk": {"S": product_pk(info.product_id)}, "sk": {"S": INFO_SK}},
            "SET " + ", ".join(f"#{name} = :{name}" for name in values),
            names={f"#{name}": name for name in values},
            values={f":{name}": value for name, value in values.items()},
        )

    def record_counted_order(self, order: Order, earlier_products: Collection[str]) -> None:
        """A counted order's contribution: co-purchase pairs, category units, product info."""
        items = [item for item in order.line_items if item.product_id]
        for product_id, other in co_purchase_pairs(
            [item.product_id for item in items if item.product_id], earlier_products
        ):
            self._add(product_pk(product_id), ALSO_PREFIX + other, 1)
        units: dict[tuple[str, str], int] = {}
        for item in items:
            assert item.product_id is not None
            for category in product_categories(item.categories, item.product_type):
                units[category, item.product_id] = units.get((category, item.product_id), 0) + item.quantity
        for (category, product_id), quantity in units.items():
            if quantity > 0:
                self._add(category_pk(category), PRODUCT_PREFIX + product_id, quantity)
        for item in {item.product_id: item for item in items}.values():
            assert item.product_id is not None
            self.record_product(
                ProductInfo(
                    product_id=item.product_id,
                    title=item.title,
                    unit_price=item.unit_price,
                    currency=order.currency,
                    categories=product_categories(item.categories, item.product_type),
                )
            )

    def _add(self, pk: str, sk: str, amount: int) -> None:
        self._update(
            "UpdateItem count",
            {"pk": {"S": pk}, "sk": {"S": sk}},
            "ADD #count :amount",
            names={"#count": "count"},
            values={":amount": {"N": str(amount)}},
        )

    def _update(
        self, operation: str, key: dict[str, Any], expression: str, *, names: dict[str, str], values: dict[str, Any]
    ) -> None:
        call_store(
            _DEPENDENCY,
            operation,
            ProductStoreError,
            self._client.update_item,
            TableName=self._table,
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    # ---- reads ----

    def also_bought(self, product_ids: Iterable[str]) -> dict[str, dict[str, int]]:
        """product → {other product: times bought together} (products never bought with another: absent)."""
        answer = {}
        for product_id in dict.fromkeys(product_ids):
            counts = self._counts(product_pk(product_id), ALSO_PREFIX, "Query also bought")
            if counts:
                answer[product_id] = counts
        return answer

    def best_sellers(self, categories: Iterable[str], limit: int) -> dict[str, list[str]]:
        """category → its products, the most units sold first (ties by id), at most ``limit``."""
        answer = {}
        for category in dict.fromkeys(categories):
            counts = self._counts(category_pk(category), PRODUCT_PREFIX, "Query best sellers")
            if counts:
                answer[category] = sorted(counts, key=lambda product_id: (-counts[product_id], product_id))[:limit]
        return answer

    def _counts(self, pk: str, prefix: str, operation: str) -> dict[str, int]:
        def query(**arguments: Any) -> Mapping[str, Any]:
            return call_store(_DEPENDENCY, operation, ProductStoreError, self._client.query, **arguments)

        request = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ProjectionExpression": "sk, #count",
            "ExpressionAttributeNames": {"#count": "count"},
        }
        found = (item for page in query_pages(query, request) for item in page.get("Items", []))
        return {
            item["sk"]["S"].removeprefix(prefix): int(Decimal(item["count"]["N"]))
            for item in islice(found, MAX_RANKED)
            if "count" in item
        }

    def info(self, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
        """The INFO of those products that have one (BatchGetItem, 100 keys a request)."""
        wanted = list(dict.fromkeys(product_ids))
        found: dict[str, ProductInfo] = {}
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            keys = [{"pk": {"S": product_pk(p)}, "sk": {"S": INFO_SK}} for p in wanted[start : start + BATCH_GET_KEYS]]
            for item in self._batch_get(keys):
                info = _info_from_item(item)
                found[info.product_id] = info
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": keys}}
        for _ in range(BATCH_GET_ROUNDS):
            answer = call_store(
                _DEPENDENCY,
                "BatchGetItem product info",
                ProductStoreError,
                self._client.batch_get_item,
                RequestItems=request,
            )
            items.extend(answer.get("Responses", {}).get(self._table, []))
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                return items
        # Throttled round after round: the caller's retry (the send's) is the remedy.
        raise DependencyUnavailable(_DEPENDENCY, "BatchGetItem product info: keys left unprocessed")


def _info_from_item(item: Mapping[str, Any]) -> ProductInfo:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return value if isinstance(value, str) else None

    price = text("unit_price")
    return ProductInfo(
        product_id=item["pk"]["S"].removeprefix(PRODUCT_PREFIX),
        title=text("title"),
        url=text("url"),
        unit_price=None if price is None else Decimal(price),
        currency=text("currency"),
        categories=tuple(entry["S"] for entry in item.get("categories", {}).get("L", []) if "S" in entry),
    )
