"""``cxbot demo``: scripted personas play through the real Application; prints the transcript."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.clock import Clock
from bot.config import Settings
from bot.transport.console import indent, render_exchange, render_others
from bot.transport.driver import BotDriver, Exchange
from bot.transport.updates import FakeUser


@dataclass
class Step:
    """One thing a persona does: type text, press a button by label, or send a non-text."""

    kind: str  # "say", "press", "send"
    value: str
    note: str = ""


def say(text: str, note: str = "") -> Step:
    """Type a message or command."""
    return Step("say", text, note)


def press(label: str, note: str = "") -> Step:
    """Press the newest button whose label contains ``label``."""
    return Step("press", label, note)


def send(kind: str, note: str = "") -> Step:
    """Send a sticker, photo, voice message…"""
    return Step("send", kind, note)


def personas(clock: Clock) -> list[tuple[FakeUser, list[Step]]]:
    """The scripted people, with dates relative to today."""
    today = clock.today()
    start = (today + timedelta(days=75)).replace(day=1)
    end = start + timedelta(days=120)
    anna = FakeUser(id=101, first_name="Anna", username="anna_textil", language_code="en")
    jonas = FakeUser(id=202, first_name="Jonas", username="jonas_linz", language_code="de-AT")
    lucie = FakeUser(id=303, first_name="Lucie", language_code="fr")
    rita = FakeUser(id=404, first_name="Rita", username="rita_porto", language_code="pt")
    return [
        (
            anna,
            [
                say("/start"),
                press("I agree"),
                press("Visitor"),
                press("SME or start-up"),
                send("sticker", "a sticker where text is expected"),
                say("Anna Schmidt"),
                say("Textilwerk Augsburg GmbH"),
                say("Germnay", "a typo in the country"),
                say("Augsburg"),
                press("Digital"),
                press("Textiles"),
                press("Done"),
                say("Digital twins for textile machines, 3D printing of spare parts."),
                say("Partners in circular economy and recycled fibres."),
                press("English"),
                press("German"),
                press("Done"),
                say("2020-01-01", "a date in the past"),
                say(start.isoformat()),
                say(f"{end.day}.{end.month}.{end.year}"),
                say("Learn how other clusters recycle textiles and start a joint project."),
                say("anna@example.org"),
                press("Confirm"),
                say("/profile"),
                press("Edit my profile"),
                press("Seeks"),
                say("Partners in circular economy, recycled fibres and smart textiles."),
                say("/pause"),
                say("/resume"),
            ],
        ),
        (
            jonas,
            [
                say("/start"),
                press("Einverstanden"),
                press("Gastgeber"),
                press("Clusterorganisation"),
                say("Jonas Gruber"),
                say("Mechatronik-Cluster Oberösterreich"),
                say("Österreich"),
                say("Linz"),
                press("Elektronik"),
                press("Mobilität"),
                press("Fertig"),
                say("Prüfstände, Reinraum und Kontakte zu Zulieferern in der Automobilindustrie."),
                say("Partner für Wasserstoffantriebe und digitale Zwillinge."),
                press("Deutsch"),
                press("Englisch"),
                press("Fertig"),
                say(f"{start.day}.{start.month}.{start.year}"),
                say((start - timedelta(days=10)).isoformat(), "an end before the start"),
                say(end.isoformat()),
                say("Wir möchten KMU aus anderen Ländern zeigen, wie unser Cluster arbeitet."),
                say("jonas@@cluster", "an invalid e-mail address"),
                press("Überspringen"),
                press("Bestätigen"),
                say("/language"),
                press("English"),
                say("/mydata"),
            ],
        ),
        (
            rita,
            [
                say("/start"),
                press("I agree"),
                press("Host: we want"),
                press("Cluster organisation"),
                say("Rita Sousa"),
                say("Cluster Têxtil Portugal"),
                say("Portugal"),
                say("Porto"),
                press("Textiles"),
                press("Done"),
                say("Wir zeigen Textilrecycling und Recyclingfasern aus Alttextilien."),
                say("Partners for digital twins of weaving machines."),
                press("English"),
                press("Portuguese"),
                press("Done"),
                say(start.isoformat()),
                say(end.isoformat()),
                say("A joint circular textiles project with partners abroad."),
                say("rita@example.pt"),
                press("Confirm"),
            ],
        ),
        (
            anna,
            [
                say("/matches", "Jonas was proposed to Anna when he joined"),
                press("Next"),
                press("Interested", "Rita's cluster, explained in English"),
            ],
        ),
        (rita, [press("Interested", "both want to meet: contacts are exchanged")]),
        (jonas, [say("/language"), press("Deutsch"), say("/matches", "the card in German")]),
        (jonas, [press("Passt nicht"), press("Termine passen nicht")]),
        (lucie, [say("/start"), press("No, thanks"), say("/deleteme"), press("Yes, erase")]),
    ]


async def play(settings: Settings, out: Callable[[str], None] = print) -> int:
    """Run every persona through the bot and print the transcript; returns an exit code."""
    clock = Clock(settings.tz)
    with tempfile.TemporaryDirectory(prefix="cxbot-demo-") as tmp:
        if settings.database_url == Settings.model_fields["database_url"].default:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}"
            settings = settings.model_copy(update={"database_url": url})
        driver = await BotDriver.start(settings, clock=clock)
        try:
            cast = personas(clock)
            names = {user.id: user.first_name for user, _steps in cast}
            for user, steps in cast:
                out(f"\n══════ {user.first_name} (Telegram language: {user.language_code}) ══════")
                for step in steps:
                    note = f"   ({step.note})" if step.note else ""
                    result: Exchange
                    if step.kind == "say":
                        out(indent(step.value, f"👤 {user.first_name}: ") + note)
                        result = await driver.send(user, step.value)
                    elif step.kind == "press":
                        out(f"👆 {user.first_name} presses “{step.value}”{note}")
                        result = await driver.press(user, step.value)
                    else:
                        out(f"👤 {user.first_name} sends a {step.value}{note}")
                        result = await driver.process(
                            user, getattr(driver.updates, step.value)(user)
                        )
                    text, _buttons = render_exchange(result)
                    if text:
                        out(text)
                    others = render_others(result, names)
                    if others:
                        out(others)
            if driver.errors:
                out(f"\n{len(driver.errors)} handler error(s): {driver.errors[0]!r}")
                return 1
            out("\nDemo finished: every persona got an answer to every step.")
            return 0
        finally:
            await driver.stop()
