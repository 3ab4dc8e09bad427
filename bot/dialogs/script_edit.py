"""Managers add or edit an objection script; reps suggest a better answer.

Editing: objection, script (or a new one), listener level, industry, answer, confirm. Each save
is a new version and earlier versions stay. The answer is edited in the manager's language;
the other languages keep their text. The diagram is in `script_edit.mmd` beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.context import Context
from bot.dialogs.engine import Advance, Dialog, Finish, Outcome, Reask, Step, choice_rows
from bot.i18n import N_, _
from bot.messages import Incoming, Reply
from bot.services.objections import answer_text, save_script
from storage.models import ContactLevel, ObjectionScript, ScriptSuggestion
from storage.queries import objections as queries

ANSWER_LENGTH = (10, 2000)
"""Shorter is not an answer a rep can say; longer will not be read in a chat."""
INDUSTRY_LENGTH = 50
ANY = "any"
KEEP = "keep"
NEW = "new"
PLACEHOLDERS = "{customer} {contact} {contact_title} {product} {competitor} {rep} {date}"


def _level_name(level: str | None) -> str:
    names = {
        ContactLevel.OPERATIONS: _("operations"),
        ContactLevel.MANAGEMENT: _("management"),
        ContactLevel.DECISION: _("decision-maker"),
    }
    return names.get(level, _("any listener")) if level else _("any listener")  # type: ignore[call-overload]


class State(StrEnum):
    TYPE = "type"
    SCRIPT = "script"
    LEVEL = "level"
    INDUSTRY = "industry"
    ANSWER = "answer"
    CONFIRM = "confirm"


@dataclass
class ScriptDraft:
    type_code: str = ""
    script_id: int | None = None
    title: str = ""
    level: str | None = None
    industry: str | None = None
    answer: str = ""
    current_answer: str = ""


class ScriptEditDialog(Dialog[ScriptDraft]):
    name = "script_edit"
    title = N_("editing a script")
    data_type = ScriptDraft
    first = State.TYPE

    def __init__(self) -> None:
        self.steps = {
            State.TYPE: Step(self._ask_type, self._take_type),
            State.SCRIPT: Step(self._ask_script, self._take_script),
            State.LEVEL: Step(self._ask_level, self._take_level),
            State.INDUSTRY: Step(self._ask_industry, self._take_industry),
            State.ANSWER: Step(self._ask_answer, self._take_answer),
            State.CONFIRM: Step(self._ask_confirm, self._take_confirm),
        }

    async def _ask_type(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        types = await queries.objection_types(session=ctx.session)
        choices = [(row.names.get(ctx.language) or row.code, row.code) for row in types]
        rows = choice_rows(self, State.TYPE, choices, per_row=2, back=False)
        return [Reply(_("Which objection is the script for?"), buttons=rows)]

    async def _take_type(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        objection = await queries.objection_type_by_code(session=ctx.session, code=value.strip())
        if objection is None:
            return Reask(_("Choose one of the objections."))
        return Advance(State.SCRIPT, replace(draft, type_code=objection.code))

    async def _ask_script(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        objection = await queries.objection_type_by_code(session=ctx.session, code=draft.type_code)
        scripts = objection.scripts if objection else []
        choices = [(f"#{s.id} {s.title}", str(s.id)) for s in scripts]
        choices.append((_("➕ New script"), NEW))
        rows = choice_rows(self, State.SCRIPT, choices, per_row=1)
        return [Reply(_("Edit which script, or write a new one?"), buttons=rows)]

    async def _take_script(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        if value == NEW:
            objection = await queries.objection_type_by_code(
                session=ctx.session, code=draft.type_code
            )
            title = (objection.names.get(ctx.language) if objection else None) or draft.type_code
            return Advance(State.LEVEL, replace(draft, script_id=None, title=title[:100]))
        script = (
            await queries.get_script(session=ctx.session, script_id=int(value))
            if value.lstrip("#").isdigit()
            else None
        )
        if script is None or script.objection_type.code != draft.type_code:
            return Reask(_("Choose one of the scripts, or a new one."))
        current, _tips = answer_text(script, ctx.language)
        return Advance(
            State.LEVEL,
            replace(
                draft,
                script_id=script.id,
                title=script.title,
                level=script.level,
                industry=script.industry,
                current_answer=current,
            ),
        )

    async def _ask_level(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        choices = [(_level_name(None), ANY)] + [(_level_name(lv), lv.value) for lv in ContactLevel]
        return [
            Reply(
                _("For which listener? Now: {level}").format(level=_level_name(draft.level)),
                buttons=choice_rows(self, State.LEVEL, choices, per_row=2),
            )
        ]

    async def _take_level(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        level = value.strip().lower()
        if level == ANY:
            return Advance(State.INDUSTRY, replace(draft, level=None))
        if level not in {lv.value for lv in ContactLevel}:
            return Reask(_("Choose one of the listener levels."))
        return Advance(State.INDUSTRY, replace(draft, level=level))

    async def _ask_industry(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        choices = [(_("All industries"), ANY)]
        if draft.industry:
            choices.insert(0, (_("Keep {industry}").format(industry=draft.industry), KEEP))
        return [
            Reply(
                _("For one industry only? Type it (e.g. 制药), or choose:"),
                buttons=choice_rows(self, State.INDUSTRY, choices),
            )
        ]

    async def _take_industry(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        text = " ".join(value.split())
        if text == KEEP:
            return Advance(State.ANSWER, draft)
        if text == ANY:
            return Advance(State.ANSWER, replace(draft, industry=None))
        if not text or len(text) > INDUSTRY_LENGTH:
            return Reask(_("An industry is a word or two, e.g. 制药."))
        return Advance(State.ANSWER, replace(draft, industry=text))

    async def _ask_answer(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        lines = [
            _("Type the answer a rep should say. Placeholders: {names}").format(names=PLACEHOLDERS)
        ]
        rows: tuple = ()
        if draft.current_answer:
            lines += [_("Now:"), draft.current_answer]
            rows = choice_rows(self, State.ANSWER, [(_("Keep this answer"), KEEP)])
        return [Reply("\n".join(lines), buttons=rows)]

    async def _take_answer(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        if value == KEEP and draft.current_answer:
            return Advance(State.CONFIRM, replace(draft, answer=draft.current_answer))
        text = value.strip()
        low, high = ANSWER_LENGTH
        if not low <= len(text) <= high:
            return Reask(_("An answer has {low} to {high} characters.").format(low=low, high=high))
        return Advance(State.CONFIRM, replace(draft, answer=text))

    async def _ask_confirm(self, draft: ScriptDraft, ctx: Context) -> list[Reply]:
        lines = [
            _("Please check:"),
            _("Script: {title}").format(title=draft.title),
            _("Listener: {level}").format(level=_level_name(draft.level)),
            _("Industry: {industry}").format(industry=draft.industry or _("all")),
            draft.answer,
        ]
        choices = [(_("Save"), "save"), (_("Cancel"), "cancel")]
        if draft.script_id is not None:
            choices.insert(1, (_("Deactivate"), "deactivate"))
        return [Reply("\n".join(lines), buttons=choice_rows(self, State.CONFIRM, choices))]

    async def _take_confirm(
        self, incoming: Incoming, value: str, draft: ScriptDraft, ctx: Context
    ) -> Outcome:
        answer = value.strip().lower()
        if answer == "cancel":
            return Finish(
                [Reply(_("Stopped {task}. Nothing was saved.").format(task=_(self.title)))]
            )
        if answer not in {"save", "deactivate"}:
            return Reask(_("Press Save, or Cancel."))
        objection = await queries.objection_type_by_code(session=ctx.session, code=draft.type_code)
        script = (
            await queries.get_script(session=ctx.session, script_id=draft.script_id)
            if draft.script_id is not None
            else None
        )
        if objection is None or (draft.script_id is not None and script is None):
            return Finish([Reply(_("That script no longer exists. Nothing was saved."))])
        if script is None:
            script = ObjectionScript(type_id=objection.id, version=0, answers={}, tips={})
        saved = await save_script(
            session=ctx.session,
            script=script,
            title=draft.title,
            level=draft.level,
            industry=draft.industry,
            answers={**(script.answers or {}), ctx.language: draft.answer},
            tips=script.tips or {},
            author=ctx.known_user,
            note="deactivated" if answer == "deactivate" else None,
            active=answer == "save",
        )
        return Finish(
            [
                Reply(
                    _("Saved {title}, version {version}.").format(
                        title=saved.title, version=saved.version
                    )
                )
            ]
        )


class SuggestionState(StrEnum):
    TEXT = "text"


@dataclass
class SuggestionDraft:
    script_id: int = 0
    title: str = ""


class ScriptSuggestionDialog(Dialog[SuggestionDraft]):
    """One question: the rep's better answer, kept for a manager to approve or reject."""

    name = "script_suggestion"
    title = N_("suggesting a better answer")
    data_type = SuggestionDraft
    first = SuggestionState.TEXT

    def __init__(self) -> None:
        self.steps = {SuggestionState.TEXT: Step(self._ask_text, self._take_text)}

    async def _ask_text(self, draft: SuggestionDraft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _(
                    "Type the answer you would rather give for {title}; a manager reviews it."
                ).format(title=draft.title)
            )
        ]

    async def _take_text(
        self, incoming: Incoming, value: str, draft: SuggestionDraft, ctx: Context
    ) -> Outcome:
        text = value.strip()
        low, high = ANSWER_LENGTH
        if not low <= len(text) <= high:
            return Reask(_("An answer has {low} to {high} characters.").format(low=low, high=high))
        await queries.add_suggestion(
            session=ctx.session,
            suggestion=ScriptSuggestion(
                script_id=draft.script_id,
                user_id=ctx.known_user.id,
                language=ctx.language,
                text=text,
            ),
        )
        return Finish([Reply(_("Thank you. Your suggestion went to your manager."))])
