-- Retention (docs/retention.md): a scheduled workflow removes rows of finished work once they are older than
-- RETENTION_DAYS. A transfer row is also ingest's memory of a file version it moved, so it goes only once the file
-- is gone from the server: "seenAt" is when a listing last found the version, "listedAt" when the server's last
-- complete listing started. Rows that exist now count as seen now; servers count as never listed until a scan is.
ALTER TABLE "Transfer" ADD COLUMN "seenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "Server" ADD COLUMN "listedAt" TIMESTAMP(3);

-- Each table's rows in the order retention walks them (oldest first, keyset on the ID).
CREATE INDEX "Transfer_seenAt_id_idx" ON "Transfer"("seenAt", "id");
CREATE INDEX "Upload_updatedAt_id_idx" ON "Upload"("updatedAt", "id");
CREATE INDEX "Batch_updatedAt_id_idx" ON "Batch"("updatedAt", "id");
CREATE INDEX "Event_updatedAt_id_idx" ON "Event"("updatedAt", "id");
CREATE INDEX "Export_updatedAt_id_idx" ON "Export"("updatedAt", "id");
