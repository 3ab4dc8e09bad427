"""The product spec card: specs as a table, price, certificate variants, neighbouring sizes."""

from __future__ import annotations

from decimal import Decimal

from bot.cards import stale_button
from bot.context import Context
from bot.i18n import _
from bot.messages import Incoming, Reply, buttons
from bot.services.products import product_family
from bot.services.search import ProductListing

SPEC_LABEL_WIDTH = 6
"""Spec names are 2–6 Chinese characters; padding to this lines the values up."""
IDEOGRAPHIC_SPACE = "\u3000"
"""As wide as a Chinese character, so padded spec names line up on a phone."""


def price_text(product: ProductListing) -> str:
    if product.price is None:
        return _("price on request")
    unit = f" / {product.unit}" if product.unit else ""
    return f"¥{product.price.quantize(Decimal('0.01')):,}{unit}"


def product_button(product: ProductListing, label: str | None = None) -> tuple[str, str]:
    return (label or f"{product.sku} · {price_text(product)}", f"prod:{product.id}")


def product_card(product: ProductListing, ctx: Context) -> Reply:
    family = product_family(product, ctx.search.products_in_category(product.category))
    lines = [f"⚖️ {product.name}", f"SKU {product.sku} · {price_text(product)}"]
    if product.specs:
        lines.append(_("Specifications:"))
        lines += [
            f"  {key.ljust(SPEC_LABEL_WIDTH, IDEOGRAPHIC_SPACE)} {value}"
            for key, value in product.specs.items()
        ]
    rows: list[list[tuple[str, str]]] = []
    if family.variants:
        lines.append(_("Also with certificate or box:"))
        lines += [f"  • {other.sku} · {price_text(other)}" for other in family.variants]
        rows.append([product_button(other, other.sku) for other in family.variants])
    sizes = [*family.smaller, *family.larger]
    if sizes:
        lines.append(_("Neighbouring sizes:"))
        rows.append([product_button(other, other.sku) for other in sizes])
    return Reply("\n".join(lines), buttons=buttons(*rows))


async def show_product_card(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`prod:<id>`: the spec card."""
    raw_id = (incoming.button_data or "").removeprefix("prod:")
    product = (
        await ctx.search.product(session=ctx.session, product_id=int(raw_id))
        if raw_id.isdigit()
        else None
    )
    if product is None:
        return [stale_button()]
    return [product_card(product, ctx)]
