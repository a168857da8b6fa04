-- The events table is the outbox of POST /v1/events (docs/events.md): the API answers once the rows are stored and
-- starts their workflows afterwards. "dispatchedAt" records that an event's handleEvent workflow was started, so
-- the sweep starts only events stored by an API that stopped (or failed) before starting theirs.
ALTER TABLE "Event" ADD COLUMN "dispatchedAt" TIMESTAMP(3);
