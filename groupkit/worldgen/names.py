"""The names a generated world gives its groups and users: ordinary ones from small word lists, and the edge
cases a UI must survive (CJK, right-to-left scripts, emoji, combining marks, 200-character names, markup)."""

from __future__ import annotations

import random
from collections.abc import Callable

LONG_NAME = 200  # characters (code points) of the longest names: the contract sets no maxLength

# fmt: off
COMPANIES = [
    "ACME Logistics", "Nordic Cold Chain", "Helvetia Frischdienst", "Iberia Frío", "Baltic Reefers",
    "Atlas Agro", "Polar Express Freight", "Danube Fresh", "Kanto Cold Storage", "Andes Cargo",
]
CITIES = [
    "Lyon", "Rotterdam", "Oslo", "Hamburg", "Milan", "Gdańsk", "Porto", "Göteborg", "Zaragoza", "Antwerp",
    "Le Havre", "Bremen", "Turku", "Valencia", "Lille", "Brno", "Cluj", "Aarhus", "Graz", "Tallinn",
]
SITES = [
    "Warehouse", "Port Terminal", "Reefer Fleet", "Depot", "Cross-Dock", "Cold Room Block", "Freezer Hall",
    "Distribution Centre", "Pharma Store", "Loading Docks", "Region", "Fleet",
]
FIRST_NAMES = [
    "Alice", "Bruno", "Chloé", "Dan", "Eva", "Giulia", "Hiro", "Ines", "Jonas", "Karin", "Lena", "Marek",
    "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Sven", "Tomasz", "Ulla", "Victor", "Wen", "Yusuf", "Zoë",
]
LAST_NAMES = [
    "Martin", "Keller", "Dubois", "Okafor", "Lindqvist", "Rossi", "Tanaka", "García", "Novak", "Jensen",
    "Schmidt", "Kowalski", "Haddad", "Moreau", "Silva", "Nieminen", "Popescu", "Horvat", "Ivanova", "Yilmaz",
]
# A person's name in another script, or with letters a UI's font or sort may trip on: (first, last).
EDGE_PEOPLE = [
    ("太郎", "山田"),                              # CJK (Japanese)
    ("محمد", "الحسن"),                             # Arabic, right to left
    ("נועה", "כהן"),                               # Hebrew, right to left
    ("Zoe\u0308", "Nu\u0301n\u0303ez"),            # combining marks (NFD: e + U+0308 ...)
    ("Ólafur", "Þórsson"),
    ("Łukasz", "Wróbel-Żółkiewski"),
    ("Владимир", "Кузнецов"),                      # Cyrillic
    ("Priya 🌸", "Raghunathan"),                   # an emoji in a name
    ("Maximilian-Alexander", "von Hohenzollern-Sigmaringen-Wittelsbach"),
]
# fmt: on


def _long(seed_text: str, number: int) -> str:
    """A name of exactly LONG_NAME characters: `seed_text` repeated, numbered at the end."""
    tail = f" #{number}"
    body = (seed_text + " ") * (LONG_NAME // len(seed_text) + 1)
    return body[: LONG_NAME - len(tail)].rstrip().ljust(LONG_NAME - len(tail), ".") + tail


# Each edge case of a group's or a device's name, as a function of a number that keeps the names apart.
EDGE_NAMES: dict[str, Callable[[int], str]] = {
    "cjk": lambda n: f"東京冷蔵倉庫 第{n}棟",
    "arabic": lambda n: f"مستودع التبريد في الرياض {n}",  # right to left, with left-to-right digits
    "hebrew": lambda n: f"מחסן קירור חיפה {n}",
    "emoji": lambda n: f"🚚 Reefer fleet {n} ❄️",  # ❄️ carries a variation selector (U+FE0F)
    "emoji-zwj": lambda n: f"👩‍🔧 Field technicians {n} 🏳️‍🌈",  # zero-width-joiner sequences
    "combining": lambda n: f"Zu\u0308rich De\u0301po\u0302t {n}",  # decomposed (NFD) accents
    "long": lambda n: _long("Distribution centre for chilled and frozen goods, north-east loading area", n),
    "long-cjk": lambda n: _long("広域低温物流センター北東積込場", n),
    "markup": lambda n: f"<b>Depot</b> & \"Dock\" 'A' {n} <script>alert(1)</script>",
    "thai": lambda n: f"คลังสินค้าห้องเย็น กรุงเทพ {n}",
    "devanagari": lambda n: f"शीत भंडारण मुंबई {n}",
    "cyrillic": lambda n: f"Склад-холодильник Москва {n}",
}


def company(number: int) -> str:
    """The name of the `number`th top-level group (a tenant): the companies in turn, then numbered."""
    base = COMPANIES[number % len(COMPANIES)]
    return base if number < len(COMPANIES) else f"{base} {number // len(COMPANIES) + 1}"


def site(rng: random.Random, number: int) -> str:
    """A sub-group's ordinary name."""
    return f"{rng.choice(CITIES)} {rng.choice(SITES)} {number}"


def edge(rng: random.Random, number: int, edge_ratio: float) -> str | None:
    """The `number`th name of a list (sub-groups, devices) if it is to be an edge case, else None. The first
    names take each edge case once, in order, so even a small world shows them all; after that,
    `edge_ratio` of them are one (0: none at all)."""
    kinds = list(EDGE_NAMES)
    if edge_ratio > 0 and (number < len(kinds) or rng.random() < edge_ratio):
        kind = kinds[number] if number < len(kinds) else rng.choice(kinds)
        return EDGE_NAMES[kind](number)
    return None


def person(rng: random.Random, number: int, edge_ratio: float) -> tuple[str, str]:
    """A user's first and last name; the first users take each edge case once, then `edge_ratio` of them."""
    if edge_ratio > 0 and (number < len(EDGE_PEOPLE) or rng.random() < edge_ratio):
        return EDGE_PEOPLE[number] if number < len(EDGE_PEOPLE) else rng.choice(EDGE_PEOPLE)
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
