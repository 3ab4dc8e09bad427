"""Plain text, neither a command nor a dialog answer: what did the rep mean?

In order: the customer's words reported (客户说…) are an objection to answer; a message with a
visit signal (a verb, an order, money, a next step) is a visit to log; a clear search answer (a
customer or product named outright) is shown; a sure objection is answered; a short note with
an objection word is a visit; anything else shows what the search found.

The search comes before the objection matcher because most plain text is a lookup, and a clear
answer settles it without scoring the message against every objection.
"""

from __future__ import annotations

from bot.context import Context
from bot.handlers import objections, search, visits
from bot.messages import Incoming, Reply
from bot.services.objections import is_objection_request, looks_like_objection
from bot.services.visit_parser import looks_like_visit_log


async def understand_text(incoming: Incoming, ctx: Context) -> list[Reply]:
    text = incoming.text
    reported = is_objection_request(text)
    if reported is not None:
        return await objections.answer_objection(incoming, ctx, reported)
    if looks_like_visit_log(text, objections_count=False):
        return await visits.log_visit_message(incoming, ctx)
    found = await search.lookup(text, ctx)
    if found.confident:
        return await search.show(found, ctx)
    if await looks_like_objection(session=ctx.session, text=text):
        return await objections.answer_objection(incoming, ctx, text)
    if looks_like_visit_log(text):
        return await visits.log_visit_message(incoming, ctx)
    return await search.show(found, ctx)
