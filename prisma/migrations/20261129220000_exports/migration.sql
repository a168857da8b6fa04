-- Exports (S3 objects -> zip -> validator -> SFTP): the export row, its resolved source set and its validator secret.

-- CreateEnum
CREATE TYPE "ExportStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "Export" (
    "id" UUID NOT NULL,
    "workflowId" TEXT NOT NULL,
    "clientRequestId" TEXT,
    "requestHash" TEXT NOT NULL,
    "status" "ExportStatus" NOT NULL DEFAULT 'queued',
    "phase" TEXT,
    "request" JSONB NOT NULL,
    "bucket" TEXT NOT NULL,
    "archiveName" TEXT NOT NULL,
    "serverId" UUID NOT NULL,
    "directory" TEXT NOT NULL,
    "overwrite" BOOLEAN NOT NULL DEFAULT false,
    "webhookUrl" TEXT,
    "validatorUrl" TEXT,
    "entryCount" INTEGER,
    "totalBytes" BIGINT,
    "stagingKey" TEXT,
    "multipartUploadId" TEXT,
    "archiveSize" BIGINT,
    "archiveSha256" TEXT,
    "remotePath" TEXT,
    "validatorReasons" JSONB,
    "error" TEXT,
    "errorType" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Export_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExportEntry" (
    "exportId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "etag" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "path" TEXT NOT NULL,

    CONSTRAINT "ExportEntry_pkey" PRIMARY KEY ("exportId","index")
);

-- CreateTable
CREATE TABLE "ExportSecret" (
    "exportId" UUID NOT NULL,
    "validatorSecretEnc" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ExportSecret_pkey" PRIMARY KEY ("exportId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Export_workflowId_key" ON "Export"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Export_clientRequestId_key" ON "Export"("clientRequestId");

-- CreateIndex
CREATE INDEX "Export_status_idx" ON "Export"("status");

-- AddForeignKey
ALTER TABLE "ExportEntry" ADD CONSTRAINT "ExportEntry_exportId_fkey" FOREIGN KEY ("exportId") REFERENCES "Export"("id") ON DELETE CASCADE ON UPDATE CASCADE;
