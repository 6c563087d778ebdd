"""Golden files: compare printed output with tests/golden/NAME, or rewrite it."""

from __future__ import annotations

from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, text: str, *, overwrite: bool) -> None:
    """Compare ``text`` with ``tests/golden/<name>``; ``pytest --update-golden`` rewrites it."""
    path = GOLDEN / name
    if overwrite or not path.exists():
        if not overwrite:
            raise AssertionError(
                f"golden file {path} is missing; run pytest --update-golden to create it"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"output differs from {path}; run pytest --update-golden if intended"
