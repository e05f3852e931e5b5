"""WACloud (app.wacloud.id, built on WAHA), served at ``/compat/wacloud/api/v1/...``.

Its clients change the base URL and send a wagate API key in ``X-Api-Key``. Answers are
``{"success": true, "data": …}`` (with ``message`` where WACloud prints one); errors are
``{"success": false, "error": "<sentence>", "code", "details"}`` with our status codes.

Decisions where WACloud's document is thin:
- Devices are wagate sessions; ``{device_id}``/``{device}`` in every path (and ``device_id``
  in bodies) is the device's id or its name (the oldest of that name). Status: ``connected``
  (WORKING), ``pairing`` (a QR code is, or is about to be, shown) or ``disconnected``
  (stopped, failed, reconnecting). ``phone_number`` at creation is checked, not stored: the
  device shows the number that scans its code. ``GET /devices`` lists every device
  (``?status=connected`` filters).
- ``GET /devices/{id}/pair`` starts a disconnected device and waits up to 8 s for its code;
  ``expires_at`` is the shown code's own end (WhatsApp rotates codes), at most two minutes
  ahead. An already linked device answers 409 ``already_paired``.
- Sends are accepted at once and sent in the background (201, status ``pending``, ack 0,
  ``whatsapp_message_id`` null until sent); statuses are WACloud's words with WAHA's acks:
  pending 0, sent 1, delivered 2, read 3, played 4, failed -1 (expired and canceled too),
  received for incoming messages. ``GET /messages/{id}`` follows one message.
- A list needs at least one section with rows (WhatsApp shows no empty list): the
  document's ``"sections": []`` is a 422 on ``message.sections``. ``as_note: true`` (video
  notes) is a 422; ``convert`` is accepted and ignored.
- Templates keep ``content`` as written; ``@{{name}}`` and ``{{name}}`` are both
  placeholders; their variables are read from ``content``.
- ``POST /devices/{id}/messages/sync``: incoming messages are stored as they arrive, so the
  sync has nothing to fetch and says so.
- Webhooks: events ``message`` (incoming) and ``status`` (message statuses); the payload is
  ``{"event", "device_id", "data"}`` with ``from``/``to`` as ``…@c.us`` chat ids, signed with
  Standard Webhooks headers (the ``secret`` is shown once, at creation).
- OTP: 6 digits, Indonesian default text, ``expiry_minutes`` 1-60; a ``template_id``'s
  content must hold ``@{{code}}``. Verify answers 400 ``invalid_otp`` for a wrong, expired or
  used code. Status: ``pending``, ``verified`` or ``expired`` (locked and canceled too).
- Contacts, block/unblock and LIDs follow WAHA's paths and fields under
  ``/devices/{device}/contacts`` and ``/devices/{device}/lids``; block/unblock take the
  contact in the path (``…/contacts/{id}/block``) or, WAHA's way, as ``contactId`` in the
  body (``…/contacts/block``). Offset windows reach the first 5000 contacts or LIDs; a LID
  or number with no known mapping answers 200 with ``null`` (as WAHA does).
- ``GET /account`` (and ``/account/quota``): daily and monthly messages and devices, each
  with limit, used and remaining.
- Unknown body fields are ignored (as WACloud's server does); phone numbers are digits with
  country code, with or without ``+``, or chat ids (``…@c.us``, ``…@g.us``, ``…@lid``).
"""
