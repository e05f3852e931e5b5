"""WhatsCloud (a white label of WhatsMark SaaS), served drop-in: see the decisions below."""
