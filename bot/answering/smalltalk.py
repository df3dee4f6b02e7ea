"""Messages that are not questions: greetings, thanks, yes/no, commands, asking for a person.

They never reach the matcher, in any channel: "/help" is not a question about legal aid, and a
stray "y" must not open a case.
"""

from __future__ import annotations

import re

GREETING, THANKS, ACK, COMMAND, PERSON = "greeting", "thanks", "ack", "command", "person"

_KINDS = (
    (GREETING, r"你好|您好|在吗|在不在|有人吗|哈喽|嗨|早上好|下午好|晚上好|hi|hello|hey|good (?:morning|afternoon|evening)"),
    (THANKS, r"谢谢|多谢|感谢|谢啦|thanks?(?: you)?|thx|ty|非常感谢|谢谢你|谢谢您"),
    (ACK, r"好的?|好吧|嗯+|哦+|噢|收到|明白了?|知道了|行|可以|ok|okay|k|y|n|yes|no|是|否|对|不是|没有|1|0|👍|🙏"),
    (PERSON, r"人工|转人工|人工客服|人工服务|找人工|客服|工作人员|human|agent|real person|talk to (?:a )?(?:person|human)"),
)
_PATTERNS = [(kind, re.compile(rf"(?:{pattern})(?:[\s!！。.,，~～?？]*)", re.IGNORECASE)) for kind, pattern in _KINDS]
_COMMAND = re.compile(r"/[A-Za-z_]\w*(?:@\w+)?(?:\s.*)?", re.DOTALL)


def classify(text: str) -> str | None:
    """The kind of small talk a whole message is, or None when it may be a question."""
    text = text.strip()
    if _COMMAND.fullmatch(text):
        return COMMAND
    for kind, pattern in _PATTERNS:
        if pattern.fullmatch(text):
            return kind
    return None
