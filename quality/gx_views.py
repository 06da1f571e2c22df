"""Great Expectations' data docs page views, with their compiled page templates kept for the process.

GX builds a new Jinja environment for every page view of every data docs site, so each suite's
pages compiled the same hundred-odd templates again (about 2 s a suite, most of the checks stage:
issue 18). These views are GX's own with one in-memory bytecode cache shared by all of them: a
template is compiled once per process and re-checked against its source's checksum. The site
configuration in quality/expectations.py names them; GX imports this module only when it builds
data docs.
"""

from __future__ import annotations

import threading
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class CompiledTemplates(BytecodeCache):
    """Jinja bytecode kept in memory, by template and source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            found = self._code.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            self._code[bucket.key] = (bucket.checksum, bucket.code)

    def clear(self) -> None:
        with self._lock:
            self._code.clear()


TEMPLATES = CompiledTemplates()


class PageView(DefaultJinjaPageView):
    """GX's page view (suite and validation pages), templates compiled once per process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class IndexPageView(DefaultJinjaIndexPageView):
    """GX's site index view, templates compiled once per process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES
