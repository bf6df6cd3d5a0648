"""A PEP 517 build backend for HPy projects: setuptools' own, plus what HPy needs.

    [build-system]
    requires = ["hpy>=0.10.0.dev0"]
    build-backend = "hpy.devel.build_meta"

Compared with ``setuptools.build_meta``:

* a build environment without this hpy (a missing requirement, or upstream's 0.9) fails at once
  because the backend cannot be imported, instead of setuptools ignoring ``hpy_ext_modules`` and
  [tool.hpy] and building a package without its extensions;
* the config settings ``hpy-abi=<abi>`` and ``hpy-use-static-libs=true|false`` (``pip install
  -C hpy-abi=universal .``, ``python -m build -C hpy-abi=universal``) override [tool.hpy] and
  the environment variable HPY_ABI (hpy/devel/pyproject.py). Other settings go to setuptools.
"""
import contextlib
import functools
import inspect

from setuptools import build_meta as _setuptools

from . import pyproject as _pyproject

HPY_SETTINGS = ('hpy-abi', 'hpy-use-static-libs')

__all__ = ['get_requires_for_build_wheel', 'get_requires_for_build_sdist',
           'get_requires_for_build_editable', 'prepare_metadata_for_build_wheel',
           'prepare_metadata_for_build_editable', 'build_wheel', 'build_sdist',
           'build_editable']


class ConfigSettingError(ValueError):
    pass


@contextlib.contextmanager
def _hpy_settings(config_settings):
    """The config settings without HPy's, which are in effect until the hook returns."""
    others = {}
    ours = {}
    for key, value in (config_settings or {}).items():
        if key in HPY_SETTINGS:
            if isinstance(value, list):     # given more than once: the last one wins
                value = value[-1]
            ours[key] = value
        elif key.startswith('hpy-') or key.startswith('hpy_'):
            raise ConfigSettingError('unknown config setting %r; the settings of hpy are: %s'
                                     % (key, ', '.join(HPY_SETTINGS)))
        else:
            others[key] = value
    if 'hpy-abi' in ours:
        _pyproject.check_abi(ours['hpy-abi'], 'config setting hpy-abi')
    if 'hpy-use-static-libs' in ours:
        _pyproject.parse_bool(ours['hpy-use-static-libs'], 'config setting hpy-use-static-libs')
    saved = dict(_pyproject.backend_settings)
    _pyproject.backend_settings.update(ours)
    try:
        yield others or None
    finally:
        _pyproject.backend_settings.clear()
        _pyproject.backend_settings.update(saved)


def _wrap(name):
    hook = getattr(_setuptools, name)
    signature = inspect.signature(hook)

    @functools.wraps(hook)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        with _hpy_settings(bound.arguments.get('config_settings')) as others:
            bound.arguments['config_settings'] = others
            return hook(*bound.args, **bound.kwargs)
    return wrapper


get_requires_for_build_wheel = _wrap('get_requires_for_build_wheel')
get_requires_for_build_sdist = _wrap('get_requires_for_build_sdist')
get_requires_for_build_editable = _wrap('get_requires_for_build_editable')
prepare_metadata_for_build_wheel = _wrap('prepare_metadata_for_build_wheel')
prepare_metadata_for_build_editable = _wrap('prepare_metadata_for_build_editable')
build_wheel = _wrap('build_wheel')
build_sdist = _wrap('build_sdist')
build_editable = _wrap('build_editable')
