"""``python -m hpy.devel``: what a build system other than setuptools needs to build an HPy
extension (meson, CMake, a Makefile, a shell script).

One query per call, for the ABI given by ``--abi``. Output rules, so that every build system can
read the answers without parsing:

* a single value (a folder, a file, a suffix) is printed alone on one line;
* a list of files or of separate arguments (``--include-dirs``, ``--sources``, ``--defines``)
  is printed one item per line (meson: ``.strip().split('\\n')``, CMake: a ``;`` list after
  ``string(REPLACE "\\n" ";" ...)``, a shell: ``$(...)``);
* ``--cflags`` and ``--includes`` are one line of shell-quoted flags, as ``pkg-config`` and
  ``python -m pybind11 --includes`` print them, for shells and Makefiles;
* ``--stub`` prints (or writes with ``-o``) the Python stub loader that must be installed as
  ``<module>.py`` next to a universal or hybrid binary.

Errors (a cpython-ABI stub, a missing static library, a bad module name) exit with status 2 and
one line on stderr.
"""
import argparse
import os
import shlex
import sys
import sysconfig

from . import HPyDevel, _HPY_UNIVERSAL_MODULE_STUB_TEMPLATE, _VALID_HPY_ABIS, DEFAULT_HPY_ABI
from .abitag import get_hpy_ext_suffix

_CMAKE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cmake')


def include_dirs(devel, abi):
    """Folders to put on the include path, in order. A universal build first sees the poison
    Python.h, so an ``#include <Python.h>`` fails with a clear message; cpython and hybrid
    builds need the interpreter's headers."""
    dirs = [str(devel.include_dir)]
    if abi == 'universal':
        dirs.insert(0, str(devel.get_include_dir_forbid_python_h()))
    else:
        dirs.append(sysconfig.get_paths()['include'])
    return dirs


def defines(abi):
    return ['-DHPY', '-DHPY_ABI_' + abi.upper()]


def sources(devel, abi):
    """The helper sources compiled into every extension of this ABI (what a static library of
    ``--static-lib`` replaces)."""
    result = devel.get_extra_sources()
    if abi == 'cpython':
        result += devel.get_ctx_sources()
    return result


def static_lib(devel, abi):
    libs = devel.get_static_libs(abi)
    if not libs or len(libs) != 1:
        raise _UsageError('no static helper library for the %s ABI in %s (found: %s)'
                          % (abi, devel.base_dir / 'lib' / abi, libs or 'nothing'))
    return libs[0]


def module_basename(module):
    """The last component of a dotted module name, checked: it names the binary and the
    ``HPyInit_<name>`` symbol the loader looks for."""
    name = module.rpartition('.')[2]
    if not name.isidentifier() or not all(p.isidentifier() for p in module.split('.')):
        raise _UsageError('not a module name: %r' % (module,))
    return name


def stub_source(module, abi):
    """The stub loader of ``module`` (a dotted name) built for ``abi``: installed as
    ``<name>.py`` in the binary's folder, it loads ``<name><suffix>`` from that folder through
    ``hpy.universal`` (in the mode the ``HPY`` environment variable asks for) and replaces
    itself in ``sys.modules``."""
    if abi == 'cpython':
        raise _UsageError('a cpython-ABI module is an ordinary extension: it needs no stub')
    name = module_basename(module)
    return _HPY_UNIVERSAL_MODULE_STUB_TEMPLATE.format(
        ext_file=name + get_hpy_ext_suffix(abi), module_name=name)


class _UsageError(Exception):
    pass


def _version():
    try:
        from .version import __version__, __git_revision__
    except ImportError:
        return 'unknown (hpy.devel.version was not generated)'
    return '%s (%s)' % (__version__, __git_revision__)


def _parser():
    p = argparse.ArgumentParser(
        prog='python -m hpy.devel',
        description='Print what a build system needs to build an HPy extension for an ABI.',
        epilog='Example: cc -shared -fPIC $(python -m hpy.devel --abi universal --cflags) '
               'mod.c $(python -m hpy.devel --abi universal --sources) '
               '-o mod$(python -m hpy.devel --abi universal --ext-suffix) && '
               'python -m hpy.devel --abi universal --stub mod -o mod.py')
    p.add_argument('--abi', choices=_VALID_HPY_ABIS, default=DEFAULT_HPY_ABI,
                   help='the ABI to build for (default: %(default)s)')
    p.add_argument('-o', '--output', metavar='FILE',
                   help='with --stub: write the stub to FILE instead of printing it')
    q = p.add_mutually_exclusive_group(required=True)
    q.add_argument('--version', action='store_true', help='the version of this hpy')
    q.add_argument('--include-dir', action='store_true',
                   help="the folder of hpy.h (a build's include path needs --include-dirs)")
    q.add_argument('--include-dirs', action='store_true',
                   help='the include folders of the ABI, one per line, in order')
    q.add_argument('--includes', action='store_true',
                   help='the include folders as -I flags on one line')
    q.add_argument('--defines', action='store_true',
                   help='the -D flags selecting the ABI, one per line')
    q.add_argument('--cflags', action='store_true',
                   help='every compile flag (-D and -I) on one line')
    q.add_argument('--sources', action='store_true',
                   help='the helper sources to compile into the extension, one per line')
    q.add_argument('--static-lib', action='store_true',
                   help='the precompiled static library replacing --sources')
    q.add_argument('--ext-suffix', action='store_true',
                   help="the binary's file-name suffix (cpython: the interpreter's "
                        "EXT_SUFFIX; universal: .hpy0.so)")
    q.add_argument('--stub', metavar='MODULE',
                   help='the stub loader to install as MODULE.py next to a universal or '
                        'hybrid binary (MODULE may be dotted: pkg.mod)')
    q.add_argument('--needs-stub', action='store_true',
                   help='"yes" if a binary of the ABI is loaded through a stub, else "no"')
    q.add_argument('--cmake-dir', action='store_true',
                   help='the folder of hpyConfig.cmake (for find_package(hpy CONFIG))')
    return p


def _answer(args, devel):
    abi = args.abi
    if args.version:
        return _version()
    if args.include_dir:
        return str(devel.include_dir)
    if args.include_dirs:
        return '\n'.join(include_dirs(devel, abi))
    if args.includes:
        return ' '.join(shlex.quote('-I' + d) for d in include_dirs(devel, abi))
    if args.defines:
        return '\n'.join(defines(abi))
    if args.cflags:
        return ' '.join(shlex.quote(f) for f in
                        defines(abi) + ['-I' + d for d in include_dirs(devel, abi)])
    if args.sources:
        return '\n'.join(sources(devel, abi))
    if args.static_lib:
        return static_lib(devel, abi)
    if args.ext_suffix:
        return get_hpy_ext_suffix(abi)
    if args.needs_stub:
        return 'no' if abi == 'cpython' else 'yes'
    if args.cmake_dir:
        return _CMAKE_DIR
    assert args.stub is not None
    return stub_source(args.stub, abi)


def main(argv=None, devel=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.output is not None and args.stub is None:
        parser.error('-o/--output goes with --stub only')
    try:
        text = _answer(args, devel or HPyDevel())
    except _UsageError as e:
        parser.error(str(e))
    if args.output is not None:
        with open(args.output, 'w', encoding='utf-8') as f:
            f.write(text)
        return 0
    sys.stdout.write(text if text.endswith('\n') else text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
