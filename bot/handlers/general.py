"""Help, who am I, language, cancel: what every user can do."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import stale_button
from bot.config import LANGUAGES
from bot.context import Context
from bot.i18n import LANGUAGE_NAMES, _, parse_language, set_language
from bot.messages import Incoming, Reply, buttons
from storage.models import Role
from storage.queries.users import managed_teams_of, team_of


def role_name(role: str) -> str:
    names = {Role.REP: _("rep"), Role.MANAGER: _("manager"), Role.ADMIN: _("admin")}
    return names.get(Role(role), role)


def show_help(ctx: Context, commands: Sequence[tuple[str, str]]) -> list[Reply]:
    """The commands this user's role may use, each with a translated line."""
    lines = [_("Here is what I can do for you:")]
    lines += [f"/{name} — {_(summary)}" for name, summary in commands]
    lines.append(
        _(
            "Or just type: a customer or product to look it up, what happened at a visit to "
            "log it, or what the customer said to get an answer."
        )
    )
    return [Reply("\n".join(lines))]


async def whoami(incoming: Incoming, ctx: Context) -> list[Reply]:
    user = ctx.known_user
    team = await team_of(session=ctx.session, user=user)
    lines = [
        _("Name: {name}").format(name=user.name),
        _("Role: {role}").format(role=role_name(user.role)),
        _("Team: {team}").format(team=team.name if team else _("none")),
    ]
    managed_teams = await managed_teams_of(session=ctx.session, user=user)
    if managed_teams:
        managed = "、".join(team.name for team in managed_teams)
        lines.append(_("Manages: {teams}").format(teams=managed))
    lines.append(_("Language: {language}").format(language=LANGUAGE_NAMES[ctx.language]))
    lines.append(_("Time zone: {zone}").format(zone=user.time_zone or ctx.settings.time_zone))
    return [Reply("\n".join(lines))]


def _language_buttons() -> Reply:
    rows = [[(LANGUAGE_NAMES[language], f"lang:{language}") for language in LANGUAGES]]
    return Reply(_("Choose your language:"), buttons=buttons(*rows))


async def change_language(incoming: Incoming, ctx: Context) -> list[Reply]:
    if not incoming.args:
        return [_language_buttons()]
    language = parse_language(incoming.args)
    if language is None:
        return [Reply(_("I don't know that language. Choose one of these:")), _language_buttons()]
    return _apply_language(ctx, language)


async def choose_language(incoming: Incoming, ctx: Context) -> list[Reply]:
    language = parse_language((incoming.button_data or "").removeprefix("lang:"))
    if language is None:
        return [stale_button()]
    return _apply_language(ctx, language)


def _apply_language(ctx: Context, language: str) -> list[Reply]:
    """Remember the choice for a known user; an unknown one gets it for this answer only."""
    assert language in LANGUAGES
    if ctx.user is not None:
        ctx.user.language = language
    set_language(language)  # type: ignore[arg-type]
    return [
        Reply(_("I will speak {language} from now on.").format(language=LANGUAGE_NAMES[language]))
    ]  # type: ignore[index]


async def cancel(incoming: Incoming, ctx: Context) -> list[Reply]:
    title = await ctx.dialogs.cancel(incoming, ctx)
    if title is None:
        return [Reply(_("Nothing to cancel."))]
    return [Reply(_("Stopped {task}. Nothing was saved.").format(task=title))]
