-- The batch lane for small files (docs/ingest-batch-lane.md): chosen per server, and each transfer row
-- records the batch workflow that carried it.

-- CreateEnum
CREATE TYPE "SmallFilesLane" AS ENUM ('workflow', 'batch');

-- AlterTable
ALTER TABLE "Server" ADD COLUMN "smallFiles" "SmallFilesLane" NOT NULL DEFAULT 'workflow';

-- AlterTable
ALTER TABLE "Transfer" ADD COLUMN "batchWorkflowId" TEXT;

-- CreateIndex
CREATE INDEX "Transfer_batchWorkflowId_idx" ON "Transfer"("batchWorkflowId");
