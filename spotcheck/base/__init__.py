"""The shared base of the Django apps: transactions for actions, transactional file storage.

Nothing here imports another ``spotcheck`` app; every app may import from here.
"""
