#!/usr/bin/env bash
# Installs what the browser tests need when it is missing and we can: Debian's chromium and a CJK
# font (never a browser download). Without root or apt, the e2e tests skip with a clear reason, except
# under CI (CI=1, set by .ci/run) or SPOTCHECK_REQUIRE_BROWSER=1, where they fail.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK\|Noto Serif CJK" || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装测试依赖：${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || echo "警告：无法安装 ${need[*]}，浏览器测试将跳过（CI 下将失败）" >&2
else
  echo "警告：缺少 ${need[*]} 且无法自动安装（需要 root 与 apt-get），浏览器测试将跳过（CI 下将失败）" >&2
fi
exit 0
