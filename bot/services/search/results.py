"""Result types shared by the customer and product indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

AMBIGUITY_MARGIN = 1.0
"""Scores closer than this are the same kind of match; the chat should let the rep pick."""

SAME_KIND_MARGIN = 5.0
"""Two matches of one kind (both prefixes of 苏州精工…) differ only by boundary bonuses, which
order them but do not make the first one the customer the rep meant."""

CONFIDENT_SCORE = 80.0
"""Below this (fuzzy, sound-alike or initials matches) a single answer is never taken silently."""

PICK_LIST_SIZE = 5
"""A phone screen shows at most this many choices comfortably."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One search answer: ``match`` is a short machine tag saying why it matched."""

    id: int
    score: float
    match: str


@dataclass(slots=True)
class CustomerRecord:
    """What the customer index needs of a row: its id, owner and stored keys."""

    id: int
    keys: dict[str, Any]
    owner_id: int | None = None
    name: str = ""


@dataclass(slots=True)
class ProductRecord:
    """What the product index needs of a row: its id and stored keys (what a chat shows of
    the product is its `ProductListing`)."""

    id: int
    keys: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProductListing:
    """What the chat shows of a product: its card, its buttons, an inline answer.

    Held in memory beside the product index and refreshed with it: the catalogue changes by
    import, seldom, and every product search shows five of them (a statement per search was
    about 8 % of a search's work).
    """

    id: int
    sku: str
    name: str
    category: str | None
    specs: dict[str, Any]
    price: Decimal | None
    unit: str | None


def is_ambiguous(hits: Sequence[Hit]) -> bool:
    """True when the chat should show a pick list instead of taking the top hit.

    That is when the runner-up is as good a match as the winner, or when the winner is only a
    loose match (sound-alike, initials, fuzzy) and there is anything else to choose from.
    """
    if len(hits) < 2:
        return False
    top, second = hits[0].score, hits[1].score
    same_kind = hits[0].match == hits[1].match
    return (
        top - second < (SAME_KIND_MARGIN if same_kind else AMBIGUITY_MARGIN)
        or top < CONFIDENT_SCORE
    )


def pick_list(hits: Sequence[Hit]) -> list[Hit]:
    """The hits to offer when :func:`is_ambiguous` is true: the top few, best first."""
    return list(hits[:PICK_LIST_SIZE])
