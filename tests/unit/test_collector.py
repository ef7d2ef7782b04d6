"""The pause of automatic garbage collection: nested and concurrent pauses resume collection
only when the last one ends, and only if it was on before."""

from __future__ import annotations

import gc
import threading

from bot.services import collector


def test_pauses_nest_and_restore_the_previous_state() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_pause_in_another_thread_keeps_collection_off_until_it_ends() -> None:
    inside, leave = threading.Event(), threading.Event()

    def work() -> None:
        with collector.paused():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=work)
    thread.start()
    assert inside.wait(5)
    with collector.paused():
        pass
    assert not gc.isenabled()  # the thread's pause still holds
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_an_exception_ends_the_pause() -> None:
    try:
        with collector.paused():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
