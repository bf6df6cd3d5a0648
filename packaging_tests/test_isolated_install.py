"""Isolated `pip install .` of HPy projects (docs/packaging.md): the ABI comes from [tool.hpy],
HPY_ABI or -C hpy-abi; a universal wheel is tagged py3-none-<platform> and requires the
runtime; a build without this hpy fails instead of installing an empty package."""
import re

RUNTIME = 'Requires-Dist: hpy>=0.10.0.dev0; implementation_name == "cpython"'
VALID = 'Valid values are: cpython, hybrid, universal'

SHOW = '''
import sysconfig, hpy.universal, hpy.devel.version, hpyexample, hpyexample._native as n
print(n.__file__.rsplit("/", 1)[-1], hpyexample.greet("you") == "Hello, you!",
      hpy.devel.version.__version__,
      hpy.universal.__file__.startswith(sysconfig.get_paths()["platlib"]))
'''


def wheel_tag(venv, name):
    return re.search(r'^Tag: (.*)$', venv.dist_info(name, 'WHEEL'), re.M).group(1)


def test_tool_hpy_names_the_abi(venv, copy_example):
    """examples/package as it is: [tool.hpy] abi = "universal", no setup.py."""
    rc, out = venv.pip_install(copy_example('package'))
    assert rc == 0, out
    binary, greets, version, runtime_in_venv = venv.run(SHOW).split()
    assert (binary, greets) == ('_native.hpy0.so', 'True')
    assert version == '0.10.0.dev0' and runtime_in_venv == 'True'   # our runtime, from dist/
    assert re.fullmatch(r'py3-none-linux_x86_64', wheel_tag(venv, 'hpyexample'))
    assert RUNTIME in venv.dist_info('hpyexample', 'METADATA').splitlines()


def test_environment_overrides_tool_hpy(venv, copy_example):
    rc, out = venv.pip_install(copy_example('package'), env={'HPY_ABI': 'hybrid'})
    assert rc == 0, out
    assert re.fullmatch(r'_native\.hpy0-cp3\d+\.so', venv.run(SHOW).split()[0])
    assert re.fullmatch(r'cp3\d+-cp3\d+-linux_x86_64', wheel_tag(venv, 'hpyexample'))
    assert RUNTIME in venv.dist_info('hpyexample', 'METADATA').splitlines()


def test_config_setting_overrides_the_environment(venv, copy_example):
    rc, out = venv.pip_install(copy_example('package'), '-C', 'hpy-abi=cpython',
                               env={'HPY_ABI': 'hybrid'})
    assert rc == 0, out
    code = 'import hpyexample._native as n; print(n.__file__.rsplit("/", 1)[-1])'
    assert re.fullmatch(r'_native\.cpython-3\d+-.*\.so', venv.run(code).strip())
    assert 'Requires-Dist' not in venv.dist_info('hpyexample', 'METADATA')


def test_bad_config_settings(venv, copy_example):
    project = copy_example('package')
    rc, out = venv.pip_install(project, '-C', 'hpy-abi=universl')
    assert rc != 0
    assert 'config setting hpy-abi: Unknown HPy ABI: universl. ' + VALID in out
    rc, out = venv.pip_install(project, '-C', 'hpy-api=universal')
    assert rc != 0
    assert "unknown config setting 'hpy-api'; the settings of hpy are: hpy-abi, " \
        "hpy-use-static-libs" in out


def test_build_without_this_hpy_fails(venv, copy_example):
    """The backend is part of hpy: without it in build-system.requires nothing is built."""
    project = copy_example('package')
    text = (project / 'pyproject.toml').read_text()
    (project / 'pyproject.toml').write_text(
        text.replace('requires = ["hpy>=0.10.0.dev0"]', 'requires = ["setuptools>=70.1"]'))
    rc, out = venv.pip_install(project)
    assert rc != 0
    assert "hpy.devel.build_meta" in out
    assert 'hpyexample' not in venv.run('import os, sys; print(os.listdir(sys.prefix))')


PYPROJECT = '''[build-system]
requires = ["hpy>=0.10.0.dev0"]
build-backend = "setuptools.build_meta"

[tool.hpy]
abi = "universal"
'''


def test_setup_py_project_with_setuptools_backend(venv, copy_example):
    """examples/quickstart (setup.py, hpy_ext_modules) with setuptools' own backend: hpy's
    setuptools integration reads [tool.hpy] too."""
    project = copy_example('quickstart')
    (project / 'pyproject.toml').write_text(PYPROJECT)
    rc, out = venv.pip_install(project)
    assert rc == 0, out
    code = 'import quickstart; print(quickstart.__file__.rsplit("/", 1)[-1], quickstart.abi())'
    assert venv.run(code).split() == ['quickstart.hpy0.so', 'universal']
    assert wheel_tag(venv, 'hpy_quickstart') == 'py3-none-linux_x86_64'
    assert RUNTIME in venv.dist_info('hpy_quickstart', 'METADATA').splitlines()
