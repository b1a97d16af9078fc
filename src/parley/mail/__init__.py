"""E-mail notifications about events, delivered through a durable outbox.

``notify`` turns event notifications into rendered mails (``render``) with an
iCalendar attachment and writes them to the outbox (``outbox``) in the
transaction of the change; ``worker`` delivers them over SMTP (``smtp``) with
retries. Without ``PARLEY_SMTP_HOST`` nothing is queued.
"""
