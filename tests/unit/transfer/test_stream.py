"""Bundles are written and read as a stream of AES-GCM chunks (issue 17): a chunk dropped, moved, repeated
or added is refused before anything is merged, and neither side holds the whole bundle in memory."""

from __future__ import annotations

import os
import struct
import tracemalloc
from pathlib import Path

import pytest

from dsvdesk.engine.spec import FormSpec
from dsvdesk.errors import ExitCode
from dsvdesk.store import bundlefile
from tests.unit.transfer.conftest import Unit
from tests.unit.transfer.test_bundles import export


def _submit_with_pdf(unit: Unit, spec: FormSpec, victim: str, pdf_bytes: int) -> str:
    session = unit["pc1"]
    ref = unit.store.create_record(session, spec, {"victim_name": victim, "incident_date": "2026-03-01"})
    pdf = b"%PDF-1.7\n%" + os.urandom(pdf_bytes) + b"\n%%EOF\n"  # incompressible, like a real PDF's streams
    unit.store.submit(session, ref.id, ref.version, pdf)
    return ref.id


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    """(everything before the chunks, each chunk with its length) of a bundle file's bytes."""
    import io

    _header, prefix = bundlefile.read_header(io.BytesIO(data), "b")
    chunks, at = [], len(prefix)
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at : at + 4 + size])
        at += 4 + size
    return prefix, chunks


def test_chunks_dropped_moved_repeated_or_added_are_refused(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundlefile, "CHUNK", 4096)
    hol, csu = units["HOL"], units["CSU"]
    for n in range(3):
        _submit_with_pdf(hol, mini_spec, f"Stream Person{n}", 6000)
    good = export(hol, "CSU", tmp_path, "ps1", "good")
    prefix, chunks = _split(good.read_bytes())
    assert len(chunks) >= 5
    cases: list[tuple[str, bytes, type[Exception], ExitCode, str]] = [
        ("last chunk dropped", prefix + b"".join(chunks[:-1]), bundlefile.BundleDamaged, ExitCode.BAD_INPUT, "cut short"),
        ("cut inside a chunk", prefix + b"".join(chunks)[:-100], bundlefile.BundleDamaged, ExitCode.BAD_INPUT, "cut short"),
        ("two chunks swapped", prefix + b"".join([chunks[1], chunks[0], *chunks[2:]]), bundlefile.BundleAltered, ExitCode.VERIFICATION_FAILED, "altered"),
        ("a chunk repeated", prefix + b"".join([chunks[0], *chunks]), bundlefile.BundleAltered, ExitCode.VERIFICATION_FAILED, "altered"),
        ("bytes added at the end", prefix + b"".join(chunks) + chunks[-1], bundlefile.BundleAltered, ExitCode.VERIFICATION_FAILED, "altered"),
    ]  # fmt: skip
    for label, content, error, code, words in cases:
        bad = tmp_path / "bad.dsvbundle"
        bad.write_bytes(content)
        with pytest.raises(error) as caught:
            csu.store.import_bundle(csu["csu1"], bad)
        assert caught.value.exit_code is code and words in str(caught.value), (label, caught.value)  # type: ignore[attr-defined]
    assert csu.store.count_records(csu["csu1"]) == 0  # nothing merged
    assert csu.store.import_bundle(csu["csu1"], good).new == 3


def test_neither_side_holds_the_whole_bundle(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    """120 records with 300 kB PDFs (a 36 MB bundle): export and import each allocate a few records'
    worth at a time, not the bundle."""
    hol, csu = units["HOL"], units["CSU"]
    pdf_bytes = 300_000
    for n in range(120):
        _submit_with_pdf(hol, mini_spec, f"Big Person{n}", pdf_bytes)
    session, csu_session = hol["ps1"], csu["csu1"]
    tracemalloc.start()
    try:
        out = tmp_path / "big.dsvbundle"
        hol.store.export_bundle(session, "CSU", out, "correct horse battery")
        _size, export_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        assert csu.store.import_bundle(csu_session, out).new == 120
        _size, import_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = out.stat().st_size
    assert size > 120 * pdf_bytes
    assert export_peak < size / 3, (export_peak, size)
    assert import_peak < size / 3, (import_peak, size)
