"""WhatsCloud, served drop-in at ``/compat/whatscloud/api/v1/{tenant}/...``.

WhatsCloud is a white label of WhatsMark SaaS (Corbital Technologies, Laravel). Its seed
document shows one path (``GET …/{tenant}/templates``), Bearer tokens and token abilities;
everything else follows WhatsMark SaaS's own API (its ``ApiWebhookManager`` module and API
reference) or, where that is silent, Laravel's plain conventions. Decisions:

- Paths: WhatsMark's own (``contacts``, ``statuses``, ``sources``, ``groups`` CRUD with PUT;
  ``templates``, ``messagebots``, ``templatebots`` read; ``messages/send|media|template``),
  and the plain REST spellings ``message-bots`` and ``template-bots`` beside its
  ``messagebots`` and ``templatebots``.
- ``{tenant}`` is the wagate tenant id. Another tenant's (or an unknown) one is refused as
  WhatsMark refuses it: the token is checked against the tenant the path names, so it is
  401 ``{"status": "error", "message": "Invalid API token"}`` (nothing tells whether that
  tenant exists).
- Credentials: ``Authorization: Bearer <wagate API key>`` (a login token works too).
  Abilities are scopes: contacts, statuses, sources, groups → ``contacts:read|write``;
  templates → ``messages:read``; message and template bots → ``bots:read``; sending →
  ``messages:send``. Missing: 403 ``Token does not have the required ability: <scope>``;
  no token: 401 ``API token is required``.
- Answers: ``{"status": "success", "message"?, "data"}`` with the product's messages; errors
  ``{"status": "error", "message"}``, 422 ``{"status": "error", "message": "Validation
  failed", "errors": {"field": ["…"]}}``; 429 ``{"message", "retry_after"}``. A status,
  source or group a contact still uses cannot be deleted: 400, as WhatsMark. A number
  another contact has is 422 on ``phone`` (Laravel's unique rule).
- Ids are integers (a per-tenant sequence per kind, the alias service); message ids are
  wagate's. Times are Laravel's ``2025-07-14T06:53:01.000000Z``.
- Lists answer what WhatsMark's server answers: Laravel's paginator in ``data``
  (``current_page``, ``data``, ``from``, ``to``, ``per_page``, ``next_page_url``, …),
  ``page`` and ``per_page`` (default 15, at most 100, page times per_page at most 10,000). It is
  the simple paginator: no ``total`` or ``last_page`` (the stores page by cursor). Oldest
  first (WhatsMark: newest first). Contacts filter on ``status_id``, ``source_id``,
  ``group_id``.
- Contacts: ``firstname`` + ``lastname`` are the address book's ``name`` (split back at the
  first space); ``company``, ``type``, ``description``, ``country_id``, ``zip``, ``city``,
  ``state``, ``address``, ``website``, ``default_language`` are kept as custom fields of the
  same names; ``group_id`` is the contact's groups. Names are cut to the book's bounds
  (first 100, last 99, status/source/group 64 characters). ``isdefault`` of a status is
  always false (wagate has no default status). Email uniqueness is not enforced.
- Templates are ``/v1/templates``: ``template_name`` is the name, ``body_data`` the text,
  shown ``APPROVED``, ``UTILITY``, language ``en``. ``messages/template`` finds the template
  by name (the oldest of that name; ``template_language`` is taken and echoed, not matched)
  and fills its placeholders, in order of first use, from ``field_1`` … ``field_10``; a
  missing one is 422 ``errors.template_fields``. ``auto_generate_otp: true`` (WhatsMark's
  "Send Auth Templates") fills the first placeholder with a new 6-digit code, answered in
  ``data.otp`` and stored masked in the message record. Header and button fields are accepted and
  unused (wagate templates are text).
- Bots are ``/v1/bots`` keyword bots split by their reply: a reply with a template is a
  template bot, any other reply a message bot; webhook and opt-out bots are neither.
  ``trigger`` is the keywords joined by commas; ``reply_type`` 1 for an exact match, 2 for
  the others (starts with, contains, regex).
- Sending: the session that sends is ``from_phone_number_id`` (WhatsMark's sender field,
  taken on all three sends) as a session id or its phone number; by default the tenant's
  oldest WORKING session; with none, 422 on ``from_phone_number_id``. Numbers come with
  country code, with or without ``+``, or as ``…@c.us``. A number the address book lacks is
  added as a contact (``contact`` gives its name and email; else the number is its name),
  as WhatsMark does; ``contact.groups`` and ``country`` are not used.
- A send is accepted and queued, not sent while the caller waits: the answer's ``status`` is
  ``accepted`` (the Cloud API's word), ``message_id`` the wagate message id. Its progress
  comes by callback. Media go by URL only (``media_file`` uploads are not taken).
- Callbacks (``format: "whatscloud"`` on ``POST /v1/webhooks``): WhatsMark forwards the
  WhatsApp Cloud API webhook body, so inbound messages and status changes come in that shape
  (``entry[].changes[].value.messages|statuses``), statuses ``sent``, ``delivered``,
  ``read`` (played too), ``failed`` (expired and canceled too). ``phone_number_id`` is the
  session id; ``display_phone_number`` is the session's number when the event knows it.
"""
