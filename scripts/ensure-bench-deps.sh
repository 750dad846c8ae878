#!/usr/bin/env bash
# Installs what the benchmarks need when it is missing and we can: Debian's wrk (the load generator of
# benchmarks/bench_portal_load.py). Without root or apt the portal benchmark falls back to Python threads.
set -u
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装基准测试依赖：wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends wrk >/dev/null \
    || echo "警告：无法安装 wrk，门户负载基准将改用 Python 线程产生负载" >&2
else
  echo "警告：缺少 wrk 且无法自动安装（需要 root 与 apt-get），门户负载基准将改用 Python 线程产生负载" >&2
fi
exit 0
