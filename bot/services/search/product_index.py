"""In-memory product search built only from stored :func:`product_keys` dicts.

The catalogue is small (thousands of rows), so after a cheap prefilter on the strongest query
attributes every remaining product is scored on each attribute the query names (read with the
same parser that wrote the product's keys), through the postings of those attributes.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from bot.services.search.normalize import fold, is_hanzi
from bot.services.search.product_keys import parse_attributes, sku_tokens
from bot.services.search.results import Hit, ProductRecord

EXACT_SCORE = 100.0
SKU_SCORE = 100.0
SKU_PREFIX_SCORE = 60.0
SKU_BOUNDARY_BONUS = 5.0
"""A truncated SKU that stops between parts (sw-f1-10g) beats one cut inside a part (…100g)."""
MIN_SKU_PREFIX = 4
"""Shorter latin input (m1, kg) is an attribute, not a SKU fragment."""

# Per-attribute weights: a matching value adds, a contradicting one subtracts. Mass and grade
# decide a weight's identity; shape and material narrow it; certificate is a variant.
W_MASS = 12.0
W_GRADE = 10.0
W_LENGTH = 10.0
W_DIMS = 8.0
W_SHAPE = 6.0
W_CAT = 6.0
W_TAG = 5.0
W_CERT = 5.0
W_PIECES = 5.0
W_NUMBER = 4.0
W_REST = 1.0
"""Per leftover character or word of the query found in the name (e.g. 计价 in 电子计价秤)."""
CERT_VARIANT_PENALTY = 0.5
"""Unless asked for, the plain product comes before its -CNAS/-JJG/-BOX variants."""
MIN_ATTRIBUTE_SCORE = 1.0
"""A product must match something positively to be offered at all."""
MIN_WORD_SHARE = 0.5
"""A query of plain words only (no class, mass or material) must share half of them with a
name; otherwise one common character (不 of 不锈钢) would match the whole catalogue."""
ROUNDING = 0.0005
"""Scores are compared to three places: within this of a cutoff a score may round onto it."""
DIM_FACTORS = (1000.0, 10.0, 1.0)
"""Units a bare 1.2x1.2 may mean: metres (地磅), centimetres (平台秤 50x60) or millimetres."""

_STRONG = ("masses", "length", "numbers", "grade")
DEFAULT_SHAPE = "cylinder"
"""OIML R111's standard weight shape: what a rep means by "F1 20kg" when naming no shape."""
CERTIFIED = "cert"
RANGE = "range"
"""Posting keys of every product sold with a certificate, and of every set (a range of masses)."""
_NONE: frozenset[int] = frozenset()


@dataclass(slots=True)
class _Product:
    id: int
    sku: str
    tokens: tuple[str, ...]
    text: str
    grade: str | None
    masses: frozenset[str]
    tags: frozenset[str]
    shapes: frozenset[str]
    cats: frozenset[str]
    cert: str | None
    dims: tuple[float, float] | None
    length: str | None
    pieces: int | None
    numbers: frozenset[str]
    is_range: bool


def _product(record: ProductRecord) -> _Product:
    keys = record.keys
    a: dict[str, Any] = keys["attrs"]
    dims = a.get("dims_mm")
    numbers = set(a.get("numbers", ()))
    if a.get("length"):
        numbers.add(a["length"])
    return _Product(
        id=record.id,
        sku=keys["sku"],
        tokens=tuple(keys["sku_tokens"]),
        text=keys["text"],
        grade=a.get("grade"),
        masses=frozenset(a.get("masses", ())),
        tags=frozenset(a.get("tags", ())),
        shapes=frozenset(a.get("shapes", ())),
        cats=frozenset(a.get("cats", ())),
        cert=a.get("cert"),
        dims=(float(dims[0]), float(dims[1])) if dims else None,
        length=a.get("length"),
        pieces=a.get("pieces"),
        numbers=frozenset(numbers),
        is_range=bool(a.get("range")),
    )


class ProductIndex:
    """Product search over stored keys; rebuild with :meth:`build`, keep fresh with upsert."""

    def __init__(self) -> None:
        self._products: dict[int, _Product] = {}
        self._by_text: dict[str, int] = {}
        self._by_value: dict[str, set[int]] = {}
        self._by_gram: dict[str, set[int]] = {}
        """Products by every one- and two-character piece of their name and tokens, so a
        query of plain words looks only at products that can contain one of them."""
        self._sku_order: list[tuple[str, int]] | None = None
        """(sku, id) sorted, made on the first search after a change: a SKU prefix is then
        a range found by bisection instead of a pass over the catalogue."""

    @classmethod
    def build(cls, records: Iterable[ProductRecord]) -> ProductIndex:
        """Index every record; only the stored key dicts are read."""
        index = cls()
        for record in records:
            index.upsert(record)
        return index

    def __len__(self) -> int:
        return len(self._products)

    def upsert(self, record: ProductRecord) -> None:
        """Add or replace one product."""
        self.remove(record.id)
        p = _product(record)
        self._products[p.id] = p
        self._sku_order = None
        self._by_text[p.text] = p.id
        for value in _values(p):
            self._by_value.setdefault(value, set()).add(p.id)
        for gram in _grams(p):
            self._by_gram.setdefault(gram, set()).add(p.id)

    def remove(self, product_id: int) -> None:
        """Forget a product."""
        p = self._products.pop(product_id, None)
        if p is None:
            return
        self._sku_order = None
        if self._by_text.get(p.text) == product_id:
            del self._by_text[p.text]
        for value in _values(p):
            self._by_value.get(value, set()).discard(product_id)
        for gram in _grams(p):
            self._by_gram.get(gram, set()).discard(product_id)

    def search(
        self, query: str, *, limit: int = 5, prefer: Callable[[int], bool] | None = None
    ) -> list[Hit]:
        """Best products for a name, SKU or attribute list, best first.

        ``prefer`` only breaks ties (e.g. products the rep sold recently).
        """
        q = fold(query)
        if not any(ch.isalnum() for ch in q) or limit <= 0:
            return []
        scores: dict[int, tuple[float, str]] = {}
        exact = self._by_text.get(q)
        if exact is not None:
            scores[exact] = (EXACT_SCORE, "exact")
        attrs = parse_attributes(q)
        if not any(is_hanzi(ch) for ch in q):
            self._match_sku(q, attrs, scores)
        self._match_attributes(attrs, scores)

        # Only a score as good as the limit-th best, to three places, can place; the ties are
        # broken below. Rounding keeps the order, so that cutoff is the limit-th raw score
        # rounded, and a score further below it than rounding reaches is never rounded.
        cutoff = float("-inf")
        if len(scores) > limit:
            cutoff = round(heapq.nlargest(limit, (s for s, _match in scores.values()))[-1], 3)
        rounded = {
            pid: round(s, 3) for pid, (s, _match) in scores.items() if s >= cutoff - ROUNDING
        }
        rounded = {pid: score for pid, score in rounded.items() if score >= cutoff}

        def key(pid: int) -> tuple[float, bool, bool, int, int]:
            p = self._products[pid]
            preferred = bool(prefer and prefer(pid))
            standard = DEFAULT_SHAPE in p.shapes
            return (-rounded[pid], not preferred, not standard, len(p.text), pid)

        ranked = sorted(rounded, key=key)[:limit]
        return [Hit(pid, rounded[pid], scores[pid][1]) for pid in ranked]

    def _match_sku(
        self, q: str, attrs: dict[str, Any], scores: dict[int, tuple[float, str]]
    ) -> None:
        tokens = sku_tokens(q)
        compact = "".join(tokens)
        if len(compact) < MIN_SKU_PREFIX:
            return
        if self._sku_order is None:
            self._sku_order = sorted((p.sku, p.id) for p in self._products.values())
        order = self._sku_order
        for position in range(bisect_left(order, (compact, -1)), len(order)):
            sku, pid = order[position]
            if not sku.startswith(compact):
                break
            p = self._products[pid]
            if sku == compact:
                scores[pid] = (SKU_SCORE, "sku")
            else:
                bonus = SKU_BOUNDARY_BONUS if _ends_on_boundary(p.tokens, len(compact)) else 0.0
                variant = CERT_VARIANT_PENALTY if p.cert and p.cert != attrs.get("cert") else 0.0
                score = SKU_PREFIX_SCORE + bonus - variant
                if score > scores.get(pid, (0.0, ""))[0]:
                    scores[pid] = (score, "sku_prefix")

    def _candidates(self, attrs: dict[str, Any]) -> AbstractSet[int]:
        strong = [v for v in _query_values(attrs) if v.split(":", 1)[0] in _STRONG]
        if not strong and attrs.keys() == {"rest"}:
            return set().union(*(self._by_gram.get(word[:2], ()) for word in attrs["rest"]))
        if not strong:
            return self._products.keys()
        return set().union(*(self._by_value.get(value, ()) for value in strong))

    def _match_attributes(
        self, attrs: dict[str, Any], scores: dict[int, tuple[float, str]]
    ) -> None:
        """Score the candidates by postings: each attribute the query names moves the scores of
        the candidates holding it, found by intersecting sets of ids; about twice as fast as
        asking each candidate for each attribute (F1 20kg: 141 candidates)."""
        if not attrs:
            return
        wanted = _Wanted(attrs)
        candidates = self._candidates(attrs)
        totals = dict.fromkeys(candidates, wanted.base)
        for keys, gain in wanted.gains:
            holders = self._by_value.get(keys[0], _NONE)
            if len(keys) > 1:
                holders = holders.union(*(self._by_value.get(key, _NONE) for key in keys[1:]))
            for pid in holders & candidates:
                totals[pid] += gain
        products = self._products
        if wanted.dims:
            for pid in totals:
                dims_match = _dims_match(attrs, products[pid].dims)
                totals[pid] += W_DIMS if dims_match else -W_DIMS
        needed = MIN_WORD_SHARE * len(wanted.rest) if attrs.keys() == {"rest"} else 0.0
        for pid, score in totals.items():
            if wanted.rest:
                rest = wanted.rest_matched(products[pid])
                if rest < needed:
                    continue
                score += W_REST * rest
            if score >= MIN_ATTRIBUTE_SCORE:
                best = scores.get(pid)
                if best is None or score > best[0]:
                    scores[pid] = (score, "attributes")


def _grams(p: _Product) -> set[str]:
    pieces = (p.text, *p.tokens)
    return {
        piece[i : i + n] for piece in pieces for n in (1, 2) for i in range(len(piece) - n + 1)
    }


def _ends_on_boundary(tokens: tuple[str, ...], length: int) -> bool:
    pos = 0
    for token in tokens:
        pos += len(token)
        if pos == length:
            return True
    return False


def _values(p: _Product) -> list[str]:
    """Posting keys of a product: its strong attributes (see :func:`_query_values`), which
    also choose the candidates, and every other trait a query may name (see `_Wanted`)."""
    values = [f"masses:{m}" for m in p.masses] + [f"numbers:{n}" for n in p.numbers]
    if p.length:
        values.append(f"length:{p.length}")
    if p.grade:
        values.append(f"grade:{p.grade}")
    values += [f"shape:{shape}" for shape in p.shapes]
    values += [f"cat:{cat}" for cat in p.cats]
    values += [f"tag:{tag}" for tag in p.tags]
    if p.pieces is not None:
        values.append(f"pieces:{p.pieces}")
    if p.cert:
        values += [CERTIFIED, f"cert:{p.cert}"]
    if p.is_range:
        values.append(RANGE)
    return values


def _query_values(attrs: dict[str, Any]) -> list[str]:
    values = [f"masses:{m}" for m in attrs.get("masses", ())]
    values += [f"numbers:{n}" for n in attrs.get("numbers", ())]
    if attrs.get("length"):
        values.append(f"length:{attrs['length']}")
    if attrs.get("grade") and not values:
        values.append(f"grade:{attrs['grade']}")
    return values


def _dims_match(attrs: dict[str, Any], dims: tuple[float, float] | None) -> bool:
    if dims is None:
        return False
    wanted = {tuple(sorted(dims))}
    if "dims_mm" in attrs:
        return tuple(sorted(attrs["dims_mm"])) in wanted
    a, b = sorted(attrs["dims"])
    return any((round(a * f, 3), round(b * f, 3)) in wanted for f in DIM_FACTORS)


class _Wanted:
    """What a query asks of a product, read out of its attributes once, as posting keys.

    Each attribute the query names adds its weight to a product that has it and takes it away
    from one that has not: every candidate starts at `base` (as if it had none of them) and
    gains twice the weight for each it has (`gains`: the posting keys, any of which counts,
    and the gain). Dimensions and the leftover words are matched per product by the caller.
    """

    __slots__ = ("base", "dims", "gains", "rest")

    def __init__(self, attrs: dict[str, Any]) -> None:
        self.base = 0.0
        self.gains: list[tuple[tuple[str, ...], float]] = []

        def weigh(keys: tuple[str, ...], weight: float) -> None:
            self.base -= weight
            self.gains.append((keys, 2 * weight))

        for mass in attrs.get("masses", ()):
            weigh((f"masses:{mass}",), W_MASS)
        if attrs.get("grade"):
            weigh((f"grade:{attrs['grade']}",), W_GRADE)
        if "length" in attrs:
            weigh((f"length:{attrs['length']}",), W_LENGTH)
        if attrs.get("shapes"):
            weigh(tuple(f"shape:{shape}" for shape in attrs["shapes"]), W_SHAPE)
        cats = attrs.get("cats", ())
        for cat in cats:
            weigh((f"cat:{cat}",), W_CAT)
        if not (attrs.get("range") or "set" in cats):
            # "E1 1mg" is the single weight, not the set whose range starts at 1mg
            self.gains.append(((RANGE,), -W_CAT))
        for tag in attrs.get("tags", ()):
            weigh((f"tag:{tag}",), W_TAG)
        if "pieces" in attrs:
            weigh((f"pieces:{attrs['pieces']}",), W_PIECES)
        for number in attrs.get("numbers", ()):
            weigh((f"numbers:{number}",), W_NUMBER)
        if attrs.get("cert"):
            weigh((f"cert:{attrs['cert']}",), W_CERT)
        else:
            self.gains.append(((CERTIFIED,), -CERT_VARIANT_PENALTY))
        self.dims = "dims" in attrs or "dims_mm" in attrs
        self.rest: tuple[str, ...] = tuple(attrs.get("rest", ()))

    def rest_matched(self, p: _Product) -> int:
        """How many of the query's unparsed words the product's name or tokens contain."""
        text, tokens = p.text, p.tokens
        found = 0
        for word in self.rest:  # a loop: a generator per candidate cost as much as the test
            if word in text or word in tokens:
                found += 1
        return found
