-- AlterTable
ALTER TABLE "Upload" ADD COLUMN     "assembly" JSONB,
ADD COLUMN     "multipartUploadId" TEXT;
