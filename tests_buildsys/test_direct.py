"""meson and CMake run directly, as in a project's own build (no pip): the ABIs and options the
pip tests leave out (hybrid, STATIC_HELPERS), and the CMake package's errors. meson runs under
this interpreter, and CMake is given it, so `python -m hpy.devel` answers for this hpy."""
import glob
import os
import sys

import pytest

from support import ROOT, clean_env, copy_project, run

EXAMPLES = os.path.join(ROOT, 'examples')
USE = 'import quickstart; print(quickstart.abi(), quickstart.add(40, 2), quickstart.__file__)'


def tools_env(tools):
    env = clean_env()
    env['PATH'] = tools + os.pathsep + env['PATH']
    return env


def meson(tools, *args, cwd):
    """meson (pure Python, from the tools venv) run by this interpreter."""
    site = glob.glob(os.path.join(os.path.dirname(tools), 'lib', 'python*', 'site-packages'))
    env = tools_env(tools)
    env['PYTHONPATH'] = site[0]
    return run([sys.executable, '-m', 'mesonbuild.mesonmain'] + list(args), cwd, env)


def cmake(tools, *args, cwd, check=True):
    cmd = [os.path.join(tools, 'cmake')] + list(args)
    if check:
        return run(cmd, cwd, tools_env(tools))
    import subprocess
    return subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, env=tools_env(tools))


def use(build_dir):
    env = dict(os.environ, PYTHONPATH=str(build_dir))
    env.pop('HPY', None)
    return run([sys.executable, '-c', USE], build_dir, env).split()


def built(build_dir):
    return sorted(f for f in os.listdir(build_dir)
                  if f.startswith('quickstart.') and os.path.isfile(os.path.join(build_dir, f)))


def suffix(abi):
    from hpy.devel.abitag import get_hpy_ext_suffix
    return get_hpy_ext_suffix(abi)


@pytest.mark.parametrize('abi', ['hybrid', 'universal'])
def test_meson(tmp_path, tools, abi):
    src = copy_project(os.path.join(EXAMPLES, 'quickstart-meson'), tmp_path)
    meson(tools, 'setup', 'build', '-Dhpy_abi=' + abi, cwd=src)
    meson(tools, 'compile', '-C', 'build', cwd=src)
    build = src / 'build'
    assert built(build) == ['quickstart' + suffix(abi), 'quickstart.py']
    assert use(build) == [abi, '42', str(build / ('quickstart' + suffix(abi)))]


def test_meson_unknown_abi(tmp_path, tools):
    src = copy_project(os.path.join(EXAMPLES, 'quickstart-meson'), tmp_path)
    with pytest.raises(AssertionError, match="Value \"limited\" .*is not one of the choices"):
        meson(tools, 'setup', 'build', '-Dhpy_abi=limited', cwd=src)


def test_cmake_example(tmp_path, tools):
    """The example's CMakeLists.txt outside scikit-build-core: cmake -DHPY_ABI=universal."""
    src = copy_project(os.path.join(EXAMPLES, 'quickstart-cmake'), tmp_path)
    cmake(tools, '-S', '.', '-B', 'build', '-G', 'Ninja', '-DHPY_ABI=universal',
          '-DPython_EXECUTABLE=' + sys.executable, cwd=src)
    cmake(tools, '--build', 'build', cwd=src)
    build = src / 'build'
    assert built(build) == ['quickstart.hpy0.so', 'quickstart.py']
    assert use(build) == ['universal', '42', str(build / 'quickstart.hpy0.so')]
    cmake(tools, '--install', 'build', '--prefix', str(tmp_path / 'inst'), cwd=src)
    assert built(tmp_path / 'inst') == ['quickstart.hpy0.so', 'quickstart.py']


PROJECT = '''cmake_minimum_required(VERSION 3.18)
project(t LANGUAGES C)
find_package(Python REQUIRED COMPONENTS Interpreter Development.Module)
execute_process(COMMAND "${Python_EXECUTABLE}" -m hpy.devel --cmake-dir
                OUTPUT_VARIABLE hpy_DIR OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
find_package(hpy CONFIG REQUIRED)
%s
'''


def cmake_project(tmp_path, body):
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'quickstart.c').write_text(
        open(os.path.join(EXAMPLES, 'quickstart', 'quickstart.c')).read())
    (src / 'CMakeLists.txt').write_text(PROJECT % body)
    return src


@pytest.mark.parametrize('abi', ['cpython', 'hybrid', 'universal'])
def test_cmake_static_helpers(tmp_path, tools, abi):
    src = cmake_project(tmp_path, 'hpy_add_module(quickstart ABI %s STATIC_HELPERS quickstart.c)'
                        % abi)
    cmake(tools, '-S', '.', '-B', 'build', '-G', 'Ninja',
          '-DPython_EXECUTABLE=' + sys.executable, cwd=src)
    cmake(tools, '--build', 'build', '--verbose', cwd=src)
    build = src / 'build'
    assert built(build) == ['quickstart' + suffix(abi)] + (
        ['quickstart.py'] if abi != 'cpython' else [])
    assert use(build) == [abi, '42', str(build / ('quickstart' + suffix(abi)))]


@pytest.mark.parametrize('body,message', [
    ('hpy_add_module(quickstart ABI limited quickstart.c)',
     "hpy_add_module(quickstart): unknown HPy ABI 'limited' (valid: cpython, universal, hybrid)"),
    ('hpy_add_module(quickstart ABI universal)', 'hpy_add_module(quickstart): no sources'),
    ('hpy_add_module(quickstart quickstart.c)\nhpy_install_module(quickstart)',
     'hpy_install_module(quickstart): DESTINATION is required'),
])
def test_cmake_errors(tmp_path, tools, body, message):
    src = cmake_project(tmp_path, body)
    res = cmake(tools, '-S', '.', '-B', 'build', '-DPython_EXECUTABLE=' + sys.executable,
                cwd=src, check=False)
    assert res.returncode != 0
    assert message in ' '.join(res.stderr.split()), res.stderr


def test_cmake_without_python(tmp_path, tools):
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'CMakeLists.txt').write_text(
        'cmake_minimum_required(VERSION 3.18)\nproject(t LANGUAGES C)\n'
        'set(hpy_DIR "%s")\nfind_package(hpy CONFIG REQUIRED)\n'
        % os.path.join(ROOT, 'hpy', 'devel', 'cmake'))
    res = cmake(tools, '-S', '.', '-B', 'build', cwd=src, check=False)
    assert res.returncode != 0
    assert ('hpy: call find_package(Python COMPONENTS Interpreter Development.Module) before '
            'find_package(hpy)') in ' '.join(res.stderr.split())
