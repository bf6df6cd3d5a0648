"""What the example demos (examples/*/demo.py) share: building an example directory with the
ordinary setuptools integration, once per ABI, and running code in a fresh interpreter."""
import os
import shutil
import subprocess
import sys


def run(cmd, cwd, env=None):
    """Run cmd; its output, or the end of the demo with everything it printed."""
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if res.returncode != 0:
        sys.stdout.write(res.stdout + res.stderr)
        raise SystemExit('demo failed: %s' % ' '.join(cmd))
    return res.stdout


def build(example_dir, abi, workdir):
    """Copy example_dir to workdir/abi, build it in place for that ABI; the copy's path."""
    src = os.path.join(workdir, abi)
    shutil.copytree(example_dir, src,
                    ignore=shutil.ignore_patterns('build', '*.so', '__pycache__'))
    run([sys.executable, 'setup.py', '-q', '--hpy-abi=' + abi, 'build_ext', '--inplace'], cwd=src)
    return src
