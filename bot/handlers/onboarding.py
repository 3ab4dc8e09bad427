"""Joining with an invite code, and admins inviting people from the chat."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.handlers.general import role_name
from bot.i18n import _, language_from_platform, using
from bot.messages import Incoming, Reply
from bot.services.onboarding import InviteProblem, Joined, redeem_invite
from bot.services.onboarding import create_invite as make_invite
from storage.models import Role
from storage.queries.pushes import enqueue_push
from storage.queries.users import get_user, list_users


async def explain_joining(incoming: Incoming, ctx: Context) -> list[Reply]:
    return [
        Reply(
            _(
                "Hello! I am the team's sales assistant. I don't know you yet: ask your admin "
                "for an invite code and send /start CODE."
            )
        )
    ]


async def start(incoming: Incoming, ctx: Context) -> list[Reply]:
    if ctx.user is not None:
        return [
            Reply(_("Welcome back, {name}. /help lists what I can do.").format(name=ctx.user.name))
        ]
    if not incoming.args:
        return await explain_joining(incoming, ctx)
    joined = await redeem_invite(
        session=ctx.session,
        code=incoming.args,
        now=ctx.now(),
        platform=incoming.channel,
        platform_user_id=incoming.user_id,
        chat_id=incoming.chat_id,
        name=incoming.display_name or incoming.user_id,
        language=language_from_platform(incoming.language_code),
    )
    if isinstance(joined, InviteProblem):
        problems = {
            InviteProblem.UNKNOWN: _("That invite code is not valid. Check it with your admin."),
            InviteProblem.USED_UP: _(
                "That invite code has already been used. Ask your admin for a new one."
            ),
            InviteProblem.EXPIRED: _(
                "That invite code has expired. Ask your admin for a new one."
            ),
        }
        return [Reply(problems[joined])]
    user = joined.user
    await _tell_inviter(ctx, joined, user.role)
    welcome = _("Welcome, {name}! You joined as {role}.").format(
        name=user.name, role=role_name(user.role)
    )
    if joined.team is not None:
        welcome += " " + _("Team: {team}").format(team=joined.team.name)
    return [Reply(welcome + "\n" + _("/help lists what I can do."))]


async def _tell_inviter(ctx: Context, joined: Joined, role: str) -> None:
    """Push the news to whoever made the invite, or to every admin for command-line invites."""
    if joined.inviter_id is not None:
        inviter = await get_user(session=ctx.session, user_id=joined.inviter_id)
        recipients = [inviter] if inviter is not None else []
    else:
        recipients = await list_users(session=ctx.session, role=Role.ADMIN)
    for recipient in recipients:
        if recipient.id == joined.user.id:
            continue
        with using(recipient.language or ctx.settings.default_language):  # type: ignore[arg-type]
            text = _("{name} joined as {role}.").format(
                name=joined.user.name, role=role_name(role)
            )
            if joined.team is not None:
                text += " " + _("Team: {team}").format(team=joined.team.name)
        await enqueue_push(
            session=ctx.session,
            user_id=recipient.id,
            replies=[Reply(text).to_dict()],
            due_at=ctx.now(),
        )


async def create_invite(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/invite rep 华东一组`: an admin makes a code to hand to a new colleague."""
    words = incoming.args.split(maxsplit=1)
    roles = {role.value: role for role in Role}
    if not words or words[0].lower() not in roles:
        return [Reply(_("Usage: /invite rep|manager|admin TEAM"))]
    role = roles[words[0].lower()]
    team = words[1].strip() if len(words) > 1 else None
    if role != Role.ADMIN and not team:
        return [Reply(_("Reps and managers belong to a team: /invite rep TEAM"))]
    invite = await make_invite(
        session=ctx.session,
        role=role,
        team_name=team,
        now=ctx.now(),
        valid_for=timedelta(days=ctx.settings.invite_valid_days),
        created_by=ctx.known_user,
    )
    text = _(
        "Invite code for a {role}: {code}\n"
        "They send /start {code} to me. Valid for {days} days, once."
    ).format(role=role_name(role), code=invite.code, days=ctx.settings.invite_valid_days)
    return [Reply(text)]
