"""Fuzzy customer and product search for reps typing on a phone.

Keys are computed at write time (:func:`customer_keys`, :func:`product_keys`) and stored with the
row; the in-memory indexes are rebuilt from those keys and never call pypinyin while searching.
"""

from bot.services.search.customer_index import CustomerIndex
from bot.services.search.customer_keys import KEYS_VERSION as CUSTOMER_KEYS_VERSION
from bot.services.search.customer_keys import customer_keys
from bot.services.search.product_index import ProductIndex
from bot.services.search.product_keys import KEYS_VERSION as PRODUCT_KEYS_VERSION
from bot.services.search.product_keys import parse_attributes, product_keys
from bot.services.search.results import (
    CustomerRecord,
    Hit,
    ProductListing,
    ProductRecord,
    is_ambiguous,
    pick_list,
)

KEYS_VERSION = CUSTOMER_KEYS_VERSION * 1000 + PRODUCT_KEYS_VERSION
"""One number to store with every key dict; any change in either builder changes it."""

__all__ = [
    "CUSTOMER_KEYS_VERSION",
    "KEYS_VERSION",
    "PRODUCT_KEYS_VERSION",
    "CustomerIndex",
    "CustomerRecord",
    "Hit",
    "ProductIndex",
    "ProductListing",
    "ProductRecord",
    "customer_keys",
    "is_ambiguous",
    "parse_attributes",
    "pick_list",
    "product_keys",
]
