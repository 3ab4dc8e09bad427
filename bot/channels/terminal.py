"""The terminal channel: a chat in the shell, for demos, scripts and tests.

Buttons are shown as numbered choices; the user types the number or the label. With a TTY it
is interactive (a prompt, pushes printed as they come); with piped stdin it reads lines until
EOF and prints replies, so a script can drive it.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import TextIO

from bot.messages import Button, Incoming, Reply
from bot.router import Router

PLATFORM = "terminal"


class TerminalChannel:
    name = PLATFORM

    def __init__(self, router: Router, user: str, out: TextIO = sys.stdout) -> None:
        self._router = router
        self._user = user
        self._out = out
        self._choices: list[Button] = []
        self._prompt = ""
        self._prompt_shown = False

    def to_incoming(self, line: str) -> Incoming:
        """Turn a typed line into an update; a number or a label presses the shown button."""
        text = line.strip()
        pressed = self._pressed(text)
        return Incoming(
            channel=PLATFORM,
            chat_id=self._user,
            user_id=self._user,
            update_id=uuid.uuid4().hex,
            text="" if pressed else text,
            button_data=pressed.data if pressed else None,
            display_name=self._user,
        )

    def _pressed(self, text: str) -> Button | None:
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            return self._choices[int(text) - 1]
        for button in self._choices:
            if text and text.casefold() == button.label.casefold():
                return button
        return None

    def render(self, replies: Sequence[Reply]) -> str:
        """Replies as text; the buttons of the last reply with buttons become the choices."""
        blocks: list[str] = []
        for reply in replies:
            lines = [reply.text] if reply.text else []
            if reply.buttons:
                self._choices = []
                for row in reply.buttons:
                    cells = []
                    for button in row:
                        self._choices.append(button)
                        cells.append(f"[{len(self._choices)}] {button.label}")
                    lines.append("  " + "   ".join(cells))
            for media in (reply.image, reply.document):
                if media is not None:
                    lines.append(f"📎 {media.file_name}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> bool:
        """Print replies; a push that arrives while the prompt waits goes above a fresh one."""
        waiting = self._prompt_shown
        self._out.write(("\n" if waiting else "") + self.render(replies) + "\n\n")
        if waiting:
            self._out.write(self._prompt)
        self._out.flush()
        return True

    async def handle_line(self, line: str) -> list[Reply]:
        replies = await self._router.handle(self.to_incoming(line))
        if replies:
            await self.send(self._user, replies)
        return replies

    async def run(self, lines: AsyncIterator[str], *, prompt: str = "") -> None:
        self._prompt = prompt
        self.show_prompt()
        async for line in lines:
            self._prompt_shown = False
            if line.strip():
                await self.handle_line(line)
            self.show_prompt()

    def show_prompt(self) -> None:
        if self._prompt:
            self._out.write(self._prompt)
            self._out.flush()
            self._prompt_shown = True


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from stdin without blocking the event loop (pushes keep printing meanwhile)."""
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line
