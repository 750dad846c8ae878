"""Atom feed of new publications (results and corrections), newest first."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from . import public
from .models import Publication


class PublicationFeed(Feed):
    feed_type = Atom1Feed
    title = "医保“双随机、一公开”检查结果公示"
    subtitle = "定点医药机构随机抽查结果及更正"
    language = "zh-CN"

    def link(self) -> str:
        return reverse("portal:results")

    def items(self) -> Any:
        return public.publications().order_by("-published_at", "-id")[:50]

    def item_title(self, item: Publication) -> str:
        s = item.snapshot
        prefix = "【更正】" if item.supersedes_id else ""
        return f"{prefix}{s['institution']['name']}：{s['result_label']}"

    def item_description(self, item: Publication) -> str:
        s = item.snapshot
        parts = [f"抽查任务：{s['task']['name']}", f"检查区域：{s['area']['name']}", f"检查结果：{s['result_label']}"]
        if s.get("handling"):
            parts.append(f"处理情况：{s['handling']}")
        if item.correction_reason:
            parts.append(f"更正原因：{item.correction_reason}")
        return "；".join(parts)

    def item_link(self, item: Publication) -> str:
        return reverse("portal:result", args=[item.pk])

    def item_pubdate(self, item: Publication) -> Any:
        return item.published_at

    def item_updateddate(self, item: Publication) -> Any:
        return item.published_at

    def item_guid(self, item: Publication) -> str:
        return f"spotcheck-publication-{item.pk}"
