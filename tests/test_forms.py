"""Form validation names each wrong field by its label, in English and in Chinese."""

import pytest

from engine import forms
from engine.errors import InvalidInput

SCHEMA = {
    "type": "object", "title": "Complaint", "x-title-zh": "投诉",
    "properties": {
        "category": {"type": "string", "title": "Category", "x-title-zh": "类别", "enum": ["billing", "network"],
                     "x-enum-labels": {"en": ["Billing", "Network"], "zh": ["计费", "网络"]}},
        "content": {"type": "string", "title": "Content", "x-title-zh": "内容", "minLength": 1},
        "deadline": {"type": "string", "title": "Deadline", "x-title-zh": "期限", "format": "date"},
        "amount": {"type": "number", "title": "Amount", "minimum": 0},
    },
    "required": ["category", "content"],
    "additionalProperties": False,
}


def errors_of(data: dict) -> dict:
    with pytest.raises(InvalidInput) as caught:
        forms.validate(SCHEMA, data)
    return {d["field"]: (d["message"], d["message_zh"]) for d in caught.value.details}


def test_valid_data_passes_unchanged():
    data = {"category": "billing", "content": "double charge", "deadline": "2026-12-01"}
    assert forms.validate(SCHEMA, data) is data


@pytest.mark.parametrize("data, field, english, chinese", [
    ({"content": "x"}, "category", "Category is required", "“类别”为必填项"),
    ({"category": "fax", "content": "x"}, "category", "Category must be one of: Billing, Network",
     "“类别”必须是以下之一：计费、网络"),
    ({"category": "billing", "content": ""}, "content", "Content must not be empty", "“内容”不能为空"),
    ({"category": "billing", "content": "x", "deadline": "next week"}, "deadline", "Deadline must be a valid date",
     "“期限”必须是有效的 date"),
    ({"category": "billing", "content": "x", "amount": -1}, "amount", "Amount must be at least 0",
     "“Amount”不能小于 0"),
    ({"category": "billing", "content": "x", "amount": "ten"}, "amount", "Amount must be a number",
     "“Amount”必须是数字"),
    ({"category": "billing", "content": "x", "colour": "red"}, "colour", "colour is not a field of this task's form",
     "“colour”不是此任务表单中的字段"),
])
def test_each_wrong_field_is_named_by_its_label_in_both_languages(data, field, english, chinese):
    assert errors_of(data)[field] == (english, chinese)


def test_free_text_is_capped_at_the_default_unless_the_field_sets_its_own_limit():
    from engine.forms.validation import TEXT_LIMIT

    assert forms.validate(SCHEMA, {"category": "billing", "content": "x" * TEXT_LIMIT})
    assert errors_of({"category": "billing", "content": "x" * 37_000})["content"] == (
        f"Content may have at most {TEXT_LIMIT} characters", f"“内容”最多 {TEXT_LIMIT} 个字符")
    short = {**SCHEMA, "properties": {**SCHEMA["properties"],
                                      "content": {"type": "string", "title": "Content", "maxLength": 10}}}
    with pytest.raises(InvalidInput, match="content"):
        forms.validate(short, {"category": "billing", "content": "x" * 11})


def test_every_wrong_field_is_reported_at_once():
    assert set(errors_of({"category": "fax", "amount": -1})) == {"category", "content", "amount"}


def test_labels_fall_back_to_the_english_title_then_the_field_name():
    assert forms.label(SCHEMA, "category", "zh_CN") == "类别"
    assert forms.label(SCHEMA, "amount", "zh_CN") == "Amount"
    assert forms.label(SCHEMA, "unknown") == "unknown"
    assert forms.enum_labels(SCHEMA["properties"]["category"], "zh_CN") == ["计费", "网络"]


@pytest.mark.parametrize("signed, ends, wrong", [
    ("2026-12-01", "2027-11-30", False), ("2026-12-01", "2026-12-01", True), ("2026-12-01", "2025-12-01", True)])
def test_a_date_that_must_come_after_another_is_checked_against_it(signed, ends, wrong):
    schema = {"type": "object", "properties": {
        "signed_on": {"type": "string", "title": "Signing date", "x-title-zh": "签署日期", "format": "date"},
        "contract_end": {"type": "string", "title": "End date", "x-title-zh": "到期日", "format": "date"}},
        "x-order": [["signed_on", "contract_end"]]}
    data = {"signed_on": signed, "contract_end": ends}
    if not wrong:
        assert forms.validate(schema, data) is data
        return
    with pytest.raises(InvalidInput) as caught:
        forms.validate(schema, data)
    assert caught.value.details == [{"field": "contract_end", "message": "End date must come after Signing date",
                                     "message_zh": "“到期日”必须晚于“签署日期”"}]
