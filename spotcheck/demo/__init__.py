"""The demo city: a seeded generator of directories, accounts, history and credit files.

It sits above every other app (it drives their actions to build a believable history), so nothing
in the product imports it; ``spotcheck demo-data`` is its command.
"""
