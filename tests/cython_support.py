"""Building .pyx files for the tests: with hpy.cython (in any test ABI, through support.py) and
with stock Cython (the C-API reference), and Cython's own test files, taken from the sdist of
the Cython release under test (downloaded once into build/cython-sdist/, never committed).

The release under test is the installed one: TESTED_CYTHON in the project's .venv, each of
MINOR_RELEASES under `make test-cython-versions` (tools/cython_versions.py)."""
import doctest
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import unittest

import support
from hpy.cython import compile_pyx
from hpy.cython.build import distutils_settings
import Cython
from hpy.cython.version import TESTED_CYTHON

# the sdist's test files and the stock reference build come from the installed release
CYTHON_VERSION = Cython.__version__
# the release the run is meant to use: tools/cython_versions.py names it, otherwise the pinned one
EXPECTED_CYTHON = os.environ.get('HPY_CYTHON_UNDER_TEST', TESTED_CYTHON)

SDIST_DIR = os.path.join(support.ROOT, 'build', 'cython-sdist')
REFERENCE_DIR = os.path.join(support.ROOT, 'build', 'cython-reference')
HERE = os.path.dirname(os.path.abspath(__file__))
PYX_DIR = os.path.join(HERE, 'cython')
# Cython's runtests.py compiles its tests with these options
TEST_DIRECTIVES = {'autotestdict': False}
TEST_LANGUAGE_LEVEL = 2


class _Lock:
    def __init__(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.f = open(path, 'w')

    def __enter__(self):
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def cython_test_file(name):
    """The path of tests/run/<name>.pyx from the installed Cython's sdist (downloaded from PyPI
    with pip the first time, then kept under build/cython-sdist/)."""
    root = os.path.join(SDIST_DIR, 'cython-%s' % CYTHON_VERSION)
    path = os.path.join(root, 'tests', 'run', name + '.pyx')
    if os.path.exists(path):
        return path
    with _Lock(os.path.join(SDIST_DIR, '.lock')):
        if os.path.exists(path):
            return path
        archive = os.path.join(SDIST_DIR, 'cython-%s.tar.gz' % CYTHON_VERSION)
        if not os.path.exists(archive):
            cmd = [sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--no-binary',
                   ':all:', 'cython==%s' % CYTHON_VERSION, '-d', SDIST_DIR]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0 or not os.path.exists(archive):
                raise RuntimeError('could not download the Cython %s sdist: %s\n%s%s' % (
                    CYTHON_VERSION, ' '.join(cmd), res.stdout, res.stderr))
        with tarfile.open(archive) as tar:
            prefix = 'cython-%s/tests/run/' % CYTHON_VERSION
            members = [m for m in tar.getmembers()
                       if m.name.startswith(prefix) and m.isfile()]
            for m in members:
                m.name = m.name[len('cython-%s/' % CYTHON_VERSION):]
                tar.extract(m, root)
    if not os.path.exists(path):
        raise RuntimeError('Cython %s has no tests/run/%s.pyx' % (CYTHON_VERSION, name))
    return path


def header(path):
    """The header comments of a Cython test file: mode, tags and the distutils settings
    (its `# cython:` directives are read by Cython itself)."""
    mode, tags = 'run', {}
    # the header is ASCII; a few test files are not UTF-8 further down
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if not line.startswith('#'):
                if line.strip():
                    break
                continue
            m = re.match(r'#\s*(mode|tag|ticket)\s*:\s*(.*)$', line.strip())
            if m and m.group(1) == 'mode':
                mode = m.group(2).strip()
            elif m and m.group(1) == 'tag':
                for tag in re.split(r'[,\s]+', m.group(2).strip()):
                    if tag:
                        tags[tag] = True
    return {'mode': mode, 'tags': tags, 'distutils': distutils_settings(path)}


def hpy_c_text(path, name=None, directives=None, language_level=None):
    return compile_pyx(path, module_name=name, directives=directives,
                       language_level=language_level)


def build_hpy(path, tmpdir, abi, name, directives=None, language_level=None):
    """(C text, module) of the .pyx at `path` compiled by hpy.cython for test ABI `abi`."""
    text = hpy_c_text(path, name, directives, language_level)
    extra = header(path)['distutils'].get('extra_compile_args', [])
    mod_name, binary = support.compile_module(text, tmpdir, abi, name=name, template=False,
                                              extra_flags=extra)
    return text, binary, support.load_module(mod_name, binary, abi)


def build_reference(path, name, directives=None, language_level=None):
    """The module compiled by stock Cython (C API), built once per source and options."""
    from Cython.Compiler.Main import CompilationOptions, default_options, compile as cy_compile
    with open(path, 'rb') as f:
        data = f.read()
    key = repr((data, name, sorted((directives or {}).items()), language_level,
                CYTHON_VERSION, support.EXT_SUFFIX)).encode()
    digest = hashlib.sha256(key).hexdigest()[:16]
    outdir = os.path.join(REFERENCE_DIR, digest)
    binary = os.path.join(outdir, name + support.EXT_SUFFIX)
    with _Lock(os.path.join(REFERENCE_DIR, '.lock-' + digest)):
        if not os.path.exists(binary):
            os.makedirs(outdir, exist_ok=True)
            src = os.path.join(outdir, name + '.pyx')
            shutil.copyfile(path, src)
            options = CompilationOptions(default_options, output_file=os.path.join(
                outdir, name + '.c'), language_level=language_level or 3,
                compiler_directives=dict(directives or {}))
            result = cy_compile(src, options, full_module_name=name)
            if result.num_errors:
                raise RuntimeError('stock Cython failed on %s' % path)
            extra = header(path)['distutils'].get('extra_compile_args', [])
            tmp = binary + '.tmp%d' % os.getpid()
            cmd = ['gcc', '-shared', '-fPIC', '-O1', '-I' + sysconfig.get_paths()['include']] \
                + extra + [os.path.join(outdir, name + '.c'), '-o', tmp]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise RuntimeError('%s\n%s' % (' '.join(cmd), res.stderr))
            os.replace(tmp, binary)
    return support.load_module(name, binary, 'cpython')


def doctest_results(module):
    """{doctest name: 'ok' or the failure text} for the doctests of `module`, as Cython's
    runtests.py runs them. The module is sys.modules[its name] meanwhile, as after an import
    (doctest looks functions' modules up there)."""
    name = module.__name__
    saved = sys.modules.get(name)
    sys.modules[name] = module
    try:
        suite = doctest.DocTestSuite(module)
        outcomes = {}
        for test in _flatten(suite):
            result = unittest.TestResult()
            test.run(result)
            problems = result.failures + result.errors
            outcomes[test.id().split('.', 1)[-1]] = 'ok' if not problems else \
                _normalise(problems[0][1])
        return outcomes
    finally:
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


def _normalise(text):
    # failure reports name the file of the module: the same test fails the same way elsewhere
    return re.sub(r'File "[^"]*"', 'File "..."', text).splitlines()[-1] if text else text


def undefined_python_symbols(binary):
    res = subprocess.run(['nm', '-D', '--undefined-only', binary], capture_output=True,
                         text=True, check=True)
    return [line.split()[-1] for line in res.stdout.splitlines()
            if re.match(r'_?Py', line.split()[-1])]
