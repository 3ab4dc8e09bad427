"""Products: the family a product belongs to, for the spec card's variants and sizes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.services.search import ProductListing, parse_attributes

_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:mg|kg|g|t|mm|lb|n|块)(?![a-z])", re.IGNORECASE)
_VARIANT_NOTE = re.compile(r"[（(][^）)]*[）)]\s*$")
NEIGHBOURS_EACH_SIDE = 2
"""Two smaller and two larger sizes: enough to correct a half-remembered mass."""
NAMES_KEPT = 65_536
"""A family is found among the whole category (a thousand weights), on every spec card: what
a name yields is worked out once per name, not once per card (5.4 ms a card before)."""


@dataclass(frozen=True, slots=True)
class ProductFamily:
    variants: list[ProductListing]
    """The same piece with another certificate or packing (-CNAS, -JJG, -BOX)."""
    smaller: list[ProductListing]
    larger: list[ProductListing]


@lru_cache(maxsize=NAMES_KEPT)
def base_name(name: str) -> str:
    return _VARIANT_NOTE.sub("", name).strip()


@lru_cache(maxsize=NAMES_KEPT)
def size_signature(name: str) -> str:
    """The name with its size taken out: `304…砝码 F1级 20kg` → `304…砝码 F1级 #`."""
    return _SIZE.sub("#", base_name(name))


@lru_cache(maxsize=NAMES_KEPT)
def size_value(name: str) -> float:
    """A number to order a family by size (mass in mg, else length, else pieces)."""
    attributes = parse_attributes(base_name(name))
    if attributes.get("masses"):
        return float(attributes["masses"][0].split(":", 1)[1])
    if attributes.get("length"):
        return float(attributes["length"])
    return float(attributes.get("pieces") or 0)


@lru_cache(maxsize=NAMES_KEPT)
def variant_note(name: str) -> str:
    """What follows the base name: `（含CNAS校准证书）`, or nothing."""
    return name[len(base_name(name)) :].strip()


def product_family(product: ProductListing, siblings: Sequence[ProductListing]) -> ProductFamily:
    """`siblings`: the products of its category."""
    mine = base_name(product.name)
    variants = [
        other for other in siblings if other.id != product.id and base_name(other.name) == mine
    ]
    signature, note, mine_size = (
        size_signature(product.name),
        variant_note(product.name),
        size_value(product.name),
    )
    sized = sorted(
        (
            other
            for other in siblings
            if size_signature(other.name) == signature and variant_note(other.name) == note
        ),
        key=lambda other: size_value(other.name),
    )
    smaller = [other for other in sized if size_value(other.name) < mine_size]
    larger = [other for other in sized if size_value(other.name) > mine_size]
    return ProductFamily(
        variants=variants,
        smaller=smaller[-NEIGHBOURS_EACH_SIDE:],
        larger=larger[:NEIGHBOURS_EACH_SIDE],
    )
