"""系统数据检查: claims data screening before anyone travels.

Import a batch (``io``: mdtrt_d / setl_d / fee_list_d, CSV or xlsx, all or nothing) → run the rules
(``rules``: pure functions; ``runner``: feeds them from the database; parameters are policy settings
in ``policy_specs``) → results per institution with drill-down and export (``views``) → flag
institutions as 重点监控 (``Institution.risk_flag``), which the directed draw scope filters on.
All writes are in ``actions`` (permission ``change``, area scope, one transaction, audit events).
"""
