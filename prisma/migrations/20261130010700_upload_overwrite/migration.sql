-- An upload replaces an object already at its key only when its request says so. Uploads created
-- before this rule keep the behaviour they were created with (true); new ones default to false.
ALTER TABLE "Upload" ADD COLUMN "overwrite" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Upload" ALTER COLUMN "overwrite" SET DEFAULT false;
