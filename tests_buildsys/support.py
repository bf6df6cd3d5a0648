"""Installing a project with pip the way a user does, in a venv of its own, offline."""
import ast
import os
import shutil
import subprocess
import sys
import sysconfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLATFORM_TAG = sysconfig.get_platform().replace('-', '_').replace('.', '_')
CPYTHON_TAG = 'cp%d%d' % sys.version_info[:2]


def clean_env(**extra):
    """This machine's pip configuration and developer tools left out: pip sees the wheelhouse
    only, and a build finds meson, ninja and cmake where pip installed them (or the system's
    own folders)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PIP_', 'PYTHON'))}
    env['PIP_CONFIG_FILE'] = os.devnull
    env['PATH'] = os.pathsep.join(['/usr/local/bin', '/usr/bin', '/bin'])
    env.update(extra)
    return env


def run(cmd, cwd, env=None):
    res = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True,
                         env=env if env is not None else clean_env())
    assert res.returncode == 0, '%s\n%s%s' % (' '.join(map(str, cmd)), res.stdout, res.stderr)
    return res.stdout


def copy_project(src, tmp_path, name='project'):
    """A copy of src (symbolic links followed) to build from: builds write next to the sources."""
    dest = tmp_path / name
    shutil.copytree(src, dest, symlinks=False,
                    ignore=shutil.ignore_patterns('build', '*.so', '__pycache__'))
    return dest


class Venv:
    """A venv without pip: pip of the test interpreter installs into it (`pip --python`)."""

    def __init__(self, path):
        self.path = path
        run([sys.executable, '-m', 'venv', '--without-pip', str(path)], path.parent)
        self.python = str(path / 'bin' / 'python')

    def pip_install(self, project, wheelhouse, *options):
        return run([sys.executable, '-m', 'pip', '--python', self.python, 'install',
                    '--no-index', '--no-compile', '--find-links', wheelhouse] + list(options) + ['.'], project)

    def site_packages(self):
        return run([self.python, '-c', 'import sysconfig; print(sysconfig.get_paths()["platlib"])'],
                   self.path).strip()

    def evaluate(self, code, cwd, **env):
        """The value of the last line of code, an expression of literals, run in the venv."""
        lines = code.strip().split('\n')
        script = '\n'.join(lines[:-1] + ['print(repr(%s))' % lines[-1]])
        return ast.literal_eval(run([self.python, '-c', script], cwd, clean_env(**env)))

    def wheel_tag(self, dist):
        """The Tag line of an installed distribution's WHEEL file."""
        site = self.site_packages()
        [info] = [d for d in os.listdir(site)
                  if d.startswith(dist + '-') and d.endswith('.dist-info')]
        with open(os.path.join(site, info, 'WHEEL')) as f:
            return [line.split(': ', 1)[1].strip() for line in f if line.startswith('Tag: ')]
