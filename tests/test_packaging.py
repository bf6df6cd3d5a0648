"""Packaging in-process and with setup.py (docs/packaging.md): [tool.hpy] and what overrides it,
the tag and the runtime requirement of a wheel, the ABI minor read from a binary. The isolated
pip installs are in packaging_tests/ (`make test-packaging`)."""
import os
import shutil
import subprocess
import sys

import pytest
from setuptools import Distribution, Extension

from hpy.devel import abitag, pyproject, wheelinfo
from hpy.devel.version import __version__
from support import ROOT
from test_abi_evolution import UPSTREAM_ONLY, USES_MINOR_1, required_minor

TEST_ABIS = ['universal', 'hybrid']

QUICKSTART = os.path.join(ROOT, 'examples', 'quickstart')
RUNTIME = 'hpy>=0.10.0.dev0; implementation_name == "cpython"'
VALID = 'Valid values are: cpython, hybrid, universal'


def write_pyproject(directory, text):
    (directory / 'pyproject.toml').write_text(text)
    return str(directory)


# ---- [tool.hpy] --------------------------------------------------------------------------------

def test_no_pyproject_or_no_table(tmp_path):
    assert pyproject.read_config(str(tmp_path)) is None
    assert pyproject.read_config(write_pyproject(tmp_path, '[project]\nname = "x"\n')) is None
    # a file that does not parse is setuptools' to report, not ours
    assert pyproject.read_config(write_pyproject(tmp_path, '[tool.hpy\n')) is None


def test_full_table(tmp_path):
    config = pyproject.read_config(write_pyproject(tmp_path, '''
[tool.hpy]
abi = "hybrid"
use-static-libs = true
[[tool.hpy.ext-modules]]
name = "pkg._a"
sources = ["a.c", "b.c"]
include-dirs = ["inc"]
define-macros = ["ONE", "TWO=2"]
libraries = ["m"]
extra-compile-args = ["-O3"]
optional = true
[[tool.hpy.ext-modules]]
name = "pkg._b"
sources = ["b.c"]
'''))
    assert (config.abi, config.use_static_libs) == ('hybrid', True)
    a, b = config.ext_modules
    assert (a.name, a.sources, a.include_dirs, a.libraries) == \
        ('pkg._a', ['a.c', 'b.c'], ['inc'], ['m'])
    assert a.define_macros == [('ONE', None), ('TWO', '2')]
    assert (a.extra_compile_args, a.optional) == (['-O3'], True)
    assert (b.name, b.sources) == ('pkg._b', ['b.c'])


@pytest.mark.parametrize('table,message', [
    ('abi = "universl"', '[tool.hpy] abi: Unknown HPy ABI: universl. ' + VALID),
    ('abi = 3', '[tool.hpy] abi: Unknown HPy ABI: 3. ' + VALID),
    ('abii = "universal"', "[tool.hpy]: unknown key 'abii'; valid keys are: abi, "
                           "use-static-libs, ext-modules"),
    ('use-static-libs = "yes"', "[tool.hpy] use-static-libs: expected true or false, got 'yes'"),
    ('ext-modules = []', '[tool.hpy] ext-modules: expected a non-empty array of tables'),
    ('[[tool.hpy.ext-modules]]\nname = "m"', "ext-modules[0]: missing key 'sources'"),
    ('[[tool.hpy.ext-modules]]\nname = "m"\nsources = []',
     'ext-modules[0].sources: an extension needs at least one source file'),
    ('[[tool.hpy.ext-modules]]\nname = "m"\nsources = "m.c"',
     "ext-modules[0].sources: expected a list of strings, got 'm.c'"),
    ('[[tool.hpy.ext-modules]]\nname = "m"\nsources = ["m.c"]\nsource = ["x.c"]',
     "ext-modules[0]: unknown key 'source'; valid keys are: name, sources,"),
    ('[[tool.hpy.ext-modules]]\nname = "m"\nsources = ["m.c"]\ndefine-macros = ["=1"]',
     'ext-modules[0].define-macros: expected "NAME" or "NAME=VALUE", got \'=1\''),
    ('[[tool.hpy.ext-modules]]\nname = "m"\nsources = ["m.c"]\n'
     '[[tool.hpy.ext-modules]]\nname = "m"\nsources = ["n.c"]',
     "[tool.hpy] ext-modules: the module 'm' is defined twice"),
])
def test_bad_table(tmp_path, table, message):
    if not table.startswith('[['):
        table = '[tool.hpy]\n' + table
    with pytest.raises(pyproject.DistutilsSetupError) as e:
        pyproject.read_config(write_pyproject(tmp_path, table + '\n'))
    assert message in str(e.value)
    assert str(e.value).startswith('pyproject.toml [tool.hpy]')


def test_abi_precedence(monkeypatch):
    config = pyproject.HPyConfig('pyproject.toml', abi='hybrid')
    monkeypatch.delenv('HPY_ABI', raising=False)
    assert pyproject.select_abi(None, None, 'cpython') == 'cpython'
    assert pyproject.select_abi(None, config, 'cpython') == 'hybrid'
    monkeypatch.setenv('HPY_ABI', 'universal')
    assert pyproject.select_abi(None, config, 'cpython') == 'universal'
    monkeypatch.setitem(pyproject.backend_settings, 'hpy-abi', 'cpython')
    assert pyproject.select_abi(None, config, 'universal') == 'cpython'
    assert pyproject.select_abi('hybrid', config, 'universal') == 'hybrid'
    monkeypatch.setitem(pyproject.backend_settings, 'hpy-abi', 'nope')
    with pytest.raises(pyproject.DistutilsSetupError) as e:
        pyproject.select_abi(None, config, 'cpython')
    assert str(e.value) == 'config setting hpy-abi: Unknown HPy ABI: nope. ' + VALID
    monkeypatch.delitem(pyproject.backend_settings, 'hpy-abi')
    monkeypatch.setenv('HPY_ABI', 'nope')
    with pytest.raises(pyproject.DistutilsSetupError) as e:
        pyproject.select_abi(None, config, 'cpython')
    assert str(e.value) == 'environment variable HPY_ABI: Unknown HPy ABI: nope. ' + VALID


def test_use_static_libs_precedence(monkeypatch):
    config = pyproject.HPyConfig('pyproject.toml', use_static_libs=True)
    assert pyproject.select_use_static_libs(None, None) is False
    assert pyproject.select_use_static_libs(None, config) is True
    monkeypatch.setitem(pyproject.backend_settings, 'hpy-use-static-libs', 'false')
    assert pyproject.select_use_static_libs(None, config) is False
    assert pyproject.select_use_static_libs(True, config) is True
    monkeypatch.setitem(pyproject.backend_settings, 'hpy-use-static-libs', 'maybe')
    with pytest.raises(pyproject.DistutilsSetupError) as e:
        pyproject.select_use_static_libs(None, config)
    assert str(e.value) == \
        "config setting hpy-use-static-libs: expected true or false, got 'maybe'"


# ---- the wheel ---------------------------------------------------------------------------------

def wheel_command(abi, plain_extension=False):
    attrs = {'name': 'x', 'version': '1', 'hpy_ext_modules': [Extension('x', ['x.c'])]}
    if plain_extension:
        attrs['ext_modules'] = [Extension('y', ['y.c'])]
    dist = Distribution(attrs)
    dist.hpy_abi = abi                       # what --hpy-abi sets
    cmd = dist.get_command_obj('bdist_wheel')
    cmd.ensure_finalized()
    return cmd


def test_universal_wheel_tag():
    impl, abi, plat = wheel_command('universal').get_tag()
    assert (impl, abi) == ('py3', 'none')
    assert plat == wheel_command('cpython').get_tag()[2]


@pytest.mark.parametrize('abi,plain', [('cpython', False), ('hybrid', False), ('universal', True)])
def test_other_wheels_keep_the_interpreter_tag(abi, plain):
    # a hybrid binary, or any CPython extension next to the universal one, is for this CPython
    impl, tag_abi, _ = wheel_command(abi, plain).get_tag()
    assert impl == 'cp%d%d' % sys.version_info[:2]
    assert tag_abi.startswith(impl)


def test_runtime_requirement():
    assert wheelinfo.runtime_requirement(0) == RUNTIME
    assert wheelinfo.runtime_requirement(1) == RUNTIME
    with pytest.raises(wheelinfo.DistutilsSetupError) as e:
        wheelinfo.runtime_requirement(abitag.HPY_ABI_VERSION_MINOR + 1)
    assert 'which this hpy (minor %d) does not know' % abitag.HPY_ABI_VERSION_MINOR in \
        str(e.value)


def test_every_minor_has_a_runtime_version():
    from packaging.version import Version
    versions = abitag.RUNTIME_VERSION_FOR_MINOR
    assert sorted(versions) == list(range(abitag.HPY_ABI_VERSION_MINOR + 1))
    ordered = [Version(versions[m]) for m in sorted(versions)]
    assert ordered == sorted(ordered)
    assert ordered[-1] <= Version(__version__)
    assert ordered[0] > Version('0.9.0')          # the requirement excludes upstream's 0.9


@pytest.mark.parametrize('requirements,covered', [
    (['hpy>=0.10.0.dev0'], True),
    (['numpy', 'HPy >= 0.10.0.dev0 ; python_version >= "3.8"'], True),
    (['hpy==0.10.*'], True),
    (['hpy~=0.11'], True),
    (['hpy'], False),
    (['hpy>=0.9'], False),
    (['hpy>=0.10'], True),
    (['hpy<1'], False),
    (['hpyx>=1'], False),
])
def test_covers(requirements, covered):
    assert wheelinfo.covers(requirements, '0.10.0.dev0') == covered


def test_static_dependencies():
    assert wheelinfo.static_dependencies(None) is None
    assert wheelinfo.static_dependencies({'tool': {}}) is None
    assert wheelinfo.static_dependencies(
        {'project': {'dynamic': ['dependencies'], 'name': 'x'}}) is None
    assert wheelinfo.static_dependencies({'project': {'name': 'x'}}) == []
    assert wheelinfo.static_dependencies({'project': {'dependencies': ['a']}}) == ['a']


def test_rewrite_requirement(tmp_path):
    metadata = tmp_path / 'METADATA'
    metadata.write_text('Name: x\nRequires-Dist: a\nRequires-Dist: hpy>=1\n\nbody\n')
    wheelinfo.rewrite_requirement(str(metadata), 'hpy>=1', 'hpy>=0.5')
    assert metadata.read_text() == 'Name: x\nRequires-Dist: a\nRequires-Dist: hpy>=0.5\n\nbody\n'


def test_required_minor_read_from_the_binary(compile_module, tmp_path):
    name0, path0 = compile_module.compile(UPSTREAM_ONLY)
    name1, path1 = compile_module.compile(USES_MINOR_1)
    assert wheelinfo.read_required_minor(path0) == required_minor(name0, path0) == 0
    assert wheelinfo.read_required_minor(path1) == required_minor(name1, path1) == 1
    assert wheelinfo.binaries_minor([path0, path1]) == 1
    other = tmp_path / 'not-elf.dylib'
    other.write_bytes(b'\xcf\xfa\xed\xfe' + b'\0' * 100)
    assert wheelinfo.read_required_minor(str(other)) is None
    assert wheelinfo.binaries_minor([path0, str(other)]) == abitag.HPY_ABI_VERSION_MINOR


# ---- setup.py projects -------------------------------------------------------------------------

def quickstart(tmp_path, pyproject_text):
    dest = tmp_path / 'quickstart'
    shutil.copytree(QUICKSTART, dest, ignore=shutil.ignore_patterns('build', '*.so', '*.py[co]',
                                                                    '__pycache__'))
    (dest / 'pyproject.toml').write_text(pyproject_text)
    return dest


def setup_py(src, *args, env=None, ok=True):
    e = dict(os.environ)
    e.pop('HPY_ABI', None)
    e.update(env or {})
    res = subprocess.run([sys.executable, 'setup.py', '-q'] + list(args), cwd=str(src),
                         capture_output=True, text=True, env=e)
    assert (res.returncode == 0) == ok, res.stdout + res.stderr
    return res.stdout + res.stderr


def built(src):
    return sorted(p for p in os.listdir(src) if p.endswith('.so'))


SUFFIX = {abi: abitag.get_hpy_ext_suffix(abi) for abi in ('cpython', 'universal', 'hybrid')}


@pytest.mark.no_refleak_check
def test_setup_py_reads_tool_hpy(tmp_path):
    src = quickstart(tmp_path, '[tool.hpy]\nabi = "universal"\n')
    setup_py(src, 'build_ext', '--inplace')
    assert built(src) == ['quickstart' + SUFFIX['universal']]
    # HPY_ABI overrides [tool.hpy]; --hpy-abi overrides both
    setup_py(src, 'build_ext', '--inplace', env={'HPY_ABI': 'hybrid'})
    setup_py(src, '--hpy-abi=cpython', 'build_ext', '--inplace', env={'HPY_ABI': 'hybrid'})
    assert built(src) == sorted('quickstart' + SUFFIX[a] for a in SUFFIX)
    out = setup_py(src, 'build_ext', '--inplace', env={'HPY_ABI': 'nope'}, ok=False)
    assert 'error: environment variable HPY_ABI: Unknown HPy ABI: nope. ' + VALID in out


@pytest.mark.no_refleak_check
def test_setup_py_bad_tool_hpy(tmp_path):
    src = quickstart(tmp_path, '[tool.hpy]\nabi = "universl"\n')
    out = setup_py(src, 'build_ext', '--inplace', ok=False)
    assert 'pyproject.toml [tool.hpy] abi: Unknown HPy ABI: universl. ' + VALID in out
    (src / 'pyproject.toml').write_text(
        '[[tool.hpy.ext-modules]]\nname = "quickstart"\nsources = ["quickstart.c"]\n')
    out = setup_py(src, 'build_ext', '--inplace', ok=False)
    assert 'the HPy extensions are given twice: by setup(hpy_ext_modules=...) and by ' \
        '[[tool.hpy.ext-modules]] in pyproject.toml; keep one' in out


@pytest.mark.no_refleak_check
def test_project_without_setup_py(tmp_path):
    # [[tool.hpy.ext-modules]] alone: what setuptools' PEP 517 backend runs for such a project
    src = quickstart(tmp_path, '[tool.hpy]\nabi = "universal"\n'
                     '[[tool.hpy.ext-modules]]\nname = "quickstart"\n'
                     'sources = ["quickstart.c"]\n')
    (src / 'setup.py').write_text('from setuptools import setup\nsetup()\n')
    setup_py(src, 'build_ext', '--inplace')
    assert built(src) == ['quickstart' + SUFFIX['universal']]
    res = subprocess.run([sys.executable, '-c', 'import quickstart; print(quickstart.add(1, 2))'],
                         cwd=str(src), capture_output=True, text=True)
    assert res.stdout == '3\n', res.stderr


def requires_dist(src):
    [info] = [p for p in os.listdir(src) if p.endswith('.egg-info')]
    with open(os.path.join(src, info, 'PKG-INFO')) as f:
        return [l.split(': ', 1)[1] for l in f.read().splitlines()
                if l.startswith('Requires-Dist: ')]


@pytest.mark.no_refleak_check
@pytest.mark.parametrize('abi,expected', [('universal', [RUNTIME]), ('hybrid', [RUNTIME]),
                                          ('cpython', [])])
def test_metadata_requires_the_runtime(tmp_path, abi, expected):
    src = quickstart(tmp_path, '[tool.hpy]\nabi = "%s"\n' % abi)
    setup_py(src, 'egg_info')
    assert requires_dist(src) == expected


PROJECT = '''[project]
name = "qs"
version = "1"
%s
[tool.setuptools]
py-modules = []
[tool.hpy]
abi = "universal"
'''


@pytest.mark.no_refleak_check
def test_fixed_dependencies_must_ask_for_the_runtime(tmp_path):
    src = quickstart(tmp_path, PROJECT % '')
    out = setup_py(src, 'egg_info', ok=False)
    assert ('pyproject.toml: universal HPy binaries need the HPy runtime when they run, but '
            '[project] dependencies is fixed and asks for no "hpy>=0.10.0.dev0" (PEP 621: a '
            'build may not add to it). Add "hpy>=0.10.0.dev0" to [project] dependencies, or '
            'list "dependencies" in [project] dynamic to let hpy add it') in out
    (src / 'pyproject.toml').write_text(PROJECT % 'dependencies = ["hpy>=0.10.0.dev0"]')
    setup_py(src, 'egg_info')
    assert requires_dist(src) == ['hpy>=0.10.0.dev0']
    (src / 'pyproject.toml').write_text(PROJECT % 'dynamic = ["dependencies"]')
    setup_py(src, 'egg_info')
    assert requires_dist(src) == [RUNTIME]
