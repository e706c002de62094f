"""Customer pages. Thin: parse, select through selectors, change through services, render.

lists: the requests list and "Awaiting your reply"; new: a new request; request: one request's
page and its actions; files: permission-checked downloads.
"""

from supportal.portal.views.files import file_download, file_preview
from supportal.portal.views.lists import awaiting_reply, request_list
from supportal.portal.views.new import request_new
from supportal.portal.views.request import (
    feedback_give,
    participant_add,
    participant_remove,
    quote_answer,
    request_action,
    request_comment,
    request_detail,
    request_mute,
    request_record,
)

__all__ = [
    "awaiting_reply",
    "feedback_give",
    "file_download",
    "file_preview",
    "participant_add",
    "participant_remove",
    "quote_answer",
    "request_action",
    "request_comment",
    "request_detail",
    "request_list",
    "request_mute",
    "request_new",
    "request_record",
]
