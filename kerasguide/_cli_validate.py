"""``kerasguide validate``: check many spec files at once, and report every file's problems.

Made for a pre-commit hook or a CI step: each file gets an OK or FAIL line
(or a JSON record), and one broken file never hides the next one's problems.
A built model's hints (``kg.lint``) are listed under its OK line; they never
fail a file.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

from kerasguide._cli_terminal import plain, say
from kerasguide._inputs import SPEC_SUFFIXES
from kerasguide.errors import FileError, KerasGuideError, KerasGuideWarning, first_line
from kerasguide.specs import load_spec

__all__ = ["check_file", "spec_files", "validate_paths"]


def validate_paths(paths: list[str], *, build: bool, as_json: bool, debug: bool) -> int:
    """Check every spec file named or found in ``paths``; print a report; return the exit status.

    Returns:
        0 when every file is valid, 1 when some are not, 2 when a path does not exist.

    Example:
        >>> validate_paths(["specs/"], build=True, as_json=False, debug=False)  # doctest: +SKIP
        OK    specs/mlp.yaml: mlp model 'mlp', 551 parameters
        1 file checked: 1 OK, 0 failed
        0
    """
    files, missing = spec_files(paths)
    if not files and not missing:
        raise FileError(
            "no spec files found",
            where=" ".join(paths),
            expected="files ending in .yaml, .yml or .json, or folders holding some",
            received="none",
            hint="check the paths",
        )
    reports = [_failure(p, _missing(p)) for p in missing]
    reports += [check_file(path, build=build, debug=debug) for path in files]
    failed = sum(not r["ok"] for r in reports)
    hints = sum(len(r.get("hints", ())) for r in reports)
    if as_json:
        counts = {"checked": len(reports), "ok": len(reports) - failed, "failed": failed}
        counts["hints"] = hints
        print(json.dumps({"files": reports, **counts}, indent=2))
    else:
        for report in reports:
            say(_report_line(report))
        noun = "file" if len(reports) == 1 else "files"
        told = f", {hints} hint{'s' if hints > 1 else ''}" if hints else ""
        say(f"{len(reports)} {noun} checked: {len(reports) - failed} OK, {failed} failed{told}")
    return 2 if missing else 1 if failed else 0


def spec_files(paths: list[str]) -> tuple[list[str], list[str]]:
    """(the spec files named or found in folders, the paths that do not exist)."""
    found: dict[str, None] = {}
    missing = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in item.relative_to(path).parts)
                if item.suffix.lower() in SPEC_SUFFIXES and item.is_file() and not hidden:
                    found[str(item)] = None
        elif path.exists():
            found[text] = None
        else:
            missing.append(text)
    return list(found), missing


def _missing(text: str) -> FileError:
    return FileError(
        "no such file or folder",
        where=text,
        expected="an existing spec file or folder",
        received=text,
    )


def check_file(path: str, *, build: bool, debug: bool) -> dict[str, Any]:
    """One file's report: ``ok``, and the spec's kind, name and parameters, or the error."""
    try:
        spec = load_spec(Path(path))
        report: dict[str, Any] = {"path": path, "ok": True, "kind": spec.kind, "name": spec.name}
        if build:
            report.update(_built(spec))
        return report
    except KerasGuideError as err:
        return _failure(path, err)
    except Exception as err:  # a bug in kerasguide: report it, and go on with the next file
        if debug:
            raise
        problem = f"unexpected {type(err).__name__}: {first_line(err)}"
        return _failure(path, KerasGuideError(problem, where=path, hint="run with --debug"))


def _built(spec: Any) -> dict[str, Any]:
    """The parameters of the spec's model and, when there are some, its hints."""
    from kerasguide._lint import lint_model
    from kerasguide.build import build as build_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KerasGuideWarning)  # listed as hints instead
        model = build_model(spec)
    result: dict[str, Any] = {"params": int(model.count_params())}
    hints = lint_model(model, spec=spec.to_dict())
    if hints:
        result["hints"] = [hint.to_dict() for hint in hints]
    return result


def _failure(path: str, err: KerasGuideError) -> dict[str, Any]:
    error = {key: plain(value) for key, value in err.to_dict().items()}
    return {"path": path, "ok": False, "error": {**error, "message": plain(str(err))}}


def _report_line(report: dict[str, Any]) -> str:
    if report["ok"]:
        params = f", {report['params']:,} parameters" if "params" in report else ""
        head = f"OK    {report['path']}: {report['kind']} model {report['name']!r}{params}"
        return "\n".join([head, *(_hint_lines(hint) for hint in report.get("hints", ()))])
    lines = report["error"]["message"].splitlines()
    return f"FAIL  {report['path']}\n" + "\n".join("      " + line for line in lines)


def _hint_lines(hint: dict[str, Any]) -> str:
    where = f"{hint['path'] or 'layer'} {hint['layer']!r} ({hint['layer_type']})"
    return (
        f"      hint: {where}: {hint['message']} [{hint['code']}]\n"
        f"            probably meant: {hint['meant']}"
    )
