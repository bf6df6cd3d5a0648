"""A separate build of the runtime and the static helper libraries with other compiler flags
(sanitizers, fuzzing instrumentation), used by tools/test_sanitize.py and tools/fuzz.py.

The project's buildable files are copied into build/<name>/tree/ and built in place there, so
the instrumented hpy.universal and hpy/devel/lib/ never replace those of `make build`. A process
that puts the tree first on sys.path (cwd or PYTHONPATH) imports the instrumented `hpy`.
Files are copied only when their content changed, so setuptools rebuilds only what changed.
"""
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# what setup.py builds from
PATHS = ['hpy', 'src', 'setup.py', 'pyproject.toml', 'README.md', 'MANIFEST.in']
# files setup.py writes in the tree: never copied over, never removed as stale
WRITTEN_BY_BUILD = ('hpy/devel/version.py', 'hpy/devel/include/hpy/version.h')


def _project_files():
    out = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard', '--'] + PATHS,
                         cwd=ROOT, capture_output=True, check=True).stdout
    return sorted(p for p in out.decode().split('\0')
                  if p and p not in WRITTEN_BY_BUILD and os.path.isfile(os.path.join(ROOT, p)))


def _same_content(a, b):
    try:
        if os.path.getsize(a) != os.path.getsize(b):
            return False
    except OSError:
        return False
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        return fa.read() == fb.read()


def sync_tree(tree):
    """Make `tree` hold the project's current buildable files; returns how many changed."""
    files = _project_files()
    changed = 0
    for rel in files:
        src, dst = os.path.join(ROOT, rel), os.path.join(tree, rel)
        if not _same_content(src, dst):
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
            changed += 1
    # sources removed from the project must not stay in the build (setup.py globs ctx_*.c)
    wanted = set(files)
    for top in ('hpy', 'src'):
        for dirpath, dirnames, filenames in os.walk(os.path.join(tree, top)):
            dirnames[:] = [d for d in dirnames if d not in ('lib', '__pycache__')]
            for name in filenames:
                rel = os.path.relpath(os.path.join(dirpath, name), tree)
                if name.endswith(('.c', '.h', '.py', '.tsv')) and rel not in wanted \
                        and rel not in WRITTEN_BY_BUILD:
                    os.remove(os.path.join(tree, rel))
                    changed += 1
    # the version files: the tree is not a git checkout of its own, setup.py falls back to these
    for rel in WRITTEN_BY_BUILD:
        src, dst = os.path.join(ROOT, rel), os.path.join(tree, rel)
        if os.path.exists(src) and not os.path.exists(dst):
            shutil.copy2(src, dst)
    return changed


def build(name, cc, cflags, ldflags, log=None):
    """Build the runtime and the helper libraries into build/<name>/tree with `cc` and the extra
    flags; returns the tree's path. Raises SystemExit with the build's output when it fails."""
    tree = os.path.join(ROOT, 'build', name, 'tree')
    # setuptools rebuilds on changed sources only: other flags start the build afresh
    stamp = os.path.join(ROOT, 'build', name, 'flags')
    flags = repr((cc, list(cflags), list(ldflags)))
    try:
        with open(stamp) as f:
            fresh = f.read() != flags
    except OSError:
        fresh = True
    if fresh:
        shutil.rmtree(tree, ignore_errors=True)
    os.makedirs(tree, exist_ok=True)
    sync_tree(tree)
    env = dict(os.environ, CC=cc, CFLAGS=' '.join(cflags), LDFLAGS=' '.join(ldflags))
    env.pop('LD_PRELOAD', None)
    res = subprocess.run([sys.executable, 'setup.py', '-q', 'build_ext', '--inplace'],
                         cwd=tree, env=env, capture_output=True, text=True)
    if log:
        with open(log, 'w') as f:
            f.write(res.stdout + res.stderr)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit('the %s build of the runtime failed' % name)
    with open(stamp, 'w') as f:
        f.write(flags)
    return tree
