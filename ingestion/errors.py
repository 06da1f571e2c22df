"""One error type for every problem with source data, so that messages always say where."""

from __future__ import annotations


class AtlasDataError(Exception):
    """A problem with a source file or table: names the dataset, file, column and row it concerns.

    The message is built from the parts so that every error reads the same way and a user can go
    straight to the offending cell. `hint` says what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        dataset_id: str,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        value: object = None,
        hint: str | None = None,
        sample: list[dict] | None = None,
    ) -> None:
        self.dataset_id = dataset_id
        self.file = file
        self.column = column
        self.row = row
        self.value = value
        self.hint = hint
        self.sample = sample or []
        self.reason = message
        where = [f"dataset {dataset_id}"]
        if file:
            where.append(f"file {file}")
        if column:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        text = f"[{', '.join(where)}] {message}"
        if value is not None:
            text += f" (value: {str(value)[:80]!r})"
        if hint:
            text += f". {hint}"
        super().__init__(text)

    def as_metadata(self) -> dict[str, object]:
        """The error's parts as a flat dict, for Dagster metadata and the load log."""
        return {
            "dataset_id": self.dataset_id,
            "file": self.file or "",
            "column": self.column or "",
            "row": self.row if self.row is not None else -1,
            "reason": self.reason,
        }


class FetchError(AtlasDataError):
    """A source file could not be obtained or did not match the registry."""


class ContractViolation(AtlasDataError):
    """A frame broke its landing contract: nothing is written."""
