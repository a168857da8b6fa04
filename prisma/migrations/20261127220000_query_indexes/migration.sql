-- Indexes for the queries that run per scan page, per upload status change and per lost-upload check.
-- Plain CREATE INDEX (migrations run in a transaction): on a large existing table it blocks writes while it builds.

-- CreateIndex
CREATE INDEX "Transfer_serverId_status_id_idx" ON "Transfer"("serverId", "status", "id");

-- CreateIndex
CREATE INDEX "Transfer_uploadId_idx" ON "Transfer"("uploadId");

-- CreateIndex
CREATE INDEX "Upload_multipartUploadId_idx" ON "Upload"("multipartUploadId");

-- CreateIndex
CREATE INDEX "Job_refId_idx" ON "Job"("refId");
