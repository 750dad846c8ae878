"""Atom feed of new publications (results and corrections), newest first. Its items are the public serialiser's
values (``public.publication_data``, every string masked), never the rows."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from . import public


class PublicationFeed(Feed):
    feed_type = Atom1Feed
    title = "医保“双随机、一公开”检查结果公示"
    subtitle = "定点医药机构随机抽查结果及更正"
    language = "zh-CN"

    def link(self) -> str:
        return reverse("portal:results")

    def items(self) -> Any:
        pubs = public.publications().select_related("institution", "inspection").order_by("-published_at", "-id")[:50]
        return [public.publication_data(p, people=public.people_of_publication(p)) for p in pubs]

    def item_title(self, item: dict[str, Any]) -> str:
        s = item["snapshot"]
        prefix = "【更正】" if item["supersedes_id"] else ""
        return f"{prefix}{s['institution']['name']}：{s['result_label']}"

    def item_description(self, item: dict[str, Any]) -> str:
        s = item["snapshot"]
        parts = [f"抽查任务：{s['task']['name']}", f"检查区域：{s['area']['name']}", f"检查结果：{s['result_label']}"]
        if s.get("handling"):
            parts.append(f"处理情况：{s['handling']}")
        if item["correction_reason"]:
            parts.append(f"更正原因：{item['correction_reason']}")
        return "；".join(parts)

    def item_link(self, item: dict[str, Any]) -> str:
        return reverse("portal:result", args=[item["pk"]])

    def item_pubdate(self, item: dict[str, Any]) -> Any:
        return item["published_at"]

    def item_updateddate(self, item: dict[str, Any]) -> Any:
        return item["published_at"]

    def item_guid(self, item: dict[str, Any]) -> str:
        return f"spotcheck-publication-{item['pk']}"
