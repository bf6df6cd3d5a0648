"""How users build a .pyx with HPy: hpy_ext_modules in a setup.py (any --hpy-abi), and
`python -m hpy.cython` for other build systems; what happens without a supported Cython."""
import os
import subprocess
import sys

import pytest

import support
from hpy.cython import CythonHPyError, UnsupportedCythonError, compile_pyx, version
from hpy.cython.build import distutils_settings, pyx_source

FAST_PYX = '''\
# distutils: extra_compile_args=-DFAST_FACTOR=3
cdef extern from *:
    int FAST_FACTOR

def add(int a, int b):
    """add two ints"""
    return a + b

def scaled(x):
    return x * FAST_FACTOR
'''

SETUP_PY = '''\
from setuptools import setup, Extension
setup(name='fast', hpy_ext_modules=[Extension('fast', ['fast.pyx'])])
'''

CHECK = '''\
import fast
assert fast.add(2, 3) == 5, fast.add(2, 3)
assert fast.add.__doc__ == 'add two ints'
assert fast.scaled(7) == 21
print(fast.__file__)
'''


def run(cmd, cwd):
    res = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True)
    assert res.returncode == 0, '%s\n%s%s' % (' '.join(cmd), res.stdout, res.stderr)
    return res


@pytest.mark.parametrize('abi,suffix', [
    ('cpython', support.EXT_SUFFIX),
    ('universal', '.hpy0.so'),
    ('hybrid', support.ext_suffix('hybrid')),
])
def test_setup_py_builds_pyx(tmp_path, abi, suffix):
    (tmp_path / 'fast.pyx').write_text(FAST_PYX)
    (tmp_path / 'setup.py').write_text(SETUP_PY)
    run([sys.executable, 'setup.py', '-q', '--hpy-abi=' + abi, 'build_ext', '--inplace'],
        tmp_path)
    assert (tmp_path / ('fast' + suffix)).exists()
    out = run([sys.executable, '-c', CHECK], tmp_path).stdout
    assert out.strip().endswith('fast' + suffix)
    generated = [os.path.join(d, f) for d, _, files in os.walk(str(tmp_path / 'build'))
                 for f in files if f == 'fast.c']
    assert len(generated) == 1 and 'hpy-cython' in generated[0]
    assert not (tmp_path / 'fast.c').exists()


def test_setup_py_reports_unsupported_construct(tmp_path):
    (tmp_path / 'fast.pyx').write_text('def f():\n    yield 1\n')
    (tmp_path / 'setup.py').write_text(SETUP_PY)
    res = subprocess.run([sys.executable, 'setup.py', '-q', 'build_ext', '--inplace'],
                         cwd=str(tmp_path), capture_output=True, text=True)
    assert res.returncode != 0
    assert 'fast.pyx:2:4: generators are not supported yet' in res.stderr
    assert 'gcc' not in res.stderr


def test_command_line_writes_c(tmp_path):
    (tmp_path / 'fast.pyx').write_text(FAST_PYX)
    run([sys.executable, '-m', 'hpy.cython', 'fast.pyx', '-o', 'out.c'], tmp_path)
    text = (tmp_path / 'out.c').read_text()
    assert '#include "hpy.h"' in text and 'Python.h' not in text
    assert 'HPy_MODINIT(fast, ' in text
    # the default output is next to the .pyx; the C builds in the universal ABI
    run([sys.executable, '-m', 'hpy.cython', 'fast.pyx'], tmp_path)
    c_text = (tmp_path / 'fast.c').read_text()
    assert c_text == text
    name, path = support.compile_module(c_text, tmp_path, 'universal', name='fast',
                                        template=False, extra_flags=['-DFAST_FACTOR=2'])
    assert support.load_module(name, path, 'universal').scaled(5) == 10


def test_command_line_error(tmp_path):
    (tmp_path / 'fast.pyx').write_text('def f():\n    with f():\n        pass\n')
    res = subprocess.run([sys.executable, '-m', 'hpy.cython', 'fast.pyx'], cwd=str(tmp_path),
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr == "error: fast.pyx:2:9: 'with' statements are not supported yet\n"
    assert not (tmp_path / 'fast.c').exists()


def test_generated_c_points_at_pyx_lines(tmp_path):
    (tmp_path / 'fast.pyx').write_text(FAST_PYX)
    text = compile_pyx(str(tmp_path / 'fast.pyx'))
    assert '/* fast.pyx:7: return a + b */' in text
    assert '/* fast.pyx:5: def add(int a, int b): */' in text
    assert '/* the module-level code of fast.pyx */' in text


@pytest.mark.parametrize('installed,ok', [
    ('3.0.12', False), ('3.1.0', True), ('3.2.4', True), ('3.3.1', True), ('3.4.0', False),
    ('0.29.37', False), ('4.0', False), ('nonsense', False)])
def test_version_check(installed, ok):
    message = version.check_version(installed)
    assert (message is None) == ok
    if not ok:
        assert message == ('hpy.cython needs Cython >=3.1,<3.4, but Cython %s is installed '
                           '(pip install "cython>=3.1,<3.4")' % installed)


def test_unsupported_cython_is_refused(tmp_path, monkeypatch):
    import Cython
    (tmp_path / 'fast.pyx').write_text(FAST_PYX)
    monkeypatch.setattr(Cython, '__version__', '3.0.11')
    with pytest.raises(UnsupportedCythonError) as info:
        compile_pyx(str(tmp_path / 'fast.pyx'))
    assert 'Cython 3.0.11 is installed' in str(info.value)
    assert isinstance(info.value, CythonHPyError)


def test_missing_cython_is_refused(tmp_path):
    (tmp_path / 'fast.pyx').write_text(FAST_PYX)
    code = ('import sys; sys.modules["Cython"] = None\n'
            'from hpy.cython import compile_pyx, UnsupportedCythonError\n'
            'try:\n    compile_pyx("fast.pyx")\n'
            'except UnsupportedCythonError as e:\n    print(e)\n')
    out = run([sys.executable, '-c', code], tmp_path).stdout
    assert out == ('hpy.cython needs Cython >=3.1,<3.4, which is not installed '
                   '(pip install "cython>=3.1,<3.4")\n')


def test_tested_version_is_in_the_range():
    assert version.check_version(version.TESTED_CYTHON) is None
    import Cython
    import cython_support
    # the normal run uses the pinned release; tools/cython_versions.py names the one it installed
    assert Cython.__version__ == cython_support.EXPECTED_CYTHON
    assert cython_support.EXPECTED_CYTHON in version.MINOR_RELEASES


def test_minor_releases_cover_the_range():
    # one release per minor version, each in the range, the range's lowest minor first and its
    # highest last, the pinned release among them (the range claims only what is tested)
    minors = [tuple(int(p) for p in v.split('.')[:2]) for v in version.MINOR_RELEASES]
    assert all(version.check_version(v) is None for v in version.MINOR_RELEASES)
    assert minors[0] == version._LOWEST
    assert minors == [(3, m) for m in range(minors[0][1], minors[0][1] + len(minors))]
    assert (minors[-1][0], minors[-1][1] + 1) == version._BEYOND
    assert version.TESTED_CYTHON == version.MINOR_RELEASES[-1]
    assert version.SUPPORTED_CYTHON == '>=%d.%d,<%d.%d' % (version._LOWEST + version._BEYOND)
    with open(os.path.join(support.ROOT, 'setup.py')) as f:
        assert "'cython%s'" % version.SUPPORTED_CYTHON in f.read()


def test_build_helpers(tmp_path):
    pyx = tmp_path / 'm.pyx'
    pyx.write_text('# distutils: extra_compile_args = -O3, -fwrapv\n'
                   '# distutils: libraries = m\nx = 1\n# distutils: ignored = 1\n')
    assert distutils_settings(str(pyx)) == {'extra_compile_args': ['-O3', '-fwrapv'],
                                            'libraries': ['m']}
    assert pyx_source(str(pyx)) == str(pyx)
    # setuptools renames .pyx sources to .c when it cannot import Cython
    assert pyx_source(str(tmp_path / 'm.c')) == str(pyx)
    assert pyx_source(str(tmp_path / 'other.c')) is None
