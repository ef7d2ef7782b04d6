"""Tests for the offline Bot API transport and the update factory."""

from __future__ import annotations

import datetime as dtm
import warnings

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.transport import (
    FakeUser,
    OfflineRequest,
    UpdateFactory,
    UploadedFile,
    telegram_html,
    telegram_markdown,
)

CHAT = 4242


def _keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"cb:{label}") for label in labels]]
    )


@pytest.fixture
async def env():
    transport = OfflineRequest()
    for chat in (CHAT, CHAT + 1, -5):  # they wrote to the bot (or added it): it can answer
        transport.meet(chat)
    bot = Bot("123:ABC", request=transport, get_updates_request=transport)
    async with bot:
        yield bot, transport


async def test_get_me(env):
    bot, transport = env
    me = await bot.get_me()
    assert me.id == 1000001
    assert me.is_bot
    assert me.first_name == "ClusterXchange"
    assert me.username == "cxbot_offline_bot"
    assert bot.username == "cxbot_offline_bot"  # filled by initialize()
    assert transport.calls_to("getMe")


async def test_custom_bot_user():
    transport = OfflineRequest({"id": 7, "is_bot": True, "first_name": "X", "username": "x_bot"})
    async with Bot("123:ABC", request=transport) as bot:
        assert bot.id == 7
        assert bot.username == "x_bot"


async def test_send_message_ids_and_keyboard(env):
    bot, transport = env
    first = await bot.send_message(CHAT, "hello")
    second = await bot.send_message(CHAT, "pick", reply_markup=_keyboard("a", "b"))
    other_chat = await bot.send_message(CHAT + 1, "elsewhere")

    assert isinstance(first, Message)
    assert (first.message_id, second.message_id, other_chat.message_id) == (1, 2, 1)
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.from_user.id == bot.id
    assert first.text == "hello"
    assert isinstance(second.reply_markup, InlineKeyboardMarkup)
    assert second.reply_markup.inline_keyboard[0][1].callback_data == "cb:b"

    stored = transport.last_message(CHAT)
    assert stored is not None and stored.message_id == 2
    assert stored.buttons() == [[("a", "cb:a"), ("b", "cb:b")]]
    assert [m.text for m in transport.messages(CHAT)] == ["hello", "pick"]
    call = transport.calls_to("sendmessage")[1]
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == CHAT
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "a"


async def test_group_chat_and_on_call_hook(env):
    bot, transport = env
    seen = []
    transport.on_call = seen.append
    msg = await bot.send_message(-5, "group hello")
    assert msg.chat.type == "group"
    assert [c.method for c in seen] == ["sendMessage"]


async def test_edit_message_text_updates_and_removes_keyboard(env):
    bot, transport = env
    sent = await bot.send_message(CHAT, "v1", reply_markup=_keyboard("x"))

    edited = await bot.edit_message_text("v2", chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "v2"
    assert edited.edit_date is not None
    assert edited.reply_markup is None

    stored = transport.message(CHAT, sent.message_id)
    assert stored.text == "v2"
    assert stored.reply_markup is None
    assert stored.buttons() == []
    assert stored.edited
    assert "reply_markup" not in transport.message_dict(CHAT, sent.message_id)

    await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=_keyboard("y")
    )
    assert transport.message(CHAT, sent.message_id).buttons() == [[("y", "cb:y")]]


async def test_edit_not_modified_raises(env):
    bot, _ = env
    sent = await bot.send_message(CHAT, "same", reply_markup=_keyboard("k"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=CHAT, message_id=sent.message_id, reply_markup=_keyboard("k")
        )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.message_id, reply_markup=_keyboard("k")
        )


async def test_edit_unknown_or_deleted_message_raises(env):
    bot, transport = env
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=99)

    sent = await bot.send_message(CHAT, "bye")
    assert await bot.delete_message(CHAT, sent.message_id) is True
    assert transport.message(CHAT, sent.message_id).deleted
    assert transport.messages(CHAT) == []
    assert transport.last_message(CHAT) is None
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=sent.message_id)


async def test_inline_message_edit_returns_true(env):
    bot, _ = env
    assert await bot.edit_message_text("x", inline_message_id="abc") is True


async def test_realistic_validation_errors(env):
    bot, _ = env
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    # HTML markup does not count towards the limit
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(
            CHAT,
            "k",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="d" * 65)]]
            ),
        )


async def test_callback_data_over_64_bytes_is_refused_in_sends_and_edits(env):
    bot, transport = env

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])

    sent = await bot.send_message(CHAT, "k", reply_markup=keyboard("d" * 64))  # the limit itself
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "k", reply_markup=keyboard("ä" * 33))  # 33 chars, 66 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("e" * 65)
        )
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.edit_message_text(
            "new", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("f" * 65)
        )
    stored = transport.message(CHAT, sent.message_id)
    assert stored.text == "k" and stored.buttons() == [[("b", "d" * 64)]]  # nothing changed


async def test_a_callback_query_is_answered_at_most_once(env):
    bot, transport = env
    assert await bot.answer_callback_query("q1", text="Saved") is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query("q1")
    assert await bot.answer_callback_query("q2") is True  # another query is answered as usual
    failed = [c for c in transport.calls_to("answerCallbackQuery") if c.error]
    assert [c.params["callback_query_id"] for c in failed] == ["q1"]


async def test_update_factories_make_callback_ids_telegram_never_repeats(env):
    bot, transport = env
    user = FakeUser(CHAT)
    first = UpdateFactory(bot, transport).callback(user, "cb:a").callback_query
    again = UpdateFactory(bot, transport).callback(user, "cb:a").callback_query  # e.g. a restart
    assert first.id != again.id
    await first.answer()
    await again.answer()  # a fresh query: not refused as answered already


async def test_send_document_records_file(env):
    bot, transport = env
    msg = await bot.send_document(
        CHAT, InputFile(b"%PDF-1.4 data", filename="report.pdf"), caption="your report"
    )
    assert msg.document is not None
    assert msg.document.file_name == "report.pdf"
    assert msg.document.mime_type == "application/pdf"
    assert msg.document.file_size == len(b"%PDF-1.4 data")
    assert msg.caption == "your report"

    call = transport.calls_to("sendDocument")[-1]
    uploaded = call.params["document"]
    assert isinstance(uploaded, UploadedFile)
    assert uploaded.filename == "report.pdf"
    assert uploaded.content == b"%PDF-1.4 data"

    stored = transport.last_message(CHAT)
    assert stored.document == uploaded
    assert stored.caption == "your report"

    # plain bytes work too, and the file can be downloaded again by file_id
    msg2 = await bot.send_document(CHAT, b"raw", filename="a.csv")
    assert transport.last_message(CHAT).document.content == b"raw"
    tg_file = await bot.get_file(msg2.document.file_id)
    assert bytes(await tg_file.download_as_bytearray()) == b"raw"


async def test_send_photo(env):
    bot, transport = env
    msg = await bot.send_photo(CHAT, b"\x89PNG....", caption="pic")
    assert msg.photo and msg.photo[-1].width == 800
    assert transport.last_message(CHAT).photo.content == b"\x89PNG...."


async def test_blocked_chat_raises_forbidden(env):
    bot, transport = env
    sent = await bot.send_message(CHAT, "before")
    transport.block(CHAT)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(CHAT, "after")
    with pytest.raises(Forbidden):
        await bot.edit_message_text("edit", chat_id=CHAT, message_id=sent.message_id)
    await bot.send_message(CHAT + 1, "others still work")
    assert transport.calls_to("sendMessage")[1].error == "Forbidden: bot was blocked by the user"


async def test_fail_next_retry_after(env):
    bot, transport = env
    transport.fail_next("sendMessage", "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as exc_info:
        await bot.send_message(CHAT, "flood")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry_after = exc_info.value.retry_after
    assert retry_after in (7, dtm.timedelta(seconds=7))
    # only the next call fails
    msg = await bot.send_message(CHAT, "again")
    assert msg.text == "again"
    assert len(transport.calls_to("sendMessage")) == 2


async def test_fail_next_other_kinds(env):
    bot, transport = env
    transport.fail_next("sendMessage", "network")
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")

    transport.fail_next("sendMessage", "bad_request")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(CHAT, "x")

    transport.fail_next("sendMessage", "blocked")
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "x")

    transport.fail_next("sendMessage", "server")
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")

    # chat-specific failure does not hit other chats
    transport.fail_next("sendMessage", "bad_request", description="Bad Request: boom", chat_id=9)
    await bot.send_message(CHAT, "fine")
    with pytest.raises(BadRequest, match=r"(?i)boom"):
        await bot.send_message(9, "x")


async def test_my_commands_per_language_and_scope(env):
    bot, transport = env
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("start", "Starten"), BotCommand("hilfe", "Hilfe")], language_code="de"
    )
    await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(CHAT))

    de = await bot.get_my_commands(language_code="de")
    assert [(c.command, c.description) for c in de] == [("start", "Starten"), ("hilfe", "Hilfe")]
    default = await bot.get_my_commands()
    assert [c.command for c in default] == ["start"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(CHAT))
    assert [c.command for c in scoped] == ["admin"]

    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()
    assert len(transport.calls_to("setMyCommands")) == 3


async def test_misc_methods(env):
    bot, transport = env
    assert await bot.get_updates() == ()
    assert await bot.delete_webhook() is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.answer_callback_query("1") is True
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert (await bot.get_chat(CHAT)).id == CHAT
    transport.reset()
    assert transport.calls == []


async def test_update_factory_command(env):
    bot, transport = env
    factory = UpdateFactory(bot, transport)
    user = FakeUser(CHAT, first_name="Ada", username="ada")

    update = factory.text(user, "/start abc")
    assert isinstance(update, Update)
    assert update.message.text == "/start abc"
    entity = update.message.entities[0]
    assert entity.type == MessageEntity.BOT_COMMAND
    assert (entity.offset, entity.length) == (0, len("/start"))
    assert update.effective_user.id == CHAT
    assert update.effective_chat.type == "private"

    second = factory.command(user, "help", "me")
    assert second.message.text == "/help me"
    assert second.update_id > update.update_id
    assert second.message.message_id > update.message.message_id

    plain = factory.text(user, "hello")
    assert not plain.message.entities


async def test_update_factory_callback(env):
    bot, transport = env
    factory = UpdateFactory(bot, transport)
    user = FakeUser(CHAT)
    with_kb = await bot.send_message(CHAT, "choose", reply_markup=_keyboard("a"))
    await bot.send_message(CHAT, "no keyboard here")

    update = factory.callback(user, "cb:a")
    query = update.callback_query
    assert query.data == "cb:a"
    assert query.message.message_id == with_kb.message_id
    assert query.message.text == "choose"
    assert query.from_user.id == CHAT
    assert query.message.reply_markup.inline_keyboard[0][0].callback_data == "cb:a"

    other = factory.callback(user, "cb:a", message_id=with_kb.message_id)
    assert other.callback_query.id != query.id


async def test_update_factory_other_kinds(env):
    bot, transport = env
    factory = UpdateFactory(bot, transport)
    user = FakeUser(CHAT)
    assert factory.sticker(user).message.sticker is not None
    assert factory.photo(user).message.photo
    assert factory.voice(user).message.voice is not None
    assert factory.document(user, "cv.pdf").message.document.file_name == "cv.pdf"
    assert factory.location(user).message.location is not None
    assert factory.contact(user).message.contact.user_id == CHAT
    assert factory.callback(user, "x").callback_query.message is not None  # no bot message
    factory.text(user, "orig")
    edited = factory.edited_text(user, "changed")
    assert edited.edited_message.text == "changed"
    assert edited.message is None


async def test_application_echo():
    transport = OfflineRequest()
    app = (
        ApplicationBuilder()
        .token("123:ABC")
        .request(transport)
        .get_updates_request(OfflineRequest())
        .updater(None)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    await app.initialize()
    try:
        factory = UpdateFactory(app.bot, transport)
        await app.process_update(factory.text(FakeUser(CHAT), "hi"))
        last = transport.last_message(CHAT)
        assert last is not None and last.text == "echo: hi"
        assert transport.calls_to("sendMessage")[-1].params["text"] == "echo: hi"
    finally:
        await app.shutdown()


# ------------------------------------------------------------------ HTML as Telegram parses it


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Acme <GmbH>", 'Unsupported start tag "GmbH" at byte offset 5'),
        ("a < b", "Unclosed start tag at byte offset 2"),
        ("a <> b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("R&D </i>", "Unexpected end tag at byte offset 4"),
        ("Müller <x", "Unclosed start tag at byte offset 8"),
    ],
)
def test_html_telegram_refuses_is_refused(text: str, error: str) -> None:
    with pytest.raises(telegram_html.HtmlError) as caught:
        telegram_html.parse(text)
    assert str(caught.value) == error


def test_html_telegram_accepts_is_shown_as_telegram_shows_it() -> None:
    shown = telegram_html.parse(
        '<b>R&amp;D</b> &lt;3 &#x1F680; R&D <a href="tg://user?id=1">Anna</a> <i>e.V.</i>'
    )
    assert shown == "R&D <3 🚀 R&D Anna e.V."


async def test_a_message_with_broken_markup_is_refused_like_telegram() -> None:
    transport = OfflineRequest()
    transport.meet(7)
    bot = Bot("123:ABC", request=transport)
    await bot.initialize()
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_message(7, "Welcome, <Acme>!", parse_mode="HTML")
    sent = await bot.send_message(7, "Welcome, &lt;Acme&gt;!", parse_mode="HTML")
    assert sent.text == "Welcome, &lt;Acme&gt;!"  # the bot's view: what it sent
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(7, b"x", caption="&amp;" * 1025, parse_mode="HTML")
    await bot.send_document(7, b"x", caption="&amp;" * 1024, parse_mode="HTML")  # 1,024 shown
    await bot.shutdown()


# ------------------------------------------------------------------ Markdown as Telegram parses it


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Stuttgart e.V.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("3-5 days", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("Hi (Anna)", "Character '(' is reserved and must be escaped with the preceding '\\'"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("Müller _x", "Can't find end of Italic entity at byte offset 8"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
        ("```\npre", "Can't find end of Pre entity at byte offset 0"),
        ("[link](http://x", "Can't find end of a URL at byte offset 7"),
        ("a |b", "Character '|' is reserved and must be escaped with the preceding '\\'"),
    ],
)
def test_markdown_v2_telegram_refuses_is_refused(text: str, error: str) -> None:
    with pytest.raises(telegram_markdown.MarkdownError) as caught:
        telegram_markdown.parse_v2(text)
    assert str(caught.value) == error


def test_markdown_v2_telegram_accepts_is_shown_as_telegram_shows_it() -> None:
    shown = telegram_markdown.parse_v2(
        "*R&D* _it_ __u__ ~s~ ||sp|| [Anna](tg://user?id=1) `a.b_c` Stuttgart e\\.V\\. \\(1\\)\n"
        ">quoted\n```python\nx = 1.0\n```"
    )
    assert shown == "R&D it u s sp Anna a.b_c Stuttgart e.V. (1)\nquoted\nx = 1.0\n"


def test_legacy_markdown_is_parsed_as_telegram_does() -> None:
    assert telegram_markdown.parse_legacy("*b* _i_ `c.d` [l](http://x) e.V.") == "b i c.d l e.V."
    with pytest.raises(telegram_markdown.MarkdownError) as caught:
        telegram_markdown.parse_legacy("snake_case")
    assert str(caught.value) == "Can't find end of the entity starting at byte offset 5"


async def test_markdown_texts_and_captions_are_refused_like_telegram(env) -> None:
    bot, transport = env
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: character '\.' is reserved"):
        await bot.send_message(CHAT, "Smart Factory e.V.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: can't find end of bold"):
        await bot.send_document(CHAT, b"x", caption="*Report", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)can't find end of the entity starting at"):
        await bot.send_message(CHAT, "see my_file", parse_mode="Markdown")
    sent = await bot.send_message(CHAT, "v1")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.edit_message_text(
            "1.5 days", chat_id=CHAT, message_id=sent.message_id, parse_mode="MarkdownV2"
        )
    assert transport.message(CHAT, sent.message_id).text == "v1"  # nothing changed
    ok = await bot.send_message(CHAT, "*" + "x" * 4096 + "*", parse_mode="MarkdownV2")
    assert ok.message_id  # markup does not count towards the 4,096 characters
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "\\." * 4097, parse_mode="MarkdownV2")


async def test_html_captions_are_parsed_too(env) -> None:
    bot, _ = env
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: unsupported start tag"):
        await bot.send_document(CHAT, b"x", caption="Visit <Acme GmbH>", parse_mode="HTML")
    sent = await bot.send_photo(CHAT, b"x", caption="<b>Visit</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.edit_message_caption(
            chat_id=CHAT, message_id=sent.message_id, caption="<i>x", parse_mode="HTML"
        )
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(CHAT, b"x", caption="y" * 1025)


# ------------------------------------------------------------------ who the bot can reach


async def test_a_chat_that_never_wrote_to_the_bot_is_not_found(env) -> None:
    bot, transport = env
    stranger = FakeUser(777_000_111)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(stranger.id, "hello")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_document(stranger.id, b"x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands(
            [BotCommand("start", "Start")], scope=BotCommandScopeChat(stranger.id)
        )
    assert transport.messages(stranger.id) == []
    UpdateFactory(bot, transport).text(stranger, "/start")  # now they have written
    assert (await bot.send_message(stranger.id, "hello")).text == "hello"
    transport.push_update(
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 777_000_222, "type": "private", "first_name": "P"},
                "from": {"id": 777_000_222, "is_bot": False, "first_name": "P"},
                "text": "hi",
            },
        }
    )
    assert (await bot.send_message(777_000_222, "polled")).text == "polled"
    transport.block(stranger.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(stranger.id, "after the block")
