"""examples/quickstart-meson (meson-python) and examples/quickstart-cmake (scikit-build-core):
`pip install .` with build isolation in the cpython and the universal ABI, the module imported
from a fresh venv, the wheel's tag read back."""
import os

import pytest

from support import CPYTHON_TAG, PLATFORM_TAG, ROOT, Venv, copy_project

EXAMPLES = os.path.join(ROOT, 'examples')

# (example folder, distribution name, the pip options choosing each ABI)
BUILDERS = {
    'meson-python': ('quickstart-meson', 'hpy_quickstart_meson', {
        'cpython': [],
        'universal': ['-Csetup-args=-Dhpy_abi=universal'],
    }),
    'scikit-build-core': ('quickstart-cmake', 'hpy_quickstart_cmake', {
        'cpython': [],
        'universal': ['-Ccmake.define.HPY_ABI=universal', '-Cwheel.py-api=py3'],
    }),
}

# the wheel tags each builder gives: meson-python tags every wheel with a file in platlib for this
# interpreter (it cannot tell a universal binary from an extension module)
TAGS = {
    ('meson-python', 'cpython'): ['%s-%s-%s' % (CPYTHON_TAG, CPYTHON_TAG, PLATFORM_TAG)],
    ('meson-python', 'universal'): ['%s-%s-%s' % (CPYTHON_TAG, CPYTHON_TAG, PLATFORM_TAG)],
    ('scikit-build-core', 'cpython'): ['%s-%s-%s' % (CPYTHON_TAG, CPYTHON_TAG, PLATFORM_TAG)],
    ('scikit-build-core', 'universal'): ['py3-none-%s' % PLATFORM_TAG],
}

USE = '''
import os, quickstart
here = os.listdir(os.path.dirname(quickstart.__file__))
files = sorted(f for f in here if f.startswith('quickstart'))
name = os.path.basename(quickstart.__file__)
(quickstart.add(40, 2), quickstart.abi(), quickstart.context_name(), name, files)
'''


@pytest.mark.parametrize('abi', ['cpython', 'universal'])
@pytest.mark.parametrize('builder', sorted(BUILDERS))
def test_pip_install(tmp_path, wheelhouse, builder, abi):
    folder, dist, options = BUILDERS[builder]
    project = copy_project(os.path.join(EXAMPLES, folder), tmp_path)
    venv = Venv(tmp_path / 'venv')
    venv.pip_install(project, wheelhouse, *options[abi])
    suffix = venv.evaluate('import hpy.devel.abitag as t\nt.get_hpy_ext_suffix(%r)' % abi,
                           tmp_path)
    files = ['quickstart' + suffix] + (['quickstart.py'] if abi == 'universal' else [])
    context = 'HPy CPython ABI' if abi == 'cpython' else 'HPy Universal ABI (CPython backend)'
    assert venv.evaluate(USE, tmp_path) == (42, abi, context, files[0], sorted(files))
    if abi == 'universal':
        # the stub loads the same binary in debug mode when asked to
        assert venv.evaluate(USE, tmp_path, HPY='debug')[2] == 'HPy Debug Mode ABI'
    assert venv.wheel_tag(dist) == TAGS[builder, abi]
