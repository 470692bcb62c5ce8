"""The motif API is documented (numpy style), and the MEME reader fails cleanly on junk."""

from __future__ import annotations

import inspect
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import captum_genomics.motifs as motifs
from captum_genomics.motifs import read_meme


@pytest.mark.parametrize("name", motifs.__all__)
def test_public_object_is_documented(name):
    obj = getattr(motifs, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return
    doc = inspect.getdoc(obj)
    assert doc and len(doc.splitlines()[0]) > 10, f"{name} lacks a one-line summary"
    if inspect.isfunction(obj) and len(inspect.signature(obj).parameters) > 0:
        assert "Parameters\n----------" in doc, f"{name} documents no parameters"


LINES = st.sampled_from([
    "MEME version 4", "ALPHABET= ACGT", "MOTIF a", "MOTIF b x", "MOTIF",
    "letter-probability matrix: alength= 4 w= 2", "letter-probability matrix: alength= 4 w= 0",
    "letter-probability matrix: alength= 4", "letter-probability matrix: alength= 4 w= 1",
    "0.25 0.25 0.25 0.25", "1 0 0 0", "0 0 0 0", "0.5 0.5", "x y z w", "-1 1 1 1", "", "URL x",
])


@given(st.lists(LINES, max_size=14))
@settings(max_examples=150, deadline=None)
def test_read_meme_on_random_lines_reads_or_names_the_file(lines):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.meme"
        path.write_text("\n".join(lines) + "\n")
        try:
            found = read_meme(path)
        except ValueError as err:
            assert str(path) in str(err)
        else:
            assert found and all(m.pwm.shape[0] == 4 for m in found)


def test_read_meme_on_binary_garbage_names_the_file(tmp_path):
    path = tmp_path / "garbage.meme"
    path.write_bytes(b"MEME version 4\n\xff\xfe\x00MOTIF \x80\n")
    with pytest.raises(ValueError, match="garbage.meme"):
        read_meme(path)
