#!/usr/bin/env python3
"""`make api-coverage`: how many of the context functions the test suite calls, in every ABI.

The suite's run by `make test` (tools/suite_record.py; run here when the sources changed since)
records, for each C-level test loaded in trace mode, which context functions the trace context
saw it call. A function counts as covered when a test calls it and the same test (same source,
other ABI parameter) passed in the cpython, universal and hybrid ABIs. Two members are not traced by design and are shown covered by other
evidence: ctx_FatalError (tests/test_err.py::test_fatal_error checks the abort in each ABI, in a
subprocess) and ctx_CallRealFunctionFromTrampoline (every test of the universal-dispatch ABI goes
through it; the CPython ABI has no such member). The helpers compiled into extensions are checked
by name in the C sources of ABI-parametrized tests.
"""
import glob
import json
import os
import re
import subprocess
import sys

import suite_record

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIRED_ABIS = ('cpython', 'universal', 'hybrid')
HELPERS = ['HPyArg_Parse', 'HPyArg_ParseKeywords', 'HPyArg_ParseKeywordsDict', 'HPy_BuildValue',
           'HPyUnicode_FromFormat', 'HPyUnicode_FromFormatV', 'HPyErr_Format',
           'HPyHelpers_AddType', 'HPyHelpers_PackArgsAndKeywords', 'HPyStructSequence_NewType',
           'HPyStructSequence_New', 'HPyErr_SetFromErrno', 'HPyErr_SetFromErrnoWithFilenameObject',
           'HPyTuple_Pack', 'HPy_DelAttr', 'HPy_DelAttr_s', 'HPyLong_FromLong',
           'HPyLong_FromUnsignedLong', 'HPyLong_FromLongLong', 'HPyLong_FromUnsignedLongLong',
           'HPyLong_AsLong', 'HPyLong_AsUnsignedLong', 'HPyLong_AsUnsignedLongMask',
           'HPyLong_AsLongLong', 'HPyLong_AsUnsignedLongLong', 'HPyLong_AsUnsignedLongLongMask',
           'HPyBool_FromLong', 'HPySlice_AdjustIndices', 'HPy_CallMethodTupleDict_s',
           'HPy_CallMethodTupleDict', 'HPyCapsule_GetPointer', 'HPyCapsule_GetName',
           'HPyCapsule_GetContext', 'HPyCapsule_SetPointer', 'HPyCapsule_SetName',
           'HPyCapsule_SetContext', 'HPyCapsule_SetDestructor', 'HPy_RETURN_RICHCOMPARE',
           'HPy_BEGIN_LEAVE_PYTHON', 'HPy_END_LEAVE_PYTHON', 'HPyLong_FromPid', 'HPyLong_AsPid',
           'HPyField_VisitArray', 'HPy_VISIT_ARRAY', 'HPyType_GetModule',
           'HPyType_SpecParam_MODULE']


def function_members():
    with open(os.path.join(ROOT, 'api', 'ctx.tsv')) as f:
        rows = [l.rstrip('\n').split('\t') for l in f if not l.startswith('#') and l.strip()]
    header, rows = rows[0], rows[1:]
    return [dict(zip(header, r)) for r in rows if r[1] == 'function']


def base_id(nodeid, abi):
    """The test id without its ABI parameter."""
    m = re.match(r'^(.*)\[(.*)\]$', nodeid)
    if not m:
        return nodeid
    params = [p for p in m.group(2).split('-') if p != abi]
    if abi == 'universal-dispatch':
        params = m.group(2).replace('universal-dispatch', '').strip('-')
        return '%s[%s]' % (m.group(1), params) if params else m.group(1)
    return '%s[%s]' % (m.group(1), '-'.join(params)) if params else m.group(1)


def suite_run():
    """(per-test records, {test: called members}, pytest's exit status): from the record `make
    test` left on these sources, else from a run of the suite made here."""
    record = suite_record.current(sys.executable)
    if record is None:
        print('no record of `make test` on these sources: running the suite (%s)'
              % suite_record.RECORD)
        suite_record.run(['-q', '-n', '2', '-p', 'no:cacheprovider', 'tests'])
        record = suite_record.current(sys.executable)
        if record is None:
            print('the suite left no complete record (interrupted, or sources changed meanwhile)')
            sys.exit(1)
    else:
        print('using the record of `make test` on these sources (%s)' % record[0])
    directory, status = record
    with open(os.path.join(directory, 'results.json')) as f:
        records = json.load(f)
    called = {}
    for path in glob.glob(os.path.join(directory, 'calls', 'calls-*.json')):
        with open(path) as f:
            called.update(json.load(f))
    return records, called, status


def main():
    records, called, rc = suite_run()

    passed = {}
    for rec in records:
        if rec['outcome'] == 'passed' and rec['abi']:
            passed.setdefault(base_id(rec['test'], rec['abi']), set()).add(rec['abi'])
    everywhere = {t for t, abis in passed.items() if set(REQUIRED_ABIS) <= abis}

    covered = {}
    for nodeid, names in called.items():
        test = base_id(nodeid, 'trace')
        if test in everywhere:
            for name in names:
                covered.setdefault(name, test)
    if 'tests/test_err.py::test_fatal_error' in everywhere:
        covered['ctx_FatalError'] = 'tests/test_err.py::test_fatal_error'
    if any(abis >= {'universal-dispatch'} for abis in passed.values()):
        covered['ctx_CallRealFunctionFromTrampoline'] = 'every test in the universal-dispatch ABI'

    members = function_members()
    # Legacy members exist only where Python.h does (cpython, hybrid), and _HPy_AsStruct_Legacy
    # needs a struct that starts with PyObject_HEAD, which only Python.h can declare: a passing
    # test of those ABIs from a test file that calls them.
    for m in members:
        if 'legacy' not in m['flags'].split(',') and m['api_name'] != '_HPy_AsStruct_Legacy':
            continue
        names = [m['api_name']] + (['HPyType_LEGACY_HELPERS']
                                   if m['api_name'] == '_HPy_AsStruct_Legacy' else [])
        for path in glob.glob(os.path.join(ROOT, 'tests', 'test_*.py')):
            with open(path) as f:
                text = f.read()
            if not any(re.search(r'\b%s\b' % re.escape(n), text) for n in names):
                continue
            prefix = 'tests/' + os.path.basename(path) + '::'
            if any(t.startswith(prefix) and {'cpython', 'hybrid'} <= abis
                   for t, abis in passed.items()):
                covered[m['ctx_field']] = prefix + ' (cpython, hybrid)'
    missing = [m['ctx_field'] for m in members if m['ctx_field'] not in covered]
    print()
    print('context functions exercised in cpython, universal and hybrid: %d/%d'
          % (len(members) - len(missing), len(members)))
    for name in missing:
        print('    not exercised: %s' % name)

    sources = ''
    for path in glob.glob(os.path.join(ROOT, 'tests', 'test_*.py')):
        with open(path) as f:
            sources += f.read()
    missing_helpers = [h for h in HELPERS if not re.search(r'\b%s\b' % re.escape(h), sources)]
    print('helpers called by C-level tests: %d/%d' % (len(HELPERS) - len(missing_helpers),
                                                     len(HELPERS)))
    for name in missing_helpers:
        print('    not called: %s' % name)
    return 1 if (missing or missing_helpers or rc != 0) else 0


if __name__ == '__main__':
    sys.exit(main())
