"""Forms of the account pages (the checks themselves are in ``actions``, shared with the CLI)."""

from __future__ import annotations

from django import forms

from spotcheck.base.roles import Role


class AccountForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150,
                               help_text="登录用，建立后不能修改；字母、数字和 @ . + - _")
    display_name = forms.CharField(label="姓名", max_length=50, required=False)
    email = forms.EmailField(label="电子邮箱", required=False, help_text="用于接收待办提醒，可不填")
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region_code = forms.CharField(label="所属区域", max_length=6, required=False,
                                  help_text="6 位行政区划代码，如 140522；系统管理员、安全管理员、审计管理员和审计/纪检不填")
    inspector_number = forms.CharField(label="检查人员编号", max_length=64, required=False,
                                       help_text="检查人员账号对应的执法检查人员名录库编号")
    institution_code = forms.CharField(label="机构编码", max_length=12, required=False,
                                       help_text="机构账号对应的定点医药机构编码")
    reason = forms.CharField(label="原因", max_length=200, required=False, help_text="记入审计日志，可不填")

    def __init__(self, *args: object, editing: bool = False, roles: list[str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["username"]
        if roles is not None:  # the roles this administrator may give
            self.fields["role"].choices = [(k, v) for k, v in Role.choices if k in roles]

    def clean_username(self) -> str:
        import re

        value = self.cleaned_data["username"].strip()
        if not re.fullmatch(r"[\w.@+-]+", value):
            raise forms.ValidationError("用户名只能包含字母、数字和 @ . + - _")
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200, help_text="记入审计日志")


class CodeForm(forms.Form):
    token = forms.CharField(label="验证码", max_length=20, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="手机验证器上的 6 位数字；手机不在身边时可输入一个恢复码（xxxxx-xxxxx）")

    def __init__(self, *args: object, enrol: bool = False, confirm_password: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if enrol:
            self.fields["token"].help_text = "扫码后验证器显示的 6 位数字"
        if confirm_password:  # replacing an enrolled authenticator: the session alone is not enough
            self.fields["password"] = forms.CharField(label="当前密码", widget=forms.PasswordInput(
                attrs={"autocomplete": "current-password"}), help_text="更换手机需要确认当前密码")


class UserFilterForm(forms.Form):
    q = forms.CharField(label="用户名或姓名", required=False, max_length=50)
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部")] + list(Role.choices))
    active = forms.ChoiceField(label="状态", required=False,
                               choices=[("", "全部"), ("1", "启用"), ("0", "已停用")])
