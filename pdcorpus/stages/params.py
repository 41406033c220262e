"""A stage's parameters: validated by its ``Params`` model wherever the stage is made.

A build makes its stages from the corpus file's validated ``Params``; library code calls the class
(``LengthFilter(min_chars=100)``), and ``stage_params`` validates those keyword arguments with the same
model, so that ``LengthFilter(min_chars=100, max_chars=10)`` fails as the corpus file would, and each
default is written once: in the ``Params`` model.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from pdcorpus.stages.base import StageParams

P = TypeVar("P", bound=StageParams)


class StageParamsError(ValueError):
    """A stage made with parameters its ``Params`` model refuses; the message names the stage and each key."""


def describe_errors(exc: ValidationError) -> list[str]:
    """``key: message`` for each problem pydantic found (the message alone for a rule over several keys)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown parameter"
        elif "input" in err and err["type"] not in ("missing",) and not isinstance(err["input"], (dict, list)):
            message += f" (got {err['input']!r})"
        out.append(f"{loc}: {message}" if loc else message)
    return out


def stage_params(model: type[P], params: P | None, options: dict[str, Any], stage: str) -> P:
    """The validated parameters of a stage: ``params`` as given (already validated), or ``options`` checked by
    ``model``; raises ``StageParamsError`` naming the stage and the keys."""
    if params is not None:
        if options:
            raise TypeError(f"{stage}: give either a {model.__name__} or keyword parameters, not both")
        if not isinstance(params, model):
            raise TypeError(f"{stage}: expected {model.__name__}, got {type(params).__name__}")
        return params
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        problems = describe_errors(exc)
        allowed = (f" (parameters: {', '.join(model.model_fields)})"
                   if any(e["type"] == "extra_forbidden" for e in exc.errors()) else "")
        raise StageParamsError(f"{stage}: " + "; ".join(problems) + allowed) from None


def json_params(params: StageParams) -> dict[str, Any]:
    """The parameters with every default filled in, as JSON values (dates as ISO strings)."""
    return params.model_dump(mode="json")
