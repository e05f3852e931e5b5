"""CloudWA, served drop-in at ``/compat/cloudwa/api/v2/...`` and
``/compat/cloudwa/api/v3/{team_id}/...``.

CloudWA (cloudwa.net, Laravel, Scribe docs) documents its paths, methods, request fields and
401 body, but no success body except the shared numbers. Decisions:

- Credentials: ``Authorization: Bearer`` with the token of ``POST /api/v2/auth/login`` (a
  wagate username and password; wagate's login token, the same as ``/v1/auth/login``'s) or
  any wagate API key (CloudWA's "Generate API token"). ``logout`` revokes the token
  (``from_all``: every token of the user); an API key cannot log out (422).
- ``{team_id}`` is the wagate tenant id; another tenant's is refused: 403 ``This action is
  unauthorized.``.
- Errors are Laravel's: 401 exactly ``{"message": "Unauthenticated."}``; 422 ``{"message":
  "<first error> (and N more errors)", "errors": {"<field>": ["The <field> …"]}}`` (fields
  as Laravel names them, ``phones.0``); 403 ``{"message": "This action is unauthorized (the
  token lacks <scope>)."}``; an unknown route 404 ``The route api/v2/… could not be
  found.``; 429 ``{"message": "Too Many Attempts."}`` with ``Retry-After``; 500
  ``{"message": "Server Error"}``; any other ``{"message"}``.
- Answers are bare JSON (the document's one example, shared numbers, is a bare array):
  resources are objects, lists are arrays. Times are Laravel's
  ``2025-07-14T06:53:01.000000Z``. Creating a session, campaign, auto action or OTP answers
  201 (Laravel's for a new model); everything else 200.
- The document's GET endpoints send their parameters as a JSON body: every route reads the
  query string and the body, the body winning (Laravel's ``$request->input()``).
- ``session_uuid`` names a session by its wagate id (its ``uuid``), name or number; the
  team's own only (another team's or an unknown one: 404 ``session not found``).
- Integer ids (per team and kind, kept for good) for devices, campaigns, auto actions
  (bots), templates, OTPs, sessions and messages; each resource also shows its wagate id as
  ``uuid``. A message id is taken back as the integer or the ``uuid`` (digits only: the
  integer; the document's "at least 2/3 characters" is not applied, integer ids are short).
  Another team's or an unknown id in the path: 404; in a body field: 422 on it (Laravel's
  ``exists``), except ``campaign_id`` (404).
- Statuses are upper case, as CloudWA's enums: messages ``SCHEDULED``, ``PENDING`` (queued
  or being sent), ``SENT``, ``DELIVERED``, ``READ`` (played too), ``RECEIVED`` (inbound),
  ``FAILED`` (expired too), ``CANCELED``; sessions ``DISCONNECTED``, ``CONNECTING``, ``QR``,
  ``CONNECTED``, ``FAILED``; campaigns ``DRAFT``, ``SCHEDULED``, ``RUNNING``, ``PAUSED``,
  ``COMPLETED``, ``CANCELED``; OTPs ``PENDING``, ``VERIFIED``, ``EXPIRED``.
- Sending: ``type`` TEXT (``message``) or IMAGE (``image`` URL, ``message`` its caption).
  ``schedule_at`` is required (UTC; the document's example is in the past): at or before now
  means send now, later schedules it (at most 35 days). ``urgency`` 0, 1, 2 is the bulk,
  normal or high lane; ``typing_duration`` (0-5 s) shows "typing…" first;
  ``reply_to_message_id`` quotes a message that reached WhatsApp. ``chat_id`` is a number
  with country code (``+`` optional) or a chat id (``…@c.us``, ``…@g.us``). A send is
  queued, not sent while the caller waits: it answers the message with status ``PENDING``
  (or ``SCHEDULED``).
- ``forward-message`` sends the message's content again to ``chat_id`` from
  ``session_uuid``. ``get-media`` answers ``{"mimetype", "filename", "filesize", "data"}``
  (base64), or ``url`` (a short-lived link) for files over 5 MB.
- Lists: messages 50 at a time, newest first (``last_message_id`` + ``direction`` before,
  the default, or after); chats 100 after (or before) ``last_chat_id``, ``type`` group or
  user narrows (other values: all); labels, contacts, devices up to 1,000, 100 newest
  campaigns. ``include_notifications`` changes nothing (wagate keeps no notification
  messages).
- Sessions: created sessions start at once; ``webhook_url`` becomes the session's webhook in
  CloudWA's payload (format ``cloudwa``: ``{"event", "session_uuid", "data", "timestamp"}``
  for ``message.received``, ``message.status`` and ``session.status``), its signing secret
  shown once as ``webhook_secret``. ``sessions/status`` starts a disconnected session and
  waits up to 8 s for its QR code (``qr``, ``qr_image`` a PNG data URL; starting needs
  ``sessions:write``); ``no_action`` only reads (and shows a QR already on screen).
- Campaigns: ``session_uuid`` and ``session_uuids`` together are the senders, in turn;
  ``phones`` the recipients (at most 1,000); ``starting_time`` at or before now starts it at
  once, later schedules it; ``ending_time`` must be ahead (the document's example end is
  past: refused); recipients not reached by then are skipped. ``message_interval`` is
  seconds (``"10"``) or a range (``"5-15"``); ``typing_duration`` seconds, at most 5 are
  shown. ``update``'s ``action``: start, pause, resume, cancel (409 where the status does
  not allow it). ``messages``: each recipient with ``message_uuid`` and status (``PENDING``,
  ``SENT``, ``DELIVERED``, ``READ``, ``FAILED``, ``SKIPPED``, ``OPTED_OUT``).
- Auto actions are keyword bots: ``lookup`` EXACT, REGEX (RE2), CONTAINS, STARTS_WITH;
  ``type`` REPLY (``message_template_id``: a ``/v1/templates`` template by its integer id,
  the one WhatsCloud's template list shows, or its wagate id), WEBHOOK (``webhook_url``,
  signed; the secret is in the answer only), ACTION (``action`` SUBSCRIBE or UNSUBSCRIBE:
  the sender leaves or rejoins the opt-out list). The bot's name is its keywords.
- OTPs are reverse OTP: ``POST otps`` gives a code (``otp``, 8 characters) the user sends on
  WhatsApp to the shared ``number`` (``phone`` in the body: only from that number), valid 10
  minutes; ``GET otps/{OTP}`` by the code (until it expires, verified or not), the integer
  id or the ``uuid``: ``VERIFIED`` with ``verified_by`` once it arrived. ``shared-numbers``
  lists the platform's shared numbers (E.164). (``/v1/otp/reverse/{id}`` takes the code as
  well: ``OtpService.reverse_by_code``.)
- The document's placeholder examples that break its own rules (session name ``"b"``,
  ``chat_id`` ``"g"``, ``session_uuids: ["v"]``, ``"type": "architecto"``) answer Laravel's
  422 on that field.
- Scopes: devices ``devices:write``; auto actions ``bots:write``; campaigns
  ``campaigns:read|write``; chats, chat, labels ``chats:read``; contacts, check availability
  ``contacts:read``; group info ``groups:read``; messages ``messages:read``, sends and
  forwards ``messages:send``; OTP register and shared numbers ``otp:send``, get
  ``otp:verify``; sessions ``sessions:read|write``.
"""
