"""The universal-wheel leg of `make test-matrix` (tools/test_matrix.py).

examples/package is built once, on the host, into one wheel (``py3-none-<platform>``: its only
extension is a universal binary). That very file is installed with pip into a fresh venv of every
interpreter, each time with this project's runtime from our own distributions: the wheel of
dist/ on the host, a wheel built from our sdist on every other interpreter (once per sdist). The
example's tests then run there unchanged, once as they are and once in debug mode (HPY=debug),
and the installed binary is checked to be the one of the wheel, byte for byte.

pip never looks at an index: it sees dist/, build/wheelhouse (setuptools) and the example's
wheel, through --find-links, like a user installing from a folder.
"""
import glob
import hashlib
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, 'examples', 'package')
BINARY = 'hpyexample/_native.hpy0.so'
WHEEL_TAG = 'py3-none-linux_x86_64'


class WheelLegError(Exception):
    """Something outside the tests stopped the leg: reported in one line."""


def clean_env(**extra):
    """The environment of a pip that sees only what it is told (no pip.conf, no PIP_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('PIP_')}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1', **extra)
    return env


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def distributions():
    """This project's sdist and wheel in dist/ (`make dist`) and the wheelhouse."""
    sdists = glob.glob(os.path.join(ROOT, 'dist', 'hpy-*.tar.gz'))
    wheels = glob.glob(os.path.join(ROOT, 'dist', 'hpy-*.whl'))
    wheelhouse = os.path.join(ROOT, 'build', 'wheelhouse')
    if len(sdists) != 1 or len(wheels) != 1 or not glob.glob(os.path.join(wheelhouse, '*.whl')):
        raise WheelLegError('dist/ needs one sdist and one wheel of hpy, build/wheelhouse '
                            'setuptools: run `make dist wheelhouse`')
    return sdists[0], wheels[0], wheelhouse


def build_example_wheel(area, run, log):
    """The example's wheel, built on the host with build isolation; (path, sha256 of its
    binary)."""
    _, _, wheelhouse = distributions()
    out = os.path.join(area, 'example-wheel')
    src = os.path.join(area, 'example-src')
    for d in (out, src):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns('build', '*.egg-info',
                                                                '__pycache__'))
    pip = [os.path.join(ROOT, '.venv', 'bin', 'python'), '-m', 'pip']
    if run(pip + ['wheel', '-q', '--no-cache-dir', '--no-index', '--no-deps',
                  '--find-links', os.path.join(ROOT, 'dist'), '--find-links', wheelhouse,
                  '-w', out, src], log, env=clean_env()) != 0:
        raise WheelLegError('building the wheel of examples/package failed (see %s)' % log)
    [wheel] = glob.glob(os.path.join(out, '*.whl'))
    if not wheel.endswith('-%s.whl' % WHEEL_TAG):
        raise WheelLegError('the wheel of examples/package is %s, not tagged %s'
                            % (os.path.basename(wheel), WHEEL_TAG))
    with zipfile.ZipFile(wheel) as z:
        binary = hashlib.sha256(z.read(BINARY)).hexdigest()
    shutil.rmtree(src)
    return wheel, binary


def stage(area):
    """Copy what the interpreters need into area (seen from the chroot too)."""
    sdist, wheel, wheelhouse = distributions()
    for name, files in [('dist', [sdist, wheel]),
                        ('wheelhouse', glob.glob(os.path.join(wheelhouse, '*.whl')))]:
        dest = os.path.join(area, name)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        for f in files:
            shutil.copy2(f, dest)
    tests = os.path.join(area, 'tests')
    shutil.rmtree(tests, ignore_errors=True)
    shutil.copytree(os.path.join(EXAMPLE, 'tests'), tests,
                    ignore=shutil.ignore_patterns('__pycache__'))
    return content_key(sdist)


def content_key(sdist):
    """A key of what the sdist holds (not of the archive, whose bytes change with every
    `make dist`): our runtime is built from it once per interpreter and key."""
    import tarfile
    digest = hashlib.sha256()
    with tarfile.open(sdist) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if member.isfile():
                digest.update(member.name.encode() + b'\0')
                digest.update(tar.extractfile(member).read())
    return digest.hexdigest()[:16]


# {python}: the interpreter; {work}: this interpreter's directory; {area}: the staged files;
# {runtime}: where pip finds our runtime for it ({area}/dist, or wheels built from the sdist)
SCRIPT = '''set -e
rm -rf {work}/venv
{python} -m venv {work}/venv
purelib=$({work}/venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo {pydeps} > "$purelib/hpy-matrix-deps.pth"
pip="{work}/venv/bin/python -m pip"
if [ -n "{sdist_key}" ] && ! ls {work}/hpy-wheel/{sdist_key}/hpy-*.whl >/dev/null 2>&1; then
    rm -rf {work}/hpy-wheel
    $pip wheel -q --no-cache-dir --no-index --no-deps --find-links {area}/wheelhouse \\
        -w {work}/hpy-wheel/{sdist_key} {area}/dist/{sdist}
fi
$pip install -q --no-cache-dir --no-index --find-links {runtime} --find-links {area}/wheelhouse \\
    {area}/{example_wheel}
cd {work}
rm -f {results}/{label}.xml {results}/{label}-debug.xml
{work}/venv/bin/python -m pytest -q -p no:cacheprovider --junitxml={results}/{label}.xml \\
    {area}/tests || true
HPY=debug {work}/venv/bin/python -m pytest -q -p no:cacheprovider \\
    --junitxml={results}/{label}-debug.xml {area}/tests || true
{work}/venv/bin/python -c "import hpyexample._native as m; print('BINARY', m.__file__)"
'''


def script(python, work, area, pydeps, label, example_wheel, sdist_key):
    """The shell script of one interpreter; sdist_key=None uses dist/'s wheel as the runtime."""
    sdist = os.path.basename(glob.glob(os.path.join(ROOT, 'dist', 'hpy-*.tar.gz'))[0])
    runtime = '%s/hpy-wheel/%s' % (work, sdist_key) if sdist_key else area + '/dist'
    return SCRIPT.format(python=python, work=work, area=area, pydeps=pydeps, label=label,
                         example_wheel='example-wheel/' + os.path.basename(example_wheel),
                         sdist=sdist, sdist_key=sdist_key or '', runtime=runtime,
                         results=area + '/results')


def junit_counts(path):
    """[passed, failed, skipped] of a JUnit report, or None when there is none."""
    if not os.path.exists(path):
        return None
    suite = ET.parse(path).getroot()
    if suite.tag == 'testsuites':
        suite = suite[0]
    total = int(suite.get('tests', 0))
    failed = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
    skipped = int(suite.get('skipped', 0))
    return [total - failed - skipped, failed, skipped]


def outcome(host_area, label, installed_binary, binary_sha):
    """(cells, ok) of one interpreter: its two runs, and whether its binary is the wheel's."""
    results = os.path.join(host_area, 'results')
    cells, ok = [], True
    for name in (label, label + '-debug'):
        counts = junit_counts(os.path.join(results, name + '.xml'))
        if counts is None:
            cells.append('not run')
            ok = False
            continue
        passed, failed, skipped = counts
        cell = '%d passed' % passed
        if failed:
            cell += ', %d FAILED' % failed
        if skipped:
            cell += ', %d skipped' % skipped
        cells.append(cell)
        ok &= failed == 0 and skipped == 0 and passed > 0
    same = installed_binary is not None and os.path.exists(installed_binary) and \
        sha256(installed_binary) == binary_sha
    cells.append('same file' if same else 'DIFFERENT')
    return cells, ok and same


def installed_binary(log_text):
    """The path the script printed for the installed binary (as seen where it ran)."""
    for line in reversed(log_text.splitlines()):
        if line.startswith('BINARY '):
            return line.split(' ', 1)[1]
    return None


def run_host(area, python, pydeps, example_wheel, log):
    """The host interpreter, with dist/'s wheel of hpy."""
    work = os.path.join(area, 'host')
    os.makedirs(work, exist_ok=True)
    text = script(python, work, area, pydeps, 'host', example_wheel, None)
    out = subprocess.run(['/bin/sh', '-c', text], capture_output=True, text=True,
                         env=clean_env())
    with open(log, 'a') as f:
        f.write('$ (universal wheel, host)\n' + out.stdout + out.stderr)
    return installed_binary(out.stdout)


def run_chroot(chroot_cmd, chroot, inside_area, label, python, example_wheel, sdist_key, log):
    """One interpreter of the chroot, with our runtime built there from our sdist."""
    work = '%s/%s' % (inside_area, label)
    os.makedirs(os.path.join(chroot, work.lstrip('/')), exist_ok=True)
    text = script(python, work, inside_area, os.path.dirname(inside_area) + '/pydeps', label,
                  example_wheel, sdist_key)
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': '/root', 'LANG': 'C.UTF-8',
           'TMPDIR': '/tmp'}
    out = subprocess.run([chroot_cmd, chroot, '/bin/sh', '-c', text], capture_output=True,
                         text=True, env=env)
    with open(log, 'a') as f:
        f.write('$ (universal wheel, %s)\n' % label + out.stdout + out.stderr)
    path = installed_binary(out.stdout)
    return os.path.join(chroot, path.lstrip('/')) if path else None
