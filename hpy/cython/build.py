"""The .pyx -> .c step of a setuptools build (used by hpy.devel for `hpy_ext_modules`)."""
import os
import re

_DISTUTILS_LISTS = ('extra_compile_args', 'extra_link_args', 'libraries', 'library_dirs',
                    'include_dirs', 'define_macros', 'undef_macros', 'depends',
                    'extra_objects', 'runtime_library_dirs')


def distutils_settings(pyx_path):
    """The `# distutils: name = value` lines at the top of a .pyx, as {name: [values]}."""
    settings = {}
    with open(pyx_path, encoding='utf-8', errors='replace') as f:
        for line in f:
            stripped = line.strip()
            if stripped and not stripped.startswith('#'):
                break
            m = re.match(r'#\s*distutils\s*:\s*(\w+)\s*=\s*(.*)$', stripped)
            if m:
                settings.setdefault(m.group(1), []).extend(
                    v for v in re.split(r'[,\s]+', m.group(2).strip()) if v)
    return settings


def pyx_source(source):
    """The .pyx behind an extension source: the source itself, or the .pyx that setuptools
    renamed to .c because it could not import Cython; None for other sources."""
    if source.endswith('.pyx'):
        return source
    if source.endswith('.c') and not os.path.exists(source):
        candidate = source[:-2] + '.pyx'
        if os.path.exists(candidate):
            return candidate
    return None


def cythonize_extension(ext, build_temp, log=None):
    """Replace the .pyx sources of `ext` by the HPy C files written for them under
    build_temp; apply their `# distutils:` settings. Returns the C files written."""
    from . import compile_pyx
    written = []
    sources = []
    for source in ext.sources:
        pyx = pyx_source(source)
        if pyx is None:
            sources.append(source)
            continue
        name = ext.name if len([s for s in ext.sources if pyx_source(s)]) == 1 else \
            os.path.splitext(os.path.basename(pyx))[0]
        target = os.path.join(build_temp, 'hpy-cython', *str(ext.name).split('.')) + '.c'
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if log:
            log('hpy.cython: %s -> %s' % (pyx, target))
        c_text = compile_pyx(pyx, module_name=str(name))
        _write_if_changed(target, c_text)
        sources.append(target)
        written.append(target)
        for key, values in distutils_settings(pyx).items():
            if key in _DISTUTILS_LISTS and key != 'define_macros':
                setattr(ext, key, list(getattr(ext, key, None) or []) + values)
        ext.depends = list(ext.depends or []) + [pyx]
    ext.sources = sources
    return written


def _write_if_changed(path, text):
    try:
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return
    except OSError:
        pass
    tmp = path + '.tmp%d' % os.getpid()
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)
