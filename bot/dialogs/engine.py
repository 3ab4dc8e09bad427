"""The dialog engine: multi-step conversations as explicit, persisted state machines.

A dialog declares its states (a `StrEnum`, stored as strings), its data (a dataclass, stored
as JSON) and one `Step` per state: a question and an answer handler. The engine saves the
state after every step, so a restarted process or another worker continues where the user was.
It owns the generic moves: re-ask on bad input, `/back`, expiry after idle time, stale buttons.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar, Generic, TypeVar

from bot.context import Context
from bot.i18n import _
from bot.messages import Incoming, Reply, buttons
from storage.models import DialogState
from storage.queries.dialogs import drop_dialog, lock_dialog, save_dialog

logger = logging.getLogger(__name__)

BUTTON_PREFIX = "dlg"
BACK = "/back"

D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class Advance:
    """Go to `state` (or stay, re-asking, when it is the current one) with new data."""

    state: StrEnum
    data: Any
    replies: Sequence[Reply] = ()


@dataclass(frozen=True, slots=True)
class Reask:
    """The answer did not fit: say why and ask the same question again."""

    reason: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The dialog is over (saved or abandoned); these replies close it."""

    replies: Sequence[Reply]


Outcome = Advance | Reask | Finish


@dataclass(frozen=True, slots=True)
class Step(Generic[D]):
    ask: Callable[[D, Context], Awaitable[list[Reply]]]
    answer: Callable[[Incoming, str, D, Context], Awaitable[Outcome]]
    """Gets the incoming, its value (typed text, or the pressed button's value) and the data."""


class Dialog(Generic[D]):
    """Base of every dialog: subclasses set the class attributes and fill `steps`."""

    name: ClassVar[str]
    title: ClassVar[str]
    """A msgid naming the dialog for the user ("adding a customer")."""
    data_type: ClassVar[type]
    first: ClassVar[StrEnum]
    steps: dict[StrEnum, Step[D]]

    def button(self, state: StrEnum, value: str) -> str:
        """Button data bound to a state, so a press on an old question is recognised."""
        return f"{BUTTON_PREFIX}:{self.name}:{state}:{value}"

    def load(self, raw: dict[str, Any]) -> D:
        return self.data_type(**raw)  # type: ignore[no-any-return]

    def dump(self, data: D) -> dict[str, Any]:
        return dataclasses.asdict(data)  # type: ignore[call-overload, no-any-return]


def back_button() -> tuple[str, str]:
    return (_("« Back"), f"{BUTTON_PREFIX}:back")


class DialogEngine:
    """Runs the registered dialogs for the router."""

    def __init__(self, dialogs: Sequence[Dialog[Any]]) -> None:
        self._dialogs = {dialog.name: dialog for dialog in dialogs}

    def __contains__(self, name: str) -> bool:
        return name in self._dialogs

    async def start(
        self,
        name: str,
        incoming: Incoming,
        ctx: Context,
        data: Any = None,
        *,
        state: StrEnum | None = None,
    ) -> list[Reply]:
        """Start `name` at its first step, or at `state` when the data already answers the
        earlier ones (a one-message visit log lands on its summary card)."""
        dialog = self._dialogs[name]
        data = dialog.data_type() if data is None else data
        state = state or dialog.first
        await drop_dialog(
            session=ctx.session,
            user_id=ctx.known_user.id,
            channel=incoming.channel,
            chat_id=incoming.chat_id,
        )
        saved = DialogState(
            user_id=ctx.known_user.id,
            channel=incoming.channel,
            chat_id=incoming.chat_id,
            dialog=name,
            state=str(state),
            data=dialog.dump(data),
            history=[],
            updated_at=ctx.now(),
        )
        await save_dialog(session=ctx.session, state=saved)
        return await dialog.steps[state].ask(data, ctx)

    async def cancel(self, incoming: Incoming, ctx: Context) -> str | None:
        """Drop the active dialog; returns its title when there was one."""
        saved = await self._active(ctx)
        if saved is None:
            return None
        await drop_dialog(
            session=ctx.session,
            user_id=ctx.known_user.id,
            channel=incoming.channel,
            chat_id=incoming.chat_id,
        )
        dialog = self._dialogs.get(saved.dialog)
        return _(dialog.title) if dialog else ""

    async def handle(self, incoming: Incoming, ctx: Context) -> list[Reply] | None:
        """Feed the input to the active dialog; None when there is none (or it expired)."""
        saved = await self._active(ctx)
        if saved is None:
            return None
        dialog = self._dialogs.get(saved.dialog)
        idle = timedelta(minutes=ctx.settings.dialog_idle_minutes)
        if dialog is None or ctx.now() - saved.updated_at > idle:
            await ctx.session.delete(saved)
            await ctx.session.flush()
            if dialog is None:
                return None
            if incoming.button_data and incoming.button_data.startswith(f"{BUTTON_PREFIX}:"):
                return [
                    Reply(
                        _("That question has expired. Start again when you are ready."),
                        notice=True,
                    )
                ]
            return None

        state = type(dialog.first)(saved.state)
        data = dialog.load(saved.data)
        step = dialog.steps[state]

        value = self._value(incoming, dialog, state)
        if value is None:
            return [
                Reply(_("That button belongs to an earlier question."), notice=True),
                *await step.ask(data, ctx),
            ]
        if value == BACK:
            return await self._back(saved, dialog, data, ctx)
        if incoming.command:
            hint = _("You are in the middle of {task}. Answer the question, /back or /cancel.")
            return [Reply(hint.format(task=_(dialog.title))), *await step.ask(data, ctx)]

        outcome = await step.answer(incoming, value, data, ctx)
        if isinstance(outcome, Reask):
            return [Reply(outcome.reason), *await step.ask(data, ctx)]
        if isinstance(outcome, Finish):
            await ctx.session.delete(saved)
            await ctx.session.flush()
            return list(outcome.replies)

        if outcome.state != state:
            saved.history = [*saved.history, str(state)]
        saved.state = str(outcome.state)
        saved.data = dialog.dump(outcome.data)
        saved.updated_at = ctx.now()
        await save_dialog(session=ctx.session, state=saved)
        prompt = await dialog.steps[outcome.state].ask(outcome.data, ctx)
        if incoming.button_data and prompt:
            prompt[0] = dataclasses.replace(prompt[0], edit=True)
        return [*outcome.replies, *prompt]

    async def _active(self, ctx: Context) -> DialogState | None:
        if ctx.user is None or ctx.dialog is None:
            return None
        return await lock_dialog(session=ctx.session, state=ctx.dialog)

    @staticmethod
    def _value(incoming: Incoming, dialog: Dialog[Any], state: StrEnum) -> str | None:
        """The answer's value; None for a press on a button of another question."""
        if incoming.button_data is None:
            text = incoming.text.strip()
            return BACK if text.lower() in {BACK, "back", "返回", "上一步"} else text
        parts = incoming.button_data.split(":", 3)
        if parts == [BUTTON_PREFIX, "back"]:
            return BACK
        if len(parts) == 4 and parts[:3] == [BUTTON_PREFIX, dialog.name, str(state)]:
            return parts[3]
        return None

    async def _back(
        self, saved: DialogState, dialog: Dialog[Any], data: Any, ctx: Context
    ) -> list[Reply]:
        if not saved.history:
            current = type(dialog.first)(saved.state)
            return [
                Reply(_("This is the first question; /cancel to stop.")),
                *await dialog.steps[current].ask(data, ctx),
            ]
        previous = type(dialog.first)(saved.history[-1])
        saved.history = saved.history[:-1]
        saved.state = str(previous)
        saved.updated_at = ctx.now()
        await save_dialog(session=ctx.session, state=saved)
        return await dialog.steps[previous].ask(data, ctx)


def choice_rows(
    dialog: Dialog[Any],
    state: StrEnum,
    choices: Sequence[tuple[str, str]],
    *,
    per_row: int = 3,
    back: bool = True,
) -> tuple[tuple[Any, ...], ...]:
    """Lay out `(label, value)` choices for a step, with a back button on its own row."""
    rows = [
        [(label, dialog.button(state, value)) for label, value in choices[i : i + per_row]]
        for i in range(0, len(choices), per_row)
    ]
    if back:
        rows.append([back_button()])
    return buttons(*rows)
