"""The one-release aliases: they warn, name the replacement and forward unchanged."""

import pytest

from captum_genomics._deprecation import moved_names, renamed, renamed_arguments


def test_moved_names_forward_with_a_warning():
    getter = moved_names("old.place", {"joined": "os.path:join"})
    with pytest.warns(DeprecationWarning, match=r"old\.place\.joined .* os\.path\.join"):
        joined = getter("joined")
    assert joined("a", "b") == "a/b"
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        getter("missing")


def test_renamed_function_warns_and_returns_the_same():
    def area(width, height=1):
        return width * height

    old = renamed(area, "surface")
    assert old.__name__ == "surface"
    with pytest.warns(DeprecationWarning, match="surface is deprecated"):
        assert old(3, height=4) == 12


def test_renamed_arguments_map_old_keywords():
    @renamed_arguments(size="width")
    def area(width, height=1):
        return width * height

    with pytest.warns(DeprecationWarning, match=r"area\(size=...\)"):
        assert area(size=3, height=2) == 6
    assert area(width=5) == 5
    with pytest.raises(TypeError, match="both 'size' and its new name 'width'"):
        area(size=1, width=2)
