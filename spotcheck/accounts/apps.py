from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "spotcheck.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import receivers

        user_logged_in.connect(receivers.on_logged_in, dispatch_uid="accounts.logged_in")
        user_logged_out.connect(receivers.on_logged_out, dispatch_uid="accounts.logged_out")
        user_login_failed.connect(receivers.on_login_failed, dispatch_uid="accounts.login_failed")
        user_locked_out.connect(receivers.on_locked_out, dispatch_uid="accounts.locked_out")
