"""Atomic writes leave either the old file or the whole new one."""

from __future__ import annotations

import os

import pytest

from captum_genomics._atomic import TEMP_SUFFIX, atomic_open, atomic_path


def test_writes_whole_file(tmp_path):
    target = tmp_path / "out.tsv"
    with atomic_open(target) as handle:
        handle.write("a\tb\n")
    assert target.read_text() == "a\tb\n"
    assert os.listdir(tmp_path) == ["out.tsv"]


def test_crash_keeps_previous_content_and_no_temp_file(tmp_path):
    target = tmp_path / "out.tsv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("partial")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.tsv"]


@pytest.mark.parametrize("opener", ["atomic_open", "atomic_path"])
def test_keyboard_interrupt_midway_leaves_no_temp_file(tmp_path, opener):
    target = tmp_path / "out.tsv"
    target.write_text("old\n")
    seen = []
    with pytest.raises(KeyboardInterrupt):
        if opener == "atomic_open":
            with atomic_open(target) as handle:
                handle.write("partial")
                handle.flush()
                seen.extend(os.listdir(tmp_path))
                raise KeyboardInterrupt
        else:
            with atomic_path(target) as tmp:
                with open(tmp, "w") as handle:  # a writer that opens the path itself
                    handle.write("partial")
                seen.extend(os.listdir(tmp_path))
                raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.tsv"]
    temp = [name for name in seen if name != "out.tsv"]
    assert len(temp) == 1
    assert temp[0].startswith("out.tsv.") and temp[0].endswith(TEMP_SUFFIX)
    assert TEMP_SUFFIX == ".captum-genomics-tmp"


def test_binary_and_bad_arguments(tmp_path):
    with atomic_open(tmp_path / "x.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "x.bin").read_bytes() == b"\x00\x01"
    with pytest.raises(ValueError, match="mode"), atomic_open(tmp_path / "y", "a"):
        pass
    with pytest.raises(FileNotFoundError, match="does not exist"), \
            atomic_open(tmp_path / "missing" / "y"):
        pass
