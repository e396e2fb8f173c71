"""A small web page that plays a minimal Telegram client against the sandbox, on 127.0.0.1.

The page (sandbox/static/chat.html) polls `/api/state` for the chats of the person it acts as
and posts what that person does; every action goes through the same `Sandbox` driver the tests
use, so the bot sees exactly the updates a real client would cause.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from aiohttp import web
from babel.numbers import format_currency, get_currency_precision

from sandbox.driver import Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser

LANGUAGES = ("en", "ru", "zh-hans")
# A photo a person sends from the page, at most (Telegram takes 10 MB; receipts are small).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PRESS_TIMEOUT = 10.0
# Telegram HTML tag → the tag the page renders it with (and the class it gets).
TAGS = {
    "b": ("b", ""), "strong": ("b", ""), "i": ("i", ""), "em": ("i", ""), "u": ("u", ""),
    "ins": ("u", ""), "s": ("s", ""), "strike": ("s", ""), "del": ("s", ""),
    "code": ("code", ""), "pre": ("pre", ""), "blockquote": ("blockquote", ""),
    "tg-spoiler": ("span", "spoiler"), "span": ("span", "spoiler"), "tg-emoji": ("span", ""),
}  # fmt: skip


class _PageHTML(HTMLParser):
    """Re-emits already validated Telegram HTML with only harmless tags and link targets."""

    def __init__(self, bot_username: str) -> None:
        super().__init__(convert_charrefs=True)
        self.bot_username = bot_username
        self.out: list[str] = []
        self.closers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.out.append(link_tag(href, self.bot_username))
            self.closers.append("</a>")
            return
        name, css_class = TAGS.get(tag, ("span", ""))
        self.out.append(f'<{name} class="{css_class}">' if css_class else f"<{name}>")
        self.closers.append(f"</{name}>")

    def handle_endtag(self, tag: str) -> None:
        if self.closers:
            self.out.append(self.closers.pop())

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def link_tag(href: str, bot_username: str) -> str:
    """An <a> that is safe on the page: links to this bot open in the page, others in a tab."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https", "tg"):
        return "<a>"
    escaped = html.escape(href)
    if parts.netloc == "t.me" and parts.path.strip("/") == bot_username:
        return f'<a href="{escaped}" data-deep-link="{escaped}">'
    return f'<a href="{escaped}" target="_blank" rel="noopener noreferrer">'


def message_html(message: SandboxMessage, bot_username: str) -> str:
    """What the page shows as the message's body: the bot's HTML made safe, or escaped text."""
    if message.html is not None:
        parser = _PageHTML(bot_username)
        parser.feed(message.html)
        parser.close()
        return "".join(parser.out + parser.closers[::-1])
    typed = message.text or message.caption or ""
    if typed.startswith("/start ") and message.chat_id > 0:
        # A deep link's payload is the bot's, not the person's: Telegram's chat shows "/start".
        typed = "/start"
    return html.escape(typed, quote=False)


class ChatPage:
    """The web page's server: state for one person at a time, and their actions."""

    def __init__(
        self, sandbox: Sandbox, group: SandboxChat, on_change: Callable[[], None] | None = None
    ) -> None:
        self.sandbox = sandbox
        # Told when a person or a group is added (`make run` keeps them for its next run).
        self.on_change = on_change or (lambda: None)
        self.emulator = sandbox.emulator
        self.group = group
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self, port: int = 8080) -> None:
        """Serve on 127.0.0.1 only (a free port when 0)."""
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/api/state", self._state)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/photo", self._photo)
        app.router.add_post("/api/location", self._location)
        app.router.add_post("/api/press", self._press)
        app.router.add_post("/api/open", self._open)
        app.router.add_post("/api/people", self._add_person)
        app.router.add_post("/api/groups", self._add_group)
        app.router.add_post("/api/web_app", self._web_app)
        app.router.add_post("/api/pay", self._pay)
        app.router.add_get("/files/{file_id}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- reading ----------------------------------------------------------------------------

    async def _page(self, _request: web.Request) -> web.Response:
        page = resources.files("sandbox").joinpath("static/chat.html").read_text("utf-8")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    def people(self) -> list[SandboxUser]:
        return [u for u in self.emulator.users.values() if not u.is_bot]

    def groups(self) -> list[SandboxChat]:
        return [chat for chat in self.emulator.chats.values() if not chat.is_private]

    def chats_of(self, user: SandboxUser) -> list[SandboxChat]:
        groups = [
            chat
            for chat in self.emulator.chats.values()
            if not chat.is_private
            and chat.members.get(user.id) in ("creator", "administrator", "member")
        ]
        return [*groups, self.emulator.chats[user.id]]

    def message_json(self, message: SandboxMessage) -> dict[str, Any]:
        emulator = self.emulator
        from_bot = message.sender_id == emulator.bot.id
        sender = emulator.bot if from_bot else emulator.users[message.sender_id]
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        buttons = [
            [
                {
                    "text": b["text"],
                    "row": r,
                    "column": c,
                    "url": b.get("url"),
                    "web_app": bool(b.get("web_app")),
                }
                for c, b in enumerate(row)
            ]
            for r, row in enumerate(rows)
        ]
        document = None
        if message.document is not None:
            file_id = message.document["file_id"]
            document = {"name": message.document["file_name"], "url": f"/files/{quote(file_id)}"}
        return {
            "id": message.message_id,
            "from": sender.first_name,
            "from_id": message.sender_id,
            "from_bot": from_bot,
            "html": message_html(message, emulator.bot.username or ""),
            "buttons": buttons,
            "document": document,
            "photo": f"/files/{quote(message.photo[-1]['file_id'])}" if message.photo else None,
            "location": message.location,
            "invoice": self._invoice_json(message),
            "payment": self._payment_text(message),
            "edited": message.edits > 0,
            "pinned": message.pinned,
        }

    @staticmethod
    def _amount(minor: int, currency: str) -> str:
        digits = get_currency_precision(currency)
        return format_currency(Decimal(minor).scaleb(-digits), currency, locale="en")

    def _invoice_json(self, message: SandboxMessage) -> dict[str, Any] | None:
        invoice = message.invoice
        if invoice is None:
            return None
        return {
            "title": invoice["title"],
            "description": invoice["description"],
            "amount": self._amount(invoice["total_amount"], invoice["currency"]),
            "paid": message.invoice_paid,
        }

    def _payment_text(self, message: SandboxMessage) -> str | None:
        payment = message.successful_payment
        if payment is None:
            return None
        amount = self._amount(payment["total_amount"], payment["currency"])
        return f"You paid {amount} (test payment, charge {payment['provider_payment_charge_id']})"

    async def _state(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user")) or self.people()[0]
        chats = self.chats_of(user)
        wanted = request.query.get("chat")
        chat = next((c for c in chats if str(c.id) == wanted), chats[0])
        state = {
            "bot": self.emulator.bot.username,
            "me": user.id,
            "chat": chat.id,
            "started": user.started_bot,
            "people": [
                {"id": u.id, "name": u.first_name, "language": u.language_code}
                for u in self.people()
            ],
            "chats": [
                {"id": c.id, "title": "GroupBuy bot" if c.is_private else c.title} for c in chats
            ],
            "groups": [{"id": g.id, "title": g.title} for g in self.groups()],
            "messages": [self.message_json(m) for m in self.emulator.chat_messages(chat.id)],
        }
        return web.json_response(state)

    async def _file(self, request: web.Request) -> web.Response:
        stored = self.emulator.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        disposition = f"attachment; filename*=UTF-8''{quote(stored.file_name)}"
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Content-Disposition": disposition},
        )

    # --- acting -----------------------------------------------------------------------------

    def _user(self, value: object) -> SandboxUser | None:
        text = str(value)
        user = self.emulator.users.get(int(text)) if text.lstrip("-").isdigit() else None
        return user if user is not None and not user.is_bot else None

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise web.HTTPBadRequest(text="the body must be JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body must be a JSON object")
        return body

    async def _body(self, request: web.Request) -> tuple[SandboxUser, dict[str, Any]]:
        body = await self._json(request)
        user = self._user(body.get("user"))
        if user is None:
            raise web.HTTPBadRequest(text="no such person")
        return user, body

    def _chat_for(self, user: SandboxUser, chat_id: object) -> SandboxChat:
        chat = next((c for c in self.chats_of(user) if str(c.id) == str(chat_id)), None)
        if chat is None:
            raise web.HTTPBadRequest(text="that person is not in that chat")
        return chat

    async def _send(self, request: web.Request) -> web.Response:
        user, body = await self._body(request)
        chat = self._chat_for(user, body.get("chat"))
        text = str(body.get("text") or "").strip()
        if not text:
            raise web.HTTPBadRequest(text="nothing to send")
        if chat.is_private and not user.started_bot and text.split()[0] != "/start":
            # Telegram shows only Start in a bot's chat that was never started.
            raise web.HTTPBadRequest(text="press Start first")
        await self.sandbox.send(user, text, chat=chat)
        return web.json_response({"ok": True})

    async def _photo(self, request: web.Request) -> web.Response:
        """A photo or a file sent from the page's 📎 (a receipt, a purchase's picture with its
        template as the caption, a supplier's price list): a form with `user`, `chat` (their
        private chat by default), `photo` and an optional `caption`. A picture goes as a photo,
        anything else as a document, as the Telegram app sends them."""
        try:
            form = await request.post()
        except ValueError:
            raise web.HTTPBadRequest(text="send a form with user and photo") from None
        user = self._user(form.get("user"))
        upload = form.get("photo")
        if user is None or not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="send a form with user and photo")
        chat = self._chat_for(user, form.get("chat") or user.id)
        if chat.is_private and not user.started_bot:
            raise web.HTTPBadRequest(text="press Start first")
        data = upload.file.read(MAX_PHOTO_BYTES + 1)
        if not data or len(data) > MAX_PHOTO_BYTES:
            raise web.HTTPBadRequest(text="send a file of at most 5 MB")
        caption = str(form.get("caption") or "") or None
        if upload.content_type.startswith("image/"):
            await self.sandbox.send_photo(user, data, caption, chat=chat)
        else:
            await self.sandbox.send_document(
                user, upload.filename, data, upload.content_type, caption, chat=chat
            )
        return web.json_response({"ok": True})

    async def _location(self, request: web.Request) -> web.Response:
        """A point shared from the page's 📍 (📎 → Location in the app): `latitude` and
        `longitude` in the person's private chat (or `chat`)."""
        user, body = await self._body(request)
        chat = self._chat_for(user, body.get("chat"))
        if chat.is_private and not user.started_bot:
            raise web.HTTPBadRequest(text="press Start first")
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="give latitude and longitude as numbers") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise web.HTTPBadRequest(text="Telegram shares only points on the map")
        await self.sandbox.send_location(user, latitude, longitude, chat=chat)
        return web.json_response({"ok": True})

    async def _press(self, request: web.Request) -> web.Response:
        user, body = await self._body(request)
        chat = self._chat_for(user, body.get("chat"))
        try:
            message = self.emulator.messages[(chat.id, int(body["message"]))]
            rows = (message.reply_markup or {})["inline_keyboard"]
            data = rows[int(body["row"])][int(body["column"])]["callback_data"]
            pending = await self.sandbox.press(user, message, data=data)
        except (KeyError, IndexError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="that button is gone") from None
        try:
            answer = await self.sandbox.answer_of(pending, PRESS_TIMEOUT)
        except TimeoutError:
            return web.json_response({"toast": None, "alert": False, "url": None})
        return web.json_response(
            {"toast": answer.text, "alert": answer.show_alert, "url": answer.url}
        )

    async def _open(self, request: web.Request) -> web.Response:
        user, body = await self._body(request)
        try:
            await self.sandbox.open_link(user, str(body.get("url")))
        except ValueError as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        return web.json_response({"chat": user.id})

    async def _web_app(self, request: web.Request) -> web.Response:
        """A Mini App button pressed: its address with the launch data a Telegram app would
        give it for the person acting (signed for the bot), and a light theme, as Telegram
        passes them in the address's fragment. The page opens it in a frame."""
        user, body = await self._body(request)
        chat = self._chat_for(user, body.get("chat"))
        try:
            message = self.emulator.messages[(chat.id, int(body["message"]))]
            rows = (message.reply_markup or {}).get("inline_keyboard", [])
            button = rows[int(body["row"])][int(body["column"])]
            address = str(button["web_app"]["url"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="no Mini App button there") from None
        theme = {"bg_color": "#ffffff", "text_color": "#1b1b1f", "hint_color": "#707579",
                 "button_color": "#3390ec", "button_text_color": "#ffffff",
                 "secondary_bg_color": "#f1f3f5"}  # fmt: skip
        fragment = urlencode({
            "tgWebAppData": self.emulator.web_app_init_data(user),
            "tgWebAppVersion": "8.0",
            "tgWebAppPlatform": "web",
            "tgWebAppThemeParams": json.dumps(theme, separators=(",", ":")),
        }, quote_via=quote)  # fmt: skip
        return web.json_response({"url": f"{address}#{fragment}", "title": button["text"]})

    async def _pay(self, request: web.Request) -> web.Response:
        """Pay on an invoice (the sandbox's test provider charges nothing real): the bot is
        asked at checkout, and pays only on its ok; its refusal is what the app shows."""
        user, body = await self._body(request)
        chat = self._chat_for(user, body.get("chat"))
        try:
            message = self.emulator.messages[(chat.id, int(body["message"]))]
        except (KeyError, TypeError, ValueError):
            raise web.HTTPBadRequest(text="no such message") from None
        if message.invoice is None:
            raise web.HTTPBadRequest(text="that message is no invoice")
        if message.invoice_paid:
            raise web.HTTPBadRequest(text="this invoice is paid already: Telegram shows a receipt")
        pending = await self.sandbox.pay(user, message)
        if pending.ok is None:
            return web.json_response({"ok": False, "error": "the bot did not answer in time"})
        return web.json_response({"ok": pending.ok, "error": pending.error_message})

    async def _add_person(self, request: web.Request) -> web.Response:
        """Someone joins a group: a new person, or one already here when the name is theirs
        (how Bob, a neighbour in one community, joins a second one)."""
        body = await self._json(request)
        name = str(body.get("name") or "").strip()[:64]
        language = body.get("language") if body.get("language") in LANGUAGES else "en"
        if not name:
            raise web.HTTPBadRequest(text="a person needs a name")
        wanted = str(body.get("chat", self.group.id))
        group = next((g for g in self.groups() if str(g.id) == wanted), None)
        if group is None:
            raise web.HTTPBadRequest(text="no such group")
        known = next((u for u in self.people() if u.first_name.casefold() == name.casefold()), None)
        user = known or self.sandbox.user(name, language_code=language)
        self.sandbox.join(group, user)
        self.on_change()
        return web.json_response({"id": user.id, "chat": group.id})

    async def _add_group(self, request: web.Request) -> web.Response:
        """The person creates another community chat and adds the bot as an admin, as a head
        does in the app: an operator's campaigns need more than one community."""
        user, body = await self._body(request)
        title = str(body.get("title") or "").strip()[:128]
        if not title:
            raise web.HTTPBadRequest(text="a group needs a name")
        if any(g.title.casefold() == title.casefold() for g in self.groups()):
            raise web.HTTPBadRequest(text="a group of that name exists already")
        group = self.sandbox.group(title, admins=[user])
        await self.sandbox.add_bot(group, by=user, as_admin=True, can_pin=True)
        self.on_change()
        return web.json_response({"id": group.id})
