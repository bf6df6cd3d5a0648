"""`make test-packaging`: pip installs with build isolation, the way users build HPy projects,
with this project's distributions (dist/, `make dist`) and setuptools (build/wheelhouse, `make
wheelhouse`) found through --find-links, never an index. Slow: not part of `make test`."""
import glob
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = os.path.join(ROOT, 'dist')
WHEELHOUSE = os.path.join(ROOT, 'build', 'wheelhouse')


@pytest.fixture(scope='session')
def find_links():
    wheels = glob.glob(os.path.join(DIST, 'hpy-*.whl'))
    if not wheels or not glob.glob(os.path.join(WHEELHOUSE, 'setuptools-*.whl')):
        pytest.fail('dist/ has no wheel of hpy or build/wheelhouse no setuptools: run '
                    '`make test-packaging` (it makes both)', pytrace=False)
    return ['--find-links', DIST, '--find-links', WHEELHOUSE]


def clean_env(**extra):
    """What a pip that sees only --find-links runs with (no pip.conf, no PIP_*, no HPY*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PIP_', 'HPY'))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1')
    env.update(extra)
    return env


class Venv:
    """A fresh venv (without pip: the pip of this interpreter installs into it)."""

    def __init__(self, path, find_links):
        self.path = path
        self.find_links = find_links
        subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(path)], check=True)
        self.python = str(path / 'bin' / 'python')

    def pip_install(self, project, *options, env=None):
        """(returncode, output) of an isolated `pip install project`."""
        cmd = [sys.executable, '-m', 'pip', '--python', self.python, 'install',
               '--no-cache-dir', '--no-index'] + self.find_links + list(options) + [str(project)]
        res = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(**(env or {})))
        return res.returncode, res.stdout + res.stderr

    def run(self, code):
        res = subprocess.run([self.python, '-c', code], capture_output=True, text=True,
                             env=clean_env(), cwd=str(self.path))
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    def dist_info(self, name, filename):
        [info] = glob.glob(str(self.path / 'lib' / 'python*' / 'site-packages' /
                               ('%s-*.dist-info' % name) / filename))
        with open(info) as f:
            return f.read()


@pytest.fixture
def venv(tmp_path, find_links):
    return Venv(tmp_path / 'venv', find_links)


@pytest.fixture
def copy_example(tmp_path):
    def copy(name):
        dest = tmp_path / name
        shutil.copytree(os.path.join(ROOT, 'examples', name), dest,
                        ignore=shutil.ignore_patterns('build', '*.egg-info', '*.so',
                                                      '__pycache__'))
        return dest
    return copy
