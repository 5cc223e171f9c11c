"""Each bloc's compute at the end of a month: installed H100e by source, rented in and out, distillation and weights.

Effective compute = installed + rented in - rented out + distillation + weights. The follower bloc (China) distils the
leader's models: it recovers ``distillation_gap_share`` of its compute gap to the US bloc, but never more than
``distillation_cap_share_of_own`` of its own compute (a student trains on the teacher's outputs with its own chips,
so a gap growing a hundredfold does not make its distillation grow a hundredfold), less what distillation bans and
detection stop this month (``Rules.distillation_kept``). Weights are frontier models a bloc obtained from other
blocs' labs, worth the compute that trained them (``sim.weights``); they are added after distillation, which is worked
out on the compute the bloc runs itself. The model works this out once a month, in its own phase
after the market has cleared; the recorder and the page only read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.installed import INSTALLED_SOURCES, InstalledBase
from sim.scenario.fields import BLOC_CODE, BLOCS, CONTROLLING_BLOC

US_BLOC, CHINA_BLOC = CONTROLLING_BLOC, "china"


@dataclass(frozen=True)
class BlocCompute:
    """Compute by owner bloc (of the data centers), H100e unless the name says chips."""

    installed_h100e: dict[str, dict[str, float]]  # bloc -> source (INSTALLED_SOURCES) -> H100e
    installed_chips: dict[str, int]
    rented_in_h100e: dict[str, float]
    rented_out_h100e: dict[str, float]
    distillation_h100e: dict[str, float]
    effective_h100e: dict[str, float]
    weights_h100e: dict[str, float]

    def installed_total_h100e(self, bloc: str) -> float:
        return sum(self.installed_h100e[bloc].values())


def bloc_compute(installed: InstalledBase, owner_bloc_of_center: np.ndarray, rented_in_by_center: np.ndarray,
                 rented_out_by_center: np.ndarray, distillation_gap_share: float,
                 distillation_cap_share_of_own: float, distillation_kept: float,
                 weights_h100e: dict[str, float] | None = None) -> BlocCompute:
    """The month's compute by bloc from the installed base, the month's rentals (by data center) and the worth of
    the weights each bloc obtained from others."""
    rented_in, rented_out = (
        dict(zip(BLOCS, np.bincount(owner_bloc_of_center, weights=by_center, minlength=len(BLOCS)).tolist(),
                 strict=True))
        for by_center in (rented_in_by_center, rented_out_by_center))
    h100e_by_source = installed.h100e_by_center_and_source()
    chips_by_center = installed.chips_by_center()
    by_source = {bloc: dict.fromkeys(INSTALLED_SOURCES, 0.0) for bloc in BLOCS}
    chips = dict.fromkeys(BLOCS, 0)
    for bloc in BLOCS:
        mine = owner_bloc_of_center == BLOC_CODE[bloc]
        chips[bloc] = int(chips_by_center[mine].sum())
        for source, h100e in zip(INSTALLED_SOURCES, h100e_by_source[mine].sum(axis=0), strict=True):
            by_source[bloc][source] = float(h100e)
    effective = {bloc: sum(by_source[bloc].values()) + rented_in[bloc] - rented_out[bloc] for bloc in BLOCS}
    gap = max(0.0, effective[US_BLOC] - effective[CHINA_BLOC])
    distillation = dict.fromkeys(BLOCS, 0.0)
    recovered = min(distillation_gap_share * gap, distillation_cap_share_of_own * effective[CHINA_BLOC])
    distillation[CHINA_BLOC] = recovered * distillation_kept
    effective[CHINA_BLOC] += distillation[CHINA_BLOC]
    weights = dict.fromkeys(BLOCS, 0.0) if weights_h100e is None else dict(weights_h100e)
    for bloc in BLOCS:
        if weights[bloc]:
            effective[bloc] += weights[bloc]
    return BlocCompute(by_source, chips, rented_in, rented_out, distillation, effective, weights)
