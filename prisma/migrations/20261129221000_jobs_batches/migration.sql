-- Batches of exports, and one view of every kind of job (PRODUCT.md 1.4).

-- The Job table held a second copy of each upload's status, written beside the Upload row. The
-- view "Job" below derives every kind's job from its own row instead, so nothing can disagree.
-- DropTable
DROP TABLE "Job";

-- CreateEnum
CREATE TYPE "BatchStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "Batch" (
    "id" UUID NOT NULL,
    "workflowId" TEXT NOT NULL,
    "status" "BatchStatus" NOT NULL DEFAULT 'queued',
    "concurrency" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "clientRequestId" TEXT,
    "error" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BatchItem" (
    "batchId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "exportId" UUID NOT NULL,
    "input" JSONB NOT NULL,

    CONSTRAINT "BatchItem_pkey" PRIMARY KEY ("batchId","index")
);

-- CreateIndex
CREATE UNIQUE INDEX "Batch_workflowId_key" ON "Batch"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Batch_clientRequestId_key" ON "Batch"("clientRequestId");

-- CreateIndex
CREATE INDEX "Batch_createdAt_workflowId_idx" ON "Batch"("createdAt", "workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "BatchItem_exportId_key" ON "BatchItem"("exportId");

-- AddForeignKey
ALTER TABLE "BatchItem" ADD CONSTRAINT "BatchItem_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "Batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex
CREATE INDEX "Export_createdAt_workflowId_idx" ON "Export"("createdAt", "workflowId");

-- CreateIndex
CREATE INDEX "Transfer_createdAt_workflowId_idx" ON "Transfer"("createdAt", "workflowId");

-- CreateIndex
CREATE INDEX "Upload_createdAt_workflowId_idx" ON "Upload"("createdAt", "workflowId");

-- Every job, newest first by ("createdAt", "workflowId"): each branch is one kind's table with
-- its index on those columns, so a page is a merge of index scans. An upload is a job once it is
-- completed by its client (queued); one still receiving chunks, or expired, is not. An export of
-- a batch is a job from when the batch starts its workflow (which writes the Export row).
CREATE VIEW "Job" AS
SELECT 'transfer'::"JobKind" AS "kind",
       t."workflowId",
       t."id"::text AS "refId",
       (CASE t."status"
          WHEN 'discovered' THEN 'queued'
          WHEN 'running' THEN 'running'
          WHEN 'completed' THEN 'completed'
          WHEN 'skipped' THEN 'completed'
          WHEN 'failed' THEN 'failed'
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
  FROM "Batch" b;
