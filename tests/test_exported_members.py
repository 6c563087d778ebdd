"""`kerasguide.__all__` is exactly the public API, sorted."""

from __future__ import annotations

import kerasguide


def test_all_is_exact_and_sorted() -> None:
    public = {name for name in dir(kerasguide) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(kerasguide, name)).__name__ == "module"}
    assert set(kerasguide.__all__) == (public - modules) | {"__version__"}
    assert kerasguide.__all__ == sorted(kerasguide.__all__, key=str.casefold) or (
        kerasguide.__all__ == sorted(kerasguide.__all__)
    )


def test_every_error_is_a_kerasguide_error_and_a_builtin() -> None:
    for name in kerasguide.__all__:
        obj = getattr(kerasguide, name)
        if isinstance(obj, type) and issubclass(obj, Warning):
            assert issubclass(obj, UserWarning), name  # kg.KerasGuideWarning: hints, not errors
        elif isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, kerasguide.KerasGuideError)
            if obj is not kerasguide.KerasGuideError:
                assert any(
                    issubclass(obj, builtin)
                    for builtin in (ValueError, TypeError, OSError, AssertionError, RuntimeError)
                ), name
