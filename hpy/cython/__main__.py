"""python -m hpy.cython fast.pyx [-o fast.c]: write the HPy C file of a .pyx (for build systems
other than setuptools). The C builds in every HPy ABI; choose it with -DHPY_ABI_CPYTHON,
-DHPY_ABI_UNIVERSAL or -DHPY_ABI_HYBRID when compiling."""
import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m hpy.cython',
        description='Compile a Cython .pyx file to C using the HPy API (one C file for every '
                    'HPy ABI).')
    parser.add_argument('pyx', help='the .pyx file')
    parser.add_argument('-o', '--output', help='the C file to write (default: next to the '
                                                '.pyx, with the extension .c)')
    parser.add_argument('--module-name', help='the full name of the module (default: from '
                                              'the file name)')
    parser.add_argument('-X', '--directive', action='append', default=[],
                        metavar='NAME=VALUE', help='a Cython compiler directive')
    parser.add_argument('-2', dest='language_level', action='store_const', const=2,
                        help='Cython language level 2')
    parser.add_argument('-3', dest='language_level', action='store_const', const=3,
                        help='Cython language level 3 (the default is 3str)')
    args = parser.parse_args(argv)
    from . import CythonHPyError, compile_pyx
    directives = {}
    for d in args.directive:
        name, sep, value = d.partition('=')
        if not sep:
            parser.error('a directive is NAME=VALUE: %r' % d)
        directives[name.strip()] = _directive_value(value.strip())
    output = args.output or os.path.splitext(args.pyx)[0] + '.c'
    try:
        compile_pyx(args.pyx, output=output, module_name=args.module_name,
                    directives=directives, language_level=args.language_level)
    except CythonHPyError as e:
        sys.stderr.write('error: %s\n' % e)
        return 1
    return 0


def _directive_value(text):
    lowered = text.lower()
    if lowered in ('true', 'false'):
        return lowered == 'true'
    try:
        return int(text)
    except ValueError:
        return text


if __name__ == '__main__':
    sys.exit(main())
