"""Great Expectations' data docs page views, with their compiled page templates kept for the process.

GX builds a new Jinja environment for every page view of every data docs site, so each suite's
pages compiled the same hundred-odd templates again (about 2 s a suite, most of the checks stage:
issue 18). These views are GX's own with one Jinja environment per view class, shared by all the
views of that class in the process, and one in-memory bytecode cache: a template is read and
compiled once per process (`_shared_environment`). The site
configuration in quality/expectations.py names them; GX imports this module only when it builds
data docs.

The site builder is GX's too, except that a site gets GX's own static files only when it lacks them,
as hard links to one copy per data docs folder (see SiteBuilder).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import great_expectations.render.view
from great_expectations import __version__ as GX_VERSION
from great_expectations.render.renderer.site_builder import SiteBuilder as GXSiteBuilder
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import BytecodeCache, Environment
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


_ENVIRONMENTS: dict[tuple[type, Any, Any], Environment] = {}
_ENVIRONMENTS_LOCK = threading.Lock()


def _shared_environment(view: Any) -> None:
    """Give `view` the Jinja environment of the first view of its class and custom folders.

    GX makes a Jinja environment for each view it makes (three page views and an index view per
    suite), so each one read and checksummed the same templates from GX's package again before
    loading their compiled code: about 1,000 template loads for a run's 17 suites (issue 18). One
    environment per view class and custom folders keeps its loaded templates for the process. Its
    filters are the first view's methods, which use nothing of their view but its class and
    custom folders, the environment's key. GX's templates are package files that do not change
    while a process runs, so the environment does not check them for changes (`auto_reload`)."""
    key = (type(view), view.custom_styles_directory, view.custom_views_directory)
    with _ENVIRONMENTS_LOCK:
        shared = _ENVIRONMENTS.get(key)
        if shared is None:
            view.env.bytecode_cache = TEMPLATES
            view.env.auto_reload = False
            shared = _ENVIRONMENTS[key] = view.env
    view.env = shared


class PageView(DefaultJinjaPageView):
    """GX's page view (suite and validation pages), templates loaded once per process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _shared_environment(self)


class IndexPageView(DefaultJinjaIndexPageView):
    """GX's site index view, templates loaded once per process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _shared_environment(self)


STATIC_STAMP = ".gx-version"  # in a site's static/: the GX version whose static files it holds
SHARED_STATIC = "_gx_static"  # <data docs>/_gx_static/<GX version>/static/: one copy for every site


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or the file exists: copy over it
        shutil.copy2(source, target)


def _shared_static(docs_dir: Path) -> Path | None:
    """One copy of GX's static files for every site in docs_dir, made on first use (None when GX's
    package folder has none, e.g. GX installed as a zip: GX's own copy then runs)."""
    source = Path(great_expectations.render.view.__file__).parent / "static"
    if not source.is_dir():
        return None
    version = docs_dir / SHARED_STATIC / GX_VERSION
    shared, complete = version / "static", version / ".complete"
    if not complete.is_file():
        shutil.rmtree(shared, ignore_errors=True)
        shutil.copytree(source, shared, ignore=shutil.ignore_patterns(".DS_Store"))
        complete.write_text(GX_VERSION, encoding="utf-8")
    return shared


class SiteBuilder(GXSiteBuilder):
    """GX's site builder, except for GX's static files (20 fonts, images and style sheets, 4 MB).
    GX copies them into the site's static/ on every build: 68 MB written for a run's 17 suites,
    about a sixth of the checks' time (issue 18). Here a site that has this GX version's files
    keeps them, and a site that lacks them gets hard links to one copy per data docs folder
    (<data docs>/_gx_static/<version>/static/; a copy where links fail). quality.expectations
    empties a suite's site before each run except its static/, so every page is still this run's;
    quality.web_assets rewrites a file by replacing it, so a linked file's rewrite stays in its site."""

    def build(self, resource_identifiers: Any = None, build_index: bool = True) -> Any:
        for section_builder in self.site_section_builders.values():
            section_builder.build(resource_identifiers=resource_identifiers)
        static = Path(self.store_backend["base_directory"]) / "static"
        stamp = static / STATIC_STAMP
        if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == GX_VERSION):
            shared = _shared_static(static.parent.parent)
            if shared is None:
                self.target_store.copy_static_assets()
            else:
                shutil.copytree(shared, static, copy_function=_link_or_copy, dirs_exist_ok=True)
            stamp.write_text(GX_VERSION, encoding="utf-8")
        _, index_links = self.site_index_builder.build(build_index=build_index)
        return self.get_resource_url(only_if_exists=False), index_links
