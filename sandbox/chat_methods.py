"""The Bot API's methods about the bot, its chats and their members."""

from __future__ import annotations

import json
from typing import Any

from sandbox.api_params import Params, bad_request
from sandbox.emulator_state import EmulatorState
from sandbox.model import SandboxChat

# What a restricted member may not do (getChatMember lists every right of theirs).
RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)


class ChatMethods(EmulatorState):
    """getMe, getChat, getChatMember, getChatAdministrators, setMyCommands, sendChatAction."""

    def _member(self, chat: SandboxChat, user_id: int) -> dict[str, Any]:
        user = self.bot if user_id == self.bot.id else self.users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        status = chat.members.get(user_id, "left")
        member: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "administrator":
            member |= {
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
                "can_delete_messages": True, "can_manage_video_chats": False,
                "can_restrict_members": False, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
                "can_pin_messages": chat.bot_can_pin if user_id == self.bot.id else True,
            }  # fmt: skip
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0  # banned for good
        elif status.startswith("restricted"):  # "restricted" (still in) or "restricted-left"
            member |= {"status": "restricted", "is_member": status == "restricted",
                       "until_date": 0} | dict.fromkeys(RESTRICTED_RIGHTS, False)  # fmt: skip
        return member

    async def api_getme(self, params: Params) -> dict[str, Any]:
        return self.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_getchat(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        return chat.to_api(self.users) | {"accent_color_id": 0, "max_reaction_count": 11}

    async def api_getchatmember(self, params: Params) -> dict[str, Any]:
        return self._member(self._chat(params), params.int("user_id"))

    async def api_getchatadministrators(self, params: Params) -> list[dict[str, Any]]:
        chat = self._chat(params)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        return [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]

    async def api_setmycommands(self, params: Params) -> bool:
        commands = params.required("commands")
        scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
        self.commands[scope + str(params.get("language_code") or "")] = commands
        return True

    async def api_sendchataction(self, params: Params) -> bool:
        self._ensure_can_post(self._chat(params))
        return True
