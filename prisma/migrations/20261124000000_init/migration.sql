-- CreateEnum
CREATE TYPE "AfterTransferAction" AS ENUM ('keep', 'delete', 'move');

-- CreateEnum
CREATE TYPE "TransferStatus" AS ENUM ('discovered', 'running', 'completed', 'skipped', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "UploadStatus" AS ENUM ('receiving', 'queued', 'processing', 'completed', 'failed', 'cancelled', 'expired');

-- CreateEnum
CREATE TYPE "JobKind" AS ENUM ('scan', 'transfer', 'upload', 'export', 'batch');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "Server" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL DEFAULT 22,
    "username" TEXT NOT NULL,
    "passwordEnc" TEXT,
    "privateKeyEnc" TEXT,
    "hostKeyFingerprint" TEXT NOT NULL,
    "remoteDir" TEXT NOT NULL DEFAULT '.',
    "recursive" BOOLEAN NOT NULL DEFAULT false,
    "include" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "exclude" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "minAgeSeconds" INTEGER NOT NULL DEFAULT 60,
    "scanIntervalSeconds" INTEGER NOT NULL DEFAULT 300,
    "bucket" TEXT NOT NULL,
    "keyPrefix" TEXT NOT NULL DEFAULT '',
    "afterTransfer" "AfterTransferAction" NOT NULL DEFAULT 'keep',
    "archiveDir" TEXT,
    "webhookUrl" TEXT,
    "webhookSecretEnc" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Server_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Transfer" (
    "id" UUID NOT NULL,
    "serverId" UUID NOT NULL,
    "remotePath" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "mtimeMs" BIGINT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "status" "TransferStatus" NOT NULL DEFAULT 'discovered',
    "bucket" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "sha256" TEXT,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "uploadId" TEXT,
    "checkpoint" JSONB,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Transfer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TransferAttempt" (
    "id" UUID NOT NULL,
    "transferId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startOffset" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TransferAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Upload" (
    "id" UUID NOT NULL,
    "filename" TEXT NOT NULL,
    "size" BIGINT,
    "contentType" TEXT NOT NULL DEFAULT 'application/octet-stream',
    "sha256" TEXT,
    "bucket" TEXT NOT NULL,
    "objectKey" TEXT NOT NULL,
    "webhookUrl" TEXT,
    "status" "UploadStatus" NOT NULL DEFAULT 'receiving',
    "workflowId" TEXT,
    "error" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Upload_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UploadChunk" (
    "uploadId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "stagingKey" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UploadChunk_pkey" PRIMARY KEY ("uploadId","index")
);

-- CreateTable
CREATE TABLE "Job" (
    "id" UUID NOT NULL,
    "kind" "JobKind" NOT NULL,
    "workflowId" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "refId" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Server_name_key" ON "Server"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Transfer_workflowId_key" ON "Transfer"("workflowId");

-- CreateIndex
CREATE INDEX "Transfer_status_idx" ON "Transfer"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Transfer_serverId_remotePath_size_mtimeMs_key" ON "Transfer"("serverId", "remotePath", "size", "mtimeMs");

-- CreateIndex
CREATE INDEX "TransferAttempt_transferId_idx" ON "TransferAttempt"("transferId");

-- CreateIndex
CREATE UNIQUE INDEX "Upload_workflowId_key" ON "Upload"("workflowId");

-- CreateIndex
CREATE INDEX "Upload_status_expiresAt_idx" ON "Upload"("status", "expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Job_workflowId_key" ON "Job"("workflowId");

-- CreateIndex
CREATE INDEX "Job_kind_status_idx" ON "Job"("kind", "status");

-- AddForeignKey
ALTER TABLE "Transfer" ADD CONSTRAINT "Transfer_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TransferAttempt" ADD CONSTRAINT "TransferAttempt_transferId_fkey" FOREIGN KEY ("transferId") REFERENCES "Transfer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UploadChunk" ADD CONSTRAINT "UploadChunk_uploadId_fkey" FOREIGN KEY ("uploadId") REFERENCES "Upload"("id") ON DELETE CASCADE ON UPDATE CASCADE;
