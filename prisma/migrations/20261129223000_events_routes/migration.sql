-- Events and routes (POST /v1/events, /v1/routes).

-- AlterEnum
ALTER TYPE "JobKind" ADD VALUE 'event';

-- CreateEnum
CREATE TYPE "EventStatus" AS ENUM ('received', 'running', 'completed', 'failed', 'unmatched');

-- CreateEnum
CREATE TYPE "EventKind" AS ENUM ('s3', 'generic');

-- CreateEnum
CREATE TYPE "RouteActionKind" AS ENUM ('export', 'scan', 'webhook');

-- CreateEnum
CREATE TYPE "EventActionStatus" AS ENUM ('running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "Event" (
    "id" UUID NOT NULL,
    "identity" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "kind" "EventKind" NOT NULL,
    "type" TEXT NOT NULL,
    "source" TEXT,
    "subject" TEXT,
    "bucket" TEXT,
    "objectKey" TEXT,
    "size" BIGINT,
    "eTag" TEXT,
    "sequencer" TEXT,
    "serverId" UUID,
    "payload" JSONB NOT NULL,
    "status" "EventStatus" NOT NULL DEFAULT 'received',
    "error" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Route" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "eventTypes" TEXT[],
    "bucket" TEXT,
    "keyPrefix" TEXT,
    "keySuffix" TEXT,
    "keyGlob" TEXT,
    "serverId" UUID,
    "action" "RouteActionKind" NOT NULL,
    "settings" JSONB NOT NULL,
    "webhookSecretEnc" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Route_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EventAction" (
    "eventId" UUID NOT NULL,
    "routeId" UUID NOT NULL,
    "routeName" TEXT NOT NULL,
    "action" "RouteActionKind" NOT NULL,
    "workflowId" TEXT,
    "status" "EventActionStatus" NOT NULL DEFAULT 'running',
    "result" JSONB,
    "error" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "EventAction_pkey" PRIMARY KEY ("eventId","routeId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Event_identity_key" ON "Event"("identity");

-- CreateIndex
CREATE UNIQUE INDEX "Event_workflowId_key" ON "Event"("workflowId");

-- CreateIndex
CREATE INDEX "Event_receivedAt_id_idx" ON "Event"("receivedAt", "id");

-- CreateIndex
CREATE INDEX "Event_status_receivedAt_id_idx" ON "Event"("status", "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Event_type_receivedAt_id_idx" ON "Event"("type", "receivedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Route_name_key" ON "Route"("name");

-- CreateIndex
CREATE INDEX "Route_bucket_idx" ON "Route"("bucket");

-- AddForeignKey
ALTER TABLE "EventAction" ADD CONSTRAINT "EventAction_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;
