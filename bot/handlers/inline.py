"""Inline answers: customers and products found from any chat, ready to share there.

Read-only and scoped to the asking user: a customer they may not see never appears, and one
they may see by name only is shared by name only. The search service will replace the plain
substring queries below.
"""

from __future__ import annotations

from bot.cards import DASH, customer_card, customer_name_only, grade_label
from bot.context import Context
from bot.i18n import _
from bot.messages import InlineResult
from bot.services.customers import Visibility, visibility
from storage.models import Product
from storage.queries.customers import customers_named_like
from storage.queries.products import products_named_like

RESULTS_PER_KIND = 8
"""Sixteen rows fill a phone's inline list; more only scroll past what was meant."""


async def inline_results(text: str, ctx: Context) -> list[InlineResult]:
    """Customers, then products, matching the words typed after the bot's name."""
    words = text.split()
    if not words:
        return []
    results: list[InlineResult] = []
    customers = await customers_named_like(
        session=ctx.session, fragments=words, limit=RESULTS_PER_KIND
    )
    for customer in customers:
        seen = visibility(ctx.known_user, customer, others=ctx.settings.others_customers)
        if seen is Visibility.HIDDEN:
            continue
        full = seen is Visibility.FULL
        card = customer_card(customer, ctx) if full else customer_name_only(customer)
        description = (
            f"{grade_label(customer.grade)} · {customer.region or DASH}"
            if full
            else _("Another team's customer")
        )
        results.append(
            InlineResult(
                id=f"customer:{customer.id}",
                title=customer.legal_name,
                description=description,
                message_text=card.text,
            )
        )
    products = await products_named_like(session=ctx.session, words=words, limit=RESULTS_PER_KIND)
    results += [_product_result(product) for product in products]
    return results


def _product_result(product: Product) -> InlineResult:
    price = (
        _("{price} per {unit}").format(price=product.price, unit=product.unit or DASH)
        if product.price is not None
        else DASH
    )
    specs = [f"{key}: {value}" for key, value in (product.specs or {}).items()]
    lines = [f"📦 {product.name}", f"SKU: {product.sku}", _("Price: {price}").format(price=price)]
    return InlineResult(
        id=f"product:{product.id}",
        title=product.name,
        description=f"{product.sku} · {price}",
        message_text="\n".join([*lines, *specs]),
    )
