"""Maps Cython node classes to the handlers that generate their C.

Handlers register for exact class names (a subclass may mean something else: it gets its own
handler or is reported). A node class without a handler is a compile-time error naming the
construct; the categories users meet most often get a specific message."""
import re

from ..errors import UnsupportedConstruct

STATEMENTS = {}
EXPRESSIONS = {}


def statement(*class_names):
    def register(func):
        for name in class_names:
            STATEMENTS[name] = func
        return func
    return register


def expression(*class_names):
    def register(func):
        for name in class_names:
            EXPRESSIONS[name] = func
        return func
    return register


# Node classes (or families) with a message of their own.
CATEGORIES = [
    (('GeneratorExpressionNode', 'YieldExprNode', 'YieldFromExprNode', 'GeneratorDefNode',
      'GeneratorBodyDefNode', 'InlinedGeneratorExpressionNode'),
     'generators are not supported yet'),
    (('AwaitExprNode', 'AwaitIterNextExprNode', 'AsyncDefNode', 'AsyncGenNode',
      'AsyncForStatNode', 'AsyncWithStatNode'),
     'async functions are not supported yet'),
    (('LambdaNode', 'InnerFunctionNode'),
     'closures and lambdas are not supported yet'),
    (('TryFinallyStatNode', 'GILStatNode_try', 'TryFinallyStatNode_gil'),
     'try/finally is not supported yet'),
    (('TryExceptStatNode', 'ExceptClauseNode'),
     'this form of try/except is not supported yet'),
    (('WithStatNode', 'WithTargetAssignmentStatNode', 'GILStatNode'),
     "'with' statements are not supported yet"),
    (('PyClassDefNode', 'ClassDefNode', 'Py3ClassNode', 'PyClassNamespaceNode',
      'ClassNode'),
     'Python classes (class statements) are not supported yet'),
    (('PropertyNode',),
     'properties of cdef classes are not supported yet'),
    (('FromImportStatNode', 'FromCImportStatNode'),
     "'from ... import' is not supported yet"),
    (('ImportNode',),
     'this form of import is not supported yet'),
    (('ComprehensionNode', 'ComprehensionAppendNode', 'DictComprehensionAppendNode',
      'ScopedExprNode'),
     'comprehensions are not supported yet'),
    (('GlobalNode', 'NonlocalNode'),
     "'global' and 'nonlocal' statements are not supported yet"),
    (('DelStatNode',),
     "'del' statements are not supported yet"),
    (('PrintStatNode',),
     "'print' statements are not supported yet"),
    (('ExecStatNode',),
     "'exec' statements are not supported yet"),
    (('FusedCFuncDefNode', 'FusedTypeNode'),
     'fused types are not supported yet'),
    (('ParallelStatNode', 'ParallelWithBlockNode', 'ParallelRangeNode'),
     'parallel blocks (cython.parallel) are not supported yet'),
    (('JoinedStrNode', 'FormattedValueNode'),
     'f-strings are not supported yet'),
    (('StarredUnpackingNode', 'CascadedAssignmentNode'),
     'this form of assignment is not supported yet'),
]
_MESSAGES = {name: message for names, message in CATEGORIES for name in names}


def readable(class_name):
    """'ForInStatNode' -> 'for-in statement', 'SliceIndexNode' -> 'slice index expression'."""
    name = class_name
    kind = 'expression'
    for suffix, what in (('StatNode', 'statement'), ('DefNode', 'definition'),
                         ('Node', None)):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
            if what:
                kind = what
            break
    words = re.findall(r'[A-Z]+(?=[A-Z][a-z]|$)|[A-Z]?[a-z0-9]+|[A-Z]+', name)
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    special = {'for in': 'for-in', 'for from': 'for-from', 'py': 'Python', 'c': 'C'}
    text = ' '.join(words)
    text = special.get(text, text)
    text = ' '.join(special.get(w, w) for w in text.split(' '))
    return '%s %s' % (text, kind) if text else kind


def message_for(node, what=None):
    """The error text for an unsupported node: its category's, or one built from its class."""
    name = type(node).__name__
    if name in _MESSAGES:
        return _MESSAGES[name]
    return '%s (%s) is not supported yet' % (what or readable(name), name)


def first_inside(node, class_names):
    """The first node of one of `class_names` in the subtree of `node`, or None."""
    for attr in getattr(node, 'child_attrs', ()):
        child = getattr(node, attr, None)
        for c in (child if isinstance(child, list) else [child]):
            if c is None or not hasattr(c, 'child_attrs'):
                continue
            if type(c).__name__ in class_names:
                return c
            found = first_inside(c, class_names)
            if found is not None:
                return found
    return None


def unsupported(node, message=None):
    """The error to raise for `node` (for a generator function: at its first yield)."""
    if type(node).__name__ == 'GeneratorDefNode':
        node = first_inside(node, ('YieldExprNode', 'YieldFromExprNode')) or node
    return UnsupportedConstruct(getattr(node, 'pos', None), message or message_for(node))
