"""The attack suite (issue 9): one module per attack class of RFC 9700 §4 and RFC 6819, plus fuzzing.

Each module is named after the section it proves; each test says which section in its docstring.
"""
