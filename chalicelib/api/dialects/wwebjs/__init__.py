"""The whatsapp-web.js REST API wrapper (``/compat/wwebjs/...``; chrishubert/whatsapp-api):
key in header ``x-api-key``; answers ``{"success": true, …}`` with the result's fields beside
``success``; errors ``{"success": false, "error": "…"}``.

Decisions where the document is thin (it shows no methods and no session paths; the open-source
wrapper's routes, controllers and swagger.json decide them):

- Paths and methods are the wrapper's: ``/session/*`` are GETs, ``/client/getClassInfo``,
  ``getChats``, ``getContacts``, ``getState`` and ``getWWebVersion`` are GETs, every other
  route is a POST with a JSON body (``getLabels`` and ``getBlockedContacts`` too).
- ``{sessionId}`` is the name the client chose: ``/session/start/{sessionId}`` creates the
  tenant's session with that name (sandbox or the default engine) and starts it, or starts a
  stopped one; one already running is the wrapper's 422 ``Session already exists for: …``.
  A name is letters, digits, ``_`` and ``-`` (else the wrapper's 422 ``Session should be
  alphanumerical or -``), at most 100 characters. The session's wagate id or number name it
  too.
- A missing or unknown key is the wrapper's 403 ``Invalid API key``; a key without the route's
  scope is a 403 naming the scope. Every client, chat and contact route but ``getState``
  needs the session connected (WORKING): otherwise the wrapper's 404 ``session_not_found``
  or ``session_not_connected``. Session status, QR, restart and terminate answer a session
  nobody has with 200 ``{"success": false, "message": "session_not_found"}`` as the wrapper.
- ``state`` (status, getState) is whatsapp-web.js's WAState: WORKING is CONNECTED, SCAN_QR
  UNPAIRED, STARTING OPENING, STOPPED UNLAUNCHED, FAILED CONFLICT.
- ``/session/terminate`` logs the session out and deletes it (the wrapper deletes its
  folder); ``terminateInactive`` does so for every session of the tenant that is not
  WORKING, ``terminateAll`` for all of them (the tenant's only, at most 1000).
- QR: ``/session/qr/{id}`` answers ``{"qr": "<text>"}``, ``/image`` a PNG; with no code to
  show, ``{"success": false, "message": "qr code not ready or already scanned"}``.
- Bodies are checked (the wrapper checks none and fails with a 500): a missing or malformed
  field is a 422 naming it. Ids take every form whatsapp-web.js writes (``…@c.us``,
  ``…@g.us``, ``…@lid``) and plain or ``+`` numbers.
- Objects are whatsapp-web.js's serializations (``shapes``): ids as ``{server, user,
  _serialized}`` with ``c.us`` for phones, times in Unix seconds, labels ``{id, name,
  hexColor}`` (WhatsApp Business's 20-colour palette). A chat or contact wagate has no record
  of is answered as whatsapp-web.js answers an unknown id (a bare object), except where the
  wrapper's controllers say ``Chat not Found`` (getChatById, chat/getClassInfo,
  getChatLabels): 404 there; an unknown label is a 404 ``Label not Found``.
- ``addOrRemoveLabels`` leaves each chat with exactly ``labelIds`` (whatsapp-web.js adds the
  given labels and removes the others); all ids are checked before any change.
- ``markChatUnread`` is a native capability added for it (``POST /v1/sessions/{id}/chats/
  {chat}/unread``; sandbox yes, neonize not_supported like the other app-state patches).
- ``getChats`` answers the latest 1000 chats, ``getContacts`` the first 2000 contacts,
  ``addOrRemoveLabels`` changes at most 50 chats a call.
- ``getWWebVersion`` answers a fixed WhatsApp Web version: wagate's engines are not
  WhatsApp Web. ``/localCallbackExample`` acknowledges a callback body and keeps nothing.
- Callbacks: a webhook of format ``wwebjs`` (``POST /v1/webhooks`` with ``"format":
  "wwebjs"``, optionally limited to sessions) gets the wrapper's ``{"dataType", "data",
  "sessionId"}`` for inbound messages (``message``), acks (``message_ack`` with
  whatsapp-web.js's ack numbers) and session changes (``ready``, ``change_state``,
  ``disconnected``); ``sessionId`` is the session's name. It never carries the tenant's key
  (the wrapper sends ``x-api-key``): deliveries are signed (Standard Webhooks) instead.
"""
