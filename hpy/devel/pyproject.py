"""``[tool.hpy]`` in a project's pyproject.toml, and what may override it.

    [tool.hpy]
    abi = "universal"            # cpython | universal | hybrid
    use-static-libs = true       # link hpy/devel/lib/<abi>/ instead of compiling the helpers

    [[tool.hpy.ext-modules]]     # the HPy extensions of a project without setup.py
    name = "pkg._native"
    sources = ["src/pkg/_native.c"]

Where several places choose the ABI, the first one set wins: the ``--hpy-abi`` option of
setup.py (also ``--config-settings=--global-option=--hpy-abi=...``), the config setting
``hpy-abi`` of the ``hpy.devel.build_meta`` backend, the environment variable ``HPY_ABI``,
``[tool.hpy] abi``, then ``DEFAULT_HPY_ABI``. ``use-static-libs`` follows the same order without
an environment variable. Every value is checked: a bad one is an error naming where it came from.
"""
import os

from distutils.errors import DistutilsSetupError

VALID_ABIS = ('cpython', 'hybrid', 'universal')
ENV_ABI = 'HPY_ABI'

# [[tool.hpy.ext-modules]] keys: those of setuptools.Extension, spelled with dashes
_EXT_LIST_KEYS = ('sources', 'include-dirs', 'undef-macros', 'library-dirs', 'libraries',
                  'runtime-library-dirs', 'extra-objects', 'extra-compile-args',
                  'extra-link-args', 'export-symbols', 'depends')
_EXT_KEYS = ('name',) + _EXT_LIST_KEYS + ('define-macros', 'language', 'optional')
_TOOL_KEYS = ('abi', 'use-static-libs', 'ext-modules')

# Set by hpy.devel.build_meta for the duration of one backend hook: its config settings.
backend_settings = {}


class HPyConfig:
    """The validated ``[tool.hpy]`` table of one project (every key may be missing)."""

    def __init__(self, path, abi=None, use_static_libs=None, ext_modules=None):
        self.path = path
        self.abi = abi
        self.use_static_libs = use_static_libs
        self.ext_modules = ext_modules


def _load_toml(path):
    try:
        import tomllib
    except ImportError:             # Python < 3.11: the parser setuptools carries
        from setuptools.config.pyprojecttoml import load_file
        return load_file(path)
    with open(path, 'rb') as f:
        return tomllib.load(f)


def load_pyproject(project_dir):
    """The parsed pyproject.toml of project_dir, or None when there is none or it does not
    parse (setuptools reports a broken file itself)."""
    path = os.path.join(project_dir, 'pyproject.toml')
    if not os.path.isfile(path):
        return None
    try:
        return _load_toml(path)
    except Exception:
        return None


def _error(where, msg):
    return DistutilsSetupError('%s: %s' % (where, msg))


def check_abi(abi, where=None):
    """abi if it names an HPy ABI, else an error saying where the value came from."""
    if abi not in VALID_ABIS:
        msg = 'Unknown HPy ABI: %s. Valid values are: %s' % (abi, ', '.join(VALID_ABIS))
        raise _error(where, msg) if where else DistutilsSetupError(msg)
    return abi


def parse_bool(value, where):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on'):
        return True
    if text in ('0', 'false', 'no', 'off'):
        return False
    raise _error(where, 'expected true or false, got %r' % (value,))


def _string_list(value, where):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _error(where, 'expected a list of strings, got %r' % (value,))
    return list(value)


def _macros(value, where):
    # "NAME" defines NAME, "NAME=VALUE" defines it to VALUE
    result = []
    for item in _string_list(value, where):
        name, eq, val = item.partition('=')
        if not name:
            raise _error(where, 'expected "NAME" or "NAME=VALUE", got %r' % (item,))
        result.append((name, val if eq else None))
    return result


def _extension(table, where):
    from setuptools import Extension
    if not isinstance(table, dict):
        raise _error(where, 'expected a table, got %r' % (table,))
    unknown = sorted(set(table) - set(_EXT_KEYS))
    if unknown:
        raise _error(where, 'unknown key %r; valid keys are: %s'
                     % (unknown[0], ', '.join(_EXT_KEYS)))
    for key in ('name', 'sources'):
        if key not in table:
            raise _error(where, 'missing key %r' % key)
    name = table['name']
    if not isinstance(name, str) or not name:
        raise _error(where + '.name', 'expected a module name, got %r' % (name,))
    kwargs = {}
    for key, value in table.items():
        if key == 'name':
            continue
        sub = '%s.%s' % (where, key)
        if key in _EXT_LIST_KEYS:
            value = _string_list(value, sub)
        elif key == 'define-macros':
            value = _macros(value, sub)
        elif key == 'language':
            if not isinstance(value, str):
                raise _error(sub, 'expected a string, got %r' % (value,))
        elif key == 'optional' and not isinstance(value, bool):
            raise _error(sub, 'expected true or false, got %r' % (value,))
        kwargs[key.replace('-', '_')] = value
    if not kwargs['sources']:
        raise _error(where + '.sources', 'an extension needs at least one source file')
    return Extension(name, **kwargs)


def read_config(project_dir):
    """The HPyConfig of project_dir's ``[tool.hpy]``, or None when it has none."""
    data = load_pyproject(project_dir)
    tool = (data or {}).get('tool', {})
    if not isinstance(tool, dict) or 'hpy' not in tool:
        return None
    path = os.path.join(project_dir, 'pyproject.toml')
    table = tool['hpy']
    where = 'pyproject.toml [tool.hpy]'
    if not isinstance(table, dict):
        raise _error(where, 'expected a table')
    unknown = sorted(set(table) - set(_TOOL_KEYS))
    if unknown:
        raise _error(where, 'unknown key %r; valid keys are: %s'
                     % (unknown[0], ', '.join(_TOOL_KEYS)))
    config = HPyConfig(path)
    if 'abi' in table:
        config.abi = check_abi(table['abi'], where + ' abi')
    if 'use-static-libs' in table:
        value = table['use-static-libs']
        if not isinstance(value, bool):
            raise _error(where + ' use-static-libs', 'expected true or false, got %r' % (value,))
        config.use_static_libs = value
    if 'ext-modules' in table:
        mods = table['ext-modules']
        if not isinstance(mods, list) or not mods:
            raise _error(where + ' ext-modules',
                         'expected a non-empty array of tables ([[tool.hpy.ext-modules]])')
        config.ext_modules = [_extension(t, '%s ext-modules[%d]' % (where, i))
                              for i, t in enumerate(mods)]
        names = [e.name for e in config.ext_modules]
        dup = sorted(n for n in set(names) if names.count(n) > 1)
        if dup:
            raise _error(where + ' ext-modules', 'the module %r is defined twice' % dup[0])
    return config


def select_abi(explicit, config, default):
    """The ABI the build uses, by the precedence in this module's docstring."""
    if explicit:
        return check_abi(explicit)
    if backend_settings.get('hpy-abi') is not None:
        return check_abi(backend_settings['hpy-abi'], 'config setting hpy-abi')
    env = os.environ.get(ENV_ABI)
    if env:
        return check_abi(env, 'environment variable %s' % ENV_ABI)
    if config is not None and config.abi is not None:
        return config.abi
    return default


def select_use_static_libs(explicit, config):
    if explicit:
        return True
    if backend_settings.get('hpy-use-static-libs') is not None:
        return parse_bool(backend_settings['hpy-use-static-libs'],
                          'config setting hpy-use-static-libs')
    if config is not None and config.use_static_libs is not None:
        return config.use_static_libs
    return False
