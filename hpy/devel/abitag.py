"""Helpers for the HPy ABI tag and the file-name suffix of HPy binaries.

A universal binary is called ``<name>.hpy<N>.<ext>`` and a hybrid one
``<name>.hpy<N>-<cpython tag>.<ext>``, where ``<ext>`` and the CPython tag
are derived from the running interpreter's ``EXT_SUFFIX``.  CPython-ABI
builds simply use ``EXT_SUFFIX``.
"""

import sysconfig

# Keep in sync with HPY_ABI_VERSION in hpy.h and the newest minor of api/ctx.tsv and
# api/slots.tsv (tested)
HPY_ABI_VERSION = 0
HPY_ABI_VERSION_MINOR = 2
HPY_ABI_TAG = 'hpy%d' % HPY_ABI_VERSION

# The first version of this project whose runtime serves each ABI minor: what a wheel of
# universal or hybrid binaries requires (hpy/devel/wheelinfo.py). The first release serves minors
# 0, 1 and 2 (upstream's 0.9 serves minor 0 too, but the requirement names this implementation);
# a new minor gets the version that introduces it (tested against api/ctx.tsv).
RUNTIME_VERSION_FOR_MINOR = {0: '0.10.0.dev0', 1: '0.10.0.dev0', 2: '0.10.0.dev0'}

_VALID_ABIS = ('cpython', 'universal', 'hybrid')

# how many dash-separated components of the SOABI make up the interpreter
# tag, keyed by the prefix of the first component; the first matching prefix
# wins, so 'cpython' must be tested before 'cp'
_SOABI_KEEP = (
    ('cpython', 2),   # cpython-311-x86_64-linux-gnu   -> cpython-311
    ('cp', 1),        # cp311-win_amd64                -> cp311
    ('pypy', 2),      # pypy38-pp73-x86_64-linux-gnu   -> pypy38-pp73
    ('graalpy', 3),   # graalpy-38-native-x86_64-darwin -> graalpy-38-native
)


def _default_ext_suffix():
    return sysconfig.get_config_var('EXT_SUFFIX')


def parse_ext_suffix(ext_suffix=None):
    """Split an EXT_SUFFIX into ``(abi_tag, ext)``.

    >>> parse_ext_suffix('.cpython-311-x86_64-linux-gnu.so')
    ('cp311', 'so')
    """
    if ext_suffix is None:
        ext_suffix = _default_ext_suffix()
    assert ext_suffix.startswith('.'), (
        'EXT_SUFFIX must start with a dot, got %r' % (ext_suffix,))
    body = ext_suffix[1:]
    if '.' in body:
        soabi, ext = body.rsplit('.', 1)
    else:
        soabi, ext = '', body
    parts = soabi.split('-')
    keep = len(parts)
    for prefix, n in _SOABI_KEEP:
        if parts[0].startswith(prefix):
            keep = n
            break
    abi_tag = '-'.join(parts[:keep]).replace('cpython-', 'cp')
    return abi_tag, ext


def get_hpy_ext_suffix(hpy_abi, ext_suffix=None):
    """Return the file-name suffix of a binary built for ``hpy_abi``."""
    assert hpy_abi in _VALID_ABIS, 'unknown HPy ABI: %r' % (hpy_abi,)
    if hpy_abi == 'cpython':
        # a CPython-ABI build is an ordinary extension of this interpreter
        return _default_ext_suffix()
    abi_tag, ext = parse_ext_suffix(ext_suffix)
    if hpy_abi == 'universal':
        return '.%s.%s' % (HPY_ABI_TAG, ext)
    return '.%s-%s.%s' % (HPY_ABI_TAG, abi_tag, ext)
