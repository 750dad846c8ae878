"""The shared base of the Django apps: roles, permissions and area scope, model bases, actions and their
transactions, the view helper, the table reader/writer, the upload check, transactional file storage.

Nothing here imports another ``spotcheck`` app (only ``spotcheck.core``); every app may import from here.
"""
