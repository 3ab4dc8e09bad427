"""A fake Telegram Bot API on loopback: enough of the documented methods for the real PTB stack.

It records every call, validates what Telegram validates (text length after HTML parsing,
escaping, callback data size, command names), queues updates for long polling, serves files
for download, and can be told to answer 429 (with `parameters.retry_after`), 403 or 502.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-fake-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Sales",
    "username": "salesbot_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}
JSON_FIELDS = {"reply_markup", "commands", "scope", "results", "allowed_updates"}
_TAG = re.compile(
    r"</?(?:b|strong|i|em|u|ins|s|strike|del|tg-spoiler|code|pre|blockquote)>"
    r'|<a href="[^"<>]*">|</a>'
)
_BARE_AMPERSAND = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None
    answered: bool = False
    """Set once the response is decided; long polls count as soon as they arrive."""


def visible_text(text: str, *, html_mode: bool) -> str:
    """What Telegram shows after entity parsing; raises on what it would refuse to parse."""
    if not html_mode:
        return text
    without_tags = _TAG.sub("", text)
    if "<" in without_tags or ">" in without_tags or _BARE_AMPERSAND.search(without_tags):
        raise ApiError(400, "Bad Request: can't parse entities: unescaped character")
    return html.unescape(without_tags)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._failures: dict[str, list[ApiError]] = {}
        self._blocked: set[str] = set()
        self._messages: dict[tuple[str, int], str] = {}
        self._message_ids = itertools.count(100)
        self._update_ids = itertools.count(1)
        self._called = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # Server

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._arrived.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # Test controls

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def add_update(self, update: dict[str, Any]) -> None:
        self._updates.append(update)
        self._arrived.set()

    def fail(self, method: str, status: int, *, retry_after: int | None = None) -> None:
        """Answer the next call of `method` with an error."""
        descriptions = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            502: "Bad Gateway",
        }
        error = ApiError(status, descriptions.get(status, "Error"), retry_after)
        self._failures.setdefault(method, []).append(error)

    def block(self, chat_id: int | str) -> None:
        """The user blocks the bot: every send to the chat is refused with 403."""
        self._blocked.add(str(chat_id))

    def add_file(self, file_id: str, path: str, content: bytes) -> None:
        self.files[file_id] = (path, content)

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self, method: str, count: int = 1, *, within: float = 5.0, **match: Any
    ) -> list[Call]:
        """The calls of `method` whose params include `match`, once there are `count`."""

        def found() -> list[Call]:
            return [
                call
                for call in self.calls_of(method)
                if call.answered
                and all(str(call.params.get(k)) == str(v) for k, v in match.items())
            ]

        async with self._called:
            await asyncio.wait_for(self._called.wait_for(lambda: len(found()) >= count), within)
        return found()

    # Bot API

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return _error(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        call = Call(method, await _params(request), answered=method == "getUpdates")
        async with self._called:
            self.calls.append(call)
            self._called.notify_all()
        try:
            return await self._respond(call)
        finally:
            async with self._called:
                call.answered = True
                self._called.notify_all()

    async def _respond(self, call: Call) -> web.Response:
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            return _error(ApiError(404, "Not Found"))
        try:
            failures = self._failures.get(call.method)
            if failures:
                raise failures.pop(0)
            call.result = await handler(call.params)
        except ApiError as error:
            return _error(error)
        return web.json_response({"ok": True, "result": call.result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.Response(status=401)
        for path, content in self.files.values():
            if path == request.match_info["path"]:
                return web.Response(body=content)
        return web.Response(status=404)

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        secret = params.get("secret_token", "")
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        return True

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout)
            except TimeoutError:
                return []
        return self._updates[:100]

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        for command in params["commands"]:
            if not _COMMAND.match(command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: command description is invalid")
        if not re.fullmatch(r"(?:[a-z]{2})?", params.get("language_code", "")):
            raise ApiError(400, "Bad Request: invalid language code")
        scope = params.get("scope", {"type": "default"})
        types = {"default", "all_private_chats", "all_group_chats", "chat"}
        if scope["type"] not in types:
            raise ApiError(400, "Bad Request: invalid scope")
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params)
        text = self._checked_text(params, "text", 4096)
        self._check_markup(params)
        message_id = next(self._message_ids)
        self._messages[(chat_id, message_id)] = params["text"]
        return self._message(chat_id, message_id, text=text)

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        chat_id = self._reachable(params)
        text = self._checked_text(params, "text", 4096)
        self._check_markup(params)
        key = (chat_id, int(params["message_id"]))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        self._messages[key] = params["text"]
        return self._message(chat_id, key[1], text=text, edit_date=int(time.time()))

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._send_media(params, "photo")

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._send_media(params, "document")

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old")
        if len(params.get("text", "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_answerInlineQuery(self, params: dict[str, Any]) -> Any:
        results = params["results"]
        ids = [result["id"] for result in results]
        if len(results) > 50 or len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH or duplicate id")
        for result in results:
            if not 1 <= len(result["id"].encode()) <= 64 or not result.get("title"):
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            content = result["input_message_content"]
            html_mode = content.get("parse_mode") == "HTML"
            shown = visible_text(content["message_text"], html_mode=html_mode)
            if not 1 <= utf16_length(shown) <= 4096:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        return True

    async def _api_getFile(self, params: dict[str, Any]) -> Any:
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id[-6:]}",
            "file_size": len(content),
            "file_path": path,
        }

    # Helpers

    def _reachable(self, params: dict[str, Any]) -> str:
        chat_id = str(params["chat_id"])
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _checked_text(self, params: dict[str, Any], name: str, limit: int) -> str:
        shown = visible_text(params.get(name, ""), html_mode=params.get("parse_mode") == "HTML")
        if name == "text" and not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(shown) > limit:
            raise ApiError(
                400, f"Bad Request: {'message' if name == 'text' else name} is too long"
            )
        return shown

    def _check_markup(self, params: dict[str, Any]) -> None:
        markup = params.get("reply_markup")
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                if not 1 <= len(button.get("callback_data", "").encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = self._reachable(params)
        caption = self._checked_text(params, "caption", 1024)
        self._check_markup(params)
        if not isinstance(params.get(kind), bytes):
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        message_id = next(self._message_ids)
        media: Any = (
            [
                {
                    "file_id": f"p{message_id}",
                    "file_unique_id": f"up{message_id}",
                    "width": 1,
                    "height": 1,
                }
            ]
            if kind == "photo"
            else {"file_id": f"d{message_id}", "file_unique_id": f"ud{message_id}"}
        )
        return self._message(chat_id, message_id, caption=caption, **{kind: media})

    @staticmethod
    def _message(chat_id: str, message_id: int, **fields: Any) -> dict[str, Any]:
        chat_type = "group" if chat_id.startswith("-") else "private"
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": chat_type},
            "from": BOT_USER,
            **{k: v for k, v in fields.items() if v != ""},
        }


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            params[name] = value.file.read()
        elif name in JSON_FIELDS:
            params[name] = json.loads(value)
        else:
            params[name] = value
    return params


def _error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.status,
        "description": error.description,
    }
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
    return web.json_response(body, status=error.status)


# Updates as Telegram sends them


def user(user_id: int, first_name: str = "Wang", language_code: str = "zh-hans") -> dict[str, Any]:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name,
        "language_code": language_code,
    }


def message_update(
    api: FakeBotApi,
    user_id: int,
    text: str,
    *,
    chat_id: int | None = None,
    chat_type: str = "private",
    **extra: Any,
) -> dict[str, Any]:
    chat = {"id": chat_id or user_id, "type": chat_type}
    if chat_type != "private":
        chat["title"] = "华东一组"
    message: dict[str, Any] = {
        "message_id": api.next_update_id() + 10_000,
        "date": int(time.time()),
        "chat": chat,
        "from": user(user_id),
        **extra,
    }
    if text:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": api.next_update_id(), "message": message}


def press_update(
    api: FakeBotApi, user_id: int, data: str, *, message_id: int, text: str = "…"
) -> dict[str, Any]:
    return {
        "update_id": api.next_update_id(),
        "callback_query": {
            "id": f"cq{api.next_update_id()}",
            "from": user(user_id),
            "chat_instance": "ci1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "from": BOT_USER,
                "text": text,
            },
        },
    }


def inline_update(api: FakeBotApi, user_id: int, query: str) -> dict[str, Any]:
    return {
        "update_id": api.next_update_id(),
        "inline_query": {
            "id": f"iq{api.next_update_id()}",
            "from": user(user_id),
            "query": query,
            "offset": "",
        },
    }
