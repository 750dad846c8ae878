"""The portal's ``{% options %}`` tag: option lists of the filter forms."""

from django.template import Context, Template

from spotcheck.planning.models import CheckItem


def render(choices, selected) -> str:
    return Template("{% load portal_tags %}{% options choices selected %}").render(
        Context({"choices": choices, "selected": selected}))


def test_pairs_values_and_objects_with_the_selected_one_marked():
    assert render([("140522", "阳城县"), ("140681", "怀仁市")], "140681") == (
        '<option value="140522">阳城县</option><option value="140681" selected>怀仁市</option>')
    assert render([2026, 2025], "2025") == '<option value="2026">2026</option><option value="2025" selected>2025</option>'
    item = CheckItem(pk=7, name="医保基金使用")
    assert render([item], 7) == '<option value="7" selected>医保基金使用</option>'
    assert render([], "") == ""


def test_labels_and_values_are_escaped():
    assert render([('"><script>', "<b>x</b>")], None) == (
        '<option value="&quot;&gt;&lt;script&gt;">&lt;b&gt;x&lt;/b&gt;</option>')
