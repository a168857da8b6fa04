-- The view "Job" gains the events (their handleEvent workflows; an unmatched event is a
-- completed job) and maps a transfer rejected by the scan (its name cannot be a key) to failed.
-- Separate from the migrations that added those enum values: PostgreSQL cannot use a new enum
-- value in the transaction that added it.
CREATE OR REPLACE VIEW "Job" AS
SELECT 'transfer'::"JobKind" AS "kind",
       t."workflowId",
       t."id"::text AS "refId",
       (CASE t."status"
          WHEN 'discovered' THEN 'queued'
          WHEN 'running' THEN 'running'
          WHEN 'completed' THEN 'completed'
          WHEN 'skipped' THEN 'completed'
          WHEN 'failed' THEN 'failed'
          WHEN 'rejected' THEN 'failed'
          ELSE 'cancelled'
        END)::"JobStatus" AS "status",
       t."error",
       t."createdAt",
       t."updatedAt",
       t."startedAt",
       t."finishedAt",
       NULL::uuid AS "batchId"
  FROM "Transfer" t
UNION ALL
SELECT 'upload'::"JobKind",
       u."workflowId",
       u."id"::text,
       (CASE u."status"
          WHEN 'queued' THEN 'queued'
          WHEN 'processing' THEN 'running'
          WHEN 'completed' THEN 'completed'
          WHEN 'failed' THEN 'failed'
          ELSE 'cancelled'
        END)::"JobStatus",
       u."error",
       u."createdAt",
       u."updatedAt",
       NULL::timestamp(3),
       CASE WHEN u."status" IN ('completed', 'failed', 'cancelled') THEN coalesce(u."completedAt", u."updatedAt") END,
       NULL::uuid
  FROM "Upload" u
 WHERE u."status" NOT IN ('receiving', 'expired') AND u."workflowId" IS NOT NULL
UNION ALL
SELECT 'export'::"JobKind",
       e."workflowId",
       e."id"::text,
       e."status"::text::"JobStatus",
       e."error",
       e."createdAt",
       e."updatedAt",
       e."startedAt",
       e."finishedAt",
       i."batchId"
  FROM "Export" e
  LEFT JOIN "BatchItem" i ON i."exportId" = e."id"
UNION ALL
SELECT 'batch'::"JobKind",
       b."workflowId",
       b."id"::text,
       b."status"::text::"JobStatus",
       b."error",
       b."createdAt",
       b."updatedAt",
       b."startedAt",
       b."finishedAt",
       NULL::uuid
  FROM "Batch" b
UNION ALL
SELECT 'event'::"JobKind",
       ev."workflowId",
       ev."id"::text,
       (CASE ev."status"
          WHEN 'received' THEN 'queued'
          WHEN 'running' THEN 'running'
          WHEN 'failed' THEN 'failed'
          ELSE 'completed'
        END)::"JobStatus",
       ev."error",
       ev."receivedAt",
       ev."updatedAt",
       ev."startedAt",
       ev."finishedAt",
       NULL::uuid
  FROM "Event" ev;
