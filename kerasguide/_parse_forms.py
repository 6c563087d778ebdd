"""The forms in which course material keeps summaries: private to :mod:`kerasguide.parse`.

A printed summary reaches :func:`~kerasguide.parse.parse_summary` inside other
text: indented as a Markdown code block or list item, as nbconvert output, as
``# `` or ``#`` comments, inside a docstring whose ``\"\"\"`` sits on the first rule,
with prose before and after it, and sometimes several to a notebook cell. It may
also be copied out of a notebook's JSON (a list of ``"...\\n",`` strings, or one
escaped string with ``\\u2502`` for ``│``) or out of a log, each line after a
logger's prefix (``INFO:root:``, ``2024-01-01 12:00:00,123 - INFO - ``, absl's
``I0101 12:00:00.123456 140000 train.py:42] ``). This module finds each summary
and hands its lines, without the wrapping, to the table reader. It also turns
type names into the Keras classes they stand for:

* Keras 1 names (``Convolution2D``) become their Keras 3 classes (``Conv2D``);
* names that tf.keras up to 2.8 cut at the column width without a marker
  (``(MaxPooling2``, ``(BatchN``) become the one class that they begin, chosen
  by the layer's name when several do; a name that stays open keeps the cut
  marker ``…``, and is then matched as a prefix, never completed with a guess.
"""

from __future__ import annotations

import functools
import inspect
import json
import re

import kerasguide._keras as _k
from kerasguide._catalog import snake_case
from kerasguide.errors import SummaryParseError

__all__ = [
    "KERAS1",
    "candidates",
    "clean",
    "dedent",
    "ends_totals",
    "layer_type",
    "not_a_summary",
    "starts",
]

# Keras 1 layer classes that Keras 2 renamed, and the Keras 3 class of each.
KERAS1 = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
    "Deconvolution2D": "Conv2DTranspose",
    "Deconvolution3D": "Conv3DTranspose",
    "SeparableConvolution2D": "SeparableConv2D",
}
_MODELS = ("Functional", "Sequential", "Model")
_MODEL_LINE = re.compile(r'^\s*Model:\s*"(.*)"\s*$')
_QUOTES = ('"""', "'''")
_COMMENT = re.compile(r"^\s*#")
_FENCES = ("```", "~~~", "<", '"""', "'''")
_LEVELS = "DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL"
_LOG_PREFIX = re.compile(
    rf"(?:{_LEVELS}):[\w.-]*:"  # logging.basicConfig(): INFO:root:
    rf"|\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?(?: - [\w.-]+)? - (?:{_LEVELS}) - "  # asctime
    r"|[DIWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [^\s:\]]+:\d+\] "  # absl
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[^"]+|"')
_ESCAPES = re.compile(r"\\(?:n|u[0-9a-fA-F]{4})")


def clean(text: str) -> list[str]:
    """The lines of ``text`` without the wrapping around a summary: JSON string syntax, log
    prefixes, comment markers and docstring quotes."""
    lines = []
    raw = [_without_log_prefix(line) for line in _from_json(text)]
    comments = [bool(_COMMENT.match(line)) for line in raw]
    width = _comment_width(raw, comments)
    for index, line in enumerate(raw):
        body = line.lstrip()
        indent = line[: len(line) - len(body)]
        near = comments[max(index - 2, 0) : index] + comments[index + 1 : index + 3]
        if comments[index] and any(near):  # a lone '#' is the 'Param #' title's second line
            body = body[width:]
        for quote in _QUOTES:
            if body.startswith(quote) and body.strip() != quote:
                body = body[3:]
            if body.endswith(quote) and body.strip() != quote:
                body = body[:-3]
        lines.append(indent + body)
    return lines


def _comment_width(lines: list[str], comments: list[bool]) -> int:
    """2 when every comment is written ``# text``, else 1 (``#text``): one width for the
    whole text, so that the columns of a commented table stay in line."""
    bodies = [line.lstrip()[1:] for line, comment in zip(lines, comments, strict=True) if comment]
    spaced = all(body.startswith(" ") for body in bodies if body.strip())
    return 2 if spaced else 1


def _without_log_prefix(line: str) -> str:
    """``line`` without a logger's prefix, e.g. ``INFO:root:``; the message is kept whole."""
    body = line.lstrip()
    found = _LOG_PREFIX.match(body)
    return line if found is None else line[: len(line) - len(body)] + body[found.end() :]


def _decoded(literal: str) -> str | None:
    try:
        value = json.loads(literal)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None


def _json_values(line: str) -> list[str] | None:
    """The string values in a line of JSON that has escapes (keys left out, the items of
    a list joined as a notebook joins them); None when it has none, or is not JSON."""
    tokens = _TOKENS.findall(line)
    pieces: list[list[str]] = []
    escaped: list[bool] = []
    glue = False  # only a comma since the last list item: the next one continues it
    for index, token in enumerate(tokens):
        key = index + 1 < len(tokens) and tokens[index + 1].lstrip().startswith(":")
        if len(token) < 2 or not token.startswith('"') or key:
            glue = glue and token.strip() == ","
            continue
        value = _decoded(token)
        if value is None:
            return None
        if not glue:
            pieces.append([])
            escaped.append(False)
        pieces[-1].append(value)
        escaped[-1] = escaped[-1] or bool(_ESCAPES.search(token))
        glue = True
    kept = ["".join(piece) for piece, has in zip(pieces, escaped, strict=True) if has]
    return kept or None


def _json_lines(line: str) -> tuple[list[str] | None, str | None]:
    """``(lines, None)`` for a line of JSON with escaped text, ``(None, text)`` for one
    item of a notebook's list of lines, ``(None, None)`` for any other line."""
    body = line.strip().removesuffix(",").rstrip()
    if _STRING.fullmatch(body):
        return None, _decoded(body)
    if not body.startswith(('"', "{", "[")) and len(_ESCAPES.findall(body)) >= 2:
        text = _decoded(f'"{body}"')  # an escaped text copied without its quotes
        if text is not None:
            return text.splitlines(), None
    values = _json_values(line)
    return (None, None) if values is None else ([t for v in values for t in v.splitlines()], None)


def _from_json(text: str) -> list[str]:
    """The lines of ``text``, each JSON string decoded, the items of a notebook's list
    of lines joined as nbformat joins them; ``text``'s own lines when it has no escapes."""
    if not _ESCAPES.search(text):
        return text.splitlines()
    lines: list[str] = []
    run: list[str] = []
    for line in [*text.splitlines(), ""]:
        decoded, item = _json_lines(line)
        if item is not None:
            run.append(item)
            continue
        lines += "".join(run).splitlines()
        run = []
        lines += [line] if decoded is None else decoded
    return lines[:-1]


def dedent(lines: list[str], width: int) -> list[str]:
    """Each line without up to ``width`` leading spaces or tabs (the summary's indentation)."""
    result = []
    for line in lines:
        cut = len(line) - len(line.lstrip(" \t"))
        result.append(line[min(cut, width) :])
    return result


def _is_rule(line: str, chars: str) -> bool:
    core = line.strip()
    return len(core) > 10 and set(core) <= set(chars)


def starts(lines: list[str], at: int) -> int | None:
    """The index of the first line at or after ``at`` that starts a summary."""
    for index in range(at, len(lines)):
        line = lines[index].strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _MODEL_LINE.match(line) or line.startswith("Layer (type)"):
            return index
        if line[:1] in ("┏", "+") and line[-1:] in ("┓", "+") and len(line) > 10:
            return index
        if _is_rule(line, "_") and following.startswith("Layer (type)"):
            return index
    return None


def ends_totals(line: str) -> bool:
    """A line after which a summary's totals are over: blank, a code fence, a quote, a tag."""
    body = line.strip()
    return not body or body.startswith(_FENCES) or bool(_MODEL_LINE.match(body))


@functools.cache
def _classes() -> tuple[str, ...]:
    layers = _k.keras().layers
    names = [n for n in dir(layers) if n[:1].isupper() and inspect.isclass(getattr(layers, n))]
    return tuple(sorted({*names, *_MODELS}))


def layer_type(kind: str, name: str, *, cut: bool) -> str:
    """The Keras 3 class that a printed type stands for (see the module's docstring)."""
    if kind in KERAS1:
        return KERAS1[kind]
    if kind.endswith("…"):
        kind, cut = kind[:-1], True
    if not cut:
        return kind
    candidates = [c for c in _classes() if c.startswith(kind)]
    if kind in KERAS1 or any(k.startswith(kind) for k in KERAS1):
        candidates += [KERAS1[k] for k in KERAS1 if k.startswith(kind)]
    base = re.sub(r"_\d+$", "", name.rstrip("…")).replace("_", "")
    named = [c for c in candidates if snake_case(c).replace("_", "") == base]
    chosen = set(named) if named else set(candidates)
    return chosen.pop() if len(chosen) == 1 else kind + "…"


def candidates(kind: str) -> list[str]:
    """The Keras classes whose names begin with a type cut short: ``Spatial…``."""
    prefix = kind.rstrip("…")
    return [c for c in _classes() if c.startswith(prefix)]


def not_a_summary(lines: list[str]) -> SummaryParseError:
    """The error for a text without a summary table, naming what the text is instead."""
    text = "\n".join(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if "Layer (type:depth-idx)" in text or re.search(r"\b[A-Z]\w*-\d+\s+\[-1,", text):
        cause = "this is a PyTorch summary (torchinfo or torchsummary), not a Keras one"
    elif "Total params" in text:
        cause = "the text has the totals of a summary but not its table: copy the whole summary"
    else:
        cause = f"none of its {len(lines)} line(s) is a 'Model: \"...\"' line or a table header"
    return SummaryParseError(
        "this line is not the start of a summary table",
        where=f"line {first + 1}",
        expected='a "Model: ..." line, or the first rule of a summary table',
        received=repr(lines[first] if lines else ""),
        hint=cause,
    )
