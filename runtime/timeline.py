"""Time-driven work: deadlines, reminders, pickup announcements.

The database holds every instant. APScheduler (3.x, in the bot's event loop) keeps one timer
per moment, rebuilt from the rows at start-up and whenever a purchase changes; a sweep every
30 seconds does the same work for anything a timer missed (a restart, a clock jump). Every
action is idempotent: the deadline goes through the domain (a second stop is a no-op) and
every message has an outbox key, so firing twice has the effect of firing once.

An open purchase also has one timer for the next step of its card's countdown (see
domain.countdown): it asks for a card edit and plans the step after, so the countdown a
member reads is right to the minute in the last hour without a timer per minute.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain import countdown, services
from domain.purchase import REMINDER_LEADS, PurchaseStatus, reminder_due
from runtime.metrics import DEADLINE_LATENESS
from runtime.timed_notices import (
    COLLECTING,
    HOUR,
    PAY_REMINDER_LEAD,
    TimedNotices,
    pay_reminder_due_at,
)
from storage.purchase_reads import PurchaseTimes
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30
# Deadlines reached in one transaction. On SQLite a batch holds the write turn that taps wait
# for, so it stays small enough to take a fraction of a second.
DEADLINE_BATCH = 50
PLANS_AT_ONCE = 4
Action = Callable[[int], Awaitable[None]]
PRUNE_EVERY = timedelta(hours=1)
# The states with timers: open (reminders, the deadline), collecting (the pay-by time) and
# arrived (pickup windows).
TIMED = (PurchaseStatus.OPEN, *COLLECTING)


class Timeline(TimedNotices):
    def __init__(
        self,
        database: Database,
        clock: Callable[[], datetime],
        refresh_card: Callable[[int], None] = lambda purchase_id: None,
    ) -> None:
        self._database = database
        self._clock = clock
        self._refresh_card = refresh_card
        self._scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": 3600}
        )
        # Timers running and re-planning under way: what stop() lets finish.
        self._in_flight: set[asyncio.Task[Any]] = set()
        # Re-plannings reading at once: 500 purchases changed together (a campaign's cut-off)
        # must not take every database connection from the taps meanwhile.
        self._planning = asyncio.Semaphore(PLANS_AT_ONCE)
        self._stopping = False
        self._pruned_at: datetime | None = None
        # Each purchase's timer ids, so re-planning one purchase does not scan every timer.
        self._jobs: dict[int, set[str]] = {}
        # Deadlines being reached right now (see `reaching_deadlines`), and the purchases
        # queued for the next batch (a dict: ordered, and each purchase once).
        self._deadlines_running = 0
        self._due: dict[int, None] = {}
        # Reminders this process has sent, so the sweep does not reload their purchases.
        self._reminded: set[tuple[int, datetime, timedelta]] = set()
        # The same for the pay-by reminder and the pay-by offer: (purchase, which, pay-by),
        # kept while the sweep still finds the purchase collecting by that pay-by time.
        self._payment_moments: set[tuple[int, str, datetime]] = set()
        # Open purchases' deadlines, and the countdown each card was last refreshed for, so
        # the sweep edits a card whose countdown step a timer missed, and only such a card.
        self._deadlines: dict[int, datetime] = {}
        self._countdowns: dict[int, timedelta] = {}
        # In a process that does not lead (runtime/leadership.py): hands re-planning to the
        # leader, whose timeline runs the timers.
        self.forward: Callable[[int], None] | None = None

    async def start(self) -> None:
        self._scheduler.start()
        self._scheduler.add_job(
            self._tracked, "interval", seconds=SWEEP_SECONDS, args=[self.sweep], id="sweep"
        )
        async with self._database.reading() as uow:
            planned = await uow.purchases.times(TIMED)
        for times in planned:
            self._plan_times(times.id, times)
        await self.sweep()

    async def stop(self, timeout: float = 10.0) -> None:
        """Fire no more timers and let the ones running, and any re-planning, finish.

        APScheduler's shutdown cancels the jobs it is running; a job cancelled inside a
        transaction leaves its database connection behind, unclosed.
        """
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.pause()
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def _tracked(self, action: Callable[..., Awaitable[None]], *args: int) -> None:
        """Every timer runs through here, so that stop() can wait for the ones in flight."""
        self._track(asyncio.current_task())
        await action(*args)

    def _track(self, task: asyncio.Task[Any] | None) -> None:
        if task is not None:
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    def plan(self, purchase_id: int) -> None:
        """Re-plan a purchase's timers from the database (after any change to it)."""
        if self.forward is not None:
            self.forward(purchase_id)
            return
        if self._stopping:
            return  # the next start plans every purchase from the database
        self._track(asyncio.get_running_loop().create_task(self._plan(purchase_id)))

    def _moments(self, times: PurchaseTimes, now: datetime) -> list[tuple[datetime, Action]]:
        if times.status is PurchaseStatus.OPEN:
            reminders = [
                (times.deadline - lead, self.remind)
                for lead in REMINDER_LEADS
                if times.created_at <= times.deadline - lead
            ]
            step = countdown.next_change(times.deadline, now)
            steps = [] if step is None else [(step, self.countdown)]
            return [*reminders, *steps, (times.deadline, self.deadline)]
        moments: list[tuple[datetime, Action]] = []
        if times.pay_by is not None:
            if pay_reminder_due_at(times.deadline, times.pay_by) is not None:
                moments.append((times.pay_by - PAY_REMINDER_LEAD, self.pay_reminder))
            moments.append((times.pay_by, self.pay_by_passed))
        if times.status is PurchaseStatus.ARRIVED:
            for starts_at in times.pickup_starts:
                moments += [(starts_at - HOUR, self.pickup), (starts_at, self.pickup)]
            if times.pickup_ends:  # the end of the day: who has not collected
                moments.append((max(times.pickup_ends), self.pickup))
        return moments

    async def _plan(self, purchase_id: int) -> None:
        async with self._planning, self._database.reading() as uow:
            found = await uow.purchases.times(TIMED, [purchase_id])
        self._plan_times(purchase_id, found[0] if found else None)

    def _plan_times(self, purchase_id: int, times: PurchaseTimes | None) -> None:
        wanted: dict[str, tuple[datetime, Action]] = {}
        self._deadlines.pop(purchase_id, None)
        if times is not None:
            now = self._clock()
            if times.status is PurchaseStatus.OPEN:
                self._deadlines[purchase_id] = times.deadline
            for when, action in self._moments(times, now):
                if when > now:
                    wanted[f"{action.__name__}:{purchase_id}:{int(when.timestamp())}"] = (
                        when,
                        action,
                    )
        planned = self._jobs.pop(purchase_id, set())
        for job_id in planned - wanted.keys():
            # A timer that has fired is gone already.
            if self._scheduler.get_job(job_id) is not None:
                self._scheduler.remove_job(job_id)
        for job_id, (when, action) in wanted.items():
            self._scheduler.add_job(
                self._tracked,
                "date",
                run_date=when,
                args=[action, purchase_id],
                id=job_id,
                replace_existing=True,
            )
        if wanted:
            self._jobs[purchase_id] = set(wanted)

    def planned(self, purchase_id: int) -> list[datetime]:
        """When this purchase's timers fire (for tests and the head panel)."""
        jobs = (self._scheduler.get_job(job_id) for job_id in self._jobs.get(purchase_id, ()))
        return sorted(job.next_run_time for job in jobs if job is not None)

    async def sweep(self) -> None:
        """Do whatever is due and was not done, for every purchase."""
        now = self._clock()
        async with self._database.reading() as uow:
            due = await uow.purchases.ids_due(now)
            soon = await uow.purchases.times((PurchaseStatus.OPEN,))
            arrived = await uow.purchases.ids_with_status(PurchaseStatus.ARRIVED)
        self._due.update(dict.fromkeys(due))
        await self._reach_due()
        # A campaign nobody adopted has no deadline timer of its own to close it.
        await services.close_due_campaigns(self._database.unit_of_work(), now)
        # Whoever waited to be forgotten in a purchase that ended some other way (a failure, a
        # campaign's cut-off, an end a crash interrupted) is, at the latest here.
        await services.forget_in_ended(self._database.unit_of_work())
        reminders = {
            (t.id, t.deadline, lead)
            for t in soon
            if (lead := reminder_due(t.deadline, t.created_at, now)) is not None
        }
        self._reminded &= reminders  # forget what is no longer due
        self._catch_up_countdowns({t.id: t.deadline for t in soon}, now)
        for purchase_id, _deadline, _lead in sorted(reminders - self._reminded):
            await self.remind(purchase_id)
        for purchase_id in arrived:
            await self.pickup(purchase_id)
        async with self._database.reading() as uow:
            paying = await uow.purchases.pay_by_before(COLLECTING, now + PAY_REMINDER_LEAD)
        # Forget the moments of purchases done collecting (completed, cancelled) or given
        # another pay-by time: no sweep asks about them again, and a bot running for months
        # would otherwise keep one or two for every purchase it ever had.
        still = {(purchase_id, pay_by) for purchase_id, _deadline, pay_by in paying}
        self._payment_moments = {m for m in self._payment_moments if (m[0], m[2]) in still}
        for purchase_id, deadline, pay_by in paying:
            reminder_at = pay_reminder_due_at(deadline, pay_by)
            if now >= pay_by and (purchase_id, "passed", pay_by) not in self._payment_moments:
                await self.pay_by_passed(purchase_id)
            elif (
                reminder_at is not None
                and reminder_at <= now < pay_by
                and (purchase_id, "remind", pay_by) not in self._payment_moments
            ):
                await self.pay_reminder(purchase_id)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            async with self._database.unit_of_work() as uow:
                gone = await uow.prune(now)
                await uow.commit()
            self._pruned_at = now
            log.info("pruned %s old rows", gone)

    async def countdown(self, purchase_id: int) -> None:
        """A step of a card's countdown: edit the card, and plan the next step."""
        deadline = self._deadlines.get(purchase_id)
        if deadline is not None:
            # As the card will show it: the timer fires on the very instant of the step.
            self._countdowns[purchase_id] = countdown.shown(
                deadline, self._clock() + countdown.EPSILON
            )
        self._refresh_card(purchase_id)
        self.plan(purchase_id)

    def _catch_up_countdowns(self, deadlines: dict[int, datetime], now: datetime) -> None:
        """Edit the cards whose countdown moved on since their last step (a timer missed it:
        a restart, a clock jump). At start-up every card is taken as shown right: a restart
        does not edit every open card at once."""
        countdowns = {}
        for purchase_id, deadline in deadlines.items():
            countdowns[purchase_id] = countdown.shown(deadline, now)
            last = self._countdowns.get(purchase_id)
            if last is not None and last != countdowns[purchase_id]:
                self._refresh_card(purchase_id)
                self.plan(purchase_id)  # and its timer for the next step, from now
        self._countdowns = countdowns

    def reaching_deadlines(self) -> bool:
        """Whether deadline timers are running: the notifier lets them have the database first."""
        return self._deadlines_running > 0

    async def deadline(self, purchase_id: int) -> None:
        """A deadline timer: the purchase joins the ones being reached."""
        self._due[purchase_id] = None
        await self._reach_due()

    async def _reach_due(self) -> None:
        """Reach every queued deadline, DEADLINE_BATCH to a transaction. Only one caller runs
        the loop; a timer firing meanwhile just queues its purchase for the next batch, so a
        minute with thousands of deadlines costs a few hundred transactions, not thousands."""
        if self._deadlines_running:
            return
        self._deadlines_running += 1
        try:
            while self._due:
                batch = list(itertools.islice(self._due, DEADLINE_BATCH))
                now = self._clock()
                for purchase_id in batch:
                    del self._due[purchase_id]
                    deadline = self._deadlines.get(purchase_id)
                    if deadline is not None and deadline <= now:
                        DEADLINE_LATENESS.observe((now - deadline).total_seconds())
                try:
                    await services.reach_deadlines(
                        self._database.unit_of_work(), batch, self._clock()
                    )
                except Exception:
                    log.exception("deadlines of %s purchases failed; one by one now", len(batch))
                    await self._reach_one_by_one(batch)
        finally:
            self._deadlines_running -= 1

    async def _reach_one_by_one(self, batch: list[int]) -> None:
        """After a failed batch: so that one broken purchase does not hold the others back."""
        for purchase_id in batch:
            try:
                await services.reach_deadline(
                    self._database.unit_of_work(), purchase_id, self._clock()
                )
            except Exception:
                log.exception("deadline of purchase %s failed; the sweep tries again", purchase_id)
