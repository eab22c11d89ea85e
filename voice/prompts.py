"""What the voice layer itself says (everything else comes from the assistant)."""

REPROMPT = "您好，请问您还在吗？有什么可以帮您，请直接说，或者按键输入。"
NOT_HEARD = "抱歉，我没有听清，请您再说一遍。"
OFFER_HUMAN_INTENT = "/request_human"
NO_ANSWER_GOODBYE = "没有听到您的回答，通话即将结束。如需帮助，欢迎再次来电。再见。"
ASSISTANT_DOWN = "抱歉，系统暂时无法处理您的请求，请稍后再拨，或拨打人工客服热线。再见。"
CALL_TOO_LONG = "本次通话时间已较长，为保证服务质量，通话即将结束。如需继续办理，欢迎再次来电。再见。"
GREETING_INTENT = "/greet"
