"""What changed between two versions of a contract, and whether the change breaks consumers."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.model import Contract

# Widening is safe (integer -> number); any other change of logical type narrows or breaks.
_WIDENINGS = {("integer", "number")}


@dataclass(frozen=True)
class Change:
    """One change: what it is, and whether a consumer of the old version breaks on it."""

    text: str
    breaking: bool


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def diff(old: Contract, new: Contract) -> list[Change]:
    """The changes from `old` to `new`, tables and columns in the new contract's order."""
    changes: list[Change] = []
    old_tables = {t.name: t for t in old.tables}
    new_tables = {t.name: t for t in new.tables}
    for name in old_tables.keys() - new_tables.keys():
        changes.append(Change(f"table {name} removed", breaking=True))
    for name in new_tables.keys() - old_tables.keys():
        changes.append(Change(f"table {name} added", breaking=False))
    for name in sorted(old_tables.keys() & new_tables.keys()):
        before, after = old_tables[name], new_tables[name]
        old_cols = {c.name: c for c in before.columns}
        new_cols = {c.name: c for c in after.columns}
        for col in [c.name for c in before.columns if c.name not in new_cols]:
            changes.append(Change(f"{name}.{col}: column removed", breaking=True))
        for col in [c.name for c in after.columns if c.name not in old_cols]:
            changes.append(Change(f"{name}.{col}: column added", breaking=False))
        for col in [c.name for c in after.columns if c.name in old_cols]:
            was, now = old_cols[col], new_cols[col]
            if was.logical_type != now.logical_type:
                widened = (was.logical_type, now.logical_type) in _WIDENINGS
                verb = "widened" if widened else "narrowed"
                changes.append(
                    Change(
                        f"{name}.{col}: type {verb} {was.logical_type} -> {now.logical_type}",
                        breaking=not widened,
                    )
                )
            elif was.physical_type != now.physical_type:
                changes.append(
                    Change(
                        f"{name}.{col}: physical type {was.physical_type} -> {now.physical_type}",
                        breaking=True,
                    )
                )
            if was.classification != now.classification:
                # A column classified more strictly is masked for some readers: that breaks them.
                changes.append(
                    Change(
                        f"{name}.{col}: classification {was.classification} -> "
                        f"{now.classification}",
                        breaking=_rank(now.classification) > _rank(was.classification),
                    )
                )
        if before.primary_key != after.primary_key:
            changes.append(
                Change(
                    f"{name}: primary key ({', '.join(before.primary_key)}) -> "
                    f"({', '.join(after.primary_key)})",
                    breaking=True,
                )
            )
    return changes


def _rank(classification: str | None) -> int:
    order = ["public", "internal", "pii", "phi"]
    return order.index(classification) if classification in order else len(order)


def needs_major_bump(old: Contract, new: Contract, changes: list[Change]) -> bool:
    """Whether the changes break consumers and the major version stayed where it was."""
    return any(c.breaking for c in changes) and _major(new.version) <= _major(old.version)
