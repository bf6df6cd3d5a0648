"""Writing build outputs without disturbing processes that use the old ones.

An extension binary may be mapped by a running process (a test worker, a benchmark, an
interpreter that imported it). Writing over such a file in place changes the code under the
process's feet, which crashes it (SIGSEGV, SIGBUS). A new file renamed over the old name leaves
the old inode, and so every existing mapping, intact.
"""
import os
import shutil
import tempfile


def replace_file(src, dst):
    """Copy `src` to `dst` (mode and times included) through a new file renamed over `dst`."""
    folder = os.path.dirname(os.path.abspath(dst))
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(dst) + '.', dir=folder)
    try:
        with os.fdopen(fd, 'wb') as out, open(src, 'rb') as inp:
            shutil.copyfileobj(inp, out)
        shutil.copystat(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def copy_file_command(cmd, infile, outfile, level=1):
    """`Command.copy_file` (same result and dry-run/force/update rules) with `replace_file`."""
    from distutils import log
    if os.path.isdir(outfile):
        outfile = os.path.join(outfile, os.path.basename(infile))
    if not getattr(cmd, 'force', False) and os.path.exists(outfile) and \
            os.path.getmtime(outfile) >= os.path.getmtime(infile):
        log.debug('not copying %s (output up-to-date)', infile)
        return outfile, 0
    log.info('copying %s -> %s', infile, os.path.dirname(outfile) or '.')
    if not getattr(cmd, 'dry_run', False):
        replace_file(infile, outfile)
    return outfile, 1
