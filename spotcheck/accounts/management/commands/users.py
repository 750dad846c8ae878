"""``spotcheck users list|create|deactivate|activate|reset|unlock|sessions|end-sessions|reset-2fa``.

The server-side twin of 系统管理 → 用户, for the installation and for a locked-out administrator. The
operator acts as ``cli`` (every permission, audited as such); the same actions and checks as the pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from spotcheck.accounts import actions, security
from spotcheck.accounts.models import User, UserSession
from spotcheck.base.actions import SYSTEM_ACTOR, ActionRefused
from spotcheck.base.roles import Role


class Command(BaseCommand):
    help = "账号管理：list 列出，create 新建，deactivate/activate 停用/启用，reset 重置密码，unlock 解除登录锁定，" \
           "sessions 在线会话，end-sessions 结束会话，reset-2fa 重置两步验证"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="cmd", required=True)
        ls = sub.add_parser("list", help="列出账号")
        ls.add_argument("--role", choices=Role.values)
        ls.add_argument("--inactive", action="store_true", help="只列出已停用的账号")
        cr = sub.add_parser("create", help="新建账号（输出一次性密码，首次登录须修改）")
        cr.add_argument("username")
        cr.add_argument("--role", required=True, choices=Role.values)
        cr.add_argument("--region", default="", help="所属区域，6 位行政区划代码")
        cr.add_argument("--name", default="", help="姓名")
        cr.add_argument("--email", default="")
        cr.add_argument("--inspector-number", default="")
        cr.add_argument("--institution-code", default="")
        for name, text in (("deactivate", "停用账号"), ("activate", "重新启用账号"), ("reset", "重置密码"),
                           ("sessions", "列出在线会话"), ("end-sessions", "结束全部会话"),
                           ("reset-2fa", "重置两步验证（手机丢失）")):
            p = sub.add_parser(name, help=text)
            p.add_argument("username")
            if name not in ("sessions",):
                p.add_argument("--reason", default="", help="原因（记入审计日志）")
        ul = sub.add_parser("unlock", help="解除登录锁定（账号或来源地址）")
        ul.add_argument("username", nargs="?", default="")
        ul.add_argument("--ip", default="", help="解除某个来源地址的锁定")
        ul.add_argument("--reason", default="")
        sub.add_parser("locks", help="列出当前被锁定的账号和来源地址")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "_" + opts["cmd"].replace("-", "_"))(opts)
        except (ActionRefused, PermissionDenied) as exc:
            raise CommandError(getattr(exc, "message", None) or str(exc)) from exc

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号")
        return user

    def _list(self, opts: dict[str, Any]) -> None:
        rows = User.objects.order_by("username")
        if opts["role"]:
            rows = rows.filter(role=opts["role"])
        if opts["inactive"]:
            rows = rows.filter(is_active=False)
        for u in rows:
            state = "启用" if u.is_active else "已停用"
            extra = "，安装账号" if u.is_superuser else ""
            self.stdout.write(f"{u.username}\t{u.display_name}\t{u.get_role_display()}\t{u.region_code or '全部'}\t"
                              f"{state}{extra}")

    def _create(self, opts: dict[str, Any]) -> None:
        data = {"role": opts["role"], "region_code": opts["region"], "display_name": opts["name"],
                "email": opts["email"], "inspector_number": opts["inspector_number"],
                "institution_code": opts["institution_code"]}
        user, secret = actions.create_user(SYSTEM_ACTOR, opts["username"], data, reason="命令行新建账号")
        self.stdout.write(f"已建立账号 {user.username}（{user.get_role_display()}）。一次性密码（只显示这一次，"
                          f"首次登录须修改）：{secret}")

    def _deactivate(self, opts: dict[str, Any]) -> None:
        actions.set_active(SYSTEM_ACTOR, self._user(opts["username"]), False, opts["reason"] or "命令行停用")
        self.stdout.write(f"已停用 {opts['username']}")

    def _activate(self, opts: dict[str, Any]) -> None:
        actions.set_active(SYSTEM_ACTOR, self._user(opts["username"]), True, opts["reason"] or "命令行启用")
        self.stdout.write(f"已启用 {opts['username']}")

    def _reset(self, opts: dict[str, Any]) -> None:
        secret = actions.reset_password(SYSTEM_ACTOR, self._user(opts["username"]), opts["reason"] or "命令行重置密码")
        self.stdout.write(f"{opts['username']} 的一次性密码（只显示这一次，登录后须修改）：{secret}")

    def _unlock(self, opts: dict[str, Any]) -> None:
        if not (opts["username"] or opts["ip"]):
            raise CommandError("请指定用户名或 --ip 地址")
        n = actions.unlock(SYSTEM_ACTOR, username=opts["username"], ip=opts["ip"], reason=opts["reason"])
        self.stdout.write(f"已解锁 {opts['username'] or opts['ip']}（清除 {n} 条失败记录）")

    def _locks(self, opts: dict[str, Any]) -> None:
        found = security.locked_out()
        for x in found:
            self.stdout.write(f"{x.kind_label}\t{x.value}\t失败 {x.failures} 次\t最近 {x.last_at:%Y-%m-%d %H:%M}")
        if not found:
            self.stdout.write("当前没有被锁定的账号或来源地址")

    def _sessions(self, opts: dict[str, Any]) -> None:
        for s in UserSession.objects.filter(user=self._user(opts["username"])):
            self.stdout.write(f"{s.signed_in_at:%Y-%m-%d %H:%M}\t{s.ip_address or '未知'}\t{s.user_agent[:60]}")

    def _end_sessions(self, opts: dict[str, Any]) -> None:
        n = actions.end_sessions(SYSTEM_ACTOR, self._user(opts["username"]), None, opts["reason"] or "命令行结束会话")
        self.stdout.write(f"已结束 {n} 个会话")

    def _reset_2fa(self, opts: dict[str, Any]) -> None:
        actions.reset_two_factor(SYSTEM_ACTOR, self._user(opts["username"]), opts["reason"] or "命令行重置两步验证")
        self.stdout.write(f"已重置 {opts['username']} 的两步验证，下次登录时重新设置")
