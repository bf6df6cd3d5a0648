"""Writing readable C: indentation, blocks, labels and comments pointing at .pyx lines."""


def c_string(text):
    """A C string literal holding the UTF-8 bytes of `text` (or of bytes)."""
    data = text if isinstance(text, bytes) else text.encode('utf-8')
    out = ['"']
    for b in data:
        c = chr(b)
        if c == '"':
            out.append('\\"')
        elif c == '\\':
            out.append('\\\\')
        elif c == '\n':
            out.append('\\n')
        elif 32 <= b < 127 and c != '?':     # '?' could start a trigraph
            out.append(c)
        else:
            out.append('\\%03o' % b)
    out.append('"')
    return ''.join(out)


def c_comment(text):
    """Text made safe to appear inside a C comment."""
    return text.replace('*/', '* /').replace('/*', '/ *')


class CWriter:
    """Lines of C with the current indentation."""

    INDENT = '    '

    def __init__(self, level=0):
        self.lines = []
        self.level = level

    def line(self, text=''):
        self.lines.append((self.INDENT * self.level + text) if text else '')

    def open(self, text):
        self.line(text + ' {')
        self.level += 1

    def close(self, text='}'):
        self.level -= 1
        self.line(text)

    def label(self, name):
        """A label, one indentation step left of the statements it precedes."""
        self.lines.append(self.INDENT * max(self.level - 1, 0) + '  ' + name + ':;')

    def comment(self, text):
        self.line('/* %s */' % c_comment(text))

    def extend(self, other):
        self.lines.extend(other.lines)

    def text(self):
        return '\n'.join(self.lines) + '\n'
