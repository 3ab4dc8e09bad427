"""The search service every feature that names a customer or product goes through.

It owns the two in-memory indexes: built at start from the keys stored with each row, kept
current from the database (rows whose `updated_at` moved, whichever worker wrote them), and
scoped to what the asking user may see.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, event, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.customers import Visibility, visibility
from bot.services.search.customer_index import EXACT_SCORE, HOMOPHONE_SCORE, CustomerIndex
from bot.services.search.customer_keys import KEYS_VERSION as CUSTOMER_KEYS_VERSION
from bot.services.search.customer_keys import customer_keys
from bot.services.search.product_index import ProductIndex
from bot.services.search.product_keys import KEYS_VERSION as PRODUCT_KEYS_VERSION
from bot.services.search.product_keys import product_keys
from bot.services.search.results import (
    CONFIDENT_SCORE,
    CustomerRecord,
    Hit,
    ProductListing,
    ProductRecord,
    is_ambiguous,
)
from storage.models import Customer, Product, User, utcnow
from storage.queries.customers import customers_by_ids
from storage.queries.search_keys import (
    KEY_INPUTS,
    Searchable,
    changed_rows,
    key_batches,
    key_inputs,
    key_rows,
    store_keys,
)

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0
"""How stale another worker's edits may look here; a refresh is one indexed query."""
RECENT_LOOK_BACK = timedelta(seconds=10)
"""Each look re-reads the ids and stamps of rows changed this far before the last look: a row
is stamped when written but seen only at commit, and a chat turn's transaction commits well
within this. Rows already indexed with the same stamp are not indexed again."""
LOOK_BACK = timedelta(minutes=2)
"""A wide look reaches this far before the last wide look, for the rows of the longest writes
(an import of 100,000 customers in one transaction, about 30 s), which commit within this."""
WIDE_LOOK_SECONDS = 60.0
"""How often a look is a wide one. Every look used to be: for two minutes after an import each
one read back all of its rows, 20 ms for the demo's 3,200 and over half a second for 100,000,
with the loop and the database held. Now an import shows within a minute."""
CHANGE_BATCH = 1_000
"""Changed rows fetched per query (an IN list well below every database's parameter limit)."""
HIDDEN_HEADROOM = 4
"""Ask the index for this many times the limit, so hidden customers don't empty the list."""
SIMILAR_MIN_SCORE = HOMOPHONE_SCORE
"""A same-sounding trade name is worth a warning before a duplicate is created."""


def specs_text(specs: dict[str, Any] | None) -> str:
    return ";".join(f"{key}:{value}" for key, value in (specs or {}).items())


def keys_for_customer(
    legal_name: str, aliases: Iterable[str] | None, phone: str | None, region: str | None
) -> dict[str, Any]:
    return customer_keys(legal_name, list(aliases or ()), phone, region)


def keys_for_product(
    sku: str, name: str, category: str | None, specs: dict[str, Any] | None
) -> dict[str, Any]:
    return product_keys(sku, name, category or "", specs_text(specs))


@dataclass(frozen=True, slots=True)
class _KeySpec:
    """How one table's keys are made from its KEY_INPUTS (a model object or a row of them)."""

    version: int
    compute: Callable[[Any], dict[str, Any]]


KEY_SPECS: dict[Any, _KeySpec] = {
    Customer: _KeySpec(
        CUSTOMER_KEYS_VERSION,
        lambda c: keys_for_customer(c.legal_name, c.aliases, c.phone, c.region),
    ),
    Product: _KeySpec(
        PRODUCT_KEYS_VERSION,
        lambda p: keys_for_product(p.sku, p.name, p.category, p.specs),
    ),
}


def _keys_on_write(_mapper: Any, _connection: Any, target: Customer | Product) -> None:
    """Every ORM write of what keys are made from recomputes them, in the same row."""
    model = type(target)
    state = inspect(target)
    changed = any(state.attrs[column.key].history.has_changes() for column in KEY_INPUTS[model])
    if target.search_keys is None or changed:
        spec = KEY_SPECS[model]
        target.search_keys = spec.compute(target)
        target.search_keys_version = spec.version


for _model in KEY_SPECS:
    event.listen(_model, "before_insert", _keys_on_write)
    event.listen(_model, "before_update", _keys_on_write)


@dataclass(frozen=True, slots=True)
class CustomerResult:
    customer: Customer
    hit: Hit
    seen: Visibility


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    """A customer some text may name, for features that must pick one (logging a visit)."""

    customer_id: int
    legal_name: str
    score: float
    """0..1, the search score scaled down."""
    confident: bool
    """Safe to take without asking: a clear winner, and a strong kind of match."""


@dataclass(frozen=True, slots=True)
class ProductResult:
    product: ProductListing
    hit: Hit


@dataclass(frozen=True, slots=True)
class Found:
    """Search answers of one kind, best first, and whether the top one may be taken alone."""

    results: list[Any]
    ambiguous: bool

    @property
    def top(self) -> Any:
        return self.results[0] if self.results else None


@dataclass(slots=True)
class _Feed:
    """One table's way into its index: what was read when, and how a row becomes a record."""

    model: Searchable
    record: Callable[[Row[Any], dict[str, Any]], Any]
    looked_at: datetime | None = None
    """When the last look started; None before the first. Taken from the clock, not from the
    newest row seen, so that once an import has settled its rows are not read again."""
    wide_since: datetime | None = None
    """Where the next wide look starts: the last wide look's time less `LOOK_BACK`."""
    stamps: dict[int, Any] = field(default_factory=dict)
    """updated_at of each indexed row as stored, so rows re-read in the look-back are not
    indexed again."""


class SearchService:
    """In-memory customer and product indexes over the stored keys."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.customers = CustomerIndex()
        self.products = ProductIndex()
        self._listings: dict[int, ProductListing] = {}
        self._categories: dict[str | None, dict[int, ProductListing]] = {}
        """The listings by category, for a card's variants and neighbouring sizes."""
        self._monotonic = monotonic
        self._refreshed_at = float("-inf")
        self._looked_wide_at = float("-inf")
        self._feeds = self._new_feeds()

    def _new_feeds(self) -> tuple[_Feed, _Feed]:
        return (
            _Feed(
                Customer,
                lambda r, keys: self.customers.upsert(
                    CustomerRecord(r.id, keys, r.owner_id, r.legal_name)
                ),
            ),
            _Feed(Product, self._take_product),
        )

    async def load(self, *, session: AsyncSession) -> None:
        """Build both indexes from stored keys; rows without current keys get them first."""
        self.customers = CustomerIndex()
        self.products = ProductIndex()
        self._listings, self._categories = {}, {}
        self._feeds = self._new_feeds()
        await self._pull(session, wide=True)
        self._refreshed_at = self._looked_wide_at = self._monotonic()
        logger.info(
            "search index loaded: %d customers, %d products",
            len(self.customers),
            len(self.products),
        )

    async def refresh(self, *, session: AsyncSession, force: bool = False) -> None:
        """Take in rows changed since the last look (by this or another worker); `force`
        looks now, and wide."""
        now = self._monotonic()
        if force or now - self._refreshed_at >= REFRESH_SECONDS:
            wide = force or now - self._looked_wide_at >= WIDE_LOOK_SECONDS
            await self._pull(session, wide=wide)
            self._refreshed_at = now
            if wide:
                self._looked_wide_at = now

    async def _pull(self, session: AsyncSession, *, wide: bool) -> None:
        for feed in self._feeds:
            started = utcnow()
            if feed.looked_at is None or feed.wide_since is None:
                async for rows in key_batches(session=session, model=feed.model):
                    await self._take(session, feed, rows)
            else:
                since = feed.wide_since if wide else feed.looked_at - RECENT_LOOK_BACK
                await self._take_changed(session, feed, since)
            if wide or feed.wide_since is None:
                feed.wide_since = started - LOOK_BACK
            feed.looked_at = started

    def _take_product(self, row: Row[Any], keys: dict[str, Any]) -> None:
        self.products.upsert(ProductRecord(row.id, keys))
        listing = ProductListing(
            row.id, row.sku, row.name, row.category, row.specs or {}, row.price, row.unit
        )
        old = self._listings.get(listing.id)
        if old is not None:
            del self._categories[old.category][old.id]
        self._listings[listing.id] = listing
        self._categories.setdefault(listing.category, {})[listing.id] = listing

    async def _take_changed(self, session: AsyncSession, feed: _Feed, since: datetime) -> None:
        """Index the rows changed since `since` that the feed does not hold as they are."""
        changed = await changed_rows(session=session, model=feed.model, since=since)
        ids = [r.id for r in changed if feed.stamps.get(r.id) != r.stamp]
        for start in range(0, len(ids), CHANGE_BATCH):
            batch = ids[start : start + CHANGE_BATCH]
            await self._take(
                session, feed, await key_rows(session=session, model=feed.model, ids=batch)
            )

    async def _take(self, session: AsyncSession, feed: _Feed, rows: Sequence[Row[Any]]) -> None:
        """Index rows; those without keys of the current version get them computed and stored."""
        spec = KEY_SPECS[feed.model]
        stale = [
            row.id
            for row in rows
            if row.keys_json is None or row.search_keys_version != spec.version
        ]
        inputs = await key_inputs(session=session, model=feed.model, ids=stale) if stale else {}
        recomputed = []
        for row in rows:
            if row.id in inputs:
                keys = spec.compute(inputs[row.id])
                recomputed.append((row.id, keys, row.updated_at))
            else:
                keys = json.loads(row.keys_json)
            feed.record(row, keys)
            feed.stamps[row.id] = row.stamp
        await store_keys(session=session, model=feed.model, keys=recomputed, version=spec.version)

    async def find_customers(
        self,
        *,
        session: AsyncSession,
        query: str,
        user: User,
        others: str,
        limit: int = 5,
    ) -> Found:
        """Customers for what a rep typed, own customers first among equals, hidden ones out."""
        await self.refresh(session=session)
        hits = self.customers.search(
            query,
            limit=limit * HIDDEN_HEADROOM,
            prefer=lambda customer_id: self.customers.owner_of(customer_id) == user.id,
        )
        results: list[CustomerResult] = []
        # `limit` at a time: most users see every customer, so one batch is enough, and each
        # customer loaded (with owner and contacts) costs tens of µs.
        for start in range(0, len(hits), limit):
            batch = hits[start : start + limit]
            rows = await customers_by_ids(session=session, ids=[hit.id for hit in batch])
            for hit in batch:
                customer = rows.get(hit.id)
                if customer is None:
                    continue
                seen = visibility(user, customer, others=others)
                if seen is not Visibility.HIDDEN:
                    results.append(CustomerResult(customer, hit, seen))
            if len(results) >= limit:
                break
        results = results[:limit]
        return Found(results, is_ambiguous([result.hit for result in results]))

    async def match_customers(
        self, *, session: AsyncSession, text: str, user: User, limit: int = 5
    ) -> list[CustomerMatch]:
        """Customers `text` may name that this user may work on (fully visible), best first.

        Only the top one can be confident, and only when the search would open its card
        directly and it matched by name, alias or phone, never by sound or initials alone.
        """
        found = await self.find_customers(
            session=session, query=text, user=user, others=Visibility.HIDDEN, limit=limit
        )
        results = [r for r in found.results if r.seen is Visibility.FULL]
        sure = bool(results) and not found.ambiguous and results[0].hit.score >= CONFIDENT_SCORE
        return [
            CustomerMatch(
                customer_id=r.customer.id,
                legal_name=r.customer.legal_name,
                score=round(r.hit.score / EXACT_SCORE, 3),
                confident=sure and index == 0,
            )
            for index, r in enumerate(results)
        ]

    async def similar_customers(
        self, *, session: AsyncSession, legal_name: str, user: User, limit: int = 3
    ) -> list[Customer]:
        """Existing customers that may be the company about to be added (same trade name).

        It runs on the trade name, so 苏州华测精密仪器有限公司 finds 华测仪器（上海）有限公司;
        only sound-alike or better matches count, never a loose fuzzy one.
        """
        keys = keys_for_customer(legal_name, (), None, None)
        core = (keys.get("spans") or {}).get("core")
        query = keys["text"][core[0] : core[1]] if core else keys["text"]
        found = await self.find_customers(
            session=session, query=query, user=user, others=Visibility.NAME_ONLY, limit=limit
        )
        return [r.customer for r in found.results if r.hit.score >= SIMILAR_MIN_SCORE]

    async def find_products(self, *, session: AsyncSession, query: str, limit: int = 5) -> Found:
        await self.refresh(session=session)
        hits = self.products.search(query, limit=limit)
        results = [ProductResult(self._listings[hit.id], hit) for hit in hits]
        return Found(results, is_ambiguous([result.hit for result in results]))

    async def product(self, *, session: AsyncSession, product_id: int) -> ProductListing | None:
        await self.refresh(session=session)
        return self._listings.get(product_id)

    def products_in_category(self, category: str | None) -> list[ProductListing]:
        """The category's products in the order they were added."""
        return sorted(self._categories.get(category, {}).values(), key=lambda p: p.id)
