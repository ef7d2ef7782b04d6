"""A material change of an approved profile goes back to validation (issue 15): role,
organisation, country (with its city), offers and seeks wait for the partnership's staff while
others, and matching, keep seeing the approved version; other fields apply at once."""

from __future__ import annotations

from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import load, make_partnership, register

SARA = FakeUser(id=5_951, first_name="Sara", username="sara_staff", language_code="en")
OLD_OFFERS = "Digital twins for textile machines; 3D printing of spare parts"


async def approved_anna(bot: BotDriver, anna: FakeUser) -> int:
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles)
    r = await bot.press(SARA, "Approve")
    assert r.toasts == ["Approved"]
    return textiles


async def edit(
    bot: BotDriver, user: FakeUser, field: str, text: str, menu: str = "Edit my profile"
):  # type: ignore[no-untyped-def]
    await bot.send(user, "/profile")
    await bot.press(user, menu)
    await bot.press(user, field, exact=True)
    return await bot.send(user, text)


async def test_a_changed_offer_waits_for_validation_and_matching_keeps_the_old_one(
    bot: BotDriver, anna: FakeUser
) -> None:
    textiles = await approved_anna(bot, anna)
    await register(bot, RITA, **{**RITA_ANSWERS, "partnership": textiles})
    await bot.press(SARA, "Approve")
    index = services_of(bot.app).matchmaking.population._index
    assert index is not None
    before = index.terms_of(str(anna.id))
    new = "Hydrogen electrolysers & <fuel cells> for heavy trucks."
    r = await edit(bot, anna, "Offers", new)
    assert "Textiles EU</b> validates this change first" in r.text
    assert OLD_OFFERS in r.text  # the card shows the approved version ...
    assert "Hydrogen electrolysers &amp; &lt;fuel cells&gt;" in r.text  # ... and what waits
    [card] = r.others[SARA.id]
    assert "changed its validated profile" in card.text and "Approve" in str(card.buttons())
    assert OLD_OFFERS in card.text and "&lt;fuel cells&gt;" in card.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.offers == OLD_OFFERS
    assert profile.pending_changes == {"offers": new}
    # Matching still reads the approved offer.
    r = await bot.send(RITA, "/matches")
    assert index.terms_of(str(anna.id)) == before
    # The staff approve: the new offer applies, and matching reads it.
    r = await bot.press(SARA, "Approve")
    assert r.toasts == ["Approved"]
    assert "has validated the change of your profile" in r.others[anna.id][0].text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.offers == new and profile.pending_changes is None
    await bot.send(RITA, "/matches")
    after = index.terms_of(str(anna.id))
    assert after is not None and after.offers != before.offers  # type: ignore[union-attr]


async def test_a_rejected_change_is_dropped_with_the_reason(bot: BotDriver, anna: FakeUser) -> None:
    await approved_anna(bot, anna)
    await edit(bot, anna, "Organisation", "Textilwerk Nord GmbH")
    await bot.press(SARA, "Reject")
    r = await bot.press(SARA, "The change is unclear")
    told = r.others[anna.id][0].text
    assert "did not validate the change of your profile" in told and "The change is unclear" in told
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.organisation == "Textilwerk Augsburg GmbH"
    assert profile.pending_changes is None
    r = await bot.press(SARA, "Approve")  # the card is decided: nothing changes again
    assert r.toasts


async def test_a_new_country_waits_with_its_city_other_fields_apply_at_once(
    bot: BotDriver, anna: FakeUser
) -> None:
    await approved_anna(bot, anna)
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Country", exact=True)
    await bot.send(anna, "Austria")
    r = await bot.send(anna, "Linz")
    assert "validates this change first" in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and (profile.country, profile.city) == ("DE", "Augsburg")
    assert profile.pending_changes is not None
    assert (profile.pending_changes["country"], profile.pending_changes["city"]) == ("AT", "Linz")
    sent = len(bot.transport.messages(SARA.id))
    r = await edit(bot, anna, "E-mail", "anna.new@example.org")
    assert "validates this change" not in r.text and SARA.id not in r.others
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.email == "anna.new@example.org"
    assert len(bot.transport.messages(SARA.id)) == sent


async def test_in_german(bot: BotDriver, jonas: FakeUser) -> None:
    await approved_anna(bot, jonas)
    r = await edit(
        bot, jonas, "Bedarf", "Partner für Wasserstoff in der Logistik.", "Profil bearbeiten"
    )
    assert "prüft diese Änderung zuerst" in r.text
