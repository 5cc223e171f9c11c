"""Frontier labs and their model weights: training, release, deployment abroad, security and theft."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.fields import Bloc, CountryCode, Fraction, Identifier, Month, Sourced, Strict

SecurityLevel = Annotated[int, Field(ge=1, le=5, description="RAND's weight-security level, SL1 to SL5")]
# Training compute of any model ever trained stays far below 1e40 FLOP; the bound keeps a typo from overflowing.
Flop = Annotated[float, Field(gt=0, le=1e40)]
# A month of an H100e training at realistic utilisation: 400 dense BF16 TFLOPS sustained (about 40% of the H100's
# 989; Llama 3.1 405B ran at 380-430 on 16k H100s, llama3_mfu) for 30.44 days. Frontier training runs count FLOP this
# way (Epoch AI), which is how thresholds (model_weights_threshold, monitoring_threshold_eu) read them.
TRAINING_FLOP_PER_H100E_MONTH = 400e12 * 30.4375 * 86_400


class TheftProbabilities(Strict):
    """The chance, each month, that a determined state operation exfiltrates weights held at each security level."""

    sl1: Fraction
    sl2: Fraction
    sl3: Fraction
    sl4: Fraction
    sl5: Fraction

    def at(self, level: int) -> float:
        return getattr(self, f"sl{level}")

    @model_validator(mode="after")
    def _higher_levels_are_safer(self) -> TheftProbabilities:
        for level in range(2, 6):
            if self.at(level) > self.at(level - 1):
                raise ValueError(f"sl{level} ({self.at(level)}) is above sl{level - 1} ({self.at(level - 1)}): a "
                                 "higher security level must not make theft likelier")
        return self


class Licensee(Sourced):
    """A site abroad where a lab deploys its closed weights (a sovereign-AI partner's data center, say): from
    ``start`` on it receives each new model the export rules allow, and holds it at its own security level."""

    data_center: Identifier = Field(description="a data center or data-center population (as one site)")
    start: Month
    security_level: SecurityLevel


class Lab(Sourced):
    """A frontier AI lab: it trains on a share of the compute of the data centers it names, releases a model every
    ``model_cadence_months`` (each run taking the last ``training_months`` of them on ``training_share`` of its
    compute), holds the weights at ``security_level`` and deploys them at its licensees."""

    id: Identifier
    name: str
    country: CountryCode
    trains_on: list[Identifier] = Field(min_length=1, description="data centers or data-center populations")
    compute_share: Annotated[float, Field(gt=0, le=1)] = Field(description="its share of their installed compute")
    training_share: Annotated[float, Field(gt=0, le=1)] = Field(
        description="share of its compute in a final training run")
    training_months: Annotated[int, Field(ge=1, le=24)]
    model_cadence_months: Annotated[int, Field(ge=1, le=60)] = Field(description="months between releases")
    security_level: SecurityLevel
    licensees: list[Licensee] = Field(default_factory=list)

    @model_validator(mode="after")
    def _runs_fit_between_releases(self) -> Lab:
        if self.training_months > self.model_cadence_months:
            raise ValueError(f"training_months ({self.training_months}) exceeds model_cadence_months "
                             f"({self.model_cadence_months}): a lab runs one final training run at a time")
        return self


class ModelWeights(Sourced):
    """Frontier labs and what their weights are worth to a bloc that obtains them (the model-weights channel)."""

    monthly_theft_probability: TheftProbabilities
    value_halving_months: Annotated[float, Field(gt=0, le=1200)] = Field(
        description="months for the compute needed to train a model as good to halve (algorithmic progress)")
    training_flop_per_h100e_month: Flop = TRAINING_FLOP_PER_H100E_MONTH
    thief_bloc: Bloc = Field("china", description="the bloc whose state operations steal weights")
    labs: list[Lab] = Field(default_factory=list)
