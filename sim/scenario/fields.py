"""Building blocks of the scenario schema: blocs, bounded field types, strict models and cited ones."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sim.calendar import parse_month
from sim.sources import citation_problem

Bloc = Literal["us_allies", "china", "rest"]
BLOCS: tuple[str, ...] = ("us_allies", "china", "rest")
BLOC_CODE = {bloc: code for code, bloc in enumerate(BLOCS)}  # a bloc's number in array code
# The bloc that controls exports: its entity list, its remote-access rule, the hardware some policies promote.
CONTROLLING_BLOC = "us_allies"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
# Upper bounds far above any real quantity (a trillion chips, wafers or dollars a month) keep a typo or a fuzzed file
# from overflowing the model's arithmetic; real scenarios never come near them.
MAX_QUANTITY = 1e12
NonNegative = Annotated[float, Field(ge=0, le=MAX_QUANTITY)]
Positive = Annotated[float, Field(gt=0, le=MAX_QUANTITY)]
Fraction = Annotated[float, Field(ge=0, le=1)]
GrowthFactor = Annotated[float, Field(gt=0, le=100)]
Count = Annotated[int, Field(ge=0, le=int(MAX_QUANTITY))]
Months = Annotated[int, Field(ge=0, le=1200)]
PriceUsd = Annotated[float, Field(ge=1, le=1e9, description="US dollars; at least 1 so money converts to whole chips")]
ChipsPerWafer = Annotated[float, Field(gt=0, le=100_000, description="dies per wafer: thousands at the very most")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def check_month(value: str) -> str:
    parse_month(value)
    return value


# Checked on the type, so that every month field of every section is checked the same way.
Month = Annotated[str, AfterValidator(check_month), Field(description="a calendar month, YYYY-MM")]


class Sourced(Strict):
    """An object whose numbers come from public sources or stated assumptions.

    ``source`` is one citation for the whole object, or a mapping from field name to citation.
    """

    source: str | dict[str, str]

    @model_validator(mode="after")
    def _citations_are_known(self) -> Sourced:
        citations = self.source if isinstance(self.source, dict) else {"": self.source}
        fields = set(type(self).model_fields) - {"source"}
        for field_name, citation in citations.items():
            if field_name and field_name not in fields:
                raise ValueError(
                    f"source names field {field_name!r}, which this object does not have; "
                    f"its fields are: {', '.join(sorted(fields))}"
                )
            problem = citation_problem(citation)
            if problem:
                where = f"source of {field_name!r}" if field_name else "source"
                raise ValueError(f"{where} {citation!r}: {problem}")
        return self


class GrowthUntil(Strict):
    """A growth rate that holds until a month, the owner's own rate after it: a ramp faster than the long-run one
    (TSMC's CoWoS more than doubled in 2024 and 2025, then grows about 1.5x a year; hyperscalers' capex grew 1.73x in
    2025, and what it does after the years the data cover is an assumption of its own)."""

    until: Month = Field(description="the last month that grows at this rate")
    growth_factor_per_year: GrowthFactor
