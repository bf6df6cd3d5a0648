"""What a wheel of HPy binaries says about itself: its tag and its requirement on the runtime.

A wheel whose extensions are all universal binaries runs on every CPython (the binaries have no
libpython dependency, the interpreter's runtime loads them): it is tagged ``py3-none-<platform>``.

A wheel with universal or hybrid binaries needs this project's runtime (``hpy.universal``) at
run time, at the ABI minor its binaries declare (docs/abi-evolution.md): ``Requires-Dist:
hpy>=<first version serving that minor>; implementation_name == "cpython"`` (other interpreters
ship their own runtime). Before the binaries exist (the metadata a frontend asks for first) the
minor of the headers stands in for theirs; it is never lower.
"""
import struct

from distutils.errors import DistutilsSetupError

from .abitag import HPY_ABI_VERSION_MINOR, RUNTIME_VERSION_FOR_MINOR

RUNTIME_MARKER = 'implementation_name == "cpython"'
MINOR_SECTION = b'hpy_abi_minor'


def runtime_floor(minor):
    """The first version of this project whose runtime serves ABI minor `minor`."""
    try:
        return RUNTIME_VERSION_FOR_MINOR[minor]
    except KeyError:
        raise DistutilsSetupError(
            'the binaries need HPy ABI minor %d, which this hpy (minor %d) does not know'
            % (minor, HPY_ABI_VERSION_MINOR)) from None


def runtime_requirement(minor):
    """The Requires-Dist of a wheel whose binaries need ABI minor `minor`, as setuptools writes
    it (packaging's normal form)."""
    from packaging.requirements import Requirement
    return str(Requirement('hpy>=%s; %s' % (runtime_floor(minor), RUNTIME_MARKER)))


# ---- the minor a binary declares -------------------------------------------------------------

def read_required_minor(path):
    """The largest value of the ``hpy_abi_minor`` section of the ELF binary at `path` (what its
    get_required_hpy_minor_version_<name> returns), 0 if it has no such section; None if the
    file is not an ELF binary (the caller then assumes the headers' minor)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:4] != b'\x7fELF' or len(data) < 64:
        return None
    is64 = data[4] == 2
    order = '<' if data[5] == 1 else '>'
    if is64:
        shoff, = struct.unpack_from(order + 'Q', data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(order + 'HHH', data, 0x3A)
        header, fields = order + 'IIQQQQ', (0, 4, 5)      # name, offset, size
    else:
        shoff, = struct.unpack_from(order + 'I', data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(order + 'HHH', data, 0x2E)
        header, fields = order + 'IIIIII', (0, 4, 5)
    if shoff == 0 or shnum == 0 or shstrndx >= shnum:
        return None

    def section(i):
        values = struct.unpack_from(header, data, shoff + i * shentsize)
        return tuple(values[k] for k in fields)

    _, names_off, names_size = section(shstrndx)
    names = data[names_off:names_off + names_size]
    for i in range(shnum):
        name_idx, off, size = section(i)
        end = names.find(b'\0', name_idx)
        if names[name_idx:end] == MINOR_SECTION:
            values = struct.unpack_from(order + '%dI' % (size // 4), data, off)
            return max(values, default=0)
    return 0


def binaries_minor(paths):
    """The minor a set of binaries needs: the largest each declares, the headers' minor for a
    binary whose declaration cannot be read."""
    minor = 0
    for path in paths:
        found = read_required_minor(path)
        minor = max(minor, HPY_ABI_VERSION_MINOR if found is None else found)
    return minor


# ---- the project's own metadata --------------------------------------------------------------

def static_dependencies(pyproject):
    """The ``[project] dependencies`` of a pyproject.toml that fixes them (PEP 621: a backend may
    not add to them), or None when a build may fill them in (no [project] table, or
    "dependencies" listed in its ``dynamic``)."""
    project = (pyproject or {}).get('project')
    if not isinstance(project, dict) or 'dependencies' in project.get('dynamic', ()):
        return None
    return list(project.get('dependencies', ()))


def covers(requirements, floor):
    """Whether one of `requirements` (strings) asks for hpy at `floor` or above."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version
    floor = Version(floor)
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != 'hpy':
            continue
        for spec in req.specifier:
            if spec.operator not in ('>=', '>', '==', '~=', '==='):
                continue
            try:
                lowest = Version(spec.version[:-2] if spec.version.endswith('.*')
                                 else spec.version)
            except InvalidVersion:
                continue
            if spec.version.endswith('.*'):
                lowest = Version('%s.dev0' % lowest.base_version)
            if lowest >= floor:
                return True
    return False


def check_static_dependencies(dependencies, floor, abi):
    """Fails unless the fixed `dependencies` ask for hpy at `floor` or above."""
    if covers(dependencies, floor):
        return
    raise DistutilsSetupError(
        'pyproject.toml: %s HPy binaries need the HPy runtime when they run, but [project] '
        'dependencies is fixed and asks for no "hpy>=%s" (PEP 621: a build may not add to it). '
        'Add "hpy>=%s" to [project] dependencies, or list "dependencies" in [project] dynamic '
        'to let hpy add it' % (abi, floor, floor))


def rewrite_requirement(metadata_path, old, new):
    """Replace the line ``Requires-Dist: <old>`` of a METADATA file by one for `new`."""
    with open(metadata_path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    target = 'Requires-Dist: ' + old
    assert target in lines, 'no %r in %s' % (target, metadata_path)
    lines = ['Requires-Dist: ' + new if line == target else line for line in lines]
    with open(metadata_path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines))
