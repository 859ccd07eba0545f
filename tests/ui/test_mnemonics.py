"""Alt+letters picked for menu items made from data (one "New …" per form): a word's first letter when
free, else any free letter; never one already taken in the menu."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.ui.mnemonics import mnemonic, with_mnemonic


def test_the_first_free_initial_then_any_free_letter() -> None:
    assert with_mnemonic("New 124D…", []) == "&New 124D…"
    assert with_mnemonic("New S-DASH screening…", ["n"]) == "New &S-DASH screening…"
    assert with_mnemonic("New S-DASH screening…", ["n", "s", "d"]) == "N&ew S-DASH screening…"
    assert with_mnemonic("Ab", ["a", "b"]) == "Ab"  # every letter taken: left as it is
    assert mnemonic("Fish && &Chips") == "c" and mnemonic("Fish && Chips") is None


@given(
    st.text(alphabet=st.characters(categories=("L", "N", "Zs", "P")), min_size=1, max_size=30),
    st.sets(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), max_size=20),
)
def test_a_picked_letter_is_never_taken_and_the_text_reads_the_same(text: str, taken: set[str]) -> None:
    plain = text.replace("&", "&&")
    marked = with_mnemonic(plain, taken)
    letter = mnemonic(marked)
    if letter is None:
        assert marked == plain
        if "&" not in text:  # a letter right after a literal '&' is not offered
            assert all(ch.lower() in taken or not ch.isalnum() for ch in text)
    else:
        assert letter not in taken
        assert marked.replace("&&", "\0").replace("&", "").replace("\0", "&&") == plain
