"""YAML as the project reads it: PyYAML's safe loader, in its C form (libyaml) when installed.

The definitions read some 90 YAML files (landing contracts, the source registry) each time they
load, in every process that runs or serves the pipeline: 0.3 s with the pure-Python loader,
0.03 s with libyaml's, for the same documents (issue 18). Both load the same safe subset of YAML
into the same Python objects; the C loader falls back to the Python one where PyYAML was built
without libyaml.
"""

from __future__ import annotations

from typing import Any

import yaml

SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The document in `text`, as yaml.safe_load reads it."""
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader, C or Python
