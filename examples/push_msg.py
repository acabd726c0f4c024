#!/usr/bin/env python3
"""Example notifier, as the seed script expects: the message is the one argument.

Replace the print with your Slack/Telegram/mail call. portwatch also sets PORTWATCH_EVENT
(down|up), PORTWATCH_HOST, PORTWATCH_PORT, PORTWATCH_DESCRIPTION, PORTWATCH_REASON and
PORTWATCH_TIME. Exit non-zero when delivery failed: portwatch keeps the message and retries.
"""
import sys

print("push_msg:", sys.argv[1], flush=True)
