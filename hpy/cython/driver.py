"""Runs Cython's own pipeline on a .pyx file with the last stage (C generation) replaced by ours.

Cython parses the file, interprets its directives, declares and analyses everything and runs its
optimising transforms; our stage receives the analysed ModuleNode and writes HPy C."""
import contextlib
import io
import os
import sys

from .errors import CythonHPyError
from .version import require_cython


def _default_options(directives, language_level):
    from Cython.Compiler import Main, Options
    options = Main.CompilationOptions(Options.default_options)
    options.errors_to_stderr = True
    options.use_listing_file = False
    if language_level is not None:
        options.language_level = language_level
    # cdef classes are not picklable yet: no __reduce_cython__ / __setstate_cython__
    options.compiler_directives = dict(options.compiler_directives, auto_pickle=False)
    if directives:
        options.compiler_directives = dict(options.compiler_directives, **directives)
    return options


def analyse(pyx_path, module_name=None, directives=None, language_level=None, stage=None):
    """Run Cython's pipeline on `pyx_path`; `stage(module_node)` replaces its C generation.
    Returns what `stage` returned. Cython's own errors become CythonHPyError."""
    require_cython()
    from Cython.Compiler import Main, Pipeline
    if not os.path.exists(pyx_path):
        raise CythonHPyError('%s: no such file' % pyx_path)
    options = _default_options(directives, language_level)
    context = Main.Context.from_options(options)
    ext = os.path.splitext(pyx_path)[1]
    source = Main.setup_source_object(pyx_path, ext, module_name, options, context)
    result = Main.create_default_resultobj(source, options)
    options.configure_language_defaults(ext[1:] or 'pyx')
    pipeline = Pipeline.create_pyx_pipeline(context, options, result)
    outcome = {}

    def hpy_generate_stage(module_node):
        outcome['value'] = stage(module_node, source.full_module_name, options)
        return module_node

    replaced = False
    for i, phase in enumerate(pipeline):
        if getattr(phase, '__name__', '') == 'generate_pyx_code_stage':
            pipeline[i] = hpy_generate_stage
            replaced = True
    if not replaced:
        raise CythonHPyError('the installed Cython has no generate_pyx_code_stage in its '
                             'pipeline: hpy.cython cannot work with it')
    # Cython's messages (errors and warnings) are collected, then reported by us
    messages = io.StringIO()
    ours = None
    with contextlib.redirect_stderr(messages):
        context.setup_errors(options, result)
        try:
            err, _ = Pipeline.run_pipeline(pipeline, source)
        except CythonHPyError as e:
            ours, err = e, None
        finally:
            result.c_file = None      # Cython must not touch a C file of its own
            context.teardown_errors(None, options, result)
    text = messages.getvalue()
    if ours is not None:
        raise ours
    if err is not None or result.num_errors:
        raise CythonHPyError('Cython could not compile %s:\n%s' % (pyx_path, text.rstrip()))
    if text.strip():
        sys.stderr.write(text)
    return outcome.get('value')


def compile_pyx(pyx_path, output=None, module_name=None, directives=None, language_level=None):
    """The HPy C text of `pyx_path` (written to `output` too when given)."""
    from .gen.module import generate_module
    c_text = analyse(pyx_path, module_name=module_name, directives=directives,
                     language_level=language_level, stage=generate_module)
    if output:
        tmp = output + '.tmp%d' % os.getpid()
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(c_text)
        os.replace(tmp, output)
    return c_text
