"""The domain: levels, tiers, stages, requirements, vendors, snapshots.

Level order, scores and the words spreadsheets use for them are defined here once.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, fields


def _fold_accents(text: str) -> str:
    """Latin accents folded away (``é`` -> ``e``); other scripts' marks kept, since in
    kana or Devanagari a mark makes another letter, not a variant of the same one."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and kept and kept[-1] < "\u0250":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


_ASCII_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_word(text: str) -> str:
    """Case, Latin accents, spaces and punctuation folded away: how we compare user words.

    Letters and digits of every script are kept, so ``功能需求`` and ``性能需求`` stay two
    words (``é`` is ``e``; ``Data-Labeling`` is ``datalabeling``).
    """
    text = str(text)
    if text.isascii():  # nearly every word: the quick way gives the same answer
        return _ASCII_NOT_WORD.sub("", text.lower())
    return "".join(c for c in _fold_accents(text).casefold() if c.isalnum())


def slug(text: str) -> str:
    """A key from a name: ``Amazon SageMaker`` -> ``amazon-sagemaker``, ``Сбор данных`` ->
    ``сбор-данных``; letters of any script are kept, every other run becomes ``-``."""
    text = str(text)
    if text.isascii():
        return "-".join(_ASCII_NOT_WORD.sub(" ", text.lower()).split())
    folded = _fold_accents(text).casefold()
    return "-".join("".join(c if c.isalnum() else " " for c in folded).split())


class Level(enum.Enum):
    """A vendor's support for one requirement, strongest first."""

    GA = "ga"
    PREVIEW = "preview"
    PARTIAL = "partial"
    PARTNER = "partner"
    PLANNED = "planned"
    NONE = "none"
    UNKNOWN = "unknown"

    @property
    def strength(self) -> int:
        """Higher is stronger; ``unknown`` is weakest so any assessment beats it."""
        return len(LEVEL_ORDER) - LEVEL_ORDER.index(self)

    @classmethod
    def find(cls, word: object) -> Level | None:
        """The level a spreadsheet word means, or None when it means none."""
        if word is None:
            return cls.UNKNOWN
        key = level_key(str(word))
        found = _LEVEL_WORDS.get(key)
        return found if found is not None else _LEVEL_FOLDED.get(normalise_word(key))

    @classmethod
    def parse(cls, word: object) -> Level:
        """The level a spreadsheet word means; ValueError listing the accepted words."""
        found = cls.find(word)
        if found is None:
            raise ValueError(
                f"unknown level {str(word).strip()!r} (expected one of: {accepted_level_words()})"
            )
        return found


LEVEL_ORDER = list(Level)

LEVEL_SYNONYMS: dict[Level, tuple[str, ...]] = {
    Level.GA: (
        "yes",
        "y",
        "available",
        "generally available",
        "✓",
        "✔",
        "x",
        "✅",
        "☑",
        "true",
        "1",
    ),
    Level.PREVIEW: ("beta", "pre-ga", "public preview", "private preview"),
    Level.PARTIAL: ("limited", "some"),
    Level.PARTNER: ("third-party", "via partner", "oss", "open source"),
    Level.PLANNED: ("announced", "roadmap", "coming soon", "in progress", "⏳", "⌛", "🚧"),
    Level.NONE: ("no", "n", "✗", "✘", "-", "—", "❌", "✖", "✕", "false", "0"),
    Level.UNKNOWN: ("", "?", "tbd", "n/a"),
}

# Marks that change how a word looks, not what it says: emoji and text variation
# selectors (``✔️`` is ``✔`` + U+FE0F), footnote marks, and the spaces around them.
_LEVEL_NOISE = re.compile("[\ufe0e\ufe0f\u200d]")
_FOOTNOTES = re.compile("[\\s*†‡§¹²³⁰⁴-⁹]+$")


def level_key(text: str) -> str:
    """A level word as compared: ``✔️`` -> ``✔``, ``Yes¹`` -> ``yes``, ``✓*`` -> ``✓``."""
    text = _LEVEL_NOISE.sub("", text).strip()
    stripped = _FOOTNOTES.sub("", text)
    return (stripped or text).strip().casefold()


_LEVEL_WORDS = {w: lvl for lvl, words in LEVEL_SYNONYMS.items() for w in (lvl.value, *words)}
_LEVEL_FOLDED = {normalise_word(w): lvl for w, lvl in _LEVEL_WORDS.items() if normalise_word(w)}

DEFAULT_SCORES: dict[Level, float] = {
    Level.GA: 1.0,
    Level.PREVIEW: 0.5,
    Level.PARTIAL: 0.5,
    Level.PARTNER: 0.5,
    Level.PLANNED: 0.0,
    Level.NONE: 0.0,
    Level.UNKNOWN: 0.0,
}


def accepted_level_words() -> str:
    return ", ".join(
        f"{lvl.value} ({'/'.join(w for w in words if w) or 'empty'})"
        for lvl, words in LEVEL_SYNONYMS.items()
    )


class Tier(enum.Enum):
    TABLE_STAKES = "table-stakes"
    BEST_IN_CLASS = "best-in-class"

    @classmethod
    def parse(cls, word: object) -> Tier:
        folded = normalise_word(str(word))
        for tier, words in _TIER_SYNONYMS.items():
            if folded in words:
                return tier
        valid = ", ".join(t.value for t in cls)
        what = f"unknown tier {str(word).strip()!r}" if str(word).strip() else "no tier"
        raise ValueError(f"{what} (expected one of: {valid})")


_TIER_SYNONYMS = {
    Tier.TABLE_STAKES: {
        "tablestakes",
        "tablestake",
        "ts",
        "basic",
        "base",
        "core",
        "essential",
        "musthave",
        "baseline",
        "standard",
    },
    Tier.BEST_IN_CLASS: {
        "bestinclass",
        "bic",
        "best",
        "advanced",
        "differentiator",
        "differentiating",
        "bold",
        "premium",
    },
}

BIG_EIGHT = (
    "Data collection",
    "Data processing",
    "Feature engineering",
    "Data labeling",
    "Model design",
    "Model training",
    "Model optimization",
    "Model deployment & monitoring",
)
# Where a requirement with no stage is listed, compared and reviewed: after every stage.
UNASSIGNED = "Unassigned"

# Words teams use for the Big Eight (keyed case-blind, so stores made before the stages
# were titled match too); a custom stage list matches by its own names only.
STAGE_SYNONYMS = {
    "data collection": ("collection", "data ingestion", "ingestion", "data acquisition"),
    "data processing": ("processing", "data prep", "data preparation", "etl", "data engineering"),
    "feature engineering": ("features", "feature store", "feature eng"),
    "data labeling": ("labeling", "labelling", "data labelling", "annotation", "data annotation"),
    "model design": ("design", "modeling", "modelling", "model development", "experimentation"),
    "model training": ("training", "train"),
    "model optimization": ("optimization", "optimisation", "model optimisation", "tuning"),
    "model deployment & monitoring": (
        "deployment",
        "deploy",
        "monitoring",
        "serving",
        "model deployment",
        "model monitoring",
        "deployment & monitoring",
        "deployment and monitoring",
        "model deployment and monitoring",
        "inference",
    ),
}

PRIORITIES = ("high", "medium", "low")
# How much a requirement weighs in weighted coverage: its priority's weight times its
# tier's (a requirement with no priority weighs as medium). Roadmap settings override.
DEFAULT_WEIGHTS: dict[str, float] = {"high": 3.0, "medium": 2.0, "low": 1.0, "best-in-class": 1.0}
_PRIORITY_SYNONYMS = {
    "high": ("p0", "p1", "must", "musthave", "critical", "h", "1"),
    "medium": ("p2", "should", "shouldhave", "med", "m", "normal", "2"),
    "low": ("p3", "p4", "could", "couldhave", "nicetohave", "l", "3"),
}


def parse_priority(word: object) -> str | None:
    """``high``/``medium``/``low`` from the words teams use; None when empty."""
    if word is None or str(word).strip() == "":
        return None
    folded = normalise_word(str(word))
    for key, words in _PRIORITY_SYNONYMS.items():
        if folded == key or folded in words:
            return key
    raise ValueError(
        f"unknown priority {str(word).strip()!r} (expected one of: {', '.join(PRIORITIES)})"
    )


class Stages:
    """A roadmap's stages, matched case-insensitively, by synonyms and by former names."""

    def __init__(
        self, names: list[str] | tuple[str, ...], former: dict[str, str] | None = None
    ) -> None:
        self.names = list(names)
        self._lookup: dict[str, str] = {}
        for name in self.names:
            self._lookup[normalise_word(name)] = name
        for old, new in (former or {}).items():  # a renamed stage still answers to its name
            if new in self.names:
                self._lookup.setdefault(normalise_word(old), new)
        for name in self.names:
            for word in STAGE_SYNONYMS.get(name.casefold(), ()):
                self._lookup.setdefault(normalise_word(word), name)

    def find(self, word: object) -> str | None:
        """The stage a word names, or None."""
        return self._lookup.get(normalise_word(str(word))) if word is not None else None

    def parse(self, word: object) -> str | None:
        """The stage a cell names; None for a blank cell (or one saying Unassigned, as
        our own sheets do); ValueError for an unknown one."""
        if word is None or normalise_word(str(word)) in ("", _UNASSIGNED_FOLDED):
            return None
        name = self.find(word)
        if name is None:
            raise ValueError(
                f"unknown stage {str(word).strip()!r} (expected one of: {'; '.join(self.names)})"
            )
        return name

    def index(self, name: str | None) -> int:
        """Position in the roadmap; no stage (and a stage since dropped) sorts last."""
        return self.names.index(name) if name in self.names else len(self.names)

    def in_order(self, requirements: Iterable[Requirement]) -> list[Requirement]:
        """Requirements as every listing and sheet shows them: by stage, then id."""
        return sorted(requirements, key=lambda r: (self.index(r.stage), r.id))

    def labels(self, requirements: Iterable[Requirement] = ()) -> list[str]:
        """The stage columns of a comparison: every stage, then Unassigned when some
        requirement has no stage."""
        extra = [UNASSIGNED] if any(r.stage is None for r in requirements) else []
        return self.names + extra


_UNASSIGNED_FOLDED = normalise_word(UNASSIGNED)


def stage_label(stage: str | None) -> str:
    """A stage as a person reads it; no stage is Unassigned."""
    return UNASSIGNED if stage is None else stage


ACTIVE = "open"
RETIRED = "retired"


# Slots (40 bytes less each): a review of 100,000 requirements holds as many of these
# and 1.2 million entries.
@dataclass(frozen=True, slots=True)
class Requirement:
    """One required feature, as the roadmap states it."""

    id: str
    title: str
    stage: str | None  # None: no stage given, shown as Unassigned
    tier: Tier
    priority: str | None = None
    target: str | None = None  # YYYY-MM
    status: str = ACTIVE
    owner: str | None = None
    requested_by: str | None = None
    description: str | None = None
    notes: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The keys of ``roadmap requirements --format json``, tier as its key."""
        row = {name: getattr(self, name) for name in REQUIREMENT_FIELDS}
        row["tier"] = self.tier.value
        return row


REQUIREMENT_FIELDS = tuple(f.name for f in fields(Requirement))
# The columns templates and exports write, one per field (``ID``, ``Requested by``).
REQUIREMENT_HEADINGS = tuple(
    "ID" if name == "id" else name.replace("_", " ").capitalize() for name in REQUIREMENT_FIELDS
)
VENDOR_KINDS = ("end-to-end", "best-of-breed", "open-source", "in-house")
_KIND_SYNONYMS = {
    "end-to-end": ("endtoend", "e2e", "platform", "cloud"),
    "best-of-breed": ("bestofbreed", "pointsolution", "specialist"),
    "open-source": ("opensource", "oss"),
    "in-house": ("inhouse", "internal", "homegrown", "ourown"),
}


def parse_kind(word: object) -> str:
    """A vendor kind from the words teams use; ValueError listing the kinds."""
    folded = normalise_word(str(word))
    for kind, words in _KIND_SYNONYMS.items():
        if folded in words:
            return kind
    raise ValueError(
        f"unknown vendor kind {str(word).strip()!r} (expected one of: {', '.join(VENDOR_KINDS)})"
    )


@dataclass(frozen=True, slots=True)
class Vendor:
    key: str
    name: str
    kind: str = "end-to-end"


@dataclass(frozen=True, slots=True)
class Entry:
    """What one snapshot says of one requirement."""

    requirement: str
    level: Level
    product: str | None = None
    evidence: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A vendor's offer at one date; never changed once stored."""

    vendor: str
    as_of: str  # YYYY-MM-DD
    source: str | None
    entries: dict[str, Entry] = field(default_factory=dict)

    def level(self, requirement_id: str) -> Level:
        entry = self.entries.get(requirement_id)
        return entry.level if entry else Level.UNKNOWN
