"""Callback data of the conversation's buttons: "td:" (tip draft), never the officers' "tip:"."""

from __future__ import annotations

PREFIX = "td:"
CB_CATEGORY = "td:cat:"
CB_STORY_DONE = "td:story:done"
CB_UNIT = "td:unit:"
CB_WHEN = "td:when:"
CB_EVIDENCE_DONE = "td:ev:done"
CB_EVIDENCE_CLEAR = "td:ev:clear"
CB_IDENTITY = "td:id:"
CB_EDIT = "td:edit:"
CB_LEGAL = "td:legal:"
CB_SEND = "td:send:"
CB_CANCEL = "td:cancel"
CB_REVIEW = "td:review"
CB_PREVIOUS = "td:prev"
