"""The synthetic world the people are treated in: care sites and the providers who work there.

Drawn once per dataset (not per batch) and rendered by both renderings: OMOP `care_site` and
`provider`, FHIR `Organization` and `Practitioner`. Visits name a care site and a provider by
their OMOP ids (`population.VisitTable`), which is how an Encounter and its visit_occurrence
point at the same clinic and clinician.

Every state has a clinic (outpatient visits) and a hospital (emergency and inpatient), in state
order, so care_site_id = 2 * state_index + 1 (clinic) or + 2 (hospital); each care site has
PROVIDERS_PER_CARE_SITE providers, numbered care site by care site.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from generators.config import GeneratorConfig
from generators.geography import us_states
from generators.population import PROVIDERS_PER_CARE_SITE, NamedByIndex, draw_name_indexes

# Per care site of a state: its name suffix and the terminology key of its place of service.
CARE_SITE_KINDS = (("Family Clinic", "outpatient"), ("General Hospital", "inpatient"))


@dataclass(frozen=True)
class CareSites:
    """Every care site, ordered by care_site_id (1, 2, ...)."""

    care_site_id: npt.NDArray[np.int64]
    name: npt.NDArray[np.str_]
    # Terminology keys of the place of service ("outpatient" clinic, "inpatient" hospital).
    place_key: tuple[str, ...]
    state_index: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.care_site_id)


@dataclass(frozen=True)
class Providers(NamedByIndex):
    """Every provider, ordered by provider_id (1, 2, ...)."""

    provider_id: npt.NDArray[np.int64]
    care_site_id: npt.NDArray[np.int64]
    is_male: npt.NDArray[np.bool_]
    # Indexes into `population.name_list()`.
    given_name_index: npt.NDArray[np.int64]
    family_name_index: npt.NDArray[np.int64]
    year_of_birth: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.provider_id)


@cache
def care_sites() -> CareSites:
    """A clinic and a hospital in every state, named after the state's principal city."""
    names, places, state_index = [], [], []
    for number, state in enumerate(us_states()):
        for suffix, place in CARE_SITE_KINDS:
            names.append(f"{state.city} {suffix}")
            places.append(place)
            state_index.append(number)
    return CareSites(
        care_site_id=np.arange(1, len(names) + 1, dtype=np.int64),
        name=np.array(names),
        place_key=tuple(places),
        state_index=np.array(state_index, dtype=np.int64),
    )


def draw_providers(config: GeneratorConfig) -> Providers:
    """The clinicians of every care site, drawn from a stream of their own.

    The stream is seeded apart from every batch's ([seed, batch index]), so the providers never
    shift the people, and the same config always gives the same providers.
    """
    size = len(care_sites()) * PROVIDERS_PER_CARE_SITE
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 2**31 - 1]))
    is_male = rng.random(size) < 0.5
    given = np.where(
        is_male, draw_name_indexes(rng, "male", size), draw_name_indexes(rng, "female", size)
    )
    family = draw_name_indexes(rng, "family", size)
    year_of_birth = config.reference_date.year - rng.integers(30, 68, size=size)
    provider_id = np.arange(1, size + 1, dtype=np.int64)
    return Providers(
        provider_id=provider_id,
        care_site_id=(provider_id - 1) // PROVIDERS_PER_CARE_SITE + 1,
        is_male=is_male,
        given_name_index=given,
        family_name_index=family,
        year_of_birth=year_of_birth,
    )
