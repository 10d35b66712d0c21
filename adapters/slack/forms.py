"""Neutral forms -> Slack modals, and a submitted modal's values back to form values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from adapters.slack.render import JSON, json_safe, mrkdwn, plain, section
from bot import actions
from bot.i18n import _
from bot.messages import ChoiceInput, DateInput, Form, TextInput

FORM_CALLBACK_ID = "golive:form"
INPUT_ACTION_ID = "value"
_VIEW_TITLE_MAX = 24
_METADATA_MAX = 3000


def _input_element(field: TextInput | DateInput | ChoiceInput) -> JSON:
    element: JSON
    if isinstance(field, TextInput):
        element = {"type": "plain_text_input", "action_id": INPUT_ACTION_ID}
        if field.multiline:
            element["multiline"] = True
        if field.placeholder:
            element["placeholder"] = plain(field.placeholder, 150)
        if field.initial:
            element["initial_value"] = field.initial
    elif isinstance(field, DateInput):
        element = {"type": "datepicker", "action_id": INPUT_ACTION_ID}
        if field.initial:
            element["initial_date"] = field.initial
    else:
        options = [
            {"text": plain(choice.label, 75), "value": choice.value} for choice in field.choices
        ]
        element = {"type": "static_select", "action_id": INPUT_ACTION_ID, "options": options}
        initial = [
            o for o, c in zip(options, field.choices, strict=True) if c.value == field.initial
        ]
        if initial:
            element["initial_option"] = initial[0]
    return element


def form_metadata(form: Form, origin: dict[str, str]) -> str:
    """What a modal carries to its submission: the form's draft (its typed action) and
    where it came from (channel, response_url), so the answer lands where the button was."""
    data = {"action": actions.encode(form.action), **origin}
    text = json_safe(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    if len(text) > _METADATA_MAX:
        text = json_safe(json.dumps({"action": data["action"]}, separators=(",", ":")))
    return text


def render_form(form: Form, *, metadata: str | None = None) -> JSON:
    """A form as a modal view for views.open."""
    blocks: list[JSON] = []
    if form.intro:
        blocks.append(section(mrkdwn(form.intro)))
    for field in form.inputs:
        blocks.append(
            {
                "type": "input",
                "block_id": field.name,
                "label": plain(field.label, 2000),
                "optional": not field.required,
                "element": _input_element(field),
            }
        )
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": plain(form.title, _VIEW_TITLE_MAX),
        "submit": plain(form.submit_label, _VIEW_TITLE_MAX),
        "close": plain(_("Cancel"), _VIEW_TITLE_MAX),
        "private_metadata": metadata if metadata is not None else form_metadata(form, {}),
        "blocks": blocks,
    }


def submitted_values(state_values: Mapping[str, Any]) -> dict[str, str]:
    """A view_submission's ``state.values`` as ``{input name: text}``; anything that is not
    an input's state (Slack never sends it) reads as empty."""
    values: dict[str, str] = {}
    for block_id, elements in state_values.items():
        if not isinstance(elements, Mapping):
            values[str(block_id)] = ""
            continue
        element: Any = elements.get(INPUT_ACTION_ID) or next(iter(elements.values()), {})
        if not isinstance(element, Mapping):
            element = {}
        kind = element.get("type")
        if kind == "datepicker":
            value = element.get("selected_date")
        elif kind == "static_select":
            option = element.get("selected_option")
            value = option.get("value") if isinstance(option, Mapping) else None
        else:
            value = element.get("value")
        values[str(block_id)] = value if isinstance(value, str) else ""
    return values
