"""The delivery worker: claims due outbox mail, sends it, records what happened.

One runs in every Parley process with SMTP configured (started in the app's
lifespan; at shutdown it finishes the round it is in, within
PARLEY_SHUTDOWN_GRACE_SECONDS). It wakes when this process commits new mail, when the next retry
falls due, and at least every PARLEY_MAIL_POLL_SECONDS (mail queued by other
instances, leases of dead workers). Failures back off exponentially with
jitter; a mail refused with 5xx, or still failing after
PARLEY_MAIL_MAX_ATTEMPTS attempts, ends as `failed` and is logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from contextlib import suppress
from datetime import datetime, timedelta

from parley import metrics
from parley.config import Settings
from parley.db import Database, utcnow
from parley.mail import outbox
from parley.mail.models import OutboxMail
from parley.mail.outbox import Result
from parley.mail.smtp import Delivery, SmtpSender

logger = logging.getLogger(__name__)

BATCH_SIZE = 10
# Never spin: a due row another worker holds locked is back in a moment.
MIN_IDLE_SECONDS = 0.1
# How often sent and failed mail older than PARLEY_MAIL_KEEP_DAYS is deleted.
PRUNE_INTERVAL_SECONDS = 3600.0


def retry_delay(attempts: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones.

    Exponential (base, 2·base, 4·base, ... up to cap) with "equal jitter": half
    of it fixed, half random, so workers that failed together do not return
    together, and the delay still grows.
    """
    ceiling = min(cap, base * 2.0 ** min(attempts - 1, 62))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class MailWorker:
    """Delivers the outbox over SMTP until closed."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._database = database
        self._settings = settings
        self._sender = SmtpSender(settings)
        self._rng = rng or random.Random()
        # A claim lasts long enough for a round of slow answers (connect and
        # send each bounded by the SMTP timeout) before another worker may retry.
        self._lease = timedelta(
            seconds=BATCH_SIZE * 3 * settings.smtp_timeout_seconds + 60
        )
        self._task: asyncio.Task[None] | None = None
        self._wakeup: outbox.Wakeup | None = None
        self._stopping = False
        self._next_prune = 0.0  # event-loop time; the first round prunes

    async def start(self) -> None:
        self._wakeup = outbox.add_wakeup()
        self._task = asyncio.create_task(self._run(), name="parley-mail-worker")

    async def aclose(self) -> None:
        """Stop after the current round (cancelled if it outlasts the grace period).

        A cancelled round's mails stay claimed until their lease ends, then
        another worker sends them (at most once more: see ``run_round``).
        """
        self._stopping = True
        if self._wakeup is not None:
            outbox.remove_wakeup(self._wakeup)
            self._wakeup.flag.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(
                    self._task, self._settings.shutdown_grace_seconds
                )
            except TimeoutError:
                logger.warning("mail worker cancelled in the middle of a round")

    async def _run(self) -> None:
        assert self._wakeup is not None
        poll = self._settings.mail_poll_seconds
        while not self._stopping:
            self._wakeup.flag.clear()
            try:
                await self._prune_when_due()
                handled = await self.run_round()
                summary = await outbox.queue_summary(self._database.read_sessionmaker)
                metrics.MAIL_OUTBOX_PENDING.set(summary.undelivered)
                if handled:
                    continue
                delay = self._idle_seconds(summary.next_due_at)
            except Exception:
                # The worker outlives a database outage; the rows stay queued.
                logger.exception("mail delivery round failed; retrying in %ss", poll)
                delay = poll
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.flag.wait(), delay)

    async def _prune_when_due(self) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_INTERVAL_SECONDS
        await self.prune()

    async def prune(self) -> int:
        """Delete finished mail older than PARLEY_MAIL_KEEP_DAYS (0: keep all)."""
        keep_days = self._settings.mail_keep_days
        if keep_days == 0:
            return 0
        pruned = await outbox.prune_finished(
            self._database.sessionmaker,
            created_before=utcnow() - timedelta(days=keep_days),
        )
        if pruned:
            logger.info(
                "deleted %d sent or failed mails older than %d days", pruned, keep_days
            )
        return pruned

    def _idle_seconds(self, due: datetime | None) -> float:
        """Until the next retry falls due, at most one poll interval."""
        poll = self._settings.mail_poll_seconds
        if due is None:
            return poll
        until_due = (due - utcnow()).total_seconds()
        return min(poll, max(MIN_IDLE_SECONDS, until_due))

    async def run_round(self) -> int:
        """Claim due mail, send it, record the outcomes; how many mails were handled."""
        sessionmaker = self._database.sessionmaker
        mails = await outbox.claim_due(
            sessionmaker, now=utcnow(), limit=BATCH_SIZE, lease=self._lease
        )
        if not mails:
            return 0
        max_attempts = self._settings.mail_max_attempts
        results: list[Result] = []
        to_send: list[OutboxMail] = []
        for mail in mails:
            if mail.attempts > max_attempts:
                # Claimed before by workers that died (or were stopped) mid-round.
                error = f"delivery interrupted; last error: {mail.last_error}"
                results.append(self._failed(mail, error))
            else:
                to_send.append(mail)
        deliveries = await self._sender.deliver(to_send) if to_send else []
        results += [
            self._result(mail, delivery)
            for mail, delivery in zip(to_send, deliveries, strict=True)
        ]
        await outbox.record(sessionmaker, results, now=utcnow())
        return len(mails)

    def _result(self, mail: OutboxMail, delivery: Delivery) -> Result:
        if delivery.outcome == "sent":
            logger.info("mail %s sent to %s", mail.id, mail.recipient)
            metrics.MAIL_DELIVERIES.labels("sent").inc()
            return Result(mail.id, mail.attempts, "sent")
        error = delivery.error or "unknown error"
        if (
            delivery.outcome == "failed"
            or mail.attempts >= self._settings.mail_max_attempts
        ):
            return self._failed(mail, error)
        delay = retry_delay(
            mail.attempts,
            base=self._settings.mail_retry_base_seconds,
            cap=self._settings.mail_retry_max_seconds,
            rng=self._rng,
        )
        metrics.MAIL_DELIVERIES.labels("retry").inc()
        logger.warning(
            "mail %s to %s not sent (attempt %d, next in %.0fs): %s",
            mail.id,
            mail.recipient,
            mail.attempts,
            delay,
            error,
        )
        return Result(
            mail.id,
            mail.attempts,
            "pending",
            error,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )

    def _failed(self, mail: OutboxMail, error: str) -> Result:
        metrics.MAIL_DELIVERIES.labels("failed").inc()
        logger.error(
            "mail %s to %s failed after %d attempts: %s",
            mail.id,
            mail.recipient,
            mail.attempts,
            error,
        )
        return Result(mail.id, mail.attempts, "failed", error)
