"""The aerich migrations, shipped in the wheel as package data.

`ratmas.persistence.db` finds them through `importlib.resources`, so an installed
`ratmas` migrates from its own copy, not from a path relative to a source tree.
"""
