"""US states with their 2020 census populations, a principal city and a ZIP range.

Population weights come from the 2020 US Census apportionment counts (thousands); ZIP ranges from
Faker's `en_US` address provider. Patients are spread over states in proportion to population.
"""

from __future__ import annotations

from dataclasses import dataclass

from faker.providers.address.en_US import Provider as _UsAddress


@dataclass(frozen=True)
class State:
    """One US state (or DC) as the generators place people in it."""

    abbreviation: str
    name: str
    population_thousands: int
    city: str
    zip_low: int
    zip_high: int


# abbreviation, name, 2020 population in thousands, a principal city
_STATES: tuple[tuple[str, str, int, str], ...] = (
    ("AL", "Alabama", 5024, "Birmingham"),
    ("AK", "Alaska", 733, "Anchorage"),
    ("AZ", "Arizona", 7152, "Phoenix"),
    ("AR", "Arkansas", 3012, "Little Rock"),
    ("CA", "California", 39538, "Los Angeles"),
    ("CO", "Colorado", 5774, "Denver"),
    ("CT", "Connecticut", 3606, "Bridgeport"),
    ("DE", "Delaware", 990, "Wilmington"),
    ("DC", "District of Columbia", 690, "Washington"),
    ("FL", "Florida", 21538, "Jacksonville"),
    ("GA", "Georgia", 10712, "Atlanta"),
    ("HI", "Hawaii", 1455, "Honolulu"),
    ("ID", "Idaho", 1839, "Boise"),
    ("IL", "Illinois", 12813, "Chicago"),
    ("IN", "Indiana", 6786, "Indianapolis"),
    ("IA", "Iowa", 3190, "Des Moines"),
    ("KS", "Kansas", 2938, "Wichita"),
    ("KY", "Kentucky", 4506, "Louisville"),
    ("LA", "Louisiana", 4658, "New Orleans"),
    ("ME", "Maine", 1362, "Portland"),
    ("MD", "Maryland", 6177, "Baltimore"),
    ("MA", "Massachusetts", 7030, "Boston"),
    ("MI", "Michigan", 10077, "Detroit"),
    ("MN", "Minnesota", 5706, "Minneapolis"),
    ("MS", "Mississippi", 2961, "Jackson"),
    ("MO", "Missouri", 6155, "Kansas City"),
    ("MT", "Montana", 1084, "Billings"),
    ("NE", "Nebraska", 1962, "Omaha"),
    ("NV", "Nevada", 3105, "Las Vegas"),
    ("NH", "New Hampshire", 1378, "Manchester"),
    ("NJ", "New Jersey", 9289, "Newark"),
    ("NM", "New Mexico", 2118, "Albuquerque"),
    ("NY", "New York", 20201, "New York"),
    ("NC", "North Carolina", 10439, "Charlotte"),
    ("ND", "North Dakota", 779, "Fargo"),
    ("OH", "Ohio", 11799, "Columbus"),
    ("OK", "Oklahoma", 3959, "Oklahoma City"),
    ("OR", "Oregon", 4237, "Portland"),
    ("PA", "Pennsylvania", 13003, "Philadelphia"),
    ("RI", "Rhode Island", 1097, "Providence"),
    ("SC", "South Carolina", 5118, "Charleston"),
    ("SD", "South Dakota", 887, "Sioux Falls"),
    ("TN", "Tennessee", 6911, "Nashville"),
    ("TX", "Texas", 29146, "Houston"),
    ("UT", "Utah", 3272, "Salt Lake City"),
    ("VT", "Vermont", 643, "Burlington"),
    ("VA", "Virginia", 8631, "Virginia Beach"),
    ("WA", "Washington", 7705, "Seattle"),
    ("WV", "West Virginia", 1794, "Charleston"),
    ("WI", "Wisconsin", 5894, "Milwaukee"),
    ("WY", "Wyoming", 577, "Cheyenne"),
)

# Faker has no ZIP range for DC; 20001-20099 are its delivery ZIPs.
_EXTRA_ZIP_RANGES = {"DC": (20001, 20099)}


def us_states() -> tuple[State, ...]:
    """All 50 states and DC, in a fixed order (the order is part of the seeded output)."""
    zip_ranges = {**_UsAddress.states_postcode, **_EXTRA_ZIP_RANGES}
    return tuple(
        State(abbreviation, name, population, city, *zip_ranges[abbreviation])
        for abbreviation, name, population, city in _STATES
    )
