"""WAChat (``/compat/wachat/wachat_api/1.0/...``): a FastAPI product; key in header ``APIKey``.

Answers ``{"error": false, "message": "Success", "data": {...}}``; a 422 is FastAPI's
``{"detail": [{"loc", "msg", "type"}]}`` (invalid JSON too, as FastAPI answers it); every other
error is ``{"error": true, "message", "data": null, "detail"}``, which serves clients that read
the product's envelope and clients that read FastAPI's ``detail`` alike.

Decisions where the document is thin:

- ``ref_no`` (typed ``string``) is the wagate message id, so ``GET /v1/messages/{id}`` and
  ``/status/{ref_no}`` name the same message; ``idPerson`` and ``idClient`` (integers) are
  per-tenant numbers of the key's user and of the tenant (services/aliases), ``userid`` is the
  user's wagate id.
- ``queue`` is the device: a session's id, name or phone number (any of the accepted phone
  forms); ``sender`` too. Where several sessions match, the WORKING ones count, then the
  oldest; without either, the tenant's oldest WORKING session sends; if both are given they
  must name the same session. An unknown device is a 422 on ``queue`` (``sender``).
- ``timeout`` (default 86400 s, 1 s to 35 days) is the native ``ttl_seconds``: a message still
  queued after it ends is aborted (status ``A``), never sent late.
- ``is_group``: a bare ``destination`` is a group id (``…@g.us`` added); JIDs are taken as
  they are; a ``+`` number or a person's JID with ``is_group`` true is a 422.
- Gateway balance ``GET /sender/{sender}``: ``name`` is the session's name, ``counter`` the
  messages the tenant sent this month and ``limit`` its monthly message quota.
- Send media: a file by ``media_url`` or ``media_base64`` (exactly one); an image or a video
  WhatsApp shows inline goes as one, any other file as a document with its ``file_name``.
- Status letters (domain.status_codes): U scheduled, Q queued or being handed to the phone,
  S sent, D delivered (and inbound messages), R read or played, A failed, expired or canceled.
  Dates are UTC ``YYYY-MM-DDTHH:MM:SSZ``; a step the message has not reached is null.
  ``media_url`` of a status is a short-lived link to the stored copy of the file.
- The inbox push URL (the product's dashboard) is a webhook of format ``wachat`` made with
  ``POST /v1/webhooks``: inbound messages only, posted as a form (services/webhook_formats/
  wachat.py).
"""
