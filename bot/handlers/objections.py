"""Objections: `/obj TEXT`, outcome buttons, `/scripts`, suggestions and their approval.

Button data, all under the `obj` prefix (64 bytes at most):
`obj:t:<type code>` answer that objection · `obj:o:<use id>:<w|f|u>` what came of an answer ·
`obj:s:<script id>` suggest an improvement · `obj:a:<id>` / `obj:r:<id>` approve or reject one.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.cards import stale_button
from bot.context import Context
from bot.dialogs.script_edit import ScriptEditDialog, ScriptSuggestionDialog, SuggestionDraft
from bot.i18n import N_, _
from bot.messages import Incoming, Reply, buttons
from bot.services.objections import (
    LANGUAGES,
    MatchResult,
    answer_context,
    match_objection,
    rank_scripts,
    record_outcome,
    save_script,
    wilson_lower_bound,
)
from bot.services.objections import answer_objection as pick_answer
from storage.models import (
    ObjectionScript,
    ObjectionType,
    Role,
    ScriptOutcome,
    SuggestionStatus,
)
from storage.queries import objections as queries

PREFIX = "obj"
OUTCOME_LABELS = {
    "w": (ScriptOutcome.WORKED, N_("👍 Worked")),
    "f": (ScriptOutcome.FAILED, N_("👎 Didn't work")),
    "u": (ScriptOutcome.UNUSED, N_("Didn't use it")),
}
LEVEL_LABELS = {
    "operations": N_("operations"),
    "management": N_("management"),
    "decision": N_("decision-maker"),
}
REVIEWERS = frozenset({Role.MANAGER, Role.ADMIN})


def type_name(objection: ObjectionType, language: str) -> str:
    names = objection.names or {}
    return str(names.get(language) or names.get("en") or objection.code)


def variant_label(script: ObjectionScript) -> str:
    """ "management · 制药" for a variant, empty for a general script."""
    parts = [_(LEVEL_LABELS[script.level])] if script.level in LEVEL_LABELS else []
    return " · ".join([*parts, *([script.industry] if script.industry else [])])


async def ask_objection(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/obj TEXT`: the answer to what the customer just said; `/obj` alone lists objections."""
    if not incoming.args:
        return await _choose_type(
            ctx, _("Which objection? Or type /obj and the customer's words.")
        )
    return await answer_objection(incoming, ctx, incoming.args)


async def answer_objection(incoming: Incoming, ctx: Context, text: str) -> list[Reply]:
    """The best answer for `text`, or the likely objections as buttons when unsure.

    Also the entry for plain text the router recognises as an objection (客户说…).
    """
    result: MatchResult = await match_objection(session=ctx.session, text=text)
    best = result.best
    if best is None:
        likely = [candidate.code for candidate in result.candidates]
        return await _choose_type(
            ctx, _("I don't recognise an objection there. Which one is it?"), likely=likely
        )
    if result.sure:
        return await _answer(incoming, ctx, best.code, text, best.score)
    types = {row.code: row for row in await queries.objection_types(session=ctx.session)}
    rows = [
        [(type_name(types[c.code], ctx.language), f"{PREFIX}:t:{c.code}")]
        for c in result.candidates
        if c.code in types
    ]
    return [Reply(_("Which did the customer mean?"), buttons=buttons(*rows))]


async def _choose_type(ctx: Context, prompt: str, likely: Sequence[str] = ()) -> list[Reply]:
    """Every active objection as a button; the `likely` ones first, one to a row.

    Text under the objection cut-off still ranks its likely types, and the rep who typed /obj
    says it is an objection: the likely ones lead, the rest stay at hand.
    """
    types = [row for row in await queries.objection_types(session=ctx.session) if row.active]
    by_code = {row.code: row for row in types}
    first = [by_code[code] for code in dict.fromkeys(likely) if code in by_code]
    rest = [row for row in types if row not in first]
    choice = lambda row: (type_name(row, ctx.language), f"{PREFIX}:t:{row.code}")  # noqa: E731
    rows = [[choice(row)] for row in first]
    rows += [[choice(row) for row in rest[i : i + 2]] for i in range(0, len(rest), 2)]
    return [Reply(prompt, buttons=buttons(*rows))]


async def _answer(
    incoming: Incoming, ctx: Context, code: str, query: str, confidence: float
) -> list[Reply]:
    user = ctx.known_user
    context = await answer_context(
        session=ctx.session,
        user=user,
        dialog=ctx.dialog,
        now=ctx.now(),
        zone=ZoneInfo(user.time_zone or ctx.settings.time_zone),
        text=query,
        language=ctx.language,
    )
    answer = await pick_answer(
        session=ctx.session,
        code=code,
        context=context,
        user=user,
        query=query,
        confidence=confidence,
        language=ctx.language,
        now=ctx.now(),
    )
    if answer is None:
        return [Reply(_("There is no active script for that objection yet."))]
    heading = f"💬 {type_name(answer.objection, ctx.language)} · {answer.script.title}"
    if confidence < 1:
        heading += " " + _("({percent}% sure)").format(percent=round(confidence * 100))
    lines = [heading]
    if context.customer is not None:
        who = " · ".join(
            filter(
                None, [context.customer.legal_name, context.contact_name, context.contact_title]
            )
        )
        lines.append(_("For {who}").format(who=who))
    lines += ["", answer.text]
    if answer.tips.get("next"):
        lines += ["", _("👉 Next: {tip}").format(tip=answer.tips["next"])]
    if answer.tips.get("avoid"):
        lines.append(_("⛔ Never: {tip}").format(tip=answer.tips["avoid"]))
    outcome_row = [
        (_(label), f"{PREFIX}:o:{answer.use.id}:{key}")
        for key, (_o, label) in OUTCOME_LABELS.items()
    ]
    suggest_row = [(_("✏️ Suggest a better answer"), f"{PREFIX}:s:{answer.script.id}")]
    return [Reply("\n".join(lines), buttons=buttons(outcome_row, suggest_row))]


async def press(incoming: Incoming, ctx: Context) -> list[Reply]:
    """Every `obj:` button."""
    parts = (incoming.button_data or "").split(":")
    kind, args = (parts[1], parts[2:]) if len(parts) > 1 else ("", [])
    if kind == "t" and args:
        return await _answer(incoming, ctx, args[0], args[0], 1.0)
    if kind == "o" and len(args) == 2 and args[0].isdigit() and args[1] in OUTCOME_LABELS:
        return await _record(ctx, int(args[0]), args[1])
    if kind == "s" and args and args[0].isdigit():
        script = await queries.get_script(session=ctx.session, script_id=int(args[0]))
        if script is not None:
            draft = SuggestionDraft(script_id=script.id, title=script.title)
            return await ctx.dialogs.start(ScriptSuggestionDialog.name, incoming, ctx, draft)
    if kind in {"a", "r"} and args and args[0].isdigit():
        return await _review(ctx, int(args[0]), approve=kind == "a")
    return [stale_button()]


async def _record(ctx: Context, use_id: int, key: str) -> list[Reply]:
    use = await queries.get_script_use(session=ctx.session, use_id=use_id)
    if use is None or use.user_id != ctx.known_user.id:
        return [stale_button()]
    outcome, label = OUTCOME_LABELS[key]
    changed = await record_outcome(session=ctx.session, use=use, outcome=outcome, now=ctx.now())
    if not changed:
        return [Reply(_("Already noted."), notice=True)]
    return [
        Reply(
            _("Noted: {outcome}. Thank you, this is how good answers rise.").format(
                outcome=_(label)
            )
        )
    ]


async def show_scripts(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/scripts`: per objection, its scripts best first, with uses and success figures."""
    lines = [_("Objection scripts, best first (score: lower bound of the success rate):")]
    for objection in await queries.objection_types(session=ctx.session):
        if not objection.active:
            continue
        lines += ["", f"💬 {type_name(objection, ctx.language)}"]
        everyone = rank_scripts(objection.scripts, level=None, industry=None)
        variants = [s for s in objection.scripts if s.active and s not in everyone]
        for script in [*everyone, *variants]:
            rated = script.worked_count + script.failed_count
            figures = _("used {uses}, 👍 {worked} 👎 {failed}, score {score:.0%}").format(
                uses=script.use_count,
                worked=script.worked_count,
                failed=script.failed_count,
                score=wilson_lower_bound(script.worked_count, rated),
            )
            variant = variant_label(script)
            title = f"{script.title} [{variant}]" if variant else script.title
            lines.append(f"  • #{script.id} {title} (v{script.version}): {figures}")
    if Role(ctx.known_user.role) in REVIEWERS:
        pending = await queries.pending_suggestions(session=ctx.session)
        if pending:
            lines += [
                "",
                _("{count} suggestions wait for review: /suggestions").format(count=len(pending)),
            ]
    return [Reply("\n".join(lines))]


async def show_suggestions(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/suggestions`: reps' proposed answers, each with approve and reject buttons."""
    pending = await queries.pending_suggestions(session=ctx.session)
    if not pending:
        return [Reply(_("No suggestions wait for review."))]
    replies = []
    for suggestion in pending:
        author = suggestion.author.name if suggestion.author else "—"
        text = _("#{id} {title} ({language}), from {author}:\n{text}").format(
            id=suggestion.id,
            title=suggestion.script.title,
            language=suggestion.language,
            author=author,
            text=suggestion.text,
        )
        rows = [
            [
                (_("Approve"), f"{PREFIX}:a:{suggestion.id}"),
                (_("Reject"), f"{PREFIX}:r:{suggestion.id}"),
            ]
        ]
        replies.append(Reply(text, buttons=buttons(*rows)))
    return replies


async def _review(ctx: Context, suggestion_id: int, *, approve: bool) -> list[Reply]:
    if Role(ctx.known_user.role) not in REVIEWERS:
        return [Reply(_("That command is not available to you."))]
    suggestion = await queries.get_suggestion(session=ctx.session, suggestion_id=suggestion_id)
    if suggestion is None or suggestion.status != SuggestionStatus.PENDING:
        return [stale_button()]
    suggestion.status = SuggestionStatus.APPROVED if approve else SuggestionStatus.REJECTED
    suggestion.reviewed_by_id = ctx.known_user.id
    suggestion.reviewed_at = ctx.now()
    if not approve:
        return [Reply(_("Suggestion #{id} rejected.").format(id=suggestion.id))]
    script = suggestion.script
    language = suggestion.language if suggestion.language in LANGUAGES else ctx.language
    await save_script(
        session=ctx.session,
        script=script,
        title=script.title,
        level=script.level,
        industry=script.industry,
        answers={**script.answers, language: suggestion.text},
        tips=script.tips,
        author=ctx.known_user,
        note=f"suggestion #{suggestion.id}",
    )
    return [
        Reply(
            _("Suggestion #{id} approved: {title} is now version {version}.").format(
                id=suggestion.id, title=script.title, version=script.version
            )
        )
    ]


async def start_script_edit(incoming: Incoming, ctx: Context) -> list[Reply]:
    return await ctx.dialogs.start(ScriptEditDialog.name, incoming, ctx)
