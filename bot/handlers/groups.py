"""A team's group chat: it receives the team's digests and never shows one rep's data.

In a group only `/help`, `/link_team` and `/unlink_team` are answered; everything else is
redirected to a private chat, so nothing private is ever posted where the team can read it.
"""

from __future__ import annotations

from bot.context import Context
from bot.i18n import _
from bot.messages import Incoming, Reply
from storage.models import Role, Team
from storage.queries.audit import record_change
from storage.queries.users import find_team, find_team_chat, link_team_chat, managed_teams_of


async def in_group(incoming: Incoming, ctx: Context) -> list[Reply]:
    match incoming.command:
        case "help":
            return [
                Reply(
                    _(
                        "I am the team's sales assistant. In this group I only post the team's "
                        "updates; talk to me in a private chat for everything else."
                    )
                    + "\n"
                    + _("A manager links this group to a team with /link_team.")
                )
            ]
        case "link_team":
            return await _link(incoming, ctx)
        case "unlink_team":
            return await _unlink(incoming, ctx)
    return [Reply(_("Let's talk privately, so your data stays yours: open a chat with me."))]


async def link_team_privately(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/link_team` in a private chat: it only makes sense in the group itself."""
    return [Reply(_("Add me to your team's group and send /link_team there."))]


async def _team_for(ctx: Context, name: str) -> Team | str:
    """The team this manager or admin may link or unlink here, or why not (as a message)."""
    user = ctx.user
    if user is None or user.role == Role.REP:
        return _("Only a manager or an admin of this team can do that.")
    if user.role == Role.ADMIN:
        if not name:
            return _("Name the team: /link_team TEAM")
        team = await find_team(session=ctx.session, name=name)
        return team or _("There is no team called {team}.").format(team=name)
    teams = await managed_teams_of(session=ctx.session, user=user)
    managed = [team for team in teams if not name or team.name == name]
    if len(managed) == 1:
        return managed[0]
    if managed:
        return _("You manage several teams: /link_team TEAM")
    return _("Only a manager or an admin of this team can do that.")


async def _link(incoming: Incoming, ctx: Context) -> list[Reply]:
    team = await _team_for(ctx, incoming.args.strip())
    if isinstance(team, str):
        return [Reply(team)]
    chat = await link_team_chat(
        session=ctx.session,
        team=team,
        platform=incoming.channel,
        chat_id=incoming.chat_id,
        by=ctx.known_user,
        now=ctx.now(),
    )
    await record_change(
        session=ctx.session,
        user_id=ctx.known_user.id,
        action="link",
        entity="team_chat",
        entity_id=chat.id,
        after={"team": team.name, "platform": incoming.channel, "chat_id": incoming.chat_id},
    )
    text = _("This group now gets {team}'s digests and urgent news.").format(team=team.name)
    return [Reply(text)]


async def _unlink(incoming: Incoming, ctx: Context) -> list[Reply]:
    chat = await find_team_chat(
        session=ctx.session, platform=incoming.channel, chat_id=incoming.chat_id
    )
    if chat is None:
        return [Reply(_("This group is not linked to a team."))]
    allowed = await _team_for(ctx, chat.team.name)
    if isinstance(allowed, str):
        return [Reply(allowed)]
    await record_change(
        session=ctx.session,
        user_id=ctx.known_user.id,
        action="unlink",
        entity="team_chat",
        entity_id=chat.id,
        before={"team": chat.team.name, "platform": chat.platform, "chat_id": chat.chat_id},
    )
    await ctx.session.delete(chat)
    return [Reply(_("This group no longer gets {team}'s digests.").format(team=chat.team.name))]
